"""Writes of the school core: each function is one business action in one transaction."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from frontend.uploads import DOCUMENT_KINDS, validate_upload
from tenants.audit import partner_name_required
from tenants.services import school_metrics_request_refresh

from .choices import STAGE_ORDER, DocumentKind, Handling, ProjectStage, SafetyGrade
from .models import (
    Building,
    BuildingAppraisal,
    CapitalProject,
    Contract,
    ConvenienceService,
    Department,
    Feedback,
    LostItem,
    Milestone,
    OnCampusUnit,
    ProjectDocument,
    ProjectStageChange,
    Room,
)

CALLBACK_WINDOW = dt.timedelta(hours=24)

BUILDING_FIELDS = ("name", "year_built", "floors", "floor_area", "structure", "use", "safety_measures", "warning_signs",
                   "notes")
# JGJ 125-2016: a D-grade building is a dangerous building as a whole (整幢危房): stop using it or demolish it;
# 观察使用 and 处理使用 are for lower grades (建设部令第129号《城市危险房屋管理规定》第十条).
D_GRADE_HANDLING = ("stop", "demolish")
ROOM_FIELDS = ("building", "floor", "number", "name", "purpose", "area", "custodian", "department")
DEPARTMENT_FIELDS = ("name", "head", "sort_order", "is_active")
UNIT_FIELDS = ("name", "kind", "contact_name", "contact_phone", "contact_user", "lease_start", "lease_end",
               "headcount", "notes")
PROJECT_FIELDS = ("title", "kind", "description", "budget", "funding_source", "procurement_channel",
                  "approval_number", "approval_date", "drawing_review_passed_on", "construction_started_on",
                  "accepted_on", "planned_start", "planned_end")


def _save(obj, **values):
    for key, value in values.items():
        setattr(obj, key, value)
    obj.full_clean()
    obj.save()
    return obj


def _only(values: dict, allowed: tuple[str, ...]) -> dict:
    unknown = set(values) - set(allowed)
    if unknown:
        raise ValidationError(_("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    return values


# --- organisation -----------------------------------------------------------------------------

@transaction.atomic
def department_save(*, actor, department: Department | None = None, **values) -> Department:
    """Create a department or change one."""
    return _save(department or Department(), **_only(values, DEPARTMENT_FIELDS))


@transaction.atomic
def unit_save(*, actor, unit: OnCampusUnit | None = None, **values) -> OnCampusUnit:
    """Create an on-campus unit or change one."""
    unit = unit or OnCampusUnit()
    values = _only(values, UNIT_FIELDS)
    start, end = values.get("lease_start", unit.lease_start), values.get("lease_end", unit.lease_end)
    if start and end and end < start:
        raise ValidationError({"lease_end": _("The end cannot be before the start.")})
    return _save(unit, **values)


# --- buildings and rooms ----------------------------------------------------------------------

@transaction.atomic
def building_save(*, actor, building: Building | None = None, **values) -> Building:
    """Create a building or change its description (its grade changes by appraisal only)."""
    building = _save(building or Building(), **_only(values, BUILDING_FIELDS))
    school_metrics_request_refresh()
    return building


@transaction.atomic
def building_appraise(
    *, actor, building: Building, grade: str, appraised_on: dt.date, appraised_by: str = "",
    handling: str = "", notes: str = "", report=None,
) -> BuildingAppraisal:
    """Record a safety appraisal (JGJ 125) and make it the building's current grade."""
    if appraised_on and appraised_on > timezone.localdate():
        raise ValidationError({"appraised_on": _("The appraisal date cannot be in the future.")})
    if grade == SafetyGrade.D and handling not in D_GRADE_HANDLING:
        from core.rules import rule_error

        raise rule_error("schools.d_building_stop_use", _("a D-grade building is a dangerous building: choose "
                                                         "stop using or demolish, not %(handling)s.")
                         % {"handling": Handling(handling).label if handling in Handling.values else _("no handling")},
                         field_name="handling")
    if report:
        try:
            validate_upload(report, kinds=("pdf", "png", "jpeg"))
        except ValidationError as exc:
            raise ValidationError({"report": exc.messages}) from exc
    appraisal = BuildingAppraisal(
        building=building, grade=grade, appraised_on=appraised_on, appraised_by=appraised_by,
        handling=handling, notes=notes, recorded_by=actor,
    )
    if report:
        appraisal.report = report
    appraisal.full_clean()
    appraisal.save()
    latest = building.appraisals.order_by("-appraised_on", "-pk").first()
    if latest == appraisal:
        _save(building, safety_grade=grade, appraised_on=appraised_on, appraised_by=appraised_by, handling=handling,
              appraisal_report=appraisal.report)
    school_metrics_request_refresh()
    return appraisal


