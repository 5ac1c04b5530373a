"""Writes of the safety app: each function is one business action in one transaction."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from api.webhooks import event_emit, global_id
from core.rules import rule_error, rule_limit
from schools.models import Department, OnCampusUnit, Room, StaffMember
from tenants.audit import partner_name_required
from tenants.models import Membership, User
from tenants.notifications import notify
from tenants.roles import Role
from tenants.services import school_metrics_request_refresh

from . import roles as R
from .choices import (
    DrillKind,
    HazardGrade,
    HazardStatus,
    ItemResult,
    PartyKind,
    PatrolKind,
    PhotoStage,
    RoundKind,
    SignedVia,
)
from .models import (
    Absence,
    Agreement,
    AgreementCampaign,
    AgreementTemplate,
    AuthorisedCollector,
    Camera,
    ChecklistItem,
    ChecklistTemplate,
    Disinfection,
    Drill,
    EducationActivity,
    EmergencyPlan,
    EscortRecord,
    FireInspection,
    Hazard,
    HazardAction,
    HazardPhoto,
    HealthCheck,
    InspectionRound,
    MealAccompaniment,
    Patrol,
    PupilCollection,
    RoundItem,
    SchoolClass,
    SecurityEquipment,
    SecurityTeamMember,
    StaffExit,
    Student,
    Visitor,
)
from .terms import today


def _save(obj, *, refresh_metrics: bool = True, exclude: tuple[str, ...] = (), validate_constraints: bool = True):
    obj.full_clean(exclude=list(exclude) or None, validate_constraints=validate_constraints)
    obj.save()
    if refresh_metrics:
        school_metrics_request_refresh()
    return obj


def _require(user, allowed: Iterable[str], message: str | None = None) -> None:
    if not (R.roles_of(user) & set(allowed)):
        raise PermissionDenied(message or _("Your role here does not allow this."))


def _require_or_partner(actor, allowed: Iterable[str], *, by_partner: bool, partner_name: str) -> str:
    """A person needs one of `allowed`; a partner (checked for grant and scope by the API) is let through.

    Returns the partner's name to record (empty for a person). Nothing is recorded anonymously: a partner
    write without the partner's name is refused.
    """
    if not by_partner:
        _require(actor, allowed)
        return ""
    return partner_name_required(partner_name)


def _emit(event: str, payload: dict) -> None:
    """Tell the partners subscribed to `event` in this school (recorded now, sent after commit)."""
    school = R.current_school()
    if school is not None:
        event_emit(school=school, event=event, payload=payload)


def hazard_payload(hazard: Hazard) -> dict:
    """The data of hazard.* webhook events: no free text (it may name people), no personal data."""
    return {
        "id": global_id("HazardType", hazard.pk), "status": hazard.status, "grade": hazard.grade,
        "category": hazard.category, "foundOn": hazard.found_on, "deadline": hazard.deadline,
        "supervised": hazard.supervised, "rectifiedAt": hazard.rectified_at, "verifiedAt": hazard.verified_at,
    }


def text_sha256(text: str) -> str:
    """The SHA-256 (hex) of the exact text, as UTF-8."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# ---------------------------------------------------------------- classes


@transaction.atomic
def school_class_create(*, grade: int, name: str, student_count: int, head_teacher: User | None = None) -> SchoolClass:
    """Add a class to the school."""
    return _save(SchoolClass(grade=grade, name=name, student_count=student_count, head_teacher=head_teacher),
                 refresh_metrics=False)


def school_class_check_ours(school_class: SchoolClass) -> SchoolClass:
    """The same class read from this school's schema; refuse a class of another school."""
    ours = SchoolClass.objects.filter(pk=school_class.pk, uid=school_class.uid).first()
    if ours is None:
        raise ValidationError({"school_class": _("This class is not a class of this school.")})
    return ours


@transaction.atomic
def school_class_roster_set(*, actor: User, school_class: SchoolClass, rows: list[dict]) -> list[Student]:
    """Replace a class's roster (花名册): seat number, the pupil's name, the guardian's mobile phone.

    The class's head teacher or a safety manager; all rows or none. The class's student count follows.
    """
    from .selectors import may_handle_class_slips

    if not may_handle_class_slips(actor=actor, school_class=school_class):
        raise PermissionDenied(_("Only the class's head teacher and the safety managers keep its roster."))
    seats: set[int] = set()
    students = []
    for index, row in enumerate(rows, start=1):
        seat = row.get("seat_no")
        if seat in seats:
            raise ValidationError({"rows": _("Line %(n)s: student no. %(seat)s appears twice.") % {"n": index,
                                                                                                  "seat": seat}})
        seats.add(seat)
        student = Student(school_class=school_class, seat_no=seat, name=(row.get("name") or "").strip(),
                          guardian_phone=(row.get("guardian_phone") or "").strip())
        try:
            student.full_clean(exclude=["school_class"], validate_constraints=False)
        except ValidationError as exc:
            raise ValidationError({"rows": [_("Line %(n)s: %(error)s") % {"n": index, "error": "；".join(exc.messages)}]}) from exc
        students.append(student)
    Student.objects.filter(school_class=school_class).delete()
    Student.objects.bulk_create(students)
    if students and school_class.student_count != len(students):
        school_class.student_count = len(students)
        school_class.save(update_fields=["student_count"])
    return students


# ---------------------------------------------------------------- checklists and rounds


@transaction.atomic
def checklist_template_save(
    *, actor: User, name: str, kind: str, items: list[dict], template: ChecklistTemplate | None = None
) -> ChecklistTemplate:
    """Create or edit a checklist template; its items are replaced by `items` ({"area", "text"})."""
    _require(actor, R.MANAGERS)
    template = template or ChecklistTemplate()
    template.name = name
    template.kind = kind
    _save(template, refresh_metrics=False)
    if not items:
        raise ValidationError({"items": _("A checklist needs at least one item.")})
    template.items.all().delete()
    for index, item in enumerate(items):
        _save(ChecklistItem(template=template, area=item["area"], text=item["text"], sort_order=index),
              refresh_metrics=False)
    return template


def _round_items_create(round_: InspectionRound, items: Iterable[dict]) -> None:
    for index, item in enumerate(items):
        _save(RoundItem(round=round_, area=item["area"], text=item["text"], sort_order=index), refresh_metrics=False)


@transaction.atomic
def round_open(
    *,
    actor: User,
    kind: str,
    title: str,
    started_on: dt.date,
    template: ChecklistTemplate | None = None,
    items: list[dict] | None = None,
    due_on: dt.date | None = None,
    department: Department | None = None,
) -> InspectionRound:
    """Open an inspection round with its own copy of the checklist."""
    _require(actor, R.MANAGERS)
    if kind == RoundKind.CAMPAIGN:
        raise ValidationError({"kind": _("Campaign rounds are opened by the bureau.")})
    if items is None:
        items = [{"area": i.area, "text": i.text} for i in template.items.all()] if template else []
    if not items:
        raise ValidationError({"template": _("Choose a checklist template or give the items.")})
    round_ = _save(InspectionRound(kind=kind, title=title, template=template, started_on=started_on, due_on=due_on,
                                   department=department, created_by=actor), refresh_metrics=False)
    _round_items_create(round_, items)
    return round_


