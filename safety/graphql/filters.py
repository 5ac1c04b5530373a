"""Filters and ordering of the safety lists (issue 22, part 2): what each ledger's web list filters
(safety/ledgers.py: its search box, its choice filters, its date range), as strawberry-django inputs."""

from __future__ import annotations

import strawberry_django
from django.db.models import Q
from strawberry import auto

from api.filters import DateRange, date_range, search
from safety import models

from .duty_types import PatrolKind
from .enums import (
    AgreementKind,
    CameraStatus,
    DrillKind,
    EducationKind,
    HazardGrade,
    HazardStatus,
    HealthCheckSession,
    InspectionKind,
    PatrolShift,
    SafetyArea,
    SecurityEquipmentKind,
    SecurityTeamKind,
)

Q_HELP = "Text search, as the list's search box."


@strawberry_django.filter_type(models.Hazard)
class HazardFilter:
    status: HazardStatus | None = strawberry_django.filter_field()
    grade: HazardGrade | None = strawberry_django.filter_field()
    category: SafetyArea | None = strawberry_django.filter_field()
    supervised: bool | None = strawberry_django.filter_field()

    @strawberry_django.filter_field(description="Found on these dates.")
    def found_on(self, value: DateRange, prefix: str) -> Q:
        return date_range("found_on", value, prefix)

    @strawberry_django.filter_field(description="Rectification due on these dates.")
    def deadline(self, value: DateRange, prefix: str) -> Q:
        return date_range("deadline", value, prefix)

    @strawberry_django.filter_field(description=Q_HELP)
    def q(self, value: str, prefix: str) -> Q:
        return search(("description", "location_text"), value, prefix)


@strawberry_django.order_type(models.Hazard)
class HazardOrder:
    found_on: auto
    deadline: auto
    grade: auto
    status: auto


@strawberry_django.filter_type(models.InspectionRound)
class InspectionRoundFilter:
    kind: InspectionKind | None = strawberry_django.filter_field()

    @strawberry_django.filter_field(description="Started on these dates.")
    def started_on(self, value: DateRange, prefix: str) -> Q:
        return date_range("started_on", value, prefix)

    @strawberry_django.filter_field(description=Q_HELP)
    def q(self, value: str, prefix: str) -> Q:
        return search(("title",), value, prefix)


@strawberry_django.order_type(models.InspectionRound)
class InspectionRoundOrder:
    started_on: auto
    due_on: auto


@strawberry_django.filter_type(models.ChecklistTemplate)
class ChecklistTemplateFilter:
    kind: InspectionKind | None = strawberry_django.filter_field()
    is_active: bool | None = strawberry_django.filter_field()

    @strawberry_django.filter_field(description=Q_HELP)
    def q(self, value: str, prefix: str) -> Q:
        return search(("name",), value, prefix)


@strawberry_django.order_type(models.ChecklistTemplate)
class ChecklistTemplateOrder:
    name: auto


@strawberry_django.filter_type(models.AgreementTemplate)
class AgreementTemplateFilter:
    kind: AgreementKind | None = strawberry_django.filter_field()

    @strawberry_django.filter_field(description=Q_HELP)
    def q(self, value: str, prefix: str) -> Q:
        return search(("title", "body"), value, prefix)


@strawberry_django.order_type(models.AgreementTemplate)
class AgreementTemplateOrder:
    title: auto
    created_at: auto


@strawberry_django.filter_type(models.AgreementCampaign)
class AgreementCampaignFilter:
    @strawberry_django.filter_field(description=Q_HELP)
    def q(self, value: str, prefix: str) -> Q:
        return search(("template__title", "term"), value, prefix)


@strawberry_django.order_type(models.AgreementCampaign)
class AgreementCampaignOrder:
    issued_at: auto
    due_on: auto


@strawberry_django.filter_type(models.Agreement)
class AgreementFilter:
    kind: AgreementKind | None = strawberry_django.filter_field()

    @strawberry_django.filter_field(description="Signed (true) or still to sign (false).")
    def signed(self, value: bool, prefix: str) -> Q:
        return Q(**{f"{prefix}signed_at__isnull": not value})


@strawberry_django.order_type(models.Agreement)
class AgreementOrder:
    party_name: auto
    signed_at: auto


@strawberry_django.filter_type(models.Visitor)
class VisitorFilter:
    @strawberry_django.filter_field(description="Came in on these dates.")
    def in_at(self, value: DateRange, prefix: str) -> Q:
        return date_range("in_at", value, prefix, datetime=True)

    @strawberry_django.filter_field(description=Q_HELP)
    def q(self, value: str, prefix: str) -> Q:
        return search(("name", "host_name", "purpose", "partner_name"), value, prefix)


@strawberry_django.order_type(models.Visitor)
class VisitorOrder:
    in_at: auto
    out_at: auto


@strawberry_django.filter_type(models.StaffExit)
class StaffExitFilter:
    @strawberry_django.filter_field(description="Went out on these dates.")
    def out_at(self, value: DateRange, prefix: str) -> Q:
        return date_range("out_at", value, prefix, datetime=True)

    @strawberry_django.filter_field(description=Q_HELP)
    def q(self, value: str, prefix: str) -> Q:
        return search(("name", "reason"), value, prefix)


