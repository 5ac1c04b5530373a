"""Reads of the repairs module; every selector takes the acting user."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from assets.models import Asset
from core.labels import ROOM, label_read
from schools.models import Room
from tenants.access import can_read_school, school_roles
from tenants.models import School, User
from tenants.roles import Role
from tenants.selectors import member_list_for

from .choices import OPEN_STATUSES, RUNNING_STATUSES, Status
from .models import WorkOrder

BOARD_COLUMNS = (Status.REPORTED, Status.ASSIGNED, Status.IN_PROGRESS, Status.PAUSED, Status.COMPLETED)


def _school() -> School | None:
    tenant = getattr(connection, "tenant", None)
    return tenant if isinstance(tenant, School) else None


def open_work_orders_of_assets() -> QuerySet[WorkOrder]:
    """Open orders on an asset card, newest first: what a stocktake counts as 维修中 rather than 盘亏.

    No person: the stocktake's own reads check who reads the stocktake (registered in RepairsConfig.ready).
    """
    return WorkOrder.objects.filter(asset__isnull=False, status__in=OPEN_STATUSES).order_by("-reported_at", "-id")


def work_order_list_for(
    *, user: User | None, filters: dict | None = None, as_partner: bool = False
) -> QuerySet[WorkOrder]:
    """Orders the user may see (everyone who reads the school), filtered by q/status/severity/…

    `as_partner`: the caller is a partner token already checked for this school and repairs:read.
    """
    school = _school()
    if school is None or not (as_partner or (user is not None and can_read_school(user, school))):
        return WorkOrder.objects.none()
    qs = WorkOrder.objects.select_related("room", "room__building", "assignee", "reporter", "asset")
    filters = filters or {}
    q = (filters.get("q") or "").strip()
    if q:
        qs = qs.filter(
            Q(reference__icontains=q) | Q(title__icontains=q) | Q(description__icontains=q)
            | Q(location_note__icontains=q) | Q(vendor_name__icontains=q) | Q(room__number__icontains=q)
        )
    if filters.get("status") in Status.values:
        qs = qs.filter(status=filters["status"])
    if filters.get("status") == "open":
        qs = qs.filter(status__in=OPEN_STATUSES)
    if filters.get("severity") in ("minor", "major"):
        qs = qs.filter(severity=filters["severity"])
    if filters.get("source"):
        qs = qs.filter(source=filters["source"])
    if filters.get("vendor") == "1":
        qs = qs.exclude(vendor_name="")
    if filters.get("overdue") == "1":
        qs = qs.filter(status__in=RUNNING_STATUSES, due_at__lt=timezone.now())
    if str(filters.get("assignee") or "").isdigit():
        qs = qs.filter(assignee_id=int(filters["assignee"]))
    return qs


def work_order_get_for(*, user: User | None, pk: int) -> WorkOrder:
    """One order the user may see, or WorkOrder.DoesNotExist."""
    return work_order_list_for(user=user).get(pk=pk)


def work_order_mine_for(*, user: User) -> QuerySet[WorkOrder]:
    """A worker's open orders, the most urgent first (with what the page and the API show of each)."""
    return (
        WorkOrder.objects.select_related("room", "room__building", "asset", "assignee", "reporter")
        .filter(assignee=user, status__in=OPEN_STATUSES)
        .order_by("due_at")
    )


def work_order_reported_by(*, user: User) -> QuerySet[WorkOrder]:
    return WorkOrder.objects.select_related("room", "room__building").filter(reporter=user)


def work_order_by_reference_for(*, user: User | None, reference: str) -> WorkOrder | None:
    """The order with this reference if the user may read it (references are sequential: never for anyone)."""
    return work_order_list_for(user=user).filter(reference=reference.strip().upper()).first()


def work_order_by_follow_token(*, token: str) -> WorkOrder | None:
    """The order whose private follow-up link this is: the link is the reporter's only credential."""
    from .services import follow_token_hash

    if not token or len(token) > 100:
        return None
    return (WorkOrder.objects.select_related("room", "room__building", "asset")
            .filter(follow_token_hash=follow_token_hash(token)).first())


@dataclass(frozen=True)
class LabelTarget:
    """What a QR label names: one room, or one asset (and the room it is booked to, never shown)."""

    room: Room | None
    asset: Asset | None

    @property
    def label(self) -> str:
        """What the page may say to someone holding the label: what the label itself names."""
        return str(self.asset) if self.asset is not None else str(self.room)


def label_target_for(*, token: str) -> LabelTarget | None:
    """The room or asset a label token of the current school names; None for a forged, old or foreign one."""
    school = _school()
    if school is None:
        return None
    named = label_read(schema_name=school.schema_name, token=token)
    if named is None:
        return None
    kind, pk = named
    if kind == ROOM:
        room = Room.objects.select_related("building").filter(pk=pk).first()
        return LabelTarget(room=room, asset=None) if room is not None else None
    asset = Asset.objects.select_related("room", "room__building").filter(pk=pk).first()
    return LabelTarget(room=asset.room, asset=asset) if asset is not None else None


def maintenance_workers_for(*, user: User) -> QuerySet[User]:
    school = _school()
    if school is None or not school_roles(user, school):
        return User.objects.none()
    return member_list_for(actor=user, school=school, roles={Role.MAINTENANCE_WORKER})


def board_for(*, user: User, filters: dict | None = None) -> list[tuple[str, str, list[WorkOrder]]]:
    """The board's columns (status, label, up to 50 orders each, most urgent first)."""
    qs = work_order_list_for(user=user, filters=filters)
    columns = []
    for status in BOARD_COLUMNS:
        orders = list(qs.filter(status=status).order_by("due_at")[:50])
        columns.append((status, Status(status).label, orders))
    return columns


def assert_can_read(user: User) -> None:
    school = _school()
    if school is None or not can_read_school(user, school):
        raise PermissionDenied