@transaction.atomic
def campaign_round_open(*, campaign_id: int, title: str, items: list[dict], due_on: dt.date) -> InspectionRound:
    """Open (once) the round of a bureau campaign (专项) in this school; a second call returns the same round."""
    existing = InspectionRound.objects.filter(campaign_id=campaign_id).first()
    if existing is not None:
        return existing
    if not items:
        raise ValidationError({"items": _("A checklist needs at least one item.")})
    round_ = _save(
        InspectionRound(kind=RoundKind.CAMPAIGN, title=title, campaign_id=campaign_id, started_on=today(),
                        due_on=due_on),
    )
    _round_items_create(round_, items)
    notify(school=R.current_school(), kind="safety.campaign", title=_("Bureau campaign: %(title)s") % {"title": title},
           url=f"/safety/rounds/{round_.pk}/", roles=R.MANAGERS, dedupe_key=f"safety-campaign:{campaign_id}")
    return round_


@transaction.atomic
def round_item_check(
    *,
    actor: User,
    item: RoundItem,
    result: str,
    note: str = "",
    hazard: dict | None = None,
) -> RoundItem:
    """Record the result of one checklist line; a failed line opens a hazard (give its fields in `hazard`)."""
    _require(actor, R.MANAGERS | R.PATROL)
    item = RoundItem.objects.select_for_update().select_related("round").get(pk=item.pk)
    if item.round.completed_at:
        raise ValidationError({"result": _("This round is completed.")})
    if item.result != ItemResult.PENDING:
        raise ValidationError({"result": _("This line has already been checked.")})
    if result not in (ItemResult.PASS, ItemResult.FAIL):
        raise ValidationError({"result": _("Choose passed or failed.")})
    item.result = result
    item.note = note
    item.checked_by = actor
    item.checked_at = timezone.now()
    _save(item, refresh_metrics=False)
    if result == ItemResult.FAIL:
        fields = {"description": note or item.text, "category": item.area, **(hazard or {})}
        hazard_report(reporter=actor, round_item=item, **fields)
    return item


@transaction.atomic
def round_complete(*, actor: User, round_: InspectionRound) -> InspectionRound:
    """Close a round once every line is checked."""
    _require(actor, R.MANAGERS)
    if round_.items.filter(result=ItemResult.PENDING).exists():
        raise ValidationError({"items": _("Check every line before completing the round.")})
    round_.completed_at = timezone.now()
    return _save(round_)


# ---------------------------------------------------------------- hazards

FIVE_FIXES = ("responsible", "measures", "funds", "deadline", "contingency_plan")
GENERAL_DEADLINE_DAYS = 30
# The person responsible hears of an open hazard's deadline this many days before it.
DUE_SOON_DAYS = 2


def _hazard_assigned_notify(hazard: Hazard, *, actor: User | None) -> None:
    """Tell the person now responsible for the hazard (定人) that it is theirs, with its deadline.

    Once per hazard and person: a re-run of the same write does not notify twice. Nobody is told of what
    they gave themselves.
    """
    if hazard.responsible_id is None or (actor is not None and hazard.responsible_id == actor.pk):
        return
    notify(
        school=R.current_school(),
        kind="safety.hazard_assigned",
        title=_("Hazard to rectify: %(text)s") % {"text": hazard.description[:60]},
        body=_("Deadline %(deadline)s, location %(location)s")
        % {"deadline": hazard.deadline or "—", "location": hazard.location},
        url=f"/safety/hazards/{hazard.pk}/",
        users=[hazard.responsible],
        dedupe_key=f"safety-hazard-assigned:{connection.schema_name}:{hazard.pk}:{hazard.responsible_id}",
    )


def _five_fixes_check(hazard: Hazard) -> None:
    """A major hazard needs all five of the 五定; it is then listed for supervision (挂牌督办)."""
    if hazard.grade != HazardGrade.MAJOR:
        return
    labels = {
        "responsible": _("A major hazard needs a responsible person."),
        "measures": _("A major hazard needs rectification measures."),
        "funds": _("A major hazard needs the funds set aside."),
        "deadline": _("A major hazard needs a deadline."),
        "contingency_plan": _("A major hazard needs a contingency plan."),
    }
    errors = {}
    for field in FIVE_FIXES:
        value = getattr(hazard, field if field != "responsible" else "responsible_id")
        if value is None or (isinstance(value, str) and not value.strip()):
            errors[field] = labels[field]
    if "funds" not in errors and hazard.funds is not None and Decimal(str(hazard.funds)) <= 0:
        from core.rules import rule_error

        errors["funds"] = rule_error(
            "safety.major_hazard_funds", _("¥%(funds)s is no money set aside; enter the amount the rectification "
                                           "needs.") % {"funds": hazard.funds}
        ).messages[0]
    if errors:
        raise ValidationError(errors)
    hazard.supervised = True


@transaction.atomic
def hazard_report(
    *,
    reporter: User,
    category: str,
    description: str,
    grade: str = HazardGrade.GENERAL,
    found_on: dt.date | None = None,
    room: Room | None = None,
    location_text: str = "",
    round_item: RoundItem | None = None,
    responsible: User | None = None,
    measures: str = "",
    funds: Decimal | None = None,
    deadline: dt.date | None = None,
    contingency_plan: str = "",
    photos: Iterable = (),
    by_partner: bool = False,
    partner_name: str = "",
) -> Hazard:
    """Record a hazard; a major one must carry all of the 五定 and is listed for supervision at once.

    A partner (by_partner, e.g. the property company on patrol) reports general hazards only: the school's
    managers grade them and set the 五定 (hazard_plan). The partner's name is recorded as the reporter.
    """
    if by_partner:
        if reporter is not None:
            raise ValueError("A partner's hazard has no reporter account: pass reporter=None.")
        partner_name = _require_or_partner(None, (), by_partner=True, partner_name=partner_name)
        if grade != HazardGrade.GENERAL or any((responsible, measures.strip(), funds, deadline,
                                                contingency_plan.strip())):
            raise ValidationError({"grade": _("A partner reports a general hazard; the school grades it and "
                                              "sets the five fixes.")})
    else:
        partner_name = ""
    if room is None and not location_text.strip():
        raise ValidationError({"location_text": _("Give the room or describe where the hazard is.")})
    hazard = Hazard(
        round=round_item.round if round_item else None, round_item=round_item, found_on=found_on or today(),
        reporter=reporter, partner_name=partner_name, room=room, location_text=location_text, category=category,
        grade=grade, description=description, responsible=responsible, measures=measures, funds=funds,
        deadline=deadline, contingency_plan=contingency_plan,
    )
    _five_fixes_check(hazard)
    if hazard.deadline is None:
        # Every hazard has a clock: a general one without a deadline gets the default, so overdue is never silent.
        hazard.deadline = hazard.found_on + dt.timedelta(days=GENERAL_DEADLINE_DAYS)
    _save(hazard)
    for image in photos:
        hazard_photo_add(actor=reporter, hazard=hazard, stage=PhotoStage.BEFORE, image=image)
    _hazard_assigned_notify(hazard, actor=reporter)
    if hazard.grade == HazardGrade.MAJOR:
        notify(school=R.current_school(), kind="safety.major_hazard", title=_("Major hazard: %(text)s") % {"text": description[:60]},
               url=f"/safety/hazards/{hazard.pk}/", roles=R.MANAGERS, dedupe_key=f"safety-major:{hazard.pk}")
    if partner_name:
        # Nobody at the school saw it being reported: the managers hear of it, to grade it and set the 五定.
        notify(school=R.current_school(), kind="safety.partner_hazard",
               title=_("%(partner)s reported a hazard: %(text)s") % {"partner": partner_name, "text": description[:60]},
               url=f"/safety/hazards/{hazard.pk}/", roles=R.MANAGERS, dedupe_key=f"safety-partner-hazard:{hazard.pk}")
    _emit("hazard.reported", hazard_payload(hazard))
    return hazard