@strawberry_django.order_type(models.StaffExit)
class StaffExitOrder:
    out_at: auto


@strawberry_django.filter_type(models.Patrol)
class PatrolFilter:
    shift: PatrolShift | None = strawberry_django.filter_field()
    kind: PatrolKind | None = strawberry_django.filter_field()

    @strawberry_django.filter_field(description="Started on these dates.")
    def started_at(self, value: DateRange, prefix: str) -> Q:
        return date_range("started_at", value, prefix, datetime=True)

    @strawberry_django.filter_field(description=Q_HELP)
    def q(self, value: str, prefix: str) -> Q:
        return search(("patroller_name", "route", "findings"), value, prefix)


@strawberry_django.order_type(models.Patrol)
class PatrolOrder:
    started_at: auto


@strawberry_django.filter_type(models.SecurityTeamMember)
class SecurityTeamMemberFilter:
    team: SecurityTeamKind | None = strawberry_django.filter_field()
    is_active: bool | None = strawberry_django.filter_field()

    @strawberry_django.filter_field(description=Q_HELP)
    def q(self, value: str, prefix: str) -> Q:
        return search(("name",), value, prefix)


@strawberry_django.order_type(models.SecurityTeamMember)
class SecurityTeamMemberOrder:
    name: auto
    weekday: auto


@strawberry_django.filter_type(models.Drill)
class DrillFilter:
    kind: DrillKind | None = strawberry_django.filter_field()

    @strawberry_django.filter_field(description="Held on these dates.")
    def held_on(self, value: DateRange, prefix: str) -> Q:
        return date_range("held_on", value, prefix)


@strawberry_django.order_type(models.Drill)
class DrillOrder:
    held_on: auto
    participants: auto


@strawberry_django.filter_type(models.EmergencyPlan)
class EmergencyPlanFilter:
    kind: DrillKind | None = strawberry_django.filter_field()

    @strawberry_django.filter_field(description=Q_HELP)
    def q(self, value: str, prefix: str) -> Q:
        return search(("title",), value, prefix)


@strawberry_django.order_type(models.EmergencyPlan)
class EmergencyPlanOrder:
    adopted_on: auto
    title: auto


@strawberry_django.filter_type(models.EducationActivity)
class EducationActivityFilter:
    kind: EducationKind | None = strawberry_django.filter_field()

    @strawberry_django.filter_field(description="Held on these dates.")
    def held_on(self, value: DateRange, prefix: str) -> Q:
        return date_range("held_on", value, prefix)

    @strawberry_django.filter_field(description=Q_HELP)
    def q(self, value: str, prefix: str) -> Q:
        return search(("title",), value, prefix)


@strawberry_django.order_type(models.EducationActivity)
class EducationActivityOrder:
    held_on: auto


@strawberry_django.filter_type(models.EscortRecord)
class EscortRecordFilter:
    present: bool | None = strawberry_django.filter_field()

    @strawberry_django.filter_field(description="On these dates.", name="on")
    def on_dates(self, value: DateRange, prefix: str) -> Q:
        return date_range("on", value, prefix)


@strawberry_django.order_type(models.EscortRecord)
class EscortRecordOrder:
    on: auto


@strawberry_django.filter_type(models.HealthCheck)
class HealthCheckFilter:
    session: HealthCheckSession | None = strawberry_django.filter_field()

    @strawberry_django.filter_field(description="On these dates.", name="on")
    def on_dates(self, value: DateRange, prefix: str) -> Q:
        return date_range("on", value, prefix)


@strawberry_django.order_type(models.HealthCheck)
class HealthCheckOrder:
    on: auto


@strawberry_django.filter_type(models.Disinfection)
class DisinfectionFilter:
    @strawberry_django.filter_field(description="Done on these dates.")
    def done_at(self, value: DateRange, prefix: str) -> Q:
        return date_range("done_at", value, prefix, datetime=True)

    @strawberry_django.filter_field(description=Q_HELP)
    def q(self, value: str, prefix: str) -> Q:
        return search(("zone", "operator"), value, prefix)


@strawberry_django.order_type(models.Disinfection)
class DisinfectionOrder:
    done_at: auto


@strawberry_django.filter_type(models.Camera)
class CameraFilter:
    status: CameraStatus | None = strawberry_django.filter_field()

    @strawberry_django.filter_field(description=Q_HELP)
    def q(self, value: str, prefix: str) -> Q:
        return search(("location", "partner_name"), value, prefix)


@strawberry_django.order_type(models.Camera)
class CameraOrder:
    location: auto
    installed_on: auto


@strawberry_django.filter_type(models.SecurityEquipment)
class SecurityEquipmentFilter:
    kind: SecurityEquipmentKind | None = strawberry_django.filter_field()


@strawberry_django.order_type(models.SecurityEquipment)
class SecurityEquipmentOrder:
    kind: auto
    checked_on: auto


@strawberry_django.filter_type(models.SchoolClass)
class SchoolClassFilter:
    grade: int | None = strawberry_django.filter_field()

    @strawberry_django.filter_field(description=Q_HELP)
    def q(self, value: str, prefix: str) -> Q:
        return search(("name",), value, prefix)


@strawberry_django.order_type(models.SchoolClass)
class SchoolClassOrder:
    grade: auto
    name: auto
