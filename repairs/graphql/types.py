from __future__ import annotations

import strawberry
import strawberry_django
from strawberry import relay

from api.types import SchoolScopedType
from repairs import models

from .enums import ClockEventKind, WorkOrderSeverity, WorkOrderSource, WorkOrderStatus


@strawberry.type
class WorkOrderRoom:
    """Where an order is: the room and its building."""

    id: int
    number: str
    name: str
    building: str


@strawberry.type
class WorkOrderAsset:
    """The asset card an order is about."""

    id: int
    asset_number: str
    name: str


@strawberry.type
class WorkOrderReporter:
    """Who reported the order: a signed-in person or the name left on the public QR page."""

    name: str
    signed_in: bool


@strawberry_django.type(
    models.WorkOrder,
    fields=[
        "reference", "source", "title", "description", "location_note", "status", "severity", "reported_at",
        "due_at", "triaged_at", "started_at", "paused_at", "pause_reason", "paused_seconds", "completed_at",
        "closing_note", "labour_minutes", "confirmed_at", "rating", "reopen_count", "vendor_name", "vendor_due_at",
    ],
)
class WorkOrderType(SchoolScopedType, relay.Node):
    """A repair work order of this school."""

    read_scope = "repairs:read"

    source: WorkOrderSource
    status: WorkOrderStatus
    severity: WorkOrderSeverity

    # Every column `WorkOrder.where` reads, so a page of orders costs no query per row.
    @strawberry_django.field(
        only=["room_id", "asset_id", "location_note", "room__number", "room__name", "room__building__name",
              "asset__asset_number", "asset__name"],
        select_related=["room__building", "asset"],
    )
    def where(self) -> str:
        return self.where

    @strawberry_django.field(only=["room_id"])
    def room_id(self) -> int | None:
        return self.room_id

    @strawberry_django.field(only=["asset_id"], select_related=["asset"])
    def asset_number(self) -> str | None:
        return self.asset.asset_number if self.asset_id else None

    @strawberry_django.field(only=["room_id", "room__number", "room__name", "room__building__name"],
                             select_related=["room__building"])
    def room(self) -> WorkOrderRoom | None:
        if not self.room_id:
            return None
        room = self.room
        return WorkOrderRoom(id=room.pk, number=room.number, name=room.name, building=room.building.name)

    @strawberry_django.field(only=["asset_id", "asset__asset_number", "asset__name"], select_related=["asset"])
    def asset(self) -> WorkOrderAsset | None:
        if not self.asset_id:
            return None
        return WorkOrderAsset(id=self.asset.pk, asset_number=self.asset.asset_number, name=self.asset.name)

    @strawberry_django.field(only=["reporter_id", "reporter_name", "reporter__name", "reporter__first_name",
                                   "reporter__last_name", "reporter__username"], select_related=["reporter"])
    def reporter(self) -> WorkOrderReporter | None:
        if self.reporter_id:
            return WorkOrderReporter(name=self.reporter.display_name, signed_in=True)
        if self.reporter_name:
            return WorkOrderReporter(name=self.reporter_name, signed_in=False)
        return None

    @strawberry_django.field(only=["assignee_id"], select_related=["assignee"])
    def assignee_name(self) -> str | None:
        return self.assignee.display_name if self.assignee_id else None

    @strawberry_django.field(only=["status", "due_at", "completed_at"])
    def is_overdue(self) -> bool:
        return self.is_overdue


@strawberry_django.type(models.ClockEvent, fields=["kind", "at", "reason", "old_due_at", "new_due_at"])
class ClockEventType(SchoolScopedType):
    """One change of an order's SLA clock."""

    read_scope = "repairs:read"

    kind: ClockEventKind


@strawberry.type
class RepairSettingsType:
    minor_due_time: str
    major_due_days: int
    vendor_due_days: int
    due_soon_hours: int