@transaction.atomic
def hazard_plan(
    *,
    actor: User,
    hazard: Hazard,
    grade: str,
    responsible: User | None,
    measures: str,
    funds: Decimal | None,
    deadline: dt.date | None,
    contingency_plan: str,
) -> Hazard:
    """Set a hazard's grade and 五定 (all five for a major hazard)."""
    _require(actor, R.MANAGERS)
    hazard = Hazard.objects.select_for_update().get(pk=hazard.pk)
    if hazard.status == HazardStatus.CLOSED:
        raise ValidationError({"status": _("A closed hazard cannot be changed.")})
    was_responsible = hazard.responsible_id
    hazard.grade, hazard.responsible, hazard.measures = grade, responsible, measures
    hazard.funds, hazard.deadline, hazard.contingency_plan = funds, deadline, contingency_plan
    _five_fixes_check(hazard)
    _save(hazard)
    if hazard.responsible_id != was_responsible:
        _hazard_assigned_notify(hazard, actor=actor)
    return hazard


@transaction.atomic
def hazard_photo_add(*, actor: User, hazard: Hazard, stage: str, image) -> HazardPhoto:
    """Attach a photo (checked to be an image) to a hazard."""
    from frontend.uploads import IMAGE_KINDS, validate_upload

    try:
        validate_upload(image, kinds=IMAGE_KINDS)
    except ValidationError as exc:
        raise ValidationError({"image": exc.messages}) from exc
    return _save(HazardPhoto(hazard=hazard, stage=stage, image=image, uploaded_by=actor), refresh_metrics=False)


@transaction.atomic
def hazard_rectify(*, actor: User, hazard: Hazard, actions: str, photos: Iterable = ()) -> Hazard:
    """Record the rectification (actions and after-photos); the hazard then awaits verification."""
    hazard = Hazard.objects.select_for_update().get(pk=hazard.pk)
    is_responsible = hazard.responsible_id is not None and hazard.responsible_id == actor.pk
    if not (R.roles_of(actor) & R.RECTIFY) and not is_responsible:
        raise PermissionDenied(_("Your role here does not allow this."))
    if hazard.status != HazardStatus.OPEN:
        raise ValidationError({"status": _("Only an open hazard can be rectified.")})
    if not actions.strip():
        raise ValidationError({"actions": _("Describe what was done.")})
    _save(HazardAction(hazard=hazard, text=actions, by=actor), refresh_metrics=False)
    for image in photos:
        hazard_photo_add(actor=actor, hazard=hazard, stage=PhotoStage.AFTER, image=image)
    hazard.status = HazardStatus.RECTIFIED
    hazard.rectified_by = actor
    hazard.rectified_at = timezone.now()
    return _save(hazard)


@transaction.atomic
def hazard_verify(*, actor: User, hazard: Hazard, accepted: bool, note: str = "") -> Hazard:
    """Verify a rectification: accepted closes the hazard (销号), refused reopens it. Never by the rectifier."""
    hazard = Hazard.objects.select_for_update().get(pk=hazard.pk)
    allowed = R.MAJOR_VERIFIER if hazard.grade == HazardGrade.MAJOR else R.MANAGERS
    if not (R.roles_of(actor) & allowed):
        raise PermissionDenied(
            _("Only the principal verifies a major hazard.") if hazard.grade == HazardGrade.MAJOR
            else _("Your role here does not allow this.")
        )
    if hazard.status != HazardStatus.RECTIFIED:
        raise ValidationError({"status": _("A hazard is closed only after its rectification is recorded and verified.")})
    if hazard.rectified_by_id == actor.pk:
        raise ValidationError({"verified_by": _("Someone other than the rectifier must verify the rectification.")})
    if accepted:
        hazard.status = HazardStatus.CLOSED
        hazard.verified_by = actor
        hazard.verified_at = timezone.now()
        hazard.verification_note = note
    else:
        if not note.strip():
            raise ValidationError({"verification_note": _("Say why the rectification is not accepted.")})
        _save(HazardAction(hazard=hazard, text=_("Not accepted: %(note)s") % {"note": note}, by=actor),
              refresh_metrics=False)
        hazard.status = HazardStatus.OPEN
        hazard.rectified_by = None
        hazard.rectified_at = None
    _save(hazard)
    if hazard.status == HazardStatus.CLOSED:
        _emit("hazard.closed", hazard_payload(hazard))
    return hazard


def hazards_escalate_overdue(*, on: dt.date | None = None) -> int:
    """Notify the responsible person and the managers of each open hazard past its deadline, once each."""
    on = on or today()
    count = 0
    school = R.current_school()
    # An overdue major hazard (挂牌督办) also reaches the bureau's safety section.
    bureau_safety = list(User.objects.filter(
        memberships__bureau_id=school.bureau_id if school else None, memberships__role=Role.BUREAU_SAFETY,
        memberships__is_active=True, is_active=True).distinct()) if school else []
    overdue = Hazard.objects.filter(status=HazardStatus.OPEN, deadline__lt=on, escalated_on__isnull=True)
    for hazard in overdue.select_related("responsible"):
        users = [hazard.responsible] if hazard.responsible_id else []
        if hazard.grade == HazardGrade.MAJOR:
            users += bureau_safety
        with transaction.atomic():
            notify(
                school=school,
                kind="safety.hazard_overdue",
                title=_("Hazard overdue: %(text)s") % {"text": hazard.description[:60]},
                body=_("Deadline %(deadline)s, location %(location)s")
                % {"deadline": hazard.deadline, "location": hazard.location},
                url=f"/safety/hazards/{hazard.pk}/",
                users=users,
                roles=[*R.MANAGERS],
                dedupe_key=f"safety-hazard-overdue:{connection.schema_name}:{hazard.pk}",
            )
            Hazard.objects.filter(pk=hazard.pk, escalated_on__isnull=True).update(escalated_on=on)
            count += 1
    if count:
        school_metrics_request_refresh()
    return count


