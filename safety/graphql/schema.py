"""SafetyQuery and SafetyMutation: reads for members and the bureau, writes by role.

Partner tokens with safety:write (the property company) may log the gate and patrols and report hazards
(PARTNER_WRITE); every other write is for people only and refuses a token (scope None).
"""

from __future__ import annotations

import uuid

import strawberry
import strawberry_django
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from strawberry import relay
from strawberry.types import Info
from strawberry_django.relay import DjangoListConnection

from api.errors import Code, HouqinGraphQLError
from api.permissions import (
    PARTNER_MUTATION,
    current_partner_name,
    current_school,
    current_user,
    require_school_reader,
    require_school_role,
)
from safety import models, selectors, services
from safety import roles as R
from safety.terms import current_term, term_label
from schools.models import Room
from tenants.models import User
from tenants.selectors import PersonNotFound, member_get_for

from .duty_types import FireInspectionInput, FireInspectionType, MealAccompanimentInput, MealAccompanimentType
from .inputs import (
    AgreementIssueInput,
    AgreementTemplateInput,
    CameraInput,
    ChecklistTemplateInput,
    DisinfectionInput,
    DrillInput,
    EducationInput,
    EmergencyPlanInput,
    EquipmentInput,
    EscortInput,
    HazardPlanInput,
    HazardReportInput,
    HealthCheckInput,
    PatrolInput,
    RosterInput,
    RoundItemCheckInput,
    RoundOpenInput,
    SchoolClassInput,
    StaffExitInput,
    VisitorRegisterInput,
)
from .types import (
    AbsenceType,
    AgreementCampaignType,
    AgreementRemindResultType,
    AgreementTemplateType,
    AgreementType,
    CameraType,
    ChecklistTemplateType,
    CoverageType,
    DisinfectionType,
    DrillType,
    EducationActivityType,
    EmergencyPlanType,
    EscortRecordType,
    HazardType,
    HealthCheckType,
    InspectionRoundType,
    PatrolType,
    RoundItemType,
    SafetyBoardType,
    SchoolClassType,
    SecurityEquipmentType,
    SecurityTeamMemberType,
    StaffExitType,
    VisitorType,
)

# The writes open to partner tokens: the gate log, patrols and hazard reports.
PARTNER_WRITE = "safety:write"
# Every other write: people only (a token is refused with FORBIDDEN before any service runs).
PEOPLE_ONLY = None


def _pk(value) -> int:
    """A primary key from a plain id or a relay global id."""
    text = str(value)
    if text.isdigit():
        return int(text)
    try:
        return int(relay.GlobalID.from_id(text).node_id)
    except Exception as exc:
        raise ValidationError({"id": _("Not a valid id.")}) from exc


def _get(model, value):
    return model.objects.get(pk=_pk(value))


def _class(uid: str) -> models.SchoolClass:
    try:
        key = uuid.UUID(str(uid))
    except ValueError as exc:
        raise ValidationError({"class_uid": _("This class is not a class of this school.")}) from exc
    found = models.SchoolClass.objects.filter(uid=key).first()
    if found is None:
        raise ValidationError({"class_uid": _("This class is not a class of this school.")})
    return found


def _actor(info: Info) -> tuple[User | None, str]:
    """(the acting person, or None and the partner's name when a partner token acts)."""
    name = current_partner_name(info)
    return (None, name) if name else (current_user(info), "")


def _person(info: Info, username: str | None, *, field: str) -> User | None:
    """A person of this school by username (None when none is given): NOT_FOUND alike for another school's
    account and a made-up name, so the answer tells nothing about accounts elsewhere."""
    if not username:
        return None
    actor, _partner = _actor(info)
    try:
        return member_get_for(actor=actor, school=current_school(info), username=username)
    except PersonNotFound as exc:
        raise HouqinGraphQLError(str(exc), Code.NOT_FOUND, field=field) from exc


