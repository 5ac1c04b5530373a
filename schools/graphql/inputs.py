"""Inputs of the school core's mutations."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import strawberry
from strawberry import relay

from .enums import (
    BuildingHandling,
    BuildingSafetyGrade,
    CapitalProjectKind,
    ConvenienceServiceKind,
    FeedbackCategory,
    FeedbackChannel,
    FundingSource,
    OnCampusUnitKind,
    ProcurementChannel,
    RoomPurpose,
)


@strawberry.input
class BuildingInput:
    name: str
    year_built: int | None = None
    floors: int = 1
    floor_area: Decimal = Decimal("0")
    structure: str = ""
    use: str = ""
    notes: str = ""


@strawberry.input
class BuildingAppraiseInput:
    building_id: relay.GlobalID
    grade: BuildingSafetyGrade
    appraised_on: dt.date
    appraised_by: str = ""
    handling: BuildingHandling | None = None
    notes: str = ""


@strawberry.input
class RoomInput:
    building_id: relay.GlobalID
    number: str
    floor: int = 1
    name: str = ""
    purpose: RoomPurpose = RoomPurpose.CLASSROOM
    department_id: relay.GlobalID | None = None


@strawberry.input
class DepartmentInput:
    name: str
    sort_order: int = 0
    is_active: bool = True


@strawberry.input
class OnCampusUnitInput:
    name: str
    kind: OnCampusUnitKind = OnCampusUnitKind.OTHER
    contact_name: str = ""
    contact_phone: str = ""
    lease_start: dt.date | None = None
    lease_end: dt.date | None = None
    headcount: int = 0
    notes: str = ""


@strawberry.input
class CapitalProjectInput:
    title: str
    kind: CapitalProjectKind
    funding_source: FundingSource
    budget: Decimal = Decimal("0")
    description: str = ""
    procurement_channel: ProcurementChannel | None = None
    approval_number: str = ""
    approval_date: dt.date | None = None
    drawing_review_passed_on: dt.date | None = None
    construction_started_on: dt.date | None = None
    accepted_on: dt.date | None = None
    planned_start: dt.date | None = None
    planned_end: dt.date | None = None
    building_ids: list[relay.GlobalID] | None = None


@strawberry.input
class MilestoneInput:
    project_id: relay.GlobalID
    title: str
    planned_on: dt.date
    done_on: dt.date | None = None
    notes: str = ""


@strawberry.input
class ContractInput:
    project_id: relay.GlobalID
    party: str
    amount: Decimal
    signed_on: dt.date
    subject: str = ""


@strawberry.input
class FeedbackInput:
    channel: FeedbackChannel
    content: str
    category: FeedbackCategory = FeedbackCategory.SUGGESTION
    reporter_name: str = ""
    received_at: dt.datetime | None = None


@strawberry.input
class FeedbackCallbackInput:
    feedback_id: relay.GlobalID
    outcome: str
    satisfaction: int | None = None
    callback_at: dt.datetime | None = None


@strawberry.input
class LostItemInput:
    item: str
    found_place: str
    found_at: dt.datetime | None = None
    quantity: int = 1
    amount: Decimal | None = None
    finder: str = ""
    kept_at: str = ""


@strawberry.input
class LostItemReturnInput:
    lost_item_id: relay.GlobalID
    claimant: str
    identified_by: str
    returned_at: dt.datetime | None = None


@strawberry.input
class ConvenienceServiceInput:
    kind: ConvenienceServiceKind
    done_on: dt.date | None = None
    count: int = 1
    beneficiary: str = ""
    handled_by: str = ""
    notes: str = ""