def hazards_remind_due_soon(*, on: dt.date | None = None, days: int = DUE_SOON_DAYS) -> int:
    """Remind the person responsible for each open hazard whose deadline is within `days` days.

    Once per hazard and deadline (dedupe_key): the daily run finds the same hazard again tomorrow and
    notifies nobody; a deadline moved by hazard_plan earns a new reminder. Returns how many were sent.
    """
    on = on or today()
    school = R.current_school()
    due = (Hazard.objects.filter(status=HazardStatus.OPEN, responsible__isnull=False, responsible__is_active=True,
                                 deadline__gte=on, deadline__lte=on + dt.timedelta(days=days))
           .select_related("responsible", "room__building").order_by("deadline", "pk"))
    sent = 0
    for hazard in due:
        sent += len(notify(
            school=school,
            kind="safety.hazard_due_soon",
            title=_("Hazard due on %(deadline)s: %(text)s") % {"deadline": hazard.deadline, "text": hazard.description[:60]},
            body=_("Deadline %(deadline)s, location %(location)s")
            % {"deadline": hazard.deadline, "location": hazard.location},
            url=f"/safety/hazards/{hazard.pk}/",
            users=[hazard.responsible],
            dedupe_key=f"safety-hazard-due-soon:{connection.schema_name}:{hazard.pk}:{hazard.deadline}",
        ))
    return sent


# ---------------------------------------------------------------- agreements


@transaction.atomic
def agreement_template_create(
    *, actor: User, kind: str, title: str, body: str, post: str = "", confirm_duplicate: bool = False
) -> AgreementTemplate:
    """Add a template, or a new version of a template of the same kind and post.

    One with the title of an existing template of its kind and post is refused unless `confirm_duplicate`
    (仍要创建): a second identical template is more often a slip than a revision.
    """
    from .selectors import agreement_template_duplicate

    _require(actor, R.MANAGERS)
    same = agreement_template_duplicate(kind=kind, post=post, title=title)
    if same is not None and not confirm_duplicate:
        raise ValidationError({"confirm_duplicate": _(
            "A template “%(title)s” of this kind already exists (version %(version)s, created %(created)s). "
            "Saving makes it version %(next)s; tick “Create anyway” if that is what you want."
        ) % {"title": same.title, "version": same.version, "created": f"{timezone.localtime(same.created_at):%Y-%m-%d}",
             "next": same.version + 1}})
    last = AgreementTemplate.objects.filter(kind=kind, post=post).order_by("-version").first()
    return _save(AgreementTemplate(kind=kind, post=post, title=title, body=body,
                                   version=(last.version + 1) if last else 1), refresh_metrics=False)


GROUPS = ("teachers", "departments", "units", "parents")


def _agreement_text(template: AgreementTemplate, party: str) -> str:
    return f"{template.title}（第{template.version}版）\n\n{template.body}\n\n责任人：{party}"


@transaction.atomic
def agreement_campaign_issue(
    *, actor: User, template: AgreementTemplate, term: str, groups: list[str], due_on: dt.date | None = None,
    confirm_duplicate: bool = False,
) -> AgreementCampaign:
    """Issue a template for a term to groups; every party gets its own copy to sign.

    A second campaign of the same template (any version) for the same term is refused unless
    `confirm_duplicate` (仍要创建): every family would get a second copy and the coverage would split.
    """
    from .selectors import agreement_campaign_duplicate

    _require(actor, R.MANAGERS)
    if not groups or any(g not in GROUPS for g in groups):
        raise ValidationError({"groups": _("Choose who signs: teachers, departments, on-campus units or parents.")})
    same = agreement_campaign_duplicate(template=template, term=term)
    if same is not None and not confirm_duplicate:
        raise ValidationError({"confirm_duplicate": _(
            "“%(title)s” was already issued for %(term)s on %(issued)s (%(signed)s of %(total)s signed). "
            "Tick “Create anyway” to issue a second campaign."
        ) % {"title": same.template.title, "term": same.term, "issued": f"{timezone.localtime(same.issued_at):%Y-%m-%d}",
             "signed": same.agreements.filter(signed_at__isnull=False).count(), "total": same.agreements.count()}})
    campaign = _save(AgreementCampaign(template=template, term=term, groups=list(groups), issued_by=actor,
                                       due_on=due_on), refresh_metrics=False)
    school = R.current_school()
    rows: list[Agreement] = []

    def add(party_kind, name, **kw):
        rows.append(Agreement(campaign=campaign, kind=template.kind, party_kind=party_kind, party_name=name,
                              text=_agreement_text(template, name), **kw))

    if "teachers" in groups:
        members = Membership.objects.active().filter(school=school)
        if template.post:
            # A fire agreement by post (公安部令第61号) goes to those holding that post only.
            members = members.filter(post=template.post)
        users = User.objects.filter(pk__in=members.values("user_id"), is_active=True).order_by("name", "pk")
        for user in users:
            add(PartyKind.TEACHER, user.display_name, user=user)
    if "departments" in groups:
        for department in Department.objects.filter(is_active=True):
            add(PartyKind.DEPARTMENT, department.name, department=department, user=department.head)
    if "units" in groups:
        for unit in OnCampusUnit.objects.all():
            add(PartyKind.UNIT, unit.name, unit=unit, user=unit.contact_user)
    if "parents" in groups:
        roster = {(s.school_class_id, s.seat_no): s.name for s in Student.objects.all()}
        for school_class in SchoolClass.objects.all():
            # The roster's seats where it has them, else one copy per student counted.
            seats = sorted({seat for (cls, seat) in roster if cls == school_class.pk}) or range(
                1, school_class.student_count + 1)
            for seat in seats:
                student = roster.get((school_class.pk, seat))
                name = f"{school_class.name} {student}家长" if student else f"{school_class.name} {seat}号学生家长"
                # 128 bits: unguessable, and short enough to print under the QR code of a slip.
                add(PartyKind.PARENT, name, school_class=school_class, seat_no=seat,
                    token=secrets.token_urlsafe(16))
    if not rows:
        raise ValidationError({"groups": _("Nobody in these groups to sign.")})
    Agreement.objects.bulk_create(rows, batch_size=1000)
    school_metrics_request_refresh()
    return campaign


def _may_sign(user: User | None, agreement: Agreement) -> bool:
    # An anonymous caller (pk None) would otherwise match every copy without an account (parents').
    if user is None or not user.is_authenticated:
        return False
    if agreement.user_id == user.pk:
        return True
    return agreement.party_kind != PartyKind.TEACHER and bool(R.roles_of(user) & R.MANAGERS)


@transaction.atomic
def agreement_sign(
    *,
    agreement: Agreement,
    signer_name: str,
    user: User | None = None,
    token: str | None = None,
    seen_sha256: str | None = None,
) -> Agreement:
    """Sign online: the typed name, the time and the SHA-256 of the exact text signed are kept for good."""
    agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
    if token is not None:
        if not agreement.token or not secrets.compare_digest(agreement.token, token):
            raise PermissionDenied(_("This signing link is not valid."))
    elif not _may_sign(user, agreement):
        raise PermissionDenied(_("This agreement is not yours to sign."))
    if agreement.signed_at is not None:
        raise ValidationError({"signed_at": _("This agreement is already signed; it cannot be signed twice.")})
    signer_name = (signer_name or "").strip()
    if not signer_name:
        raise ValidationError({"signer_name": _("Type your name to sign.")})
    digest = text_sha256(agreement.text)
    if seen_sha256 and seen_sha256 != digest:
        raise ValidationError({"text": _("The text changed after you opened it; open it again and sign.")})
    agreement.signer_name = signer_name
    agreement.signed_at = timezone.now()
    agreement.text_sha256 = digest
    agreement.signed_via = SignedVia.ONLINE
    return _save(agreement)