@strawberry.type
class SafetyQuery:
    hazard_list: DjangoListConnection[HazardType] = strawberry_django.connection()
    inspection_round_list: DjangoListConnection[InspectionRoundType] = strawberry_django.connection()
    agreement_template_list: DjangoListConnection[AgreementTemplateType] = strawberry_django.connection()
    agreement_campaign_list: DjangoListConnection[AgreementCampaignType] = strawberry_django.connection()
    agreement_list: DjangoListConnection[AgreementType] = strawberry_django.connection()
    visitor_list: DjangoListConnection[VisitorType] = strawberry_django.connection()
    staff_exit_list: DjangoListConnection[StaffExitType] = strawberry_django.connection()
    patrol_list: DjangoListConnection[PatrolType] = strawberry_django.connection()
    security_team_member_list: DjangoListConnection[SecurityTeamMemberType] = strawberry_django.connection()
    drill_list: DjangoListConnection[DrillType] = strawberry_django.connection()
    emergency_plan_list: DjangoListConnection[EmergencyPlanType] = strawberry_django.connection()
    education_activity_list: DjangoListConnection[EducationActivityType] = strawberry_django.connection()
    escort_record_list: DjangoListConnection[EscortRecordType] = strawberry_django.connection()
    health_check_list: DjangoListConnection[HealthCheckType] = strawberry_django.connection()
    disinfection_list: DjangoListConnection[DisinfectionType] = strawberry_django.connection()
    camera_list: DjangoListConnection[CameraType] = strawberry_django.connection()
    security_equipment_list: DjangoListConnection[SecurityEquipmentType] = strawberry_django.connection()
    school_class_list: DjangoListConnection[SchoolClassType] = strawberry_django.connection()
    checklist_template_list: DjangoListConnection[ChecklistTemplateType] = strawberry_django.connection()
    fire_inspection_list: DjangoListConnection[FireInspectionType] = strawberry_django.connection()
    meal_accompaniment_list: DjangoListConnection[MealAccompanimentType] = strawberry_django.connection()

    @strawberry.field(description="One hazard by id.")
    def hazard(self, info: Info, id: strawberry.ID) -> HazardType:
        require_school_reader(info, "safety:read")
        return models.Hazard.objects.get(pk=_pk(id))  # type: ignore[return-value]

    @strawberry.field(description="One inspection round by id.")
    def inspection_round(self, info: Info, id: strawberry.ID) -> InspectionRoundType:
        require_school_reader(info, "safety:read")
        return models.InspectionRound.objects.get(pk=_pk(id))  # type: ignore[return-value]

    @strawberry.field(description="The school's safety figures this term.")
    def safety_board(self, info: Info) -> SafetyBoardType:
        require_school_reader(info, "safety:read")
        stats = selectors.hazard_stats()
        drills = selectors.drills_vs_required()
        term = term_label(current_term())
        return SafetyBoardType(
            term=term, hazards_found=stats["found"], hazards_rectified=stats["rectified"],
            rectification_rate=stats["rate"], hazards_open=stats["open"], hazards_overdue=stats["overdue"],
            major_hazards_open=stats["major_open"], drills_held=drills["held"], drills_required=drills["required"],
            coverage=[CoverageType(kind=r["kind"], signed=r["signed"], total=r["total"], rate=r["rate"],
                                   campaign_title=r["title"], campaigns=r["campaigns"])
                      for r in selectors.agreement_coverage(term=term)],
        )


