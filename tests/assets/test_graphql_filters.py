"""Filters and ordering of the assets lists (issue 22, part 2): assetList as the ledger filters it (kind,
condition, category code, room, dates, q), sorted by `ordering`; a wrong enum or filter field refused."""

from __future__ import annotations

import base64
import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection

from assets.choices import AssetKind, Condition

from .factories import AssetFactory, RoomFactory

PAGE = """query($f: AssetFilter, $o: [AssetOrder!]) {
  assetList(filters: $f, ordering: $o) { totalCount edges { node { assetNumber kind condition } } } }"""


def _numbers(result) -> list[str]:
    return [e["node"]["assetNumber"] for e in result["data"]["assetList"]["edges"]]


@pytest.fixture
def ledger(in_school_a):
    lab = RoomFactory(number="201")
    AssetFactory(
        asset_number="A0001", name="台式电脑", booked_on=dt.date(2024, 3, 1), unit_price=Decimal("5600")
    )
    AssetFactory(
        asset_number="A0002",
        name="投影仪",
        kind=AssetKind.LOW_VALUE,
        condition=Condition.IDLE,
        booked_on=dt.date(2025, 9, 1),
        unit_price=Decimal("900"),
        room=lab,
    )
    AssetFactory(
        asset_number="A0003",
        name="笔记本电脑",
        booked_on=dt.date(2023, 5, 1),
        unit_price=Decimal("7200"),
        room=lab,
    )
    connection.set_schema_to_public()
    return lab


def test_asset_filters_narrow(client_for, school_a, ledger, kate):
    client = client_for(kate, school_a)
    assert _numbers(client.gql(PAGE, {"f": {"kind": "LOW_VALUE"}})) == ["A0002"]
    assert _numbers(client.gql(PAGE, {"f": {"condition": "IDLE"}})) == ["A0002"]
    assert sorted(_numbers(client.gql(PAGE, {"f": {"q": "电脑"}}))) == ["A0001", "A0003"]
    assert _numbers(client.gql(PAGE, {"f": {"bookedOn": {"end": "2023-12-31"}}})) == ["A0003"]
    room = base64.b64encode(f"RoomType:{ledger.pk}".encode()).decode()
    assert sorted(_numbers(client.gql(PAGE, {"f": {"room": room}}))) == ["A0002", "A0003"]
    other_type = base64.b64encode(f"DepartmentType:{ledger.pk}".encode()).decode()
    assert client.gql(PAGE, {"f": {"room": other_type}})["data"]["assetList"]["totalCount"] == 0


def test_asset_ordering_sorts(client_for, school_a, ledger, kate):
    client = client_for(kate, school_a)
    assert _numbers(client.gql(PAGE, {"o": [{"bookedOn": "ASC"}]})) == ["A0003", "A0001", "A0002"]
    assert _numbers(client.gql(PAGE, {"o": [{"unitPrice": "DESC"}]})) == ["A0003", "A0001", "A0002"]


@pytest.mark.parametrize(
    "query",
    [
        "{ assetList(filters: {kind: MACHINE}) { totalCount } }",
        '{ assetList(filters: {condition: "idle"}) { totalCount } }',
        "{ assetList(filters: {colour: RED}) { totalCount } }",
        "{ purchaseRequestList(filters: {status: LOST}) { totalCount } }",
    ],
)
def test_wrong_enum_or_unknown_filter_is_refused(client_for, school_a, ledger, kate, query):
    result = client_for(kate, school_a).gql(query)
    assert result["data"] is None
    assert result["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