@transaction.atomic
def agreement_scan_upload(*, actor: User, agreement: Agreement, scan, signer_name: str) -> Agreement:
    """Record a signed paper copy by its scan (PDF or image)."""
    from frontend.uploads import validate_upload

    _require(actor, R.MANAGERS)
    agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
    if agreement.signed_at is not None:
        raise ValidationError({"signed_at": _("This agreement is already signed; it cannot be signed twice.")})
    try:
        validate_upload(scan, kinds=("pdf", "png", "jpeg"))
    except ValidationError as exc:
        raise ValidationError({"scan": exc.messages}) from exc
    if not (signer_name or "").strip():
        raise ValidationError({"signer_name": _("Type the name of whoever signed the paper copy.")})
    agreement.scan = scan
    agreement.signer_name = signer_name.strip()
    agreement.signed_at = timezone.now()
    agreement.text_sha256 = text_sha256(agreement.text)
    agreement.signed_via = SignedVia.SCAN
    return _save(agreement)


@transaction.atomic
def agreement_text_update(*, actor: User, agreement: Agreement, text: str) -> Agreement:
    """Correct the text of an agreement not yet signed (a signed one is immutable)."""
    _require(actor, R.MANAGERS)
    agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
    if agreement.signed_at is not None:
        raise ValidationError({"text": _("A signed agreement cannot be changed.")})
    agreement.text = text
    return _save(agreement, refresh_metrics=False)


@dataclass
class RemindResult:
    """Who a reminder reached, by channel, and who it could not reach."""

    staff: int = 0  # people with an account, notified in the app
    sms: int = 0  # parents texted (or, without a provider, texts kept for the operator)
    sms_delivers: bool = True  # whether texts really leave the server (a provider is configured)
    classes: int = 0  # classes whose head teacher got the link to the class's slips
    parents_by_slip: int = 0  # unsigned parents whose class has a head teacher to hand out their slips and links
    parents_no_phone: int = 0  # unsigned parents with no mobile phone on the class roster
    classes_no_head: int = 0  # classes with unsigned parents and no head teacher to hand out slips
    # Unsigned parties no channel reaches: a parent with neither a head teacher nor a phone on the roster, a
    # member of staff or a unit without an active account.
    unreachable: int = 0
    already_today: int = 0  # unsigned parties already reminded today through every channel they have

    @property
    def total(self) -> int:
        return self.staff + self.sms + self.classes

    def message(self) -> str:
        """What the manager reads after pressing the button: each channel's count, honestly."""
        parts = []
        if self.staff:
            parts.append(_("%(n)s staff notified in the app") % {"n": self.staff})
        if self.sms:
            parts.append((_("%(n)s parents reminded by text message") if self.sms_delivers else
                          _("%(n)s text messages to parents kept but not sent (no SMS provider is configured)"))
                         % {"n": self.sms})
        if self.classes:
            parts.append(_("the signing slips of %(n)s classes sent to their head teachers") % {"n": self.classes})
        if self.parents_no_phone:
            parts.append(_("%(n)s parents have no mobile phone on the class roster") % {"n": self.parents_no_phone})
        if self.classes_no_head:
            parts.append(_("%(n)s classes have no head teacher to hand out the slips") % {"n": self.classes_no_head})
        if self.unreachable:
            parts.append(_("%(n)s not signed cannot be reached through any channel") % {"n": self.unreachable})
        if not self.total:
            parts.insert(0, _("Everyone not signed was already reminded today; nothing was sent again"))
        return "；".join(str(p) for p in parts) + "。"


REMIND_SMS_KIND = "safety.agreement_reminder"


@transaction.atomic
def agreement_campaign_remind(
    *, campaign: AgreementCampaign, on: dt.date | None = None, sms: bool = True
) -> RemindResult:
    """Remind every unsigned party through the channels it has, at most once a day each.

    Staff (parties with an account): an in-app notification. Parents: their class's head teacher gets
    the link to the class's signing slips (printable, each with the family's QR code and link); a parent
    whose guardian phone is on the roster gets a text through the SMS provider (tenants.sms) unless
    `sms` is off (the scheduled reminder: a text costs money and lands on a family's phone, so a person
    decides to send one).
    """
    from tenants.notifications import sms_send
    from tenants.sms import sms_delivers

    on = on or today()
    # One reminder of a campaign at a time: a double click must not text a family twice.
    campaign = AgreementCampaign.objects.select_for_update().select_related("template").get(pk=campaign.pk)
    school = R.current_school()
    title = campaign.template.title
    result = RemindResult(sms_delivers=sms_delivers())
    unsigned = campaign.agreements.filter(signed_at__isnull=True)
    users = User.objects.filter(pk__in=unsigned.exclude(user__isnull=True).values("user_id"), is_active=True)
    for user in users:
        result.staff += len(notify(kind="safety.agreement_reminder", title=_("Please sign: %(title)s") % {"title": title},
                                   url="/safety/agreements/mine/", users=[user],
                                   dedupe_key=f"safety-agreement-remind:{campaign.pk}:{on}"))
    # Parents have no account: each head teacher gets the class's slips to hand out.
    parents = unsigned.filter(party_kind=PartyKind.PARENT)
    by_class = (parents.values("school_class_id", "school_class__name", "school_class__head_teacher")
                .annotate(n=Count("pk")).order_by("school_class__grade", "school_class__name"))
    heads = {u.pk: u for u in User.objects.filter(pk__in=[r["school_class__head_teacher"] for r in by_class],
                                                  is_active=True)}
    headless: set[int | None] = set()
    for row in by_class:
        head = heads.get(row["school_class__head_teacher"])
        if head is None:
            result.classes_no_head += 1
            headless.add(row["school_class_id"])
            continue
        result.parents_by_slip += row["n"]
        result.classes += len(notify(
            kind="safety.agreement_reminder",
            title=_("%(n)s parents of %(cls)s have not signed: %(title)s")
            % {"n": row["n"], "cls": row["school_class__name"], "title": title},
            body=_("Print the class's signing slips and hand them out; each family signs on the phone from its QR code."),
            url=f"/safety/campaigns/{campaign.pk}/classes/{row['school_class_id']}/slips/?state=unsigned",
            users=[head],
            dedupe_key=f"safety-agreement-remind-class:{campaign.pk}:{row['school_class_id']}:{on}",
        ))
    # Texts: once a day a family at most (the copy's reminded_at says when it was last reminded).
    phones = {(s.school_class_id, s.seat_no): s for s in Student.objects.exclude(guardian_phone="")}
    start_of_day = timezone.make_aware(dt.datetime.combine(on, dt.time.min))
    texted: list[int] = []
    for agreement in parents.only("pk", "campaign_id", "school_class_id", "seat_no", "token", "reminded_at"):
        student = phones.get((agreement.school_class_id, agreement.seat_no))
        if student is None:
            result.parents_no_phone += 1
            result.unreachable += agreement.school_class_id in headless
            continue
        if not sms or (agreement.reminded_at and agreement.reminded_at >= start_of_day):
            continue
        link = school.url(f"/safety/s/{agreement.token}/") if school is not None and agreement.token else ""
        sms_send(phone=student.guardian_phone, kind=REMIND_SMS_KIND, school=school,
                 text=_("[Houqin] %(school)s: please sign “%(title)s” for %(student)s: %(link)s")
                 % {"school": school.name if school else "", "title": title, "student": student.name, "link": link})
        texted.append(agreement.pk)
        result.sms += 1
    # A party without an account (or whose account is closed) gets no notification: nobody reaches it here.
    result.unreachable += unsigned.exclude(party_kind=PartyKind.PARENT).exclude(user__is_active=True).count()
    now = timezone.now()
    # Staff and classes are deduplicated by their notification keys; parents by reminded_at.
    unsigned.exclude(party_kind=PartyKind.PARENT).update(reminded_at=now)
    if texted:
        Agreement.objects.filter(pk__in=texted).update(reminded_at=now)
    if not result.total:
        result.already_today = unsigned.count()
    return result


