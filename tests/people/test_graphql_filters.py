"""Filters and ordering of personList and notificationList (issue 22, part 2)."""

from __future__ import annotations

import pytest

from tenants.models import Notification

PEOPLE = """query($f: PersonFilter, $o: [PersonOrder!]) {
  personList(filters: $f, ordering: $o) { edges { node { name } } } }"""
NOTES = """query($f: NotificationFilter) { notificationList(filters: $f) { edges { node { title } } } }"""


def _names(result, key="personList") -> list[str]:
    return [e["node"].get("name", e["node"].get("title")) for e in result["data"][key]["edges"]]


def test_people_filter_and_sort(school_a, alice, bob, client_for):
    client = client_for(alice, school_a)
    everyone = _names(client.gql(PEOPLE, {"o": [{"name": "DESC"}]}))
    assert everyone == sorted(everyone, reverse=True)
    assert {"Alice", "Bob"} <= set(everyone)
    assert _names(client.gql(PEOPLE, {"f": {"q": "bob"}})) == ["Bob"]


def test_notifications_filter_unread(school_a, alice, client_for):
    from django.utils import timezone

    Notification.objects.create(
        recipient=alice,
        school=school_a,
        kind="repairs",
        title="已读的",
        dedupe_key="a",
        read_at=timezone.now(),
    )
    Notification.objects.create(
        recipient=alice, school=school_a, kind="repairs", title="未读的", dedupe_key="b"
    )
    client = client_for(alice, school_a)
    assert _names(client.gql(NOTES, {"f": {"unread": True}}), "notificationList") == ["未读的"]
    assert _names(client.gql(NOTES, {"f": {"unread": False}}), "notificationList") == ["已读的"]


@pytest.mark.parametrize(
    "query",
    [
        "{ personList(filters: {role: PRINCIPAL}) { totalCount } }",
        "{ notificationList(filters: {unread: maybe}) { totalCount } }",
    ],
)
def test_unknown_filter_fields_are_refused(school_a, alice, client_for, query):
    result = client_for(alice, school_a).gql(query)
    assert result["data"] is None
    assert result["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
