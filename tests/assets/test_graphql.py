"""GraphQL: reads for readers of the school, writes for the right role, a page costs a fixed number of queries."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assets.choices import Condition
from assets.models import Asset, Loan

from .factories import AssetFactory, DepartmentFactory, RoomFactory

PAGE = """query($first: Int!) { assetList(first: $first) { totalCount edges { node {
  assetNumber name netValue underWarranty category { code name } room { number building { name } }
  user { name } department { name } } } } }"""


@pytest.fixture
def many_assets(in_school_a, kate):
    room = RoomFactory()
    department = DepartmentFactory(name="总务处")
    Asset.objects.bulk_create(
        [AssetFactory.build(room=room, department=department, user=kate, asset_number=f"Q{n:05d}") for n in range(120)]
    )
    connection.set_schema_to_public()


def _count(client, first: int) -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as captured:
        result = client.gql(PAGE, {"first": first})
    return len(captured), result


def test_page_of_100_costs_the_same_queries_as_a_page_of_10(client_for, school_a, many_assets, kate):
    client = client_for(kate, school_a)
    _count(client, 1)  # warm up per-process caches (content types, memberships)
    small, result_small = _count(client, 10)
    large, result_large = _count(client, 100)
    assert "errors" not in result_large, result_large
    assert len(result_small["data"]["assetList"]["edges"]) == 10
    assert len(result_large["data"]["assetList"]["edges"]) == 100
    assert result_large["data"]["assetList"]["totalCount"] == 120
    assert small == large


def test_readers_read_and_others_are_refused(client_for, school_a, many_assets, bob, dave, erin, charlie):
    query = "{ assetList(first: 1) { totalCount } }"
    assert client_for(bob, school_a).gql(query)["data"]["assetList"]["totalCount"] == 120
    assert client_for(dave, school_a).gql(query)["data"]["assetList"]["totalCount"] == 120
    for outsider in (None, erin, charlie):
        result = client_for(outsider, school_a).gql(query)
        assert result["data"] is None
        assert result["errors"][0]["extensions"]["code"] in ("FORBIDDEN", "UNAUTHENTICATED")


LEND = """mutation($data: LoanInput!) { loanCreate(data: $data) { dueOn asset { assetNumber condition } } }"""


def test_lending_needs_a_manager_and_a_lendable_asset(client_for, school_a, in_school_a, kate, bob, dave):
    asset = AssetFactory()
    disposed = AssetFactory(condition=Condition.DISPOSED)
    connection.set_schema_to_public()
    data = {"assetNumber": asset.asset_number, "borrowerId": str(bob.pk), "dueOn": "2030-01-01"}
    for refused in (bob, dave):
        result = client_for(refused, school_a).gql(LEND, {"data": data})
        assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    connection.set_tenant(school_a)
    assert Loan.objects.count() == 0
    connection.set_schema_to_public()
    result = client_for(kate, school_a).gql(LEND, {"data": data})
    assert result["data"]["loanCreate"]["asset"]["condition"] == "LENT"
    result = client_for(kate, school_a).gql(LEND, {"data": {**data, "assetNumber": disposed.asset_number}})
    assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_consumable_issue_beyond_stock_is_a_validation_error(client_for, school_a, in_school_a, kate):
    from assets import services

    from .factories import ConsumableItemFactory

    item = ConsumableItemFactory()
    services.consumable_receive(item=item, quantity=5, actor=kate, reason="采购")
    connection.set_schema_to_public()
    query = """mutation($id: ID!) { consumableIssue(itemId: $id, quantity: 6, reason: "x") { balanceAfter } }"""
    result = client_for(kate, school_a).gql(query, {"id": str(item.pk)})
    assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    query = """mutation($id: ID!) { consumableIssue(itemId: $id, quantity: 5, reason: "x") { balanceAfter } }"""
    assert client_for(kate, school_a).gql(query, {"id": str(item.pk)})["data"]["consumableIssue"]["balanceAfter"] == 0


def test_asset_totals(client_for, school_a, in_school_a, bob):
    AssetFactory(original_value=Decimal("100.00"), kind="low_value")
    connection.set_schema_to_public()
    result = client_for(bob, school_a).gql("{ assetTotals { key count value } }")
    assert {"key": "low_value", "count": 1, "value": "100.00"} in result["data"]["assetTotals"]