# ---------------------------------------------------------------- gate

def id_number_mask(raw: str) -> str:
    """Keep the first 3 and the last 4 characters of an ID number; star the rest (never store it whole)."""
    raw = "".join((raw or "").split()).upper()
    if not raw:
        return ""
    if len(raw) <= 7:
        return "*" * len(raw)
    return raw[:3] + "*" * (len(raw) - 7) + raw[-4:]


@transaction.atomic
def visitor_register(
    *,
    actor: User,
    name: str,
    id_number: str,
    host_name: str,
    purpose: str,
    host_verified: bool,
    phone: str = "",
    in_at: dt.datetime | None = None,
    by_partner: bool = False,
    partner_name: str = "",
) -> Visitor:
    """Register a visitor at the gate; only a masked ID number is stored.

    A partner (by_partner: the property company keeping the gate) registers under its own name.
    """
    partner_name = _require_or_partner(actor, R.GATE, by_partner=by_partner, partner_name=partner_name)
    # The gate is the busiest write: the acting user is known to exist and the two check constraints (mask,
    # out after in) hold by construction here and are enforced by the database, so no extra round trips.
    visitor = _save(Visitor(name=name, id_number_masked=id_number_mask(id_number), phone=phone, host_name=host_name,
                            host_verified=host_verified, purpose=purpose, in_at=in_at or timezone.now(),
                            registered_by=None if by_partner else actor, partner_name=partner_name),
                    exclude=("registered_by",), validate_constraints=False)
    # No name, phone or ID number in the event (one query when nobody subscribes): a partner reads the entry
    # through visitorList, as its scope allows.
    _emit("visitor.registered", {"id": global_id("VisitorType", visitor.pk), "inAt": visitor.in_at,
                                 "hostVerified": visitor.host_verified})
    return visitor


@transaction.atomic
def visitor_checkout(*, actor: User | None, visitor: Visitor, out_at: dt.datetime | None = None,
                     by_partner: bool = False, partner_name: str = "") -> Visitor:
    """Record when a visitor left (a partner's checkout is attributed in the row history)."""
    _require_or_partner(actor, R.GATE, by_partner=by_partner, partner_name=partner_name)
    visitor = Visitor.objects.select_for_update().get(pk=visitor.pk)
    out_at = out_at or timezone.now()
    if visitor.out_at is not None:
        raise ValidationError({"out_at": _("This visitor has already left.")})
    if out_at < visitor.in_at:
        raise ValidationError({"out_at": _("The time out cannot be before the time in.")})
    visitor.out_at = out_at
    return _save(visitor, refresh_metrics=False)


@transaction.atomic
def staff_exit_register(
    *, actor: User, name: str, reason: str, approved_by: str = "", staff: StaffMember | None = None,
    out_at: dt.datetime | None = None,
) -> StaffExit:
    """Register a staff member leaving during working hours."""
    _require(actor, R.GATE)
    return _save(StaffExit(staff=staff, name=name, reason=reason, approved_by=approved_by,
                           out_at=out_at or timezone.now(), registered_by=actor), refresh_metrics=False)


@transaction.atomic
def staff_exit_return(*, actor: User, exit_: StaffExit, back_at: dt.datetime | None = None) -> StaffExit:
    """Record a staff member's return."""
    _require(actor, R.GATE)
    exit_ = StaffExit.objects.select_for_update().get(pk=exit_.pk)
    back_at = back_at or timezone.now()
    if exit_.back_at is not None:
        raise ValidationError({"back_at": _("The return is already recorded.")})
    if back_at < exit_.out_at:
        raise ValidationError({"back_at": _("The time back cannot be before the time out.")})
    exit_.back_at = back_at
    return _save(exit_, refresh_metrics=False)


# ---------------------------------------------------------------- patrols


@transaction.atomic
def patrol_record(
    *,
    actor: User,
    shift: str,
    route: str,
    started_at: dt.datetime,
    ended_at: dt.datetime | None = None,
    findings: str = "",
    hazard: dict | None = None,
    by_partner: bool = False,
    partner_name: str = "",
    kind: str = PatrolKind.SECURITY,
) -> Patrol:
    """Record a patrol; give `hazard` ({"category", "location_text", ...}) to open a hazard from a finding.

    A partner (by_partner: the property company's patrol) logs under its own name; a hazard it opens is
    reported by the partner too.
    """
    partner_name = _require_or_partner(actor, R.PATROL, by_partner=by_partner, partner_name=partner_name)
    if ended_at is not None and ended_at < started_at:
        raise ValidationError({"ended_at": _("The end time cannot be before the start time.")})
    _not_ahead(started_at=started_at, ended_at=ended_at)
    opened = None
    if hazard:
        hazard = dict(hazard)
        description = hazard.pop("description", "") or findings
        if by_partner:
            opened = hazard_report(reporter=None, description=description, by_partner=True,
                                   partner_name=partner_name, **hazard)
        else:
            opened = hazard_report(reporter=actor, description=description, **hazard)
    patrol = _save(Patrol(patroller=None if by_partner else actor,
                          patroller_name=partner_name[:50] if by_partner else actor.display_name,
                          partner_name=partner_name, kind=kind, shift=shift, route=route, started_at=started_at,
                          ended_at=ended_at, findings=findings, hazard=opened))
    _emit("patrol.logged", {
        "id": global_id("PatrolType", patrol.pk), "shift": patrol.shift, "startedAt": patrol.started_at,
        "endedAt": patrol.ended_at, "hazardId": global_id("HazardType", opened.pk) if opened else None,
    })
    return patrol


# A ledger records what has happened: a few minutes' grace for a phone's clock, nothing later.
CLOCK_GRACE = dt.timedelta(minutes=5)