@transaction.atomic
def room_save(*, actor, room: Room | None = None, **values) -> Room:
    """Create a room or change one."""
    return _save(room or Room(), **_only(values, ROOM_FIELDS))


# --- capital projects -------------------------------------------------------------------------

@transaction.atomic
def project_save(
    *, actor, project: CapitalProject | None = None, buildings: list[Building] | None = None, **values
) -> CapitalProject:
    """Create a capital project (at the proposal stage) or change its details."""
    values = _only(values, PROJECT_FIELDS)
    created = project is None
    project = project or CapitalProject(created_by=actor)
    _save(project, **values)
    if buildings is not None:
        project.buildings.set(buildings)
    if created:
        ProjectStageChange.objects.create(project=project, to_stage=project.stage, by=actor)
    school_metrics_request_refresh()
    return project


def stage_requirement_missing(project: CapitalProject, stage: str) -> dict[str, str]:
    """What the project lacks to enter `stage` (field → message); empty when it may enter."""
    missing: dict[str, str] = {}
    if stage == ProjectStage.FEASIBILITY and not project.documents.filter(kind=DocumentKind.PROPOSAL).exists():
        missing["documents"] = _("Upload the proposal or request before the feasibility study.")
    elif stage == ProjectStage.APPROVAL:
        if not project.approval_number:
            missing["approval_number"] = _("An approval needs its document number.")
        if not project.approval_date:
            missing["approval_date"] = _("An approval needs its date.")
    elif stage == ProjectStage.PROCUREMENT and not project.procurement_channel:
        missing["procurement_channel"] = _("Choose the procurement channel before procurement.")
    elif stage == ProjectStage.DESIGN and not project.contracts.exists():
        missing["contracts"] = _("Record the signed contract before design.")
    elif stage == ProjectStage.CONSTRUCTION and not project.drawing_review_passed_on:
        missing["drawing_review_passed_on"] = _("Construction needs the date the drawing review passed.")
    elif stage == ProjectStage.ACCEPTANCE and not project.construction_started_on:
        missing["construction_started_on"] = _("Acceptance needs the date construction started.")
    elif stage == ProjectStage.CLOSED and not project.accepted_on:
        missing["accepted_on"] = _("Closing needs the acceptance date.")
    return missing


def next_stage(project: CapitalProject) -> str | None:
    index = STAGE_ORDER.index(project.stage)
    return STAGE_ORDER[index + 1] if index + 1 < len(STAGE_ORDER) else None


@transaction.atomic
def project_advance(*, actor, project: CapitalProject, to_stage: str, note: str = "") -> CapitalProject:
    """Move the project to the next stage, when that stage's required record exists."""
    project = CapitalProject.objects.select_for_update().get(pk=project.pk)
    if to_stage not in STAGE_ORDER:
        raise ValidationError({"stage": _("Unknown stage.")})
    if to_stage != next_stage(project):
        raise ValidationError(
            {"stage": _("A stage cannot be skipped: the next stage is %(next)s.")
             % {"next": ProjectStage(next_stage(project)).label if next_stage(project) else "—"}}
        )
    missing = stage_requirement_missing(project, to_stage)
    if missing:
        raise ValidationError(missing)
    previous = project.stage
    project.stage = to_stage
    project.full_clean()
    project.save(update_fields=["stage"])
    ProjectStageChange.objects.create(project=project, from_stage=previous, to_stage=to_stage, by=actor, note=note)
    school_metrics_request_refresh()
    return project


