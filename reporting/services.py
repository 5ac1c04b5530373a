"""Writes of reporting: terms, the metric read-models, campaigns, awards and work summaries."""

from __future__ import annotations

import datetime as dt
import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context, tenant_context

from tenants import metrics as protocol
from tenants.access import bureau_roles, is_platform_operator, school_roles
from tenants.models import Bureau, School, SchoolStatus, User
from tenants.roles import BUREAU_ROLES, SCHOOL_ADMIN_ROLES, Role

from . import catalogue
from .choices import ApplicationStatus, area_code
from .models import (
    AwardApplication,
    AwardEvidence,
    AwardProgramme,
    AwardRecord,
    Campaign,
    CampaignTarget,
    MirroredRecord,
    SchoolMetrics,
    Term,
    WorkSummary,
)

logger = logging.getLogger(__name__)

# Bureau roles that may issue campaigns and review awards (the finance section only reads).
BUREAU_MANAGER_ROLES = frozenset({Role.BUREAU_LEADER, Role.BUREAU_LOGISTICS, Role.BUREAU_SAFETY})
# School roles that apply for awards and edit the school's own work summary.
SCHOOL_REPORTER_ROLES = frozenset(SCHOOL_ADMIN_ROLES | {Role.SAFETY_OFFICER})


def _today() -> dt.date:
    return timezone.localdate()


# ---------------------------------------------------------------- terms


def term_default_bounds(day: dt.date) -> tuple[str, dt.date, dt.date]:
    """The school-year term holding `day`: 第一学期 Aug–Jan, 第二学期 Feb–Jul."""
    if day.month >= 8 or day.month == 1:
        first_year = day.year if day.month >= 8 else day.year - 1
        start = dt.date(first_year, 8, 1)
        end = dt.date(first_year + 1, 1, 31)
        return f"{first_year}–{first_year + 1} 第一学期", start, end
    first_year = day.year - 1
    return f"{first_year}–{day.year} 第二学期", dt.date(day.year, 2, 1), dt.date(day.year, 7, 31)


@transaction.atomic
def term_create(*, bureau: Bureau, name: str, start: dt.date, end: dt.date) -> Term:
    """Add a term to the bureau's calendar."""
    term = Term(bureau=bureau, name=(name or "").strip(), start=start, end=end)
    term.full_clean()
    term.save()
    return term


def term_current(*, bureau: Bureau, on: dt.date | None = None) -> Term:
    """The bureau's term holding the day; the standard school-year term is added when none does."""
    day = on or _today()
    term = Term.objects.filter(bureau=bureau, start__lte=day, end__gte=day).first()
    if term is not None:
        return term
    name, start, end = term_default_bounds(day)
    with transaction.atomic():
        term, _created = Term.objects.get_or_create(bureau=bureau, name=name, defaults={"start": start, "end": end})
    return term


def term_previous(term: Term) -> Term | None:
    return Term.objects.filter(bureau_id=term.bureau_id, start__lt=term.start).order_by("-start").first()


# ---------------------------------------------------------------- metric read-models


def school_metrics_compute(*, school: School, term: Term) -> dict:
    """Every module's metrics of one school for one term, computed inside its schema (reads only)."""
    period = protocol.Period(term.start, term.end)
    values: dict = {}
    with tenant_context(school):
        for metric in protocol.all_metrics():
            try:
                values[metric.key] = catalogue.to_json(metric.compute(period))
            except Exception:  # one broken figure must not hide the others
                logger.exception("metric %s failed in %s", metric.key, school.schema_name)
                values[metric.key] = None
    return values


def school_mirrors_compute(*, school: School) -> dict[str, list[dict]]:
    """Every mirrored list of one school, read inside its schema."""
    result: dict[str, list[dict]] = {}
    with tenant_context(school):
        for kind, rows_of in protocol.all_mirrors().items():
            try:
                result[kind] = list(rows_of())
            except Exception:
                logger.exception("mirror %s failed in %s", kind, school.schema_name)
    return result


@transaction.atomic
def school_metrics_store(*, school: School, term: Term, values: dict) -> SchoolMetrics:
    """Write (or overwrite) one school's row for one term."""
    with schema_context("public"):
        row, _created = SchoolMetrics.objects.update_or_create(
            school=school, term=term, defaults={"values": values, "computed_at": timezone.now()}
        )
    return row