def _not_ahead(**values) -> None:
    """Refuse a date or time of a record that is still to come (a drill held tomorrow, a patrol ending tonight)."""
    now = timezone.now()
    for field, value in values.items():
        if value is None:
            continue
        ahead = value > now + CLOCK_GRACE if isinstance(value, dt.datetime) else value > timezone.localdate()
        if ahead:
            raise ValidationError({field: _("This is a record of what has happened: it cannot be dated ahead.")})


@transaction.atomic
def security_member_add(*, actor: User, name: str, team: str, user: User | None = None, shift: str = "",
                        weekday: int | None = None) -> SecurityTeamMember:
    """Put someone on the security roster."""
    _require(actor, R.MANAGERS)
    # The roster's guards are a figure of the boards (guards required by enrolment, GB/T 29315-2022).
    return _save(SecurityTeamMember(user=user, name=name, team=team, shift=shift, weekday=weekday))


# ---------------------------------------------------------------- drills, education, escort


@transaction.atomic
def emergency_plan_add(*, actor: User, title: str, kind: str, adopted_on: dt.date, summary: str = "",
                       document=None) -> EmergencyPlan:
    """Add an emergency plan, or a new version of a plan with the same title."""
    _require(actor, R.MANAGERS)
    if document is not None:
        from frontend.uploads import validate_upload

        try:
            validate_upload(document)
        except ValidationError as exc:
            raise ValidationError({"document": exc.messages}) from exc
    last = EmergencyPlan.objects.filter(title=title).order_by("-version").first()
    return _save(EmergencyPlan(title=title, kind=kind, adopted_on=adopted_on, summary=summary,
                               document=document or "", version=(last.version + 1) if last else 1),
                 refresh_metrics=False)


@transaction.atomic
def drill_record(*, actor: User, kind: str, held_on: dt.date, participants: int, evacuation_seconds: int | None = None,
                 review: str = "", plan: EmergencyPlan | None = None) -> Drill:
    """Record a drill and its review."""
    _require(actor, R.MANAGERS)
    _not_ahead(held_on=held_on)
    if kind == DrillKind.EVACUATION and not evacuation_seconds:
        raise rule_error("safety.evacuation_two_minutes",
                         _("record how many seconds the evacuation took, from the signal to everyone out."),
                         field_name="evacuation_seconds")
    return _save(Drill(kind=kind, held_on=held_on, participants=participants, evacuation_seconds=evacuation_seconds,
                       review=review, plan=plan, recorded_by=actor))


@transaction.atomic
def education_record(*, actor: User, kind: str, held_on: dt.date, title: str, audience: int = 0,
                     school_class: SchoolClass | None = None) -> EducationActivity:
    """Record a safety education activity."""
    _require(actor, R.LEDGER)
    _not_ahead(held_on=held_on)
    if school_class is not None:
        school_class = school_class_check_ours(school_class)
    return _save(EducationActivity(kind=kind, held_on=held_on, title=title, audience=audience,
                                   school_class=school_class, recorded_by=actor))


@transaction.atomic
def escort_record(*, actor: User, on: dt.date, school_class: SchoolClass, teacher: User, present: bool = True,
                  note: str = "") -> EscortRecord:
    """Record (or correct) a teacher's route escort of a class on a day."""
    _require(actor, R.LEDGER)
    _not_ahead(on=on)
    school_class = school_class_check_ours(school_class)
    record = EscortRecord.objects.filter(on=on, school_class=school_class, teacher=teacher).first()
    record = record or EscortRecord(on=on, school_class=school_class, teacher=teacher)
    record.present, record.note = present, note
    return _save(record, refresh_metrics=False)


# ---------------------------------------------------------------- health


@transaction.atomic
def health_check_record(
    *,
    actor: User,
    school_class: SchoolClass,
    on: dt.date,
    session: str,
    present: int,
    absent: int = 0,
    fever: int = 0,
    absences: list[dict] | None = None,
) -> HealthCheck:
    """Record a class's morning or noon check; each absent pupil is listed for follow-up."""
    school_class = school_class_check_ours(school_class)
    my_roles = R.roles_of(actor)
    if not (my_roles & R.MANAGERS) and not (my_roles & R.HEALTH and school_class.head_teacher_id == actor.pk):
        raise PermissionDenied(_("Only the class teacher records this class's health check."))
    absences = absences or []
    if absent != len(absences):
        raise ValidationError({"absent": _("List each absent pupil (%(n)s absent).") % {"n": absent}})
    if on > timezone.localdate():
        raise ValidationError({"on": _("A health check is recorded on the day it is made, not ahead.")})
    if present < 0 or absent < 0 or fever < 0:
        raise ValidationError({"present": _("Counts cannot be negative.")})
    if present + absent != school_class.student_count:
        raise ValidationError({"present": _(
            "Present (%(present)s) and absent (%(absent)s) make %(sum)s, but the class has %(n)s pupils: "
            "count again, or correct the class size."
        ) % {"present": present, "absent": absent, "sum": present + absent, "n": school_class.student_count}})
    if fever > present:
        raise ValidationError({"fever": _("More pupils with fever than present.")})
    earlier = HealthCheck.objects.filter(school_class=school_class, on=on, session=session).select_related(
        "recorded_by").first()
    if earlier is not None:
        who = earlier.recorded_by.display_name if earlier.recorded_by_id else _("someone")
        raise ValidationError({"session": _("This check was already recorded for the class that day, by %(who)s.")
                               % {"who": who}})
    check = _save(HealthCheck(school_class=school_class, on=on, session=session, present=present, absent=absent,
                              fever=fever, recorded_by=actor))
    for row in absences:
        _save(Absence(health_check=check, student_name=row.get("student_name", ""), reason=row.get("reason", "")),
              refresh_metrics=False)
    return check


@transaction.atomic
def absence_follow_up(*, actor: User, absence: Absence, follow_up: str) -> Absence:
    """Record the follow-up of an absence (call to the family, reason confirmed)."""
    _require(actor, R.HEALTH)
    if not follow_up.strip():
        raise ValidationError({"follow_up": _("Describe the follow-up.")})
    absence.followed_up, absence.follow_up = True, follow_up
    return _save(absence)


@transaction.atomic
def disinfection_record(*, actor: User, zone: str, done_at: dt.datetime, agent: str, operator: str) -> Disinfection:
    """Record a disinfection of a zone."""
    _require(actor, R.LEDGER | R.GATE)
    _not_ahead(done_at=done_at)
    return _save(Disinfection(zone=zone, done_at=done_at, agent=agent, operator=operator, recorded_by=actor),
                 refresh_metrics=False)


# ---------------------------------------------------------------- CCTV and equipment


@transaction.atomic
def camera_save(*, actor: User | None, location: str, status: str, retention_days: int,
                installed_on: dt.date | None = None, camera: Camera | None = None,
                by_partner: bool = False, partner_name: str = "") -> Camera:
    """Add or update a camera of the CCTV registry (a partner, e.g. the CCTV vendor, adds new ones)."""
    partner_name = _require_or_partner(actor, R.MANAGERS, by_partner=by_partner, partner_name=partner_name)
    if by_partner and camera is not None:
        raise PermissionDenied(_("A partner adds cameras; the school edits them."))
    least = rule_limit("safety.camera_retention")
    if retention_days is None or retention_days < least:
        raise rule_error("safety.camera_retention",
                         _("recordings must be kept at least %(days)s days (entered: %(given)s).")
                         % {"days": least, "given": retention_days}, field_name="retention_days")
    camera = camera or Camera(partner_name=partner_name)
    camera.location, camera.status, camera.retention_days, camera.installed_on = (
        location, status, retention_days, installed_on)
    return _save(camera)