@transaction.atomic
def milestone_save(
    *, actor, project: CapitalProject, milestone: Milestone | None = None, title: str, planned_on: dt.date,
    done_on: dt.date | None = None, notes: str = "",
) -> Milestone:
    """Add a milestone to a project or change one (its actual date marks it done)."""
    if done_on and done_on > timezone.localdate():
        raise ValidationError({"done_on": _("The date cannot be in the future.")})
    milestone = milestone or Milestone(project=project)
    return _save(milestone, title=title, planned_on=planned_on, done_on=done_on, notes=notes)


@transaction.atomic
def contract_add(
    *, actor, project: CapitalProject, party: str, amount: Decimal, signed_on: dt.date, subject: str = ""
) -> Contract:
    """Record a contract signed for a project."""
    if amount is not None and Decimal(amount) < 0:
        raise ValidationError({"amount": _("The amount cannot be negative.")})
    return _save(Contract(project=project), party=party, amount=amount, signed_on=signed_on, subject=subject)


@transaction.atomic
def document_upload(*, actor, project: CapitalProject, upload, title: str, kind: str = DocumentKind.OTHER) -> ProjectDocument:
    """Attach a document to a project after checking its size and type (nothing is saved otherwise)."""
    try:
        content_kind = validate_upload(upload, kinds=DOCUMENT_KINDS)
    except ValidationError as exc:
        raise ValidationError({"file": exc.messages}) from exc
    document = ProjectDocument(
        project=project, kind=kind, title=title or upload.name, file=upload, content_kind=content_kind,
        size=upload.size, uploaded_by=actor,
    )
    document.full_clean()
    document.save()
    return document


# --- services ---------------------------------------------------------------------------------

def _partner(actor, partner_name: str) -> str:
    """The partner's name to keep on a row it writes ("" for a person); a partner write must carry it."""
    return "" if actor is not None else partner_name_required(partner_name)


@transaction.atomic
def feedback_submit(
    *, actor, channel: str, content: str, category: str = "suggestion", received_at: dt.datetime | None = None,
    reporter_name: str = "", partner_name: str = "",
) -> Feedback:
    """Record an opinion or complaint; the callback falls due 24 hours after it was received.

    A partner (the property company's service desk) passes its name: it is kept on the row.
    """
    partner_name = _partner(actor, partner_name)
    received_at = received_at or timezone.now()
    if received_at > timezone.now() + dt.timedelta(minutes=5):
        raise ValidationError({"received_at": _("The time received cannot be in the future.")})
    feedback = _save(
        Feedback(), channel=channel, content=content, category=category, received_at=received_at,
        reporter_name=reporter_name or (actor.display_name if actor and actor.is_authenticated else ""),
        submitted_by=actor if actor and actor.is_authenticated else None, partner_name=partner_name,
        callback_due_at=received_at + CALLBACK_WINDOW,
    )
    school_metrics_request_refresh()
    return feedback


@transaction.atomic
def feedback_callback(
    *, actor, feedback: Feedback, outcome: str, satisfaction: int | None = None,
    callback_at: dt.datetime | None = None,
) -> Feedback:
    """Record the callback to whoever gave the feedback, with the outcome and their satisfaction."""
    callback_at = callback_at or timezone.now()
    if callback_at < feedback.received_at:
        raise ValidationError({"callback_at": _("The callback cannot be before the feedback was received.")})
    if not outcome.strip():
        raise ValidationError({"outcome": _("Write down the outcome of the callback.")})
    if satisfaction is not None and not 1 <= satisfaction <= 5:
        raise ValidationError({"satisfaction": _("Satisfaction is from 1 to 5.")})
    _save(feedback, callback_at=callback_at, callback_by=actor, outcome=outcome, satisfaction=satisfaction)
    school_metrics_request_refresh()
    return feedback


