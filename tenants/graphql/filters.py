"""Filters and ordering of the people and notification lists (issue 22, part 2): what /people/ and the
notification centre filter (q; unread), and the dates."""

from __future__ import annotations

import strawberry_django
from django.db.models import Q
from strawberry import auto

from api.filters import DateRange, date_range, search
from tenants import models


@strawberry_django.filter_type(models.User)
class PersonFilter:
    @strawberry_django.filter_field(
        description="Text search in the name, the login and the e-mail, as /people/."
    )
    def q(self, value: str, prefix: str) -> Q:
        return search(("name", "username", "email"), value, prefix)


@strawberry_django.order_type(models.User)
class PersonOrder:
    name: auto
    username: auto


@strawberry_django.filter_type(models.Notification)
class NotificationFilter:
    kind: str | None = strawberry_django.filter_field(description="The kind, e.g. repairs.assigned.")

    @strawberry_django.filter_field(description="Not read yet (true), or read.")
    def unread(self, value: bool, prefix: str) -> Q:
        return Q(**{f"{prefix}read_at__isnull": value})

    @strawberry_django.filter_field(description="Sent on these dates.")
    def created_at(self, value: DateRange, prefix: str) -> Q:
        return date_range("created_at", value, prefix, datetime=True)


@strawberry_django.order_type(models.Notification)
class NotificationOrder:
    created_at: auto
    read_at: auto
