"""GraphQL types of safety: every type is one school's rows, read by its members and its bureau."""

from __future__ import annotations

import strawberry
import strawberry_django
from strawberry import relay
from strawberry.types import Info

from api.enums import blank_to_none
from api.types import SchoolScopedType
from safety import models
from tenants.access import school_roles
from tenants.roles import PHONE_VISIBLE_ROLES

from . import filters as F
from .duty_types import PatrolKind
from .enums import (
    AgreementKind,
    AgreementPartyKind,
    AgreementSignedVia,
    CameraStatus,
    ChecklistResult,
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


class _Safety(SchoolScopedType):
    read_scope = "safety:read"


@strawberry_django.type(models.SchoolClass, filters=F.SchoolClassFilter, ordering=F.SchoolClassOrder, fields=["grade", "name", "student_count"])
class SchoolClassType(_Safety, relay.Node):
    """A class of the school."""

    @strawberry_django.field(only=["uid"])
    def uid(self) -> str:
        return str(self.uid)

    @strawberry_django.field(only=["head_teacher_id"], select_related=["head_teacher"])
    def head_teacher_name(self) -> str | None:
        return self.head_teacher.display_name if self.head_teacher_id else None


@strawberry_django.type(models.ChecklistItem, fields=["area", "text", "sort_order"])
class ChecklistItemType(_Safety, relay.Node):
    """A line of a checklist template."""

    area: SafetyArea


@strawberry_django.type(models.ChecklistTemplate, filters=F.ChecklistTemplateFilter, ordering=F.ChecklistTemplateOrder, fields=["name", "kind", "is_active"])
class ChecklistTemplateType(_Safety, relay.Node):
    """A checklist template of this school."""

    kind: InspectionKind

    items: list[ChecklistItemType]

    @strawberry_django.field(only=["id"])
    def pk(self) -> int:
        return self.pk


@strawberry_django.type(models.RoundItem, fields=["area", "text", "result", "note", "checked_at"])
class RoundItemType(_Safety, relay.Node):
    """A checklist line of an inspection round."""

    area: SafetyArea
    result: ChecklistResult

    @strawberry_django.field(only=["id"])
    def pk(self) -> int:
        return self.pk


@strawberry_django.type(models.InspectionRound, filters=F.InspectionRoundFilter, ordering=F.InspectionRoundOrder,
                        fields=["kind", "title", "campaign_id", "started_on", "due_on", "completed_at"])
class InspectionRoundType(_Safety, relay.Node):
    """An inspection round with its checklist."""

    kind: InspectionKind

    items: list[RoundItemType]

    @strawberry_django.field(only=["id"])
    def pk(self) -> int:
        return self.pk


@strawberry_django.type(models.Hazard, filters=F.HazardFilter, ordering=F.HazardOrder, fields=[
    "found_on", "location_text", "category", "grade", "description", "measures", "funds", "deadline",
    "contingency_plan", "supervised", "status", "rectified_at", "verified_at", "verification_note", "escalated_on",
    "partner_name",
])
class HazardType(_Safety, relay.Node):
    """A hazard and its 五定."""

    category: SafetyArea
    grade: HazardGrade
    status: HazardStatus

    @strawberry_django.field(only=["id"])
    def pk(self) -> int:
        return self.pk

    # Every column `Hazard.location` (str(room)) reads, so a page of hazards costs no query per row.
    @strawberry_django.field(only=["room_id", "location_text", "room__number", "room__name", "room__building__name"],
                             select_related=["room__building"])
    def location(self) -> str:
        return self.location

    @strawberry_django.field(only=["responsible_id"], select_related=["responsible"])
    def responsible_name(self) -> str | None:
        return self.responsible.display_name if self.responsible_id else None

    @strawberry_django.field(only=["rectified_by_id"], select_related=["rectified_by"])
    def rectified_by_name(self) -> str | None:
        return self.rectified_by.display_name if self.rectified_by_id else None

    @strawberry_django.field(only=["verified_by_id"], select_related=["verified_by"])
    def verified_by_name(self) -> str | None:
        return self.verified_by.display_name if self.verified_by_id else None


@strawberry_django.type(models.AgreementTemplate, filters=F.AgreementTemplateFilter, ordering=F.AgreementTemplateOrder, fields=["kind", "post", "title", "version", "body"])
class AgreementTemplateType(_Safety, relay.Node):
    """A version of an agreement text."""

    kind: AgreementKind

    @strawberry_django.field(only=["id"])
    def pk(self) -> int:
        return self.pk


@strawberry_django.type(models.AgreementCampaign, filters=F.AgreementCampaignFilter, ordering=F.AgreementCampaignOrder, fields=["term", "issued_at", "due_on"])
class AgreementCampaignType(_Safety, relay.Node):
    """A template issued for a term to groups of parties."""

    template: AgreementTemplateType

    @strawberry_django.field(only=["id"])
    def pk(self) -> int:
        return self.pk

    @strawberry_django.field(only=["groups"])
    def groups(self) -> list[str]:
        return list(self.groups)


@strawberry_django.type(models.Agreement, filters=F.AgreementFilter, ordering=F.AgreementOrder, fields=[
    "kind", "party_kind", "party_name", "seat_no", "text", "signed_at", "signer_name", "text_sha256",
])
class AgreementType(_Safety, relay.Node):
    """One party's copy of an agreement (the parent's signing token is never exposed).

    Need-to-know (selectors.agreement_list_for): every copy for those who run the campaigns and the
    principal, one's own copy for any other member, none for the bureau or a partner token.
    """

    kind: AgreementKind
    party_kind: AgreementPartyKind
    @strawberry_django.field(only=["signed_via"])
    def signed_via(self) -> AgreementSignedVia | None:
        return blank_to_none(self.signed_via)

    @classmethod
    def visible_rows(cls, queryset, info: Info):
        from safety.selectors import agreement_list_for

        return agreement_list_for(actor=info.context.request.user, queryset=queryset)

    @strawberry_django.field(only=["id"])
    def pk(self) -> int:
        return self.pk


@strawberry_django.type(models.Visitor, filters=F.VisitorFilter, ordering=F.VisitorOrder, fields=[
    "name", "id_number_masked", "host_name", "host_verified", "purpose", "in_at", "out_at", "partner_name",
])
class VisitorType(_Safety, relay.Node):
    """A visitor of the gate log (personal data: the gate, the managers and the bureau read it)."""

    @classmethod
    def visible_rows(cls, queryset, info: Info):
        from safety.roles import GATE, MANAGERS

        request = info.context.request
        mine = school_roles(request.user, getattr(request, "tenant", None))
        if mine and not (mine & (GATE | MANAGERS)):
            return queryset.none()
        return queryset

    @strawberry_django.field(only=["id"])
    def pk(self) -> int:
        return self.pk

    @strawberry_django.field(only=["phone"])
    def phone(self, info: Info) -> str | None:
        """Only roles that need it see the phone number."""
        request = info.context.request
        if school_roles(request.user, getattr(request, "tenant", None)) & PHONE_VISIBLE_ROLES:
            return self.phone
        return None


@strawberry_django.type(models.StaffExit, filters=F.StaffExitFilter, ordering=F.StaffExitOrder, fields=["name", "reason", "approved_by", "out_at", "back_at"])
class StaffExitType(_Safety, relay.Node):
    """A staff member's exit during working hours."""


@strawberry_django.type(models.Patrol, filters=F.PatrolFilter, ordering=F.PatrolOrder, fields=["patroller_name", "shift", "route", "started_at", "ended_at", "findings",
                                              "partner_name"])
class PatrolType(_Safety, relay.Node):
    """A patrol."""

    shift: PatrolShift
    kind: PatrolKind

    hazard: HazardType | None


@strawberry_django.type(models.SecurityTeamMember, filters=F.SecurityTeamMemberFilter, ordering=F.SecurityTeamMemberOrder, fields=["name", "team", "weekday", "is_active"])
class SecurityTeamMemberType(_Safety, relay.Node):
    """A member of the security roster."""

    team: SecurityTeamKind
    @strawberry_django.field(only=["shift"])
    def shift(self) -> PatrolShift | None:
        return blank_to_none(self.shift)


@strawberry_django.type(models.EmergencyPlan, filters=F.EmergencyPlanFilter, ordering=F.EmergencyPlanOrder, fields=["title", "kind", "version", "adopted_on", "summary"])
class EmergencyPlanType(_Safety, relay.Node):
    """An emergency plan version."""

    kind: DrillKind


@strawberry_django.type(models.Drill, filters=F.DrillFilter, ordering=F.DrillOrder, fields=["kind", "held_on", "participants", "evacuation_seconds", "review"])
class DrillType(_Safety, relay.Node):
    """A drill."""

    kind: DrillKind

    plan: EmergencyPlanType | None


@strawberry_django.type(models.EducationActivity, filters=F.EducationActivityFilter, ordering=F.EducationActivityOrder, fields=["kind", "held_on", "title", "audience"])
class EducationActivityType(_Safety, relay.Node):
    """A safety education activity."""

    kind: EducationKind

    school_class: SchoolClassType | None


@strawberry_django.type(models.EscortRecord, filters=F.EscortRecordFilter, ordering=F.EscortRecordOrder, fields=["on", "present", "note"])
class EscortRecordType(_Safety, relay.Node):
    """A route escort record."""

    school_class: SchoolClassType

    @strawberry_django.field(only=["teacher_id"], select_related=["teacher"])
    def teacher_name(self) -> str:
        return self.teacher.display_name


@strawberry_django.type(models.Absence, fields=["student_name", "reason", "followed_up", "follow_up"])
class AbsenceType(_Safety, relay.Node):
    """An absent pupil and the follow-up."""


@strawberry_django.type(models.HealthCheck, filters=F.HealthCheckFilter, ordering=F.HealthCheckOrder, fields=["on", "session", "present", "absent", "fever", "recorded_at"])
class HealthCheckType(_Safety, relay.Node):
    """A morning or noon check of a class."""

    session: HealthCheckSession

    school_class: SchoolClassType
    absences: list[AbsenceType]


@strawberry_django.type(models.Disinfection, filters=F.DisinfectionFilter, ordering=F.DisinfectionOrder, fields=["zone", "done_at", "agent", "operator"])
class DisinfectionType(_Safety, relay.Node):
    """A disinfection of a zone."""


@strawberry_django.type(models.Camera, filters=F.CameraFilter, ordering=F.CameraOrder, fields=["location", "installed_on", "status", "retention_days", "partner_name"])
class CameraType(_Safety, relay.Node):
    """A camera of the CCTV registry."""

    status: CameraStatus


@strawberry_django.type(models.SecurityEquipment, filters=F.SecurityEquipmentFilter, ordering=F.SecurityEquipmentOrder, fields=["kind", "quantity", "location", "checked_on",
                                                         "partner_name"])
class SecurityEquipmentType(_Safety, relay.Node):
    """Security equipment."""

    kind: SecurityEquipmentKind


@strawberry.type(description="Who a campaign's reminder reached, by channel, and who it could not reach (the "
                             "same counts the remind button on the campaign's page reports).")
class AgreementRemindResultType:
    staff_notified: int = strawberry.field(description="Members of staff notified in the app.")
    classes_sent_slips: int = strawberry.field(
        description="Classes whose head teacher was sent the link to the class's signing slips (printable, each "
                    "family's QR code and short link).")
    parents_by_slip: int = strawberry.field(
        description="Unsigned parents reachable by their class's slip and link (their class has a head teacher).")
    sms_queued: int = strawberry.field(
        description="Text messages to parents handed to the SMS provider interface (kept, not sent, when no "
                    "provider is configured: see smsDelivers).")
    sms_delivers: bool = strawberry.field(description="Whether the configured SMS provider really sends texts.")
    parents_without_phone: int = strawberry.field(
        description="Unsigned parents with no mobile phone on the class roster.")
    classes_without_head_teacher: int = strawberry.field(
        description="Classes with unsigned parents and no head teacher to hand out the slips.")
    unreachable: int = strawberry.field(
        description="Unsigned parties no channel reaches: parents with neither a head teacher nor a phone, staff "
                    "or units without an active account.")
    already_reminded_today: int = strawberry.field(
        description="When nothing was sent: the unsigned parties already reminded today.")
    total: int = strawberry.field(description="staffNotified + smsQueued + classesSentSlips.")
    message: str = strawberry.field(description="The sentence the page shows, in the caller's language.")

    @classmethod
    def of(cls, result) -> AgreementRemindResultType:
        return cls(
            staff_notified=result.staff, classes_sent_slips=result.classes, parents_by_slip=result.parents_by_slip,
            sms_queued=result.sms, sms_delivers=result.sms_delivers, parents_without_phone=result.parents_no_phone,
            classes_without_head_teacher=result.classes_no_head, unreachable=result.unreachable,
            already_reminded_today=result.already_today, total=result.total, message=result.message(),
        )


@strawberry.type
class CoverageType:
    """Copies signed against issued for one agreement kind: its latest campaign of the term, the figure the bureau
    compares (agreement_coverage_<kind>); campaigns of one kind are never added together."""

    kind: str
    signed: int
    total: int
    rate: float | None
    campaign_title: str | None = strawberry.field(default=None, description="The campaign the figure is of.")
    campaigns: int = strawberry.field(default=1, description="Campaigns of this kind in the term (the others are "
                                                             "on their own pages).")


@strawberry.type
class SafetyBoardType:
    """The school's safety figures for the current term."""

    term: str
    hazards_found: int
    hazards_rectified: int
    rectification_rate: float | None
    hazards_open: int
    hazards_overdue: int
    major_hazards_open: int
    drills_held: int
    drills_required: int
    coverage: list[CoverageType]
