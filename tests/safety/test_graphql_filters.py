"""Enums, filters and ordering of the safety lists (issue 22, parts 1 and 2): hazardList as the hazard ledger
filters it, patrolList by shift; a wrong enum and an unknown filter field refused before anything runs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from safety.choices import Area, HazardGrade
from safety.services import hazard_report

HAZARDS = """query($f: HazardFilter, $o: [HazardOrder!]) {
  hazardList(filters: $f, ordering: $o) { totalCount edges { node { description grade category status foundOn } } }
}"""


def _descriptions(result) -> list[str]:
    return [e["node"]["description"] for e in result["data"]["hazardList"]["edges"]]


@pytest.fixture
def hazards(school_a, sam):
    connection.set_tenant(school_a)
    today = timezone.localdate()
    hazard_report(
        reporter=sam,
        category=Area.FIRE,
        description="消防通道堵塞",
        location_text="食堂后门",
        found_on=today - dt.timedelta(days=3),
    )
    hazard_report(
        reporter=sam,
        category=Area.BUILDINGS,
        description="外墙瓷砖松动",
        grade=HazardGrade.MAJOR,
        found_on=today - dt.timedelta(days=10),
        location_text="教学楼北侧",
        responsible=sam,
        measures="拆除并重贴",
        funds=Decimal("3000"),
        deadline=today + dt.timedelta(days=20),
        contingency_plan="设置围挡",
    )
    hazard_report(
        reporter=sam, category=Area.FIRE, description="灭火器过期", location_text="二楼走廊", found_on=today
    )
    connection.set_schema_to_public()


def test_hazard_fields_are_enums(client_for, school_a, hazards, alice):
    result = client_for(alice, school_a).gql(HAZARDS, {"f": {"grade": "MAJOR"}})
    assert result["data"]["hazardList"]["edges"] == [
        {
            "node": {
                "description": "外墙瓷砖松动",
                "grade": "MAJOR",
                "category": "BUILDINGS",
                "status": "OPEN",
                "foundOn": (timezone.localdate() - dt.timedelta(days=10)).isoformat(),
            }
        }
    ]


def test_hazard_filters_narrow(client_for, school_a, hazards, alice):
    client = client_for(alice, school_a)
    fire = _descriptions(client.gql(HAZARDS, {"f": {"category": "FIRE"}}))
    assert sorted(fire) == ["消防通道堵塞", "灭火器过期"]
    assert _descriptions(client.gql(HAZARDS, {"f": {"q": "北侧"}})) == ["外墙瓷砖松动"]  # the location too
    week_ago = (timezone.localdate() - dt.timedelta(days=7)).isoformat()
    recent = client.gql(
        HAZARDS, {"f": {"foundOn": {"start": week_ago}, "category": "FIRE", "status": "OPEN"}}
    )
    assert recent["data"]["hazardList"]["totalCount"] == 2
    assert client.gql(HAZARDS, {"f": {"status": "CLOSED"}})["data"]["hazardList"]["totalCount"] == 0


def test_hazard_ordering_sorts(client_for, school_a, hazards, alice):
    client = client_for(alice, school_a)
    oldest_first = _descriptions(client.gql(HAZARDS, {"o": [{"foundOn": "ASC"}]}))
    assert oldest_first == ["外墙瓷砖松动", "消防通道堵塞", "灭火器过期"]
    assert _descriptions(client.gql(HAZARDS, {"o": [{"foundOn": "DESC"}]})) == oldest_first[::-1]


@pytest.mark.parametrize(
    "query",
    [
        '{ hazardList(filters: {grade: "major"}) { totalCount } }',  # a string where the enum is
        "{ hazardList(filters: {grade: SEVERE}) { totalCount } }",  # no such value
        "{ hazardList(filters: {colour: RED}) { totalCount } }",  # no such filter field
        "{ patrolList(filters: {shift: MIDNIGHT}) { totalCount } }",
    ],
)
def test_wrong_enum_or_unknown_filter_is_a_validation_error(client_for, school_a, hazards, alice, query):
    result = client_for(alice, school_a).gql(query)
    assert result["data"] is None
    assert result["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


def test_patrols_filter_by_shift_and_sort(client_for, school_a, sam, alice):
    from safety.services import patrol_record

    connection.set_tenant(school_a)
    now = dt.datetime.now(tz=dt.UTC)
    patrol_record(actor=sam, shift="night", route="东门—操场", started_at=now - dt.timedelta(hours=5))
    patrol_record(actor=sam, shift="morning", route="食堂", started_at=now - dt.timedelta(hours=2))
    patrol_record(actor=sam, shift="night", route="西门", started_at=now - dt.timedelta(hours=1))
    connection.set_schema_to_public()
    query = """query($f: PatrolFilter, $o: [PatrolOrder!]) {
      patrolList(filters: $f, ordering: $o) { edges { node { route shift } } } }"""
    result = client_for(alice, school_a).gql(query, {"f": {"shift": "NIGHT"}, "o": [{"startedAt": "DESC"}]})
    assert [e["node"] for e in result["data"]["patrolList"]["edges"]] == [
        {"route": "西门", "shift": "NIGHT"},
        {"route": "东门—操场", "shift": "NIGHT"},
    ]
