"""The safety ledgers (安全台账) as specs: each gives a list, filters, a form, an Excel export and a PDF."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from . import forms as F
from . import models as M
from . import roles as R
from . import services as S
from .choices import (
    Area,
    CameraStatus,
    CheckSession,
    DrillKind,
    EducationKind,
    EquipmentKind,
    HazardGrade,
    HazardStatus,
    Meal,
    PatrolKind,
    RoundKind,
    Shift,
    TeamKind,
)


def _dt(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _yes(value) -> str:
    return str(_("Yes")) if value else str(_("No"))


@dataclass
class Ledger:
    key: str
    title: Any
    model: type
    columns: list[tuple[Any, Callable]]
    search: tuple[str, ...] = ()
    filters: list[tuple[str, Any, list]] = field(default_factory=list)
    date_field: str | None = None
    form: type | None = None
    create: Callable | None = None
    write_roles: frozenset = R.MANAGERS
    related: tuple[str, ...] = ()
    detail_url: str | None = None
    form_takes_school: bool = False
    icon: str = "journal-text"
    # Members who may read (None = every member); the bureau always reads.
    read_roles: frozenset | None = None


def _create_visitor(request, cd):
    return S.visitor_register(actor=request.user, name=cd["name"], id_number=cd["id_number"], phone=cd["phone"],
                              host_name=cd["host_name"], host_verified=cd["host_verified"], purpose=cd["purpose"])


def _create_exit(request, cd):
    return S.staff_exit_register(actor=request.user, name=cd["name"], reason=cd["reason"],
                                 approved_by=cd["approved_by"])


def _create_patrol(request, cd):
    hazard = None
    if cd["open_hazard"]:
        hazard = {"category": cd["hazard_category"], "location_text": cd["hazard_location"] or cd["route"]}
    return S.patrol_record(actor=request.user, kind=cd["kind"], shift=cd["shift"], route=cd["route"], started_at=cd["started_at"],
                           ended_at=cd["ended_at"], findings=cd["findings"], hazard=hazard)


def _create_hazard(request, cd):
    photos = [request.FILES["photo"]] if request.FILES.get("photo") else []
    return S.hazard_report(
        reporter=request.user, category=cd["category"], grade=cd["grade"], description=cd["description"],
        room=cd["room"], location_text=cd["location_text"], responsible=cd["responsible"], measures=cd["measures"],
        funds=cd["funds"], deadline=cd["deadline"], contingency_plan=cd["contingency_plan"], photos=photos,
    )


def _create_round(request, cd):
    return S.round_open(actor=request.user, kind=cd["kind"], title=cd["title"], template=cd["template"],
                        started_on=cd["started_on"], due_on=cd["due_on"], department=cd["department"])


def _create_checklist(request, cd):
    return S.checklist_template_save(actor=request.user, name=cd["name"], kind=cd["kind"],
                                     items=F.parse_checklist(cd["items"]))


def _create_template(request, cd):
    return S.agreement_template_create(actor=request.user, kind=cd["kind"], title=cd["title"], body=cd["body"],
                                       post=cd["post"], confirm_duplicate=cd.get("confirm_duplicate", False))


def _create_campaign(request, cd):
    return S.agreement_campaign_issue(actor=request.user, template=cd["template"], term=cd["term"],
                                      groups=cd["groups"], due_on=cd["due_on"],
                                      confirm_duplicate=cd.get("confirm_duplicate", False))


def _create_drill(request, cd):
    return S.drill_record(actor=request.user, kind=cd["kind"], held_on=cd["held_on"], participants=cd["participants"],
                          evacuation_seconds=cd["evacuation_seconds"], review=cd["review"], plan=cd["plan"])


def _create_education(request, cd):
    return S.education_record(actor=request.user, kind=cd["kind"], held_on=cd["held_on"], title=cd["title"],
                              audience=cd["audience"], school_class=cd["school_class"])


def _create_escort(request, cd):
    return S.escort_record(actor=request.user, on=cd["on"], school_class=cd["school_class"], teacher=request.user,
                           present=cd["present"], note=cd["note"])


def _create_disinfection(request, cd):
    return S.disinfection_record(actor=request.user, zone=cd["zone"], done_at=cd["done_at"], agent=cd["agent"],
                                 operator=cd["operator"])


def _create_camera(request, cd):
    return S.camera_save(actor=request.user, location=cd["location"], status=cd["status"],
                         retention_days=cd["retention_days"], installed_on=cd["installed_on"])


def _create_equipment(request, cd):
    return S.equipment_save(actor=request.user, kind=cd["kind"], quantity=cd["quantity"], location=cd["location"],
                            checked_on=cd["checked_on"])


def _create_plan(request, cd):
    return S.emergency_plan_add(actor=request.user, title=cd["title"], kind=cd["kind"], adopted_on=cd["adopted_on"],
                                summary=cd["summary"], document=request.FILES.get("document"))


def _create_roster(request, cd):
    return S.security_member_add(actor=request.user, name=cd["name"], team=cd["team"], shift=cd["shift"] or "",
                                 weekday=cd["weekday"])


def _create_fire_inspection(request, cd):
    hazard = {"category": Area.FIRE, "location_text": cd["area"]} if cd["open_hazard"] else None
    return S.fire_inspection_record(actor=request.user, inspected_on=cd["inspected_on"], area=cd["area"],
                                    head_name=cd["head_name"], department=cd["department"],
                                    findings=cd["findings"], hazard=hazard)


def _create_meal(request, cd):
    return S.meal_accompaniment_record(actor=request.user, on=cd["on"], meal=cd["meal"], place=cd["place"],
                                       findings=cd["findings"])


def _create_collector(request, cd):
    return S.collector_authorise(actor=request.user, student=cd["student"], name=cd["name"],
                                 relation=cd["relation"])


def _create_collection(request, cd):
    return S.pupil_collection_record(actor=request.user, student=cd["student"], collector=cd["collector"],
                                     note=cd["note"])


def _create_class(request, cd):
    return S.school_class_create(grade=cd["grade"], name=cd["name"], student_count=cd["student_count"],
                                 head_teacher=cd["head_teacher"])


LEDGERS: dict[str, Ledger] = {
    spec.key: spec
    for spec in [
        Ledger(
            "hazards", _("Hazards"), M.Hazard,
            [(_("found on"), lambda o: o.found_on), (_("category"), lambda o: o.get_category_display()),
             (_("grade"), lambda o: o.get_grade_display()), (_("location"), lambda o: o.location),
             (_("description"), lambda o: o.description),
             (_("responsible person"), lambda o: o.responsible.display_name if o.responsible_id else ""),
             (_("deadline"), lambda o: o.deadline), (_("funds (yuan)"), lambda o: o.funds),
             (_("status"), lambda o: o.get_status_display()),
             (_("Overdue"), lambda o: _yes(o.is_overdue(timezone.localdate())))],
            search=("description", "location_text"),
            filters=[("status", _("status"), HazardStatus.choices), ("grade", _("grade"), HazardGrade.choices),
                     ("category", _("category"), Area.choices)],
            date_field="found_on", form=F.HazardForm, create=_create_hazard, related=("room__building", "responsible"),
            detail_url="safety:hazard_detail", form_takes_school=True, icon="exclamation-triangle",
        ),
        Ledger(
            "rounds", _("Inspection rounds"), M.InspectionRound,
            [(_("started on"), lambda o: o.started_on), (_("kind"), lambda o: o.get_kind_display()),
             (_("title"), lambda o: o.title), (_("department"), lambda o: str(o.department or "")),
             (_("due on"), lambda o: o.due_on),
             (_("completed at"), lambda o: _dt(o.completed_at))],
            search=("title",), filters=[("kind", _("kind"), RoundKind.choices)], date_field="started_on",
            form=F.RoundForm, create=_create_round, detail_url="safety:round_detail", icon="clipboard-check",
            related=("department",),
        ),
        Ledger(
            "checklists", _("Checklist templates"), M.ChecklistTemplate,
            [(_("name"), lambda o: o.name), (_("kind"), lambda o: o.get_kind_display()),
             (_("Items"), lambda o: o.items.count())],
            search=("name",), form=F.ChecklistTemplateForm, create=_create_checklist, icon="list-check",
            detail_url="safety:checklist_edit",
        ),
        Ledger(
            "templates", _("Agreement templates"), M.AgreementTemplate,
            [(_("kind"), lambda o: o.get_kind_display()), (_("post"), lambda o: o.post), (_("title"), lambda o: o.title),
             (_("version"), lambda o: o.version)],
            search=("title", "body"), filters=[("kind", _("kind"), M.AgreementKind.choices)],
            form=F.AgreementTemplateForm, create=_create_template, icon="file-earmark-text",
            detail_url="safety:template_detail",
        ),
        Ledger(
            "campaigns", _("Agreement campaigns"), M.AgreementCampaign,
            [(_("term"), lambda o: o.term), (_("template"), lambda o: str(o.template)),
             (_("issued at"), lambda o: _dt(o.issued_at)), (_("due on"), lambda o: o.due_on)],
            search=("template__title", "term"), form=F.CampaignForm, create=_create_campaign, related=("template",),
            detail_url="safety:campaign_detail", icon="pen",
        ),
        Ledger(
            "visitors", _("Visitors"), M.Visitor,
            [(_("full name"), lambda o: o.name), (_("ID number (masked)"), lambda o: o.id_number_masked),
             (_("host"), lambda o: o.host_name), (_("verified by calling the host"), lambda o: _yes(o.host_verified)),
             (pgettext_lazy("visit", "purpose"), lambda o: o.purpose), (_("in at"), lambda o: _dt(o.in_at)),
             (_("out at"), lambda o: _dt(o.out_at)), (_("registered by"), lambda o: o.registered_by_label)],
            search=("name", "host_name", "purpose", "partner_name"), date_field="in_at", form=F.VisitorForm,
            create=_create_visitor, write_roles=R.GATE, icon="door-open", read_roles=R.GATE | R.MANAGERS,
            related=("registered_by",),
        ),
        Ledger(
            "exits", _("Staff exits"), M.StaffExit,
            [(_("full name"), lambda o: o.name), (_("reason"), lambda o: o.reason), (_("approved by"), lambda o: o.approved_by),
             (_("out at"), lambda o: _dt(o.out_at)), (_("back at"), lambda o: _dt(o.back_at))],
            search=("name", "reason"), date_field="out_at", form=F.StaffExitForm, create=_create_exit,
            write_roles=R.GATE, icon="box-arrow-right",
        ),
        Ledger(
            "patrols", _("Patrols"), M.Patrol,
            [(_("started at"), lambda o: _dt(o.started_at)), (_("ended at"), lambda o: _dt(o.ended_at)),
             (_("shift"), lambda o: o.get_shift_display()), (_("patroller"), lambda o: o.patroller_label),
             (_("route"), lambda o: o.route), (_("findings"), lambda o: o.findings),
             (_("kind"), lambda o: o.get_kind_display()), (_("hazard opened"), lambda o: _yes(o.hazard_id))],
            search=("patroller_name", "route", "findings"),
            filters=[("shift", _("shift"), Shift.choices), ("kind", _("kind"), PatrolKind.choices)],
            date_field="started_at", form=F.PatrolForm, create=_create_patrol, write_roles=R.PATROL, icon="shield-check",
        ),
        Ledger(
            "roster", _("Security roster"), M.SecurityTeamMember,
            [(_("full name"), lambda o: o.name), (_("team"), lambda o: o.get_team_display()),
             (_("shift"), lambda o: o.get_shift_display()), (_("weekday"), lambda o: o.weekday or "")],
            search=("name",), filters=[("team", _("team"), TeamKind.choices)], form=F.RosterForm, create=_create_roster,
            icon="people",
        ),
        Ledger(
            "drills", _("Drills"), M.Drill,
            [(_("held on"), lambda o: o.held_on), (_("kind"), lambda o: o.get_kind_display()),
             (_("participants"), lambda o: o.participants), (_("evacuation time (s)"), lambda o: o.evacuation_seconds),
             (_("Over 2 minutes"), lambda o: _yes(o.over_target)),
             (_("emergency plan"), lambda o: str(o.plan) if o.plan_id else ""), (_("review"), lambda o: o.review)],
            filters=[("kind", _("kind"), DrillKind.choices)], date_field="held_on", form=F.DrillForm,
            create=_create_drill, related=("plan",), icon="fire",
        ),
        Ledger(
            "plans", _("Emergency plans"), M.EmergencyPlan,
            [(_("title"), lambda o: o.title), (_("kind"), lambda o: o.get_kind_display()),
             (_("version"), lambda o: o.version), (_("adopted on"), lambda o: o.adopted_on),
             (_("Drills"), lambda o: o.drills.count())],
            search=("title",), form=F.PlanForm, create=_create_plan, icon="journal-medical",
            detail_url="safety:plan_detail",
        ),
        Ledger(
            "education", _("Safety education"), M.EducationActivity,
            [(_("held on"), lambda o: o.held_on), (_("kind"), lambda o: o.get_kind_display()),
             (_("title"), lambda o: o.title), (_("class"), lambda o: str(o.school_class or "")),
             (_("audience"), lambda o: o.audience)],
            search=("title",), filters=[("kind", _("kind"), EducationKind.choices)], date_field="held_on",
            form=F.EducationForm, create=_create_education, write_roles=R.LEDGER, related=("school_class",),
            icon="megaphone",
        ),
        Ledger(
            "escort", _("Route escort"), M.EscortRecord,
            [(_("date"), lambda o: o.on), (_("class"), lambda o: str(o.school_class)),
             (_("teacher"), lambda o: o.teacher.display_name), (_("present"), lambda o: _yes(o.present)),
             (_("note"), lambda o: o.note)],
            date_field="on", form=F.EscortForm, create=_create_escort, write_roles=R.LEDGER,
            related=("school_class", "teacher"), icon="sign-turn-right",
        ),
        Ledger(
            "health", _("Health checks"), M.HealthCheck,
            [(_("date"), lambda o: o.on), (_("check"), lambda o: o.get_session_display()),
             (_("class"), lambda o: str(o.school_class)), (_("present"), lambda o: o.present),
             (_("absent"), lambda o: o.absent), (_("fever"), lambda o: o.fever),
             (_("Absent pupils"), lambda o: "、".join(
                 f"{a.student_name}（{a.reason}）{'✓' if a.followed_up else ''}" for a in o.absences.all()))],
            filters=[("session", _("check"), CheckSession.choices)], date_field="on", write_roles=R.HEALTH,
            related=("school_class",), icon="thermometer-half",
        ),
        Ledger(
            "disinfection", _("Disinfection"), M.Disinfection,
            [(_("done at"), lambda o: _dt(o.done_at)), (_("zone"), lambda o: o.zone),
             (_("disinfectant"), lambda o: o.agent), (_("operator"), lambda o: o.operator)],
            search=("zone", "operator"), date_field="done_at", form=F.DisinfectionForm, create=_create_disinfection,
            write_roles=R.LEDGER | R.GATE | R.RECTIFY, icon="droplet",
        ),
        Ledger(
            "cameras", _("CCTV registry"), M.Camera,
            [(_("location"), lambda o: o.location), (_("installed on"), lambda o: o.installed_on),
             (_("status"), lambda o: o.get_status_display()), (_("retention (days)"), lambda o: o.retention_days),
             (_("recorded by partner"), lambda o: M.partner_label(o.partner_name) if o.partner_name else "")],
            search=("location", "partner_name"), filters=[("status", _("status"), CameraStatus.choices)], form=F.CameraForm,
            create=_create_camera, icon="camera-video",
        ),
        Ledger(
            "equipment", _("Security equipment"), M.SecurityEquipment,
            [(_("kind"), lambda o: o.get_kind_display()), (_("quantity"), lambda o: o.quantity),
             (_("location"), lambda o: o.location), (_("last checked"), lambda o: o.checked_on),
             (_("recorded by partner"), lambda o: M.partner_label(o.partner_name) if o.partner_name else "")],
            filters=[("kind", _("kind"), EquipmentKind.choices)], form=F.EquipmentForm, create=_create_equipment,
            icon="tools",
        ),
        Ledger(
            "fire_inspections", _("Fire inspections"), M.FireInspection,
            [(_("inspected on"), lambda o: o.inspected_on), (_("department inspected"), lambda o: str(o.department or "")),
             (_("places inspected"), lambda o: o.area), (_("findings"), lambda o: o.findings),
             (_("inspector"), lambda o: o.inspector_name),
             (_("signature of the department head"), lambda o: o.head_name),
             (_("hazard opened"), lambda o: _yes(o.hazard_id))],
            search=("area", "findings", "head_name"), date_field="inspected_on", form=F.FireInspectionForm,
            create=_create_fire_inspection, related=("department",), icon="fire",
        ),
        Ledger(
            "meals", _("Accompanied meals"), M.MealAccompaniment,
            [(_("date"), lambda o: o.on), (_("meal"), lambda o: o.get_meal_display()),
             (_("leader"), lambda o: o.leader_name), (_("canteen or class"), lambda o: o.place),
             (_("findings on food safety and nutrition"), lambda o: o.findings)],
            search=("leader_name", "findings"), filters=[("meal", _("meal"), Meal.choices)], date_field="on",
            form=F.MealForm, create=_create_meal, icon="egg-fried",
        ),
        Ledger(
            "collectors", _("Authorised collectors"), M.AuthorisedCollector,
            [(_("student"), lambda o: f"{o.student.school_class} {o.student.name}"),
             (pgettext_lazy("person", "name"), lambda o: o.name), (_("relation"), lambda o: o.get_relation_display()),
             (_("active"), lambda o: _yes(o.is_active))],
            search=("name", "student__name"), form=F.CollectorForm, create=_create_collector,
            write_roles=R.HANDOVER, read_roles=R.HANDOVER, related=("student__school_class",), icon="person-check",
        ),
        Ledger(
            "collections", _("Pupil pick-up"), M.PupilCollection,
            [(_("collected at"), lambda o: _dt(o.collected_at)),
             (_("student"), lambda o: f"{o.student.school_class} {o.student.name}"),
             (_("collected by"), lambda o: str(o.collector)),
             (_("handed over by"), lambda o: o.handed_over_by.display_name if o.handed_over_by_id else ""),
             (_("note"), lambda o: o.note)],
            search=("student__name", "collector__name"), date_field="collected_at", form=F.CollectionForm,
            create=_create_collection, write_roles=R.HANDOVER, read_roles=R.HANDOVER,
            related=("student__school_class", "collector", "handed_over_by"), icon="people-fill",
        ),
        Ledger(
            "classes", _("Classes"), M.SchoolClass,
            [(_("grade"), lambda o: o.grade), (_("name"), lambda o: o.name),
             (_("head teacher"), lambda o: o.head_teacher.display_name if o.head_teacher_id else ""),
             (_("students"), lambda o: o.student_count)],
            search=("name",), form=F.SchoolClassForm, create=_create_class, related=("head_teacher",),
            form_takes_school=True, icon="mortarboard",
        ),
    ]
}
