"""Filters and ordering of the schools lists (issue 22, part 2): what the web lists filter (schools/views.py:
q, grade and the flagged buildings, building and purpose of rooms, kinds, stages, channels, states, dates)."""

from __future__ import annotations

import strawberry_django
from django.db.models import Q
from django.utils import timezone
from strawberry import auto, relay

from api.filters import DateRange, by_global_id, date_range, search
from schools import models
from schools.selectors import WEAK_GRADES

from .enums import (
    BuildingSafetyGrade,
    CapitalProjectKind,
    CapitalProjectStage,
    ConvenienceServiceKind,
    FeedbackCategory,
    FeedbackChannel,
    FeedbackState,
    FundingSource,
    LostItemState,
    OnCampusUnitKind,
    RoomPurpose,
)

BUILDINGS = ("BuildingType", "AssetsBuildingType")


@strawberry_django.filter_type(models.Building)
class BuildingFilter:
    safety_grade: BuildingSafetyGrade | None = strawberry_django.filter_field()

    @strawberry_django.filter_field(
        description="Graded C or D with no active reinforcement project (true), or not."
    )
    def needs_reinforcement_project(self, value: bool, prefix: str) -> Q:
        # has_active_project: annotated by selectors.building_queryset, as the web list's "flagged" filter reads it
        condition = Q(**{f"{prefix}safety_grade__in": WEAK_GRADES, f"{prefix}has_active_project": False})
        return condition if value else ~condition

    @strawberry_django.filter_field(description="Appraised on these dates.")
    def appraised_on(self, value: DateRange, prefix: str) -> Q:
        return date_range("appraised_on", value, prefix)

    @strawberry_django.filter_field(description="Text search in the name, the structure and the use.")
    def q(self, value: str, prefix: str) -> Q:
        return search(("name", "structure", "use"), value, prefix)


@strawberry_django.order_type(models.Building)
class BuildingOrder:
    name: auto
    year_built: auto
    safety_grade: auto
    appraised_on: auto


@strawberry_django.filter_type(models.BuildingAppraisal)
class BuildingAppraisalFilter:
    grade: BuildingSafetyGrade | None = strawberry_django.filter_field()

    @strawberry_django.filter_field(description="Appraised on these dates.")
    def appraised_on(self, value: DateRange, prefix: str) -> Q:
        return date_range("appraised_on", value, prefix)


@strawberry_django.order_type(models.BuildingAppraisal)
class BuildingAppraisalOrder:
    appraised_on: auto
    grade: auto


@strawberry_django.filter_type(models.Room)
class RoomFilter:
    purpose: RoomPurpose | None = strawberry_django.filter_field()
    floor: int | None = strawberry_django.filter_field()

    @strawberry_django.filter_field(description="In this building (its global id).")
    def building(self, value: relay.GlobalID, prefix: str) -> Q:
        return by_global_id("building_id", value, prefix, BUILDINGS)

    @strawberry_django.filter_field(description="Text search in the number and the name.")
    def q(self, value: str, prefix: str) -> Q:
        return search(("number", "name"), value, prefix)


@strawberry_django.order_type(models.Room)
class RoomOrder:
    number: auto
    floor: auto
    name: auto


@strawberry_django.filter_type(models.Department)
class DepartmentFilter:
    is_active: bool | None = strawberry_django.filter_field()

    @strawberry_django.filter_field(description="Text search in the name.")
    def q(self, value: str, prefix: str) -> Q:
        return search(("name",), value, prefix)


@strawberry_django.order_type(models.Department)
class DepartmentOrder:
    name: auto
    sort_order: auto


@strawberry_django.filter_type(models.OnCampusUnit)
class OnCampusUnitFilter:
    kind: OnCampusUnitKind | None = strawberry_django.filter_field()

    @strawberry_django.filter_field(description="Lease ending on these dates.")
    def lease_end(self, value: DateRange, prefix: str) -> Q:
        return date_range("lease_end", value, prefix)

    @strawberry_django.filter_field(description="Text search in the name and the contact.")
    def q(self, value: str, prefix: str) -> Q:
        return search(("name", "contact_name"), value, prefix)


@strawberry_django.order_type(models.OnCampusUnit)
class OnCampusUnitOrder:
    name: auto
    lease_end: auto


