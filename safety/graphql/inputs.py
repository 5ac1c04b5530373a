"""GraphQL inputs of safety."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import strawberry


@strawberry.input
class HazardReportInput:
    category: str
    description: str
    grade: str = "general"
    location_text: str = ""
    room_id: strawberry.ID | None = None
    found_on: dt.date | None = None
    responsible_username: str | None = None
    measures: str = ""
    funds: Decimal | None = None
    deadline: dt.date | None = None
    contingency_plan: str = ""


@strawberry.input
class ChecklistLineInput:
    area: str
    text: str


@strawberry.input
class RoundOpenInput:
    kind: str
    title: str
    started_on: dt.date
    items: list[ChecklistLineInput]
    due_on: dt.date | None = None


@strawberry.input
class RoundItemCheckInput:
    item_id: strawberry.ID
    result: str
    note: str = ""
    location_text: str = ""
    grade: str = "general"


@strawberry.input
class AgreementIssueInput:
    template_id: strawberry.ID
    term: str
    groups: list[str]
    due_on: dt.date | None = None
    # 仍要创建: a campaign of the same template and term is refused without it.
    confirm_duplicate: bool = False


@strawberry.input
class AgreementTemplateInput:
    kind: str
    title: str
    body: str
    post: str = ""
    # 仍要创建: a template with the title of one of its kind and post is refused without it.
    confirm_duplicate: bool = False


@strawberry.input
class VisitorRegisterInput:
    name: str
    host_name: str
    purpose: str
    host_verified: bool
    id_number: str = ""
    phone: str = ""


@strawberry.input
class PatrolInput:
    shift: str
    route: str
    started_at: dt.datetime
    ended_at: dt.datetime | None = None
    findings: str = ""
    open_hazard: bool = False
    hazard_category: str = "other"
    hazard_location: str = ""


@strawberry.input
class DrillInput:
    kind: str
    held_on: dt.date
    participants: int
    evacuation_seconds: int | None = None
    review: str = ""


@strawberry.input
class EducationInput:
    kind: str
    held_on: dt.date
    title: str
    audience: int = 0
    class_uid: str | None = None


@strawberry.input
class EscortInput:
    on: dt.date
    class_uid: str
    present: bool = True
    note: str = ""


@strawberry.input
class AbsenceInput:
    student_name: str
    reason: str = ""


@strawberry.input
class HealthCheckInput:
    class_uid: str
    on: dt.date
    session: str
    present: int
    absent: int = 0
    fever: int = 0
    absences: list[AbsenceInput] = strawberry.field(default_factory=list)


@strawberry.input
class DisinfectionInput:
    zone: str
    done_at: dt.datetime
    agent: str
    operator: str


@strawberry.input
class CameraInput:
    location: str
    status: str = "working"
    retention_days: int = 30
    installed_on: dt.date | None = None


@strawberry.input
class HazardPlanInput:
    id: strawberry.ID
    grade: str
    responsible_username: str | None = None
    measures: str = ""
    funds: Decimal | None = None
    deadline: dt.date | None = None
    contingency_plan: str = ""


@strawberry.input
class StaffExitInput:
    name: str
    reason: str
    approved_by: str = ""


@strawberry.input
class ChecklistTemplateInput:
    name: str
    kind: str
    items: list[ChecklistLineInput]
    id: strawberry.ID | None = None


@strawberry.input
class EquipmentInput:
    kind: str
    quantity: int
    location: str
    checked_on: dt.date | None = None


@strawberry.input
class EmergencyPlanInput:
    title: str
    kind: str
    adopted_on: dt.date
    summary: str = ""


@strawberry.input
class RosterInput:
    name: str
    team: str
    username: str | None = None
    shift: str = ""
    weekday: int | None = None


@strawberry.input
class SchoolClassInput:
    grade: int
    name: str
    student_count: int
    head_teacher_username: str | None = None