@strawberry.type
class SafetyMutation:
    @strawberry.mutation(description="Report a hazard (a major one needs all of the 五定). Partners with "
                                     "safety:write report general hazards; the school sets the 五定.",
                         metadata=PARTNER_MUTATION)
    def hazard_report(self, info: Info, data: HazardReportInput) -> HazardType:
        require_school_role(info, R.MANAGERS, scope=PARTNER_WRITE)
        user, partner_name = _actor(info)
        return services.hazard_report(  # type: ignore[return-value]
            reporter=user, category=data.category, description=data.description, grade=data.grade,
            location_text=data.location_text, room=Room.objects.get(pk=_pk(data.room_id)) if data.room_id else None,
            found_on=data.found_on, responsible=_person(info, data.responsible_username, field="responsibleUsername"),
            measures=data.measures,
            funds=data.funds, deadline=data.deadline, contingency_plan=data.contingency_plan,
            by_partner=bool(partner_name), partner_name=partner_name,
        )

    @strawberry.mutation(description="Set a hazard's grade and 五定 (all five for a major hazard).")
    def hazard_plan(self, info: Info, data: HazardPlanInput) -> HazardType:
        require_school_role(info, R.MANAGERS, scope=PEOPLE_ONLY)
        return services.hazard_plan(  # type: ignore[return-value]
            actor=current_user(info), hazard=_get(models.Hazard, data.id), grade=data.grade,
            responsible=_person(info, data.responsible_username, field="responsibleUsername"),
            measures=data.measures, funds=data.funds,
            deadline=data.deadline, contingency_plan=data.contingency_plan,
        )

    @strawberry.mutation(description="Record the rectification of a hazard.")
    def hazard_rectify(self, info: Info, id: strawberry.ID, actions: str) -> HazardType:
        require_school_role(info, R.RECTIFY | R.LEDGER, scope=PEOPLE_ONLY)
        return services.hazard_rectify(actor=current_user(info), hazard=_get(models.Hazard, id),  # type: ignore[return-value]
                                       actions=actions)

    @strawberry.mutation(description="Verify a rectification: accepted closes the hazard (销号).")
    def hazard_verify(self, info: Info, id: strawberry.ID, accepted: bool, note: str = "") -> HazardType:
        require_school_role(info, R.MANAGERS, scope=PEOPLE_ONLY)
        return services.hazard_verify(actor=current_user(info), hazard=_get(models.Hazard, id),  # type: ignore[return-value]
                                      accepted=accepted, note=note)

    @strawberry.mutation(description="Open an inspection round with its checklist.")
    def inspection_round_open(self, info: Info, data: RoundOpenInput) -> InspectionRoundType:
        require_school_role(info, R.MANAGERS, scope=PEOPLE_ONLY)
        return services.round_open(  # type: ignore[return-value]
            actor=current_user(info), kind=data.kind, title=data.title, started_on=data.started_on,
            due_on=data.due_on, items=[{"area": i.area, "text": i.text} for i in data.items],
        )

    @strawberry.mutation(description="Record a checklist line's result; a failed line opens a hazard.")
    def round_item_check(self, info: Info, data: RoundItemCheckInput) -> RoundItemType:
        require_school_role(info, R.MANAGERS | R.PATROL, scope=PEOPLE_ONLY)
        hazard = {"location_text": data.location_text, "grade": data.grade}
        return services.round_item_check(actor=current_user(info), item=_get(models.RoundItem, data.item_id),  # type: ignore[return-value]
                                         result=data.result, note=data.note, hazard=hazard)

    @strawberry.mutation(description="Complete an inspection round once every line is checked.")
    def inspection_round_complete(self, info: Info, id: strawberry.ID) -> InspectionRoundType:
        require_school_role(info, R.MANAGERS, scope=PEOPLE_ONLY)
        return services.round_complete(actor=current_user(info), round_=_get(models.InspectionRound, id))  # type: ignore[return-value]

    @strawberry.mutation(description="Remind the parties of a campaign who have not signed, each through the "
                                     "channels it has (at most once a day); returns who was reached by which channel "
                                     "and who cannot be reached.")
    def agreement_campaign_remind(self, info: Info, id: strawberry.ID) -> AgreementRemindResultType:
        require_school_role(info, R.MANAGERS, scope=PEOPLE_ONLY)
        return AgreementRemindResultType.of(services.agreement_campaign_remind(campaign=_get(models.AgreementCampaign, id)))

    @strawberry.mutation(description="Add an agreement template (or a new version of one).")
    def agreement_template_create(self, info: Info, data: AgreementTemplateInput) -> AgreementTemplateType:
        require_school_role(info, R.MANAGERS, scope=PEOPLE_ONLY)
        return services.agreement_template_create(actor=current_user(info), kind=data.kind, title=data.title,  # type: ignore[return-value]
                                                  body=data.body, post=data.post,
                                                  confirm_duplicate=data.confirm_duplicate)

    @strawberry.mutation(description="Issue a template for a term to groups of parties.")
    def agreement_campaign_issue(self, info: Info, data: AgreementIssueInput) -> AgreementCampaignType:
        require_school_role(info, R.MANAGERS, scope=PEOPLE_ONLY)
        return services.agreement_campaign_issue(  # type: ignore[return-value]
            actor=current_user(info), template=_get(models.AgreementTemplate, data.template_id), term=data.term,
            groups=data.groups, due_on=data.due_on, confirm_duplicate=data.confirm_duplicate,
        )

    @strawberry.mutation(description="Sign my copy of an agreement online (typed name).")
    def agreement_sign(self, info: Info, id: strawberry.ID, signer_name: str, seen_sha256: str | None = None) -> AgreementType:
        from tenants.roles import SCHOOL_ROLES

        require_school_role(info, SCHOOL_ROLES, scope=PEOPLE_ONLY)
        agreement = selectors.agreement_get_for(actor=current_user(info), agreement_id=_pk(id))
        return services.agreement_sign(agreement=agreement, signer_name=signer_name,  # type: ignore[return-value]
                                       user=current_user(info), seen_sha256=seen_sha256)

    @strawberry.mutation(description="Register a visitor at the gate (the ID number is stored masked; "
                                     "partners with safety:write too).", metadata=PARTNER_MUTATION)
    def visitor_register(self, info: Info, data: VisitorRegisterInput) -> VisitorType:
        require_school_role(info, R.GATE, scope=PARTNER_WRITE)
        user, partner_name = _actor(info)
        return services.visitor_register(  # type: ignore[return-value]
            actor=user, name=data.name, id_number=data.id_number, host_name=data.host_name,
            purpose=data.purpose, host_verified=data.host_verified, phone=data.phone,
            by_partner=bool(partner_name), partner_name=partner_name,
        )

    @strawberry.mutation(description="Record that a visitor left (partners with safety:write too).",
                         metadata=PARTNER_MUTATION)
    def visitor_checkout(self, info: Info, id: strawberry.ID) -> VisitorType:
        require_school_role(info, R.GATE, scope=PARTNER_WRITE)
        user, partner_name = _actor(info)
        return services.visitor_checkout(actor=user, visitor=_get(models.Visitor, id),  # type: ignore[return-value]
                                         by_partner=bool(partner_name), partner_name=partner_name)

    @strawberry.mutation(description="Register a staff member leaving during working hours.")
    def staff_exit_register(self, info: Info, data: StaffExitInput) -> StaffExitType:
        require_school_role(info, R.GATE, scope=PEOPLE_ONLY)
        return services.staff_exit_register(actor=current_user(info), name=data.name, reason=data.reason,  # type: ignore[return-value]
                                            approved_by=data.approved_by)

    @strawberry.mutation(description="Record a staff member's return.")
    def staff_exit_return(self, info: Info, id: strawberry.ID) -> StaffExitType:
        require_school_role(info, R.GATE, scope=PEOPLE_ONLY)
        return services.staff_exit_return(actor=current_user(info), exit_=_get(models.StaffExit, id))  # type: ignore[return-value]

    @strawberry.mutation(description="Record the follow-up of an absence.")
    def absence_follow_up(self, info: Info, id: strawberry.ID, follow_up: str) -> AbsenceType:
        require_school_role(info, R.HEALTH, scope=PEOPLE_ONLY)
        return services.absence_follow_up(actor=current_user(info), absence=_get(models.Absence, id),  # type: ignore[return-value]
                                          follow_up=follow_up)

    @strawberry.mutation(description="Record a patrol; a finding may open a hazard (partners with safety:write too).",
                         metadata=PARTNER_MUTATION)
    def patrol_record(self, info: Info, data: PatrolInput) -> PatrolType:
        require_school_role(info, R.PATROL, scope=PARTNER_WRITE)
        user, partner_name = _actor(info)
        hazard = ({"category": data.hazard_category, "location_text": data.hazard_location or data.route}
                  if data.open_hazard else None)
        return services.patrol_record(actor=user, kind=data.kind, shift=data.shift, route=data.route,  # type: ignore[return-value]
                                      started_at=data.started_at, ended_at=data.ended_at, findings=data.findings,
                                      hazard=hazard, by_partner=bool(partner_name), partner_name=partner_name)

    @strawberry.mutation(description="Record a drill.")
    def drill_record(self, info: Info, data: DrillInput) -> DrillType:
        require_school_role(info, R.MANAGERS, scope=PEOPLE_ONLY)
        return services.drill_record(actor=current_user(info), kind=data.kind, held_on=data.held_on,  # type: ignore[return-value]
                                     participants=data.participants, evacuation_seconds=data.evacuation_seconds,
                                     review=data.review)

    @strawberry.mutation(description="Record a safety education activity.")
    def education_record(self, info: Info, data: EducationInput) -> EducationActivityType:
        require_school_role(info, R.LEDGER, scope=PEOPLE_ONLY)
        return services.education_record(  # type: ignore[return-value]
            actor=current_user(info), kind=data.kind, held_on=data.held_on, title=data.title, audience=data.audience,
            school_class=_class(data.class_uid) if data.class_uid else None,
        )

    @strawberry.mutation(description="Record my route escort of a class on a day.")
    def escort_record(self, info: Info, data: EscortInput) -> EscortRecordType:
        require_school_role(info, R.LEDGER, scope=PEOPLE_ONLY)
        return services.escort_record(actor=current_user(info), on=data.on, school_class=_class(data.class_uid),  # type: ignore[return-value]
                                      teacher=current_user(info), present=data.present, note=data.note)

    @strawberry.mutation(description="Record a class's morning or noon health check.")
    def health_check_record(self, info: Info, data: HealthCheckInput) -> HealthCheckType:
        require_school_role(info, R.HEALTH, scope=PEOPLE_ONLY)
        return services.health_check_record(  # type: ignore[return-value]
            actor=current_user(info), school_class=_class(data.class_uid), on=data.on, session=data.session,
            present=data.present, absent=data.absent, fever=data.fever,
            absences=[{"student_name": a.student_name, "reason": a.reason} for a in data.absences],
        )

    @strawberry.mutation(description="Record a disinfection.")
    def disinfection_record(self, info: Info, data: DisinfectionInput) -> DisinfectionType:
        require_school_role(info, R.LEDGER | R.GATE, scope=PEOPLE_ONLY)
        return services.disinfection_record(actor=current_user(info), zone=data.zone, done_at=data.done_at,  # type: ignore[return-value]
                                            agent=data.agent, operator=data.operator)

    @strawberry.mutation(description="Add a camera to the CCTV registry. Partners with safety:write (the CCTV "
                                     "vendor) add the cameras they install.", metadata=PARTNER_MUTATION)
    def camera_add(self, info: Info, data: CameraInput) -> CameraType:
        require_school_role(info, R.MANAGERS, scope=PARTNER_WRITE)
        user, partner_name = _actor(info)
        return services.camera_save(actor=user, location=data.location, status=data.status,  # type: ignore[return-value]
                                    retention_days=data.retention_days, installed_on=data.installed_on,
                                    by_partner=bool(partner_name), partner_name=partner_name)

    @strawberry.mutation(description="Create or edit a checklist template (its items are replaced).")
    def checklist_template_save(self, info: Info, data: ChecklistTemplateInput) -> ChecklistTemplateType:
        require_school_role(info, R.MANAGERS, scope=PEOPLE_ONLY)
        return services.checklist_template_save(  # type: ignore[return-value]
            actor=current_user(info), name=data.name, kind=data.kind,
            items=[{"area": i.area, "text": i.text} for i in data.items],
            template=_get(models.ChecklistTemplate, data.id) if data.id else None,
        )

    @strawberry.mutation(description="Add security equipment. Partners with safety:write (the security vendor) "
                                     "add what they deliver.", metadata=PARTNER_MUTATION)
    def security_equipment_add(self, info: Info, data: EquipmentInput) -> SecurityEquipmentType:
        require_school_role(info, R.MANAGERS, scope=PARTNER_WRITE)
        user, partner_name = _actor(info)
        return services.equipment_save(actor=user, kind=data.kind, quantity=data.quantity,  # type: ignore[return-value]
                                       location=data.location, checked_on=data.checked_on,
                                       by_partner=bool(partner_name), partner_name=partner_name)

    @strawberry.mutation(description="Add an emergency plan (or a new version of one with the same title).")
    def emergency_plan_add(self, info: Info, data: EmergencyPlanInput) -> EmergencyPlanType:
        require_school_role(info, R.MANAGERS, scope=PEOPLE_ONLY)
        return services.emergency_plan_add(actor=current_user(info), title=data.title, kind=data.kind,  # type: ignore[return-value]
                                           adopted_on=data.adopted_on, summary=data.summary)

    @strawberry.mutation(description="Put someone on the security roster.")
    def security_team_member_add(self, info: Info, data: RosterInput) -> SecurityTeamMemberType:
        require_school_role(info, R.MANAGERS, scope=PEOPLE_ONLY)
        return services.security_member_add(actor=current_user(info), name=data.name, team=data.team,  # type: ignore[return-value]
                                            user=_person(info, data.username, field="username"),
                                            shift=data.shift or "", weekday=data.weekday)

    @strawberry.mutation(description="Add a class.")
    def school_class_create(self, info: Info, data: SchoolClassInput) -> SchoolClassType:
        require_school_role(info, R.MANAGERS, scope=PEOPLE_ONLY)
        head_teacher = _person(info, data.head_teacher_username, field="headTeacherUsername")
        return services.school_class_create(grade=data.grade, name=data.name, student_count=data.student_count,  # type: ignore[return-value]
                                            head_teacher=head_teacher)

    @strawberry.mutation(description="Record a fire inspection (防火检查); refused without the signature of the "
                                     "inspected department's head (公安部令第61号 第二十六条).")
    def fire_inspection_record(self, info: Info, data: FireInspectionInput) -> FireInspectionType:
        from schools.models import Department

        require_school_role(info, R.MANAGERS, scope=PEOPLE_ONLY)
        department = _get(Department, data.department_id) if data.department_id else None
        return services.fire_inspection_record(  # type: ignore[return-value]
            actor=current_user(info), inspected_on=data.inspected_on, area=data.area, head_name=data.head_name,
            department=department, findings=data.findings)

    @strawberry.mutation(description="Record that I ate a meal with the pupils (陪餐) and what I found.")
    def meal_accompaniment_record(self, info: Info, data: MealAccompanimentInput) -> MealAccompanimentType:
        require_school_role(info, R.MANAGERS, scope=PEOPLE_ONLY)
        return services.meal_accompaniment_record(  # type: ignore[return-value]
            actor=current_user(info), on=data.on, meal=data.meal, place=data.place, findings=data.findings)
