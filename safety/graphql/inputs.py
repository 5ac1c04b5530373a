"""GraphQL inputs of safety."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import strawberry

from .duty_types import PatrolKind
from .enums import (
    AgreementKind,
    CameraStatus,
    ChecklistResult,
    DrillKind,
    EducationKind,
    HazardGrade,
    HealthCheckSession,
    InspectionKind,
    PatrolShift,
    SafetyArea,
    SecurityEquipmentKind,
    SecurityTeamKind,
)


@strawberry.input
class HazardReportInput:
    category: SafetyArea
    description: str
    grade: HazardGrade = HazardGrade.GENERAL
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
    area: SafetyArea
    text: str


@strawberry.input
class RoundOpenInput:
    kind: InspectionKind
    title: str
    started_on: dt.date
    items: list[ChecklistLineInput]
    due_on: dt.date | None = None


@strawberry.input
class RoundItemCheckInput:
    item_id: strawberry.ID
    result: ChecklistResult
    note: str = ""
    location_text: str = ""
    grade: HazardGrade = HazardGrade.GENERAL


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
    kind: AgreementKind
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
    shift: PatrolShift
    route: str
    started_at: dt.datetime
    ended_at: dt.datetime | None = None
    findings: str = ""
    open_hazard: bool = False
    hazard_category: SafetyArea = SafetyArea.OTHER
    hazard_location: str = ""
    kind: PatrolKind = PatrolKind.SECURITY


@strawberry.input
class DrillInput:
    kind: DrillKind
    held_on: dt.date
    participants: int
    evacuation_seconds: int | None = None
    review: str = ""


@strawberry.input
class EducationInput:
    kind: EducationKind
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
    session: HealthCheckSession
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
    status: CameraStatus = CameraStatus.WORKING
    retention_days: int = 30
    installed_on: dt.date | None = None


@strawberry.input
class HazardPlanInput:
    id: strawberry.ID
    grade: HazardGrade
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
    kind: InspectionKind
    items: list[ChecklistLineInput]
    id: strawberry.ID | None = None


@strawberry.input
class EquipmentInput:
    kind: SecurityEquipmentKind
    quantity: int
    location: str
    checked_on: dt.date | None = None


@strawberry.input
class EmergencyPlanInput:
    title: str
    kind: DrillKind
    adopted_on: dt.date
    summary: str = ""


@strawberry.input
class RosterInput:
    name: str
    team: SecurityTeamKind
    username: str | None = None
    shift: PatrolShift | None = None
    weekday: int | None = None


@strawberry.input
class SchoolClassInput:
    grade: int
    name: str
    student_count: int
    head_teacher_username: str | None = None