@transaction.atomic
def equipment_save(*, actor: User | None, kind: str, quantity: int, location: str, checked_on: dt.date | None = None,
                   equipment: SecurityEquipment | None = None, by_partner: bool = False,
                   partner_name: str = "") -> SecurityEquipment:
    """Add or update security equipment (a partner, e.g. the security vendor, adds what it delivers)."""
    partner_name = _require_or_partner(actor, R.MANAGERS, by_partner=by_partner, partner_name=partner_name)
    if by_partner and equipment is not None:
        raise PermissionDenied(_("A partner adds equipment; the school edits it."))
    equipment = equipment or SecurityEquipment(partner_name=partner_name)
    equipment.kind, equipment.quantity, equipment.location, equipment.checked_on = kind, quantity, location, checked_on
    return _save(equipment, refresh_metrics=False)



# ---------------------------------------------------------------- fire inspections, accompanied meals, pick-up


@transaction.atomic
def fire_inspection_record(*, actor: User, inspected_on: dt.date, area: str, head_name: str,
                           department: Department | None = None, findings: str = "",
                           hazard: dict | None = None) -> FireInspection:
    """Record a fire inspection (防火检查) the inspected department's head has signed; a finding may open a hazard."""
    _require(actor, R.MANAGERS)
    _not_ahead(inspected_on=inspected_on)
    head_name = (head_name or "").strip()
    if not head_name:
        raise rule_error("safety.fire_inspection_signed", _("the head of the inspected department signs the record."),
                         field_name="head_name")
    opened = None
    if hazard:
        hazard = dict(hazard)
        description = hazard.pop("description", "") or findings
        opened = hazard_report(reporter=actor, description=description, found_on=inspected_on, **hazard)
    return _save(FireInspection(inspected_on=inspected_on, department=department, area=area, findings=findings,
                                inspector=actor, inspector_name=actor.display_name, head_name=head_name,
                                head_signed_at=timezone.now(), hazard=opened))


@transaction.atomic
def meal_accompaniment_record(*, actor: User, on: dt.date, meal: str, place: str = "", findings: str = "",
                              leader: User | None = None) -> MealAccompaniment:
    """Record that a school leader ate a meal with the pupils (陪餐) and what they found."""
    _require(actor, R.MANAGERS)
    _not_ahead(on=on)
    leader = leader or actor
    if not (R.roles_of(leader) & R.MANAGERS):
        raise rule_error("safety.meal_accompaniment", _("the one who accompanies the meal is a school leader."),
                         field_name="leader")
    if MealAccompaniment.objects.filter(on=on, meal=meal, leader_name=leader.display_name).exists():
        raise ValidationError({"meal": _("This leader's accompanied meal is already recorded.")})
    return _save(MealAccompaniment(on=on, meal=meal, leader=leader, leader_name=leader.display_name, place=place,
                                   findings=findings))


def _may_hand_over(actor, student: Student) -> bool:
    """The class's head teacher, the guards at the gate and the safety managers hand pupils over."""
    roles = R.roles_of(actor)
    return bool(roles & (R.MANAGERS | R.GATE)) or (
        bool(roles) and student.school_class.head_teacher_id == getattr(actor, "pk", None))


@transaction.atomic
def collector_authorise(*, actor: User, student: Student, name: str, relation: str) -> AuthorisedCollector:
    """Record a person the guardian authorised to collect the pupil (again active if they were withdrawn)."""
    student = Student.objects.select_related("school_class").get(pk=student.pk)
    if not _may_hand_over(actor, student):
        raise PermissionDenied(_("Your role here does not allow this."))
    name = (name or "").strip()
    collector = AuthorisedCollector.objects.filter(student=student, name=name).first()
    collector = collector or AuthorisedCollector(student=student, name=name, added_by=actor)
    collector.relation, collector.is_active = relation, True
    return _save(collector, refresh_metrics=False)


@transaction.atomic
def collector_withdraw(*, actor: User, collector: AuthorisedCollector) -> AuthorisedCollector:
    """The guardian withdrew the authorisation: the person no longer collects the pupil."""
    collector = AuthorisedCollector.objects.select_related("student__school_class").get(pk=collector.pk)
    if not _may_hand_over(actor, collector.student):
        raise PermissionDenied(_("Your role here does not allow this."))
    collector.is_active = False
    return _save(collector, refresh_metrics=False)


@transaction.atomic
def pupil_collection_record(*, actor: User, student: Student, collector: AuthorisedCollector,
                            collected_at: dt.datetime | None = None, note: str = "") -> PupilCollection:
    """Hand a pupil over to one of the pupil's authorised collectors, and nobody else (接送交接)."""
    student = Student.objects.select_related("school_class").get(pk=student.pk)
    if not _may_hand_over(actor, student):
        raise PermissionDenied(_("Your role here does not allow this."))
    collected_at = collected_at or timezone.now()
    _not_ahead(collected_at=collected_at)
    authorised = AuthorisedCollector.objects.filter(pk=collector.pk, student=student, is_active=True).exists()
    if not authorised:
        raise rule_error("safety.pupil_handover",
                         _("%(name)s is not among the people authorised to collect %(student)s.")
                         % {"name": collector.name, "student": student.name}, field_name="collector")
    return _save(PupilCollection(student=student, collector=collector, collected_at=collected_at,
                                 handed_over_by=actor, note=note))


# ---------------------------------------------------------------- visitor retention


def visitor_retention_days(*, bureau=None) -> int:
    """How many days the gate keeps a visitor's personal data: the bureau's value for the rule, else 180."""
    if bureau is None:
        school = R.current_school()
        bureau = school.bureau if school is not None else None
    return int(rule_limit("safety.visitor_retention", bureau=bureau))


def _anonymised_name(name: str) -> str:
    """张先生 → 张**: the count of visitors stays readable, the person does not."""
    return (name[:1] + "**") if name else ""


@transaction.atomic
def visitor_retention_purge(*, now: dt.datetime | None = None, days: int | None = None) -> int:
    """Anonymise the visitors who came in before the retention period (name, ID number, phone); the rows, and so
    the counts, stay. Safe to run twice: a row is anonymised once. Returns how many were anonymised."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=days if days is not None else visitor_retention_days())
    rows = list(Visitor.objects.select_for_update().filter(in_at__lt=cutoff, anonymised_at__isnull=True))
    for row in rows:
        row.name, row.id_number_masked, row.phone, row.anonymised_at = _anonymised_name(row.name), "", "", now
    Visitor.objects.bulk_update(rows, ["name", "id_number_masked", "phone", "anonymised_at"], batch_size=500)
    if rows:
        school_metrics_request_refresh()
    return len(rows)
