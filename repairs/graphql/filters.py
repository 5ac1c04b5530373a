"""Filters and ordering of the work orders (issue 22, part 2): what the 报修 list filters (repairs/views.py:
q, status, severity, source, vendor, overdue) and the dates, as strawberry-django inputs."""

from __future__ import annotations

import strawberry_django
from django.db.models import Q
from django.utils import timezone
from strawberry import auto

from api.filters import DateRange, date_range, search
from repairs import models
from repairs.choices import OPEN_STATUSES, RUNNING_STATUSES

from .enums import WorkOrderSeverity, WorkOrderSource, WorkOrderStatus


@strawberry_django.filter_type(models.WorkOrder)
class WorkOrderFilter:
    status: WorkOrderStatus | None = strawberry_django.filter_field()
    severity: WorkOrderSeverity | None = strawberry_django.filter_field()
    source: WorkOrderSource | None = strawberry_django.filter_field()

    @strawberry_django.filter_field(description="Any of these statuses.")
    def status_in(self, value: list[WorkOrderStatus], prefix: str) -> Q:
        return Q(**{f"{prefix}status__in": list(value)})

    @strawberry_django.filter_field(
        description="Still on someone's desk (reported, assigned, in progress, paused)."
    )
    def open(self, value: bool, prefix: str) -> Q:
        condition = Q(**{f"{prefix}status__in": OPEN_STATUSES})
        return condition if value else ~condition

    @strawberry_django.filter_field(description="Past its due time with the clock running.")
    def overdue(self, value: bool, prefix: str) -> Q:
        condition = Q(**{f"{prefix}status__in": RUNNING_STATUSES, f"{prefix}due_at__lt": timezone.now()})
        return condition if value else ~condition

    @strawberry_django.filter_field(description="Handed to an outside vendor.")
    def with_vendor(self, value: bool, prefix: str) -> Q:
        condition = ~Q(**{f"{prefix}vendor_name": ""})
        return condition if value else ~condition

    @strawberry_django.filter_field(description="Reported on these dates.")
    def reported_at(self, value: DateRange, prefix: str) -> Q:
        return date_range("reported_at", value, prefix, datetime=True)

    @strawberry_django.filter_field(description="Due on these dates.")
    def due_at(self, value: DateRange, prefix: str) -> Q:
        return date_range("due_at", value, prefix, datetime=True)

    @strawberry_django.filter_field(
        description="Text search, as the list's search box (reference, title, room, …)."
    )
    def q(self, value: str, prefix: str) -> Q:
        return search(
            ("reference", "title", "description", "location_note", "vendor_name", "room__number"),
            value,
            prefix,
        )


@strawberry_django.order_type(models.WorkOrder)
class WorkOrderOrder:
    reported_at: auto
    due_at: auto
    completed_at: auto
    severity: auto
    status: auto
    reference: auto