@strawberry_django.filter_type(models.CapitalProject)
class CapitalProjectFilter:
    kind: CapitalProjectKind | None = strawberry_django.filter_field()
    stage: CapitalProjectStage | None = strawberry_django.filter_field()
    funding_source: FundingSource | None = strawberry_django.filter_field()

    @strawberry_django.filter_field(description="Planned to start on these dates.")
    def planned_start(self, value: DateRange, prefix: str) -> Q:
        return date_range("planned_start", value, prefix)

    @strawberry_django.filter_field(description="Text search in the title and the approval number.")
    def q(self, value: str, prefix: str) -> Q:
        return search(("title", "approval_number"), value, prefix)


@strawberry_django.order_type(models.CapitalProject)
class CapitalProjectOrder:
    title: auto
    created_at: auto
    planned_start: auto
    budget: auto


@strawberry_django.filter_type(models.Feedback)
class FeedbackFilter:
    channel: FeedbackChannel | None = strawberry_django.filter_field()
    category: FeedbackCategory | None = strawberry_django.filter_field()

    @strawberry_django.filter_field(description="Waiting for its callback, late, or called back.")
    def state(self, value: FeedbackState, prefix: str) -> Q:
        if value == FeedbackState.DONE:
            return Q(**{f"{prefix}callback_at__isnull": False})
        waiting = Q(**{f"{prefix}callback_at__isnull": True})
        if value == FeedbackState.OVERDUE:
            return waiting & Q(**{f"{prefix}callback_due_at__lt": timezone.now()})
        return waiting

    @strawberry_django.filter_field(description="Received on these dates.")
    def received_at(self, value: DateRange, prefix: str) -> Q:
        return date_range("received_at", value, prefix, datetime=True)

    @strawberry_django.filter_field(description="Text search in the content, the reporter and the outcome.")
    def q(self, value: str, prefix: str) -> Q:
        return search(("content", "reporter_name", "outcome"), value, prefix)


@strawberry_django.order_type(models.Feedback)
class FeedbackOrder:
    received_at: auto
    callback_due_at: auto


@strawberry_django.filter_type(models.LostItem)
class LostItemFilter:
    @strawberry_django.filter_field(description="Still kept, or handed back.")
    def state(self, value: LostItemState, prefix: str) -> Q:
        return Q(**{f"{prefix}returned_at__isnull": value == LostItemState.KEPT})

    @strawberry_django.filter_field(description="Found on these dates.")
    def found_at(self, value: DateRange, prefix: str) -> Q:
        return date_range("found_at", value, prefix, datetime=True)

    @strawberry_django.filter_field(description="Text search in the item, the place and the claimant.")
    def q(self, value: str, prefix: str) -> Q:
        return search(("item", "found_place", "claimant"), value, prefix)


@strawberry_django.order_type(models.LostItem)
class LostItemOrder:
    found_at: auto
    returned_at: auto


@strawberry_django.filter_type(models.ConvenienceService)
class ConvenienceServiceFilter:
    kind: ConvenienceServiceKind | None = strawberry_django.filter_field()

    @strawberry_django.filter_field(description="Done on these dates.")
    def done_on(self, value: DateRange, prefix: str) -> Q:
        return date_range("done_on", value, prefix)

    @strawberry_django.filter_field(description="Text search in the beneficiary, the handler and the notes.")
    def q(self, value: str, prefix: str) -> Q:
        return search(("beneficiary", "handled_by", "notes"), value, prefix)


@strawberry_django.order_type(models.ConvenienceService)
class ConvenienceServiceOrder:
    done_on: auto
    kind: auto


@strawberry_django.filter_type(models.StaffMember)
class StaffMemberFilter:
    @strawberry_django.filter_field(description="Of this department (its global id).")
    def department(self, value: relay.GlobalID, prefix: str) -> Q:
        return by_global_id("department_id", value, prefix, ("DepartmentType", "AssetsDepartmentType"))

    @strawberry_django.filter_field(description="Joined on these dates.")
    def joined_on(self, value: DateRange, prefix: str) -> Q:
        return date_range("joined_on", value, prefix)

    @strawberry_django.filter_field(description="Text search in the name and the post.")
    def q(self, value: str, prefix: str) -> Q:
        return search(("name", "post"), value, prefix)


@strawberry_django.order_type(models.StaffMember)
class StaffMemberOrder:
    name: auto
    joined_on: auto
    left_on: auto