@transaction.atomic
def school_mirrors_store(*, school: School, mirrors: dict[str, list[dict]]) -> int:
    """Replace one school's mirrored rows, kind by kind (rows that vanished are removed)."""
    count = 0
    now = timezone.now()
    with schema_context("public"):
        for kind, rows in mirrors.items():
            refs = []
            for row in rows:
                ref = str(row["ref"])
                refs.append(ref)
                occurred = row.get("occurred_on")
                if isinstance(occurred, dt.datetime):
                    occurred = occurred.date()
                MirroredRecord.objects.update_or_create(
                    school=school,
                    kind=kind,
                    ref=ref,
                    defaults={
                        "title": str(row.get("title", ""))[:300],
                        "status": str(row.get("status", "") or "")[:60],
                        "occurred_on": occurred,
                        "data": _jsonable(row.get("data") or {}),
                        "updated_at": now,
                    },
                )
                count += 1
            MirroredRecord.objects.filter(school=school, kind=kind).exclude(ref__in=refs).delete()
    return count


def _jsonable(data):
    if isinstance(data, dict):
        return {str(k): _jsonable(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [_jsonable(v) for v in data]
    if isinstance(data, (dt.date, dt.datetime)):
        return data.isoformat()
    if data is None or isinstance(data, (str, int, float, bool)):
        return data
    return catalogue.to_json(data)


def school_metrics_refresh(*, school: School, term: Term | None = None, mirrors: bool = True) -> SchoolMetrics:
    """Recompute one school's row for a term (the current one by default) and its mirrors; idempotent."""
    with schema_context("public"):
        term = term or term_current(bureau=school.bureau)
    values = school_metrics_compute(school=school, term=term)
    mirrored = school_mirrors_compute(school=school) if mirrors else None
    with transaction.atomic():
        row = school_metrics_store(school=school, term=term, values=values)
        if mirrored is not None:
            school_mirrors_store(school=school, mirrors=mirrored)
    return row


def school_metrics_refresh_by_schema(*, schema_name: str, previous: bool = False) -> SchoolMetrics | None:
    """The refresh task's body: find the school by its schema, from the public schema.

    With `previous` (the nightly run) the term before is recomputed too: a hazard found last term and closed
    today changes last term's 整改率, and the bureau's trend reads that row."""
    with schema_context("public"):
        school = School.objects.select_related("bureau").filter(schema_name=schema_name).first()
    if school is None or school.status == SchoolStatus.ARCHIVED:
        return None
    row = school_metrics_refresh(school=school)
    if previous:
        with schema_context("public"):
            before = term_previous(row.term)
        if before is not None:
            school_metrics_refresh(school=school, term=before, mirrors=False)
    return row


def schools_to_refresh() -> list[str]:
    with schema_context("public"):
        return list(
            School.objects.exclude(schema_name="public")
            .exclude(status=SchoolStatus.ARCHIVED)
            .order_by("pk")
            .values_list("schema_name", flat=True)
        )


# ---------------------------------------------------------------- permissions of bureau actions


def _require_bureau_manager(user: User, bureau: Bureau) -> None:
    if is_platform_operator(user):
        return
    if not (bureau_roles(user, bureau) & BUREAU_MANAGER_ROLES):
        raise PermissionDenied


def _require_bureau_reader(user: User, bureau: Bureau) -> None:
    if is_platform_operator(user):
        return
    if not (bureau_roles(user, bureau) & BUREAU_ROLES):
        raise PermissionDenied


# ---------------------------------------------------------------- campaigns


def _clean_items(items: list[dict]) -> list[dict]:
    cleaned = []
    for item in items or []:
        text = str(item.get("text", "")).strip()
        if text:
            cleaned.append({"area": area_code(str(item.get("area", ""))), "text": text})
    if not cleaned:
        raise ValidationError({"items": _("List at least one checklist item.")})
    return cleaned


@transaction.atomic
def campaign_issue(
    *, user: User, bureau: Bureau, title: str, items: list[dict], due_on: dt.date, schools: list[School] | None = None
) -> Campaign:
    """Issue an inspection campaign; each target school gets its round through one Celery task."""
    _require_bureau_manager(user, bureau)
    targets = list(schools) if schools else list(bureau.schools.filter(status=SchoolStatus.ACTIVE))
    if any(school.bureau_id != bureau.pk for school in targets):
        raise ValidationError({"schools": _("A campaign goes only to the bureau's own schools.")})
    if not targets:
        raise ValidationError({"schools": _("Choose at least one school.")})
    if due_on and due_on < _today():
        raise ValidationError({"due_on": _("The deadline cannot be in the past.")})
    campaign = Campaign(bureau=bureau, title=(title or "").strip(), items=_clean_items(items), due_on=due_on,
                        issued_by=user)
    campaign.full_clean()
    campaign.save()
    CampaignTarget.objects.bulk_create([CampaignTarget(campaign=campaign, school=s) for s in targets])

    def _queue() -> None:
        from .tasks import campaign_round_open_task

        for school in targets:
            campaign_round_open_task.apply_async(kwargs={"campaign_id": campaign.pk, "school_id": school.pk})

    transaction.on_commit(_queue)
    return campaign


def _safety_round_open():
    try:
        from safety.services import campaign_round_open
    except ImportError:
        return None
    return campaign_round_open


def campaign_round_open_in_school(*, campaign_id: int, school_id: int) -> bool:
    """Open the campaign's inspection round inside the school's schema (idempotent by the target row)."""
    with schema_context("public"):
        target = CampaignTarget.objects.select_related("campaign", "school").get(
            campaign_id=campaign_id, school_id=school_id
        )
    if target.opened_at is not None:
        return False
    opener = _safety_round_open()
    if opener is None:
        with schema_context("public"):
            CampaignTarget.objects.filter(pk=target.pk).update(error="safety module not installed")
        return False
    campaign = target.campaign
    with tenant_context(target.school), transaction.atomic():
        opener(campaign_id=campaign.pk, title=campaign.title, items=campaign.items, due_on=campaign.due_on)
    with schema_context("public"):
        CampaignTarget.objects.filter(pk=target.pk).update(opened_at=timezone.now(), error="")
    return True


# ---------------------------------------------------------------- awards


def _clean_criteria(criteria: list[dict]) -> list[dict]:
    known = catalogue.metric_map()
    cleaned = []
    for item in criteria or []:
        key = str(item.get("metric", "")).strip()
        op = item.get("op", ">=")
        if not key:
            continue
        if known and key not in known:
            raise ValidationError({"criteria": _("Unknown metric: %(key)s") % {"key": key}})
        if op not in (">=", "<=", "=="):
            raise ValidationError({"criteria": _("Use >=, <= or ==.")})
        try:
            value = float(item.get("value"))
        except (TypeError, ValueError) as exc:
            raise ValidationError({"criteria": _("Each criterion needs a number.")}) from exc
        points = item.get("points")
        if points not in (None, ""):
            try:
                points = int(points)
            except (TypeError, ValueError) as exc:
                raise ValidationError({"criteria": _("Points are a whole number.")}) from exc
            if points <= 0:
                raise ValidationError({"criteria": _("Points are a whole number.")})
        else:
            points = None
        source = str(item.get("source") or "").strip()
        if not source:
            # Where a criterion comes from is what makes an award defensible: named, or refused.
            raise ValidationError({"criteria": _(
                "Name the source of each criterion (the document, and the article or clause): %(key)s"
            ) % {"key": key}})
        cleaned.append({
            "metric": key, "op": op, "value": value, "points": points, "source": source[:300],
            "clause": str(item.get("clause") or "").strip()[:200], "label": str(item.get("label") or "").strip()[:200],
            "note": str(item.get("note") or "").strip()[:300], "checked": bool(item.get("checked", True)),
        })
    if any(c["points"] for c in cleaned) and not all(c["points"] for c in cleaned):
        raise ValidationError({"criteria": _("Give points to every criterion, or to none.")})
    return cleaned


@transaction.atomic
def award_programme_create(
    *,
    user: User,
    bureau: Bureau,
    name: str,
    kind: str,
    level: str,
    criteria: list[dict] | None = None,
    evidence_required: list[str] | None = None,
    description: str = "",
) -> AwardProgramme:
    """Define an award programme with metric thresholds and the evidence schools must give."""
    _require_bureau_manager(user, bureau)
    cleaned = _clean_criteria(criteria or [])
    if not cleaned:
        raise ValidationError({"criteria": _(
            "An award needs at least one criterion from the standard it follows (for example "
            "hazard_rectification_rate >= 95%); without one every school would score the same."
        )})
    programme = AwardProgramme(
        bureau=bureau,
        name=(name or "").strip(),
        kind=kind,
        level=level,
        description=description,
        criteria=cleaned,
        evidence_required=[str(e).strip() for e in (evidence_required or []) if str(e).strip()],
    )
    programme.full_clean()
    programme.save()
    return programme


@transaction.atomic
def award_apply(
    *, user: User, school: School, programme: AwardProgramme, evidence: dict[str, str], statement: str = "",
    evidence_file=None, criterion_evidence: dict[int, dict] | None = None,
) -> AwardApplication:
    """A school applies for an award with its evidence; readiness is taken from its live metrics.

    `criterion_evidence` is {criterion index: {"file", "link", "note"}}: what backs each criterion, a file
    (checked as every upload), a link to the school's records in Houqin (a path on its host), a note."""
    from .selectors import award_readiness

    if not (school_roles(user, school) & SCHOOL_REPORTER_ROLES):
        raise PermissionDenied
    if school.is_read_only:
        raise PermissionDenied
    if programme.bureau_id != school.bureau_id or not programme.is_open:
        raise ValidationError({"programme": _("This award is not open to your school.")})
    if not programme.criteria:
        raise ValidationError({"programme": _("This award has no criteria yet: the bureau sets them before schools apply.")})
    missing = [label for label in programme.evidence_required if not str(evidence.get(label, "")).strip()]
    if missing:
        raise ValidationError({"evidence": _("Give the evidence for: %(items)s") % {"items": "、".join(missing)}})
    if AwardApplication.objects.filter(programme=programme, school=school, status=ApplicationStatus.SUBMITTED).exists():
        raise ValidationError({"programme": _("Your school already has an application under review.")})
    if evidence_file is not None:
        from frontend.uploads import DOCUMENT_KINDS, validate_upload

        try:
            validate_upload(evidence_file, kinds=DOCUMENT_KINDS)
        except ValidationError as error:
            raise ValidationError({"evidence_file": error.messages}) from error
    attached = _criterion_evidence_clean(programme, criterion_evidence or {})
    term = term_current(bureau=school.bureau)
    readiness = award_readiness(programme=programme, values=_values_of(school, term))
    application = AwardApplication(
        programme=programme,
        school=school,
        term=term,
        evidence={label: str(evidence.get(label, "")).strip() for label in programme.evidence_required},
        statement=statement,
        readiness=readiness["score"],
        applied_by=user,
    )
    if evidence_file is not None:
        application.evidence_file = evidence_file
    application.full_clean()
    application.save()
    for index, item in attached.items():
        AwardEvidence.objects.create(application=application, criterion=index, **item)
    return application


def _criterion_evidence_clean(programme: AwardProgramme, given: dict[int, dict]) -> dict[int, dict]:
    """Each criterion's evidence checked before anything is saved: the index names a criterion, a file passes the
    upload checks, a link is a path of this school's own site (its records), never another site."""
    from frontend.uploads import DOCUMENT_KINDS, validate_upload

    cleaned = {}
    for index, item in given.items():
        if not isinstance(index, int) or not 0 <= index < len(programme.criteria):
            raise ValidationError({"criteria": _("There is no such criterion in this award.")})
        file, link, note = item.get("file"), str(item.get("link") or "").strip(), str(item.get("note") or "").strip()
        if link and (not link.startswith("/") or link.startswith("//") or "\\" in link or len(link) > 300):
            raise ValidationError({f"link_{index}": _(
                "Link to the records on this school's site, e.g. /safety/drills/ (a path starting with /).")})
        if file is not None:
            try:
                validate_upload(file, kinds=DOCUMENT_KINDS)
            except ValidationError as error:
                raise ValidationError({f"file_{index}": error.messages}) from error
        if file is None and not link and not note:
            continue
        entry = {"metric": programme.criteria[index]["metric"], "link": link, "note": note}
        if file is not None:
            entry["file"] = file
        cleaned[index] = entry
    return cleaned


def _values_of(school: School, term: Term) -> dict:
    row = SchoolMetrics.objects.filter(school=school, term=term).first()
    return row.values if row else {}


@transaction.atomic
def award_review(
    *, user: User, application: AwardApplication, grant: bool, score: int, note: str = "",
    granted_on: dt.date | None = None,
) -> AwardApplication:
    """The bureau scores an application and grants or rejects it; a grant adds the school's title."""
    application = AwardApplication.objects.select_for_update().select_related("programme", "school").get(
        pk=application.pk
    )
    _require_bureau_manager(user, application.programme.bureau)
    if application.status != ApplicationStatus.SUBMITTED:
        raise ValidationError({"status": _("This application was already reviewed.")})
    if not 0 <= int(score) <= 100:
        raise ValidationError({"score": _("Score from 0 to 100.")})
    application.status = ApplicationStatus.GRANTED if grant else ApplicationStatus.REJECTED
    application.score = int(score)
    application.review_note = note
    application.reviewed_by = user
    application.reviewed_at = timezone.now()
    application.full_clean()
    application.save()
    if grant:
        award_record_add(
            school=application.school,
            title=application.programme.name,
            level=application.programme.level,
            granted_on=granted_on or _today(),
            programme=application.programme,
            application=application,
        )
    return application


@transaction.atomic
def award_record_add(
    *, school: School, title: str, level: str, granted_on: dt.date, programme: AwardProgramme | None = None,
    application: AwardApplication | None = None,
) -> AwardRecord:
    """Record a title the school holds (idempotent by school and title)."""
    record, _created = AwardRecord.objects.get_or_create(
        school=school,
        title=title,
        defaults={"level": level, "granted_on": granted_on, "programme": programme, "application": application},
    )
    return record


# ---------------------------------------------------------------- work summaries


@transaction.atomic
def work_summary_save(
    *, user: User, bureau: Bureau, term: Term, school: School | None, title: str, body: str
) -> WorkSummary:
    """Keep the edited text of a work summary (of a school, or of the bureau when school is None)."""
    if school is None or not (school_roles(user, school) & SCHOOL_REPORTER_ROLES):
        _require_bureau_reader(user, bureau)
    if school is not None and school.bureau_id != bureau.pk:
        raise PermissionDenied
    if not body.strip():
        raise ValidationError({"body": _("The summary cannot be empty.")})
    summary = WorkSummary.objects.filter(bureau=bureau, school=school, term=term).first() or WorkSummary(
        bureau=bureau, school=school, term=term
    )
    summary.title = title.strip()[:200]
    summary.body = body
    summary.updated_by = user
    summary.updated_at = timezone.now()
    summary.full_clean()
    summary.save()
    return summary


def current_schema() -> str:
    return connection.schema_name


# ---------------------------------------------------------------- the campus figures awards read


@transaction.atomic
def school_campus_update(*, user: User, school: School, site_area, green_area, green_cover_rate) -> School:
    """Enter the campus figures 绿色学校 and 花园式学校 criteria read (site area, green space, green cover rate)."""
    if not (school_roles(user, school) & SCHOOL_ADMIN_ROLES) or school.is_read_only:
        raise PermissionDenied
    school = School.objects.select_for_update().get(pk=school.pk)
    school.site_area, school.green_area, school.green_cover_rate = site_area, green_area, green_cover_rate
    if site_area is not None and green_area is not None and green_area > site_area:
        raise ValidationError({"green_area": _("The green space cannot be larger than the site.")})
    if (green_area is not None or green_cover_rate is not None) and site_area is None:
        raise ValidationError({"site_area": _("Enter the site area too: the rates are shares of it.")})
    school.campus_areas_updated_at = timezone.now()
    school.full_clean(exclude=["slug", "schema_name"])
    school.save(update_fields=["site_area", "green_area", "green_cover_rate", "campus_areas_updated_at"])
    from tenants.services import school_metrics_request_refresh

    # The criteria read the figures from the read-model: recompute this school's row after commit.
    school_metrics_request_refresh(schema_name=school.schema_name)
    return school
