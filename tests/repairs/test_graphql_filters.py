"""Enums, filters and ordering of workOrderList (issue 22, parts 1 and 2)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from repairs.choices import Severity
from repairs.models import WorkOrder
from repairs.services import work_order_report, work_order_triage

PAGE = "query($f: WorkOrderFilter, $o: [WorkOrderOrder!]) { workOrderList(filters: $f, ordering: $o) { totalCount edges { node { title status severity } } } }"


def _titles(result) -> list[str]:
    return [e["node"]["title"] for e in result["data"]["workOrderList"]["edges"]]


@pytest.fixture
def orders(room, bob, lena, mario):
    """Three orders: the lamp (reported), the tap (major, assigned), the window (reported, a week old)."""
    lamp = work_order_report(reporter=bob, title="灯不亮", room=room)
    tap = work_order_report(reporter=bob, title="水龙头漏水", room=room)
    work_order_triage(order=tap, actor=lena, severity=Severity.MAJOR, assignee=mario)
    window = work_order_report(reporter=bob, title="窗户关不上", room=room)
    WorkOrder.objects.filter(pk=window.pk).update(reported_at=window.reported_at - dt.timedelta(days=7))
    return lamp, tap, window


def test_status_is_an_enum_in_answers(client_for, school_a, orders, bob):
    result = client_for(bob, school_a).gql(PAGE, {"f": {"status": "ASSIGNED"}})
    assert result["data"]["workOrderList"]["edges"] == [
        {"node": {"title": "水龙头漏水", "status": "ASSIGNED", "severity": "MAJOR"}}
    ]


def test_a_wrong_enum_value_is_refused_before_anything_runs(client_for, school_a, orders, bob, monkeypatch):
    from repairs import selectors

    calls = []
    monkeypatch.setattr(selectors, "work_order_list_for", lambda **kw: calls.append(kw))
    client = client_for(bob, school_a)

    literal = client.gql('{ workOrderList(status: "nonsense") { totalCount } }')
    in_filter = client.gql("{ workOrderList(filters: {status: NONSENSE}) { totalCount } }")
    as_variable = client.gql(PAGE, {"f": {"status": "nonsense"}})

    for result in (literal, in_filter, as_variable):
        assert result["data"] is None
        assert result["errors"][0]["extensions"]["code"] in ("GRAPHQL_VALIDATION_FAILED", "BAD_USER_INPUT")
    assert literal["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert in_filter["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert calls == []


def test_an_unknown_filter_field_is_refused(client_for, school_a, orders, bob):
    result = client_for(bob, school_a).gql('{ workOrderList(filters: {colour: "red"}) { totalCount } }')
    assert result["data"] is None
    assert result["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


def test_filters_narrow(client_for, school_a, orders, bob):
    client = client_for(bob, school_a)
    week_ago = (timezone.localdate() - dt.timedelta(days=7)).isoformat()
    assert _titles(client.gql(PAGE, {"f": {"severity": "MAJOR"}})) == ["水龙头漏水"]
    assert sorted(_titles(client.gql(PAGE, {"f": {"statusIn": ["REPORTED"]}}))) == ["灯不亮", "窗户关不上"]
    assert _titles(client.gql(PAGE, {"f": {"q": "窗户"}})) == ["窗户关不上"]
    assert _titles(client.gql(PAGE, {"f": {"reportedAt": {"end": week_ago}}})) == ["窗户关不上"]
    assert client.gql(PAGE, {"f": {"open": False}})["data"]["workOrderList"]["totalCount"] == 0


def test_ordering_sorts(client_for, school_a, orders, bob):
    client = client_for(bob, school_a)
    assert _titles(client.gql(PAGE)) == ["水龙头漏水", "灯不亮", "窗户关不上"]  # newest first by default
    assert _titles(client.gql(PAGE, {"o": [{"reportedAt": "ASC"}]})) == ["窗户关不上", "灯不亮", "水龙头漏水"]
    by_severity = _titles(client.gql(PAGE, {"o": [{"severity": "ASC"}, {"reportedAt": "DESC"}]}))
    assert by_severity == ["水龙头漏水", "灯不亮", "窗户关不上"]  # major < minor, then newest first
