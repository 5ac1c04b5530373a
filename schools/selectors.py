"""Reads of the school core. Every selector takes the acting user (the schema already isolates schools)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.shortcuts import get_object_or_404
from django.utils import timezone

from .choices import ACTIVE_STAGES, ProjectKind, SafetyGrade
from .models import (
    Building,
    CapitalProject,
    ConvenienceService,
    Department,
    Feedback,
    LostItem,
    OnCampusUnit,
    Room,
)

WEAK_GRADES = (SafetyGrade.C, SafetyGrade.D)


def active_reinforcement_projects() -> QuerySet[CapitalProject]:
    return CapitalProject.objects.filter(kind=ProjectKind.REINFORCEMENT, stage__in=ACTIVE_STAGES)


def building_queryset() -> QuerySet[Building]:
    """Buildings annotated with `has_active_project` and `needs_project` (C/D without one)."""
    active = active_reinforcement_projects().filter(buildings=OuterRef("pk"))
    return Building.objects.annotate(has_active_project=Exists(active)).annotate(
        room_count=Count("rooms", distinct=True)
    )


def building_list_for(*, user, q: str = "", grade: str = "", flagged: bool = False) -> QuerySet[Building]:
    qs = building_queryset()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(use__icontains=q) | Q(structure__icontains=q))
    if grade:
        qs = qs.filter(safety_grade=grade)
    if flagged:
        qs = qs.filter(safety_grade__in=WEAK_GRADES, has_active_project=False)
    return qs.order_by("name")


def weak_buildings_without_project(*, user) -> QuerySet[Building]:
    """C- or D-grade buildings with no active reinforcement project: the flag of the school home."""
    return building_list_for(user=user, flagged=True)


def building_needs_project(building: Building) -> bool:
    if building.safety_grade not in WEAK_GRADES:
        return False
    return not active_reinforcement_projects().filter(buildings=building).exists()


def building_get_for(*, user, pk: int) -> Building:
    return get_object_or_404(building_queryset(), pk=pk)


def room_list_for(*, user, q: str = "", building: str = "", purpose: str = "") -> QuerySet[Room]:
    qs = Room.objects.select_related("building", "department", "custodian")
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(number__icontains=q) | Q(building__name__icontains=q))
    if building:
        qs = qs.filter(building_id=building) if str(building).isdigit() else qs.none()
    if purpose:
        qs = qs.filter(purpose=purpose)
    return qs.order_by("building__name", "floor", "number")


def room_get_for(*, user, pk: int) -> Room:
    return get_object_or_404(Room.objects.select_related("building", "department", "custodian"), pk=pk)


def room_by_name(name: str) -> Room | None:
    """A room looked up by its name (demo loaders of other modules use this)."""
    return Room.objects.filter(name=name).select_related("building").first()


def department_list_for(*, user, q: str = "", active: str = "") -> QuerySet[Department]:
    qs = Department.objects.select_related("head").annotate(room_count=Count("rooms"))
    if q:
        qs = qs.filter(name__icontains=q)
    if active in ("1", "0"):
        qs = qs.filter(is_active=active == "1")
    return qs.order_by("sort_order", "name")


def unit_list_for(*, user, q: str = "", kind: str = "") -> QuerySet[OnCampusUnit]:
    qs = OnCampusUnit.objects.all()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(contact_name__icontains=q))
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("name")


def project_list_for(*, user, q: str = "", kind: str = "", stage: str = "") -> QuerySet[CapitalProject]:
    qs = CapitalProject.objects.prefetch_related("buildings").annotate(
        overdue_milestones=Count(
            "milestones", filter=Q(milestones__done_on__isnull=True, milestones__planned_on__lt=timezone.localdate())
        ),
    )
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(description__icontains=q) | Q(approval_number__icontains=q))
    if kind:
        qs = qs.filter(kind=kind)
    if stage:
        qs = qs.filter(stage=stage)
    return qs.order_by("-created_at", "-pk")


def project_get_for(*, user, pk: int) -> CapitalProject:
    return get_object_or_404(CapitalProject.objects.prefetch_related("buildings"), pk=pk)


def feedback_list_for(*, user, q: str = "", channel: str = "", status: str = "") -> QuerySet[Feedback]:
    qs = Feedback.objects.select_related("submitted_by", "callback_by")
    now = timezone.now()
    if q:
        qs = qs.filter(Q(content__icontains=q) | Q(reporter_name__icontains=q) | Q(outcome__icontains=q))
    if channel:
        qs = qs.filter(channel=channel)
    if status == "open":
        qs = qs.filter(callback_at__isnull=True)
    elif status == "overdue":
        qs = qs.filter(callback_at__isnull=True, callback_due_at__lt=now)
    elif status == "done":
        qs = qs.filter(callback_at__isnull=False)
    return qs.order_by("-received_at", "-pk")


def feedback_overdue(*, user) -> QuerySet[Feedback]:
    return feedback_list_for(user=user, status="overdue")


def lost_item_list_for(*, user, q: str = "", status: str = "") -> QuerySet[LostItem]:
    qs = LostItem.objects.all()
    if q:
        qs = qs.filter(Q(item__icontains=q) | Q(found_place__icontains=q) | Q(claimant__icontains=q))
    if status == "kept":
        qs = qs.filter(returned_at__isnull=True)
    elif status == "returned":
        qs = qs.filter(returned_at__isnull=False)
    return qs.order_by("-found_at", "-pk")


def term_of(day: dt.date) -> tuple[dt.date, dt.date]:
    """The school term containing `day`: autumn 1 Sep – 31 Jan, spring 1 Feb – 31 Aug."""
    if day.month >= 9:
        return dt.date(day.year, 9, 1), dt.date(day.year + 1, 1, 31)
    if day.month == 1:
        return dt.date(day.year - 1, 9, 1), dt.date(day.year, 1, 31)
    return dt.date(day.year, 2, 1), dt.date(day.year, 8, 31)


def convenience_list_for(*, user, q: str = "", kind: str = "", start: dt.date | None = None,
                         end: dt.date | None = None) -> QuerySet[ConvenienceService]:
    qs = ConvenienceService.objects.all()
    if q:
        qs = qs.filter(Q(beneficiary__icontains=q) | Q(handled_by__icontains=q) | Q(notes__icontains=q))
    if kind:
        qs = qs.filter(kind=kind)
    if start and end:
        qs = qs.filter(done_on__range=(start, end))
    return qs.order_by("-done_on", "-pk")


def convenience_counts(*, user, start: dt.date, end: dt.date) -> dict[str, int]:
    """Times each kind of convenience service was given in [start, end]."""
    rows = (
        ConvenienceService.objects.filter(done_on__range=(start, end))
        .values("kind").annotate(total=Sum("count")).order_by("kind")
    )
    return {row["kind"]: row["total"] for row in rows}