@transaction.atomic
def lost_item_report(
    *, actor, item: str, found_place: str, found_at: dt.datetime | None = None, quantity: int = 1,
    amount: Decimal | None = None, finder: str = "", kept_at: str = "", partner_name: str = "",
) -> LostItem:
    """Register an item found on campus (by a person, or by a partner such as the property company's guards)."""
    partner_name = _partner(actor, partner_name)
    found_at = found_at or timezone.now()
    if found_at > timezone.now() + dt.timedelta(minutes=5):
        raise ValidationError({"found_at": _("The time found cannot be in the future.")})
    if amount is not None and Decimal(amount) < 0:
        raise ValidationError({"amount": _("The amount cannot be negative.")})
    lost = _save(
        LostItem(), item=item, found_place=found_place, found_at=found_at, quantity=quantity, amount=amount,
        finder=finder or (actor.display_name if actor else partner_name), kept_at=kept_at, reported_by=actor,
        partner_name=partner_name,
    )
    school_metrics_request_refresh()
    return lost


@transaction.atomic
def lost_item_return(
    *, actor, lost: LostItem, claimant: str, identified_by: str, returned_at: dt.datetime | None = None,
    partner_name: str = "",
) -> LostItem:
    """Hand a found item back to its owner, recording how they proved it was theirs (and which partner did)."""
    partner_name = _partner(actor, partner_name)
    lost = LostItem.objects.select_for_update().get(pk=lost.pk)
    if lost.returned_at:
        raise ValidationError(_("This item has already been returned."))
    returned_at = returned_at or timezone.now()
    if returned_at < lost.found_at:
        raise ValidationError({"returned_at": _("An item cannot be returned before it was found.")})
    if not claimant.strip():
        raise ValidationError({"claimant": _("Who claimed it?")})
    if not identified_by.strip():
        raise ValidationError({"identified_by": _("How did the claimant prove it was theirs?")})
    _save(lost, claimant=claimant, identified_by=identified_by, returned_at=returned_at,
          returned_by_partner=partner_name)
    school_metrics_request_refresh()
    return lost


@transaction.atomic
def convenience_service_log(
    *, actor, kind: str, done_on: dt.date | None = None, count: int = 1, beneficiary: str = "",
    handled_by: str = "", notes: str = "", partner_name: str = "",
) -> ConvenienceService:
    """Log a convenience service given to teachers or students (the property company logs its own)."""
    partner_name = _partner(actor, partner_name)
    done_on = done_on or timezone.localdate()
    if done_on > timezone.localdate():
        raise ValidationError({"done_on": _("The date cannot be in the future.")})
    service = _save(
        ConvenienceService(), kind=kind, done_on=done_on, count=count, beneficiary=beneficiary,
        handled_by=handled_by or partner_name[:50], notes=notes, recorded_by=actor, partner_name=partner_name,
    )
    school_metrics_request_refresh()
    return service


def overdue_notify() -> int:
    """Tell the principal and logistics director about late callbacks and overdue milestones (once each)."""
    from django.db import connection
    from django.urls import reverse

    from tenants.notifications import notify

    from .roles import EDITOR_ROLES

    schema = connection.schema_name
    now, today = timezone.now(), timezone.localdate()
    sent = 0
    for feedback in Feedback.objects.filter(callback_at__isnull=True, callback_due_at__lt=now):
        sent += len(notify(
            kind="feedback_overdue", title=_("Feedback not called back within 24 hours"), body=feedback.content[:200],
            url=reverse("schools:feedback_detail", args=[feedback.pk], urlconf="config.urls_school"),
            roles=EDITOR_ROLES, dedupe_key=f"schools:feedback-overdue:{schema}:{feedback.pk}",
        ))
    for milestone in Milestone.objects.filter(done_on__isnull=True, planned_on__lt=today).select_related("project"):
        sent += len(notify(
            kind="milestone_overdue", title=_("Project milestone overdue"),
            body=f"{milestone.project.title}：{milestone.title}（{milestone.planned_on}）",
            url=reverse("schools:project_detail", args=[milestone.project_id], urlconf="config.urls_school"),
            roles=EDITOR_ROLES, dedupe_key=f"schools:milestone-overdue:{schema}:{milestone.pk}:{milestone.planned_on}",
        ))
    return sent
