"""Filters and ordering of the schools lists (issue 22, part 2): buildings by grade, rooms by building and
purpose, sorted by `ordering`; a wrong enum or filter field refused."""

from __future__ import annotations

import base64

import pytest
from django.db import connection

from schools.choices import RoomPurpose, SafetyGrade
from schools.models import Building, Room

BUILDINGS = """query($f: BuildingFilter, $o: [BuildingOrder!]) {
  buildingList(filters: $f, ordering: $o) { edges { node { name safetyGrade } } } }"""
ROOMS = """query($f: RoomFilter, $o: [RoomOrder!]) {
  roomList(filters: $f, ordering: $o) { edges { node { number purpose } } } }"""


@pytest.fixture
def campus(in_school_a):
    old = Building.objects.create(name="老教学楼", year_built=1985, safety_grade=SafetyGrade.C)
    new = Building.objects.create(name="新教学楼", year_built=2019, safety_grade=SafetyGrade.A)
    Room.objects.create(building=old, number="101", purpose=RoomPurpose.CLASSROOM)
    Room.objects.create(building=old, number="102", purpose=RoomPurpose.OFFICE)
    Room.objects.create(building=new, number="201", purpose=RoomPurpose.CLASSROOM)
    connection.set_schema_to_public()
    return old, new


def _names(result, key):
    return [e["node"] for e in result["data"][key]["edges"]]


def test_buildings_filter_and_sort(client_for, school_a, campus, alice):
    client = client_for(alice, school_a)
    assert _names(client.gql(BUILDINGS, {"f": {"safetyGrade": "C"}}), "buildingList") == [
        {"name": "老教学楼", "safetyGrade": "C"}
    ]
    flagged = client.gql(BUILDINGS, {"f": {"needsReinforcementProject": True}})
    assert [b["name"] for b in _names(flagged, "buildingList")] == ["老教学楼"]
    by_year = client.gql(BUILDINGS, {"o": [{"yearBuilt": "DESC"}]})
    assert [b["name"] for b in _names(by_year, "buildingList")] == ["新教学楼", "老教学楼"]


def test_rooms_filter_by_building_and_purpose_and_sort(client_for, school_a, campus, alice):
    old, _new = campus
    building = base64.b64encode(f"BuildingType:{old.pk}".encode()).decode()
    client = client_for(alice, school_a)
    rooms = client.gql(ROOMS, {"f": {"building": building}, "o": [{"number": "DESC"}]})
    assert _names(rooms, "roomList") == [
        {"number": "102", "purpose": "OFFICE"},
        {"number": "101", "purpose": "CLASSROOM"},
    ]
    classrooms = client.gql(ROOMS, {"f": {"purpose": "CLASSROOM"}, "o": [{"number": "ASC"}]})
    assert [r["number"] for r in _names(classrooms, "roomList")] == ["101", "201"]


@pytest.mark.parametrize(
    "query",
    [
        "{ buildingList(filters: {safetyGrade: E}) { totalCount } }",
        "{ roomList(filters: {purpose: KITCHEN_SINK}) { totalCount } }",
        "{ feedbackList(filters: {state: LOST}) { totalCount } }",
        "{ buildingList(filters: {height: 3}) { totalCount } }",
    ],
)
def test_wrong_enum_or_unknown_filter_is_refused(client_for, school_a, campus, alice, query):
    result = client_for(alice, school_a).gql(query)
    assert result["data"] is None
    assert result["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
