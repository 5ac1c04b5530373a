"""Reads of the safety app; every selector takes the acting user (and the school's schema is active)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from tenants.access import can_read_school
from tenants.metrics import Period

from . import roles as R
from .choices import AgreementKind, EducationKind, HazardGrade, HazardStatus, PartyKind
from .models import (
    Agreement,
    AgreementCampaign,
    AgreementTemplate,
    EducationActivity,
    EscortRecord,
    Hazard,
    HealthCheck,
    SchoolClass,
    Student,
    Visitor,
)
from .terms import current_term, term_label, today


def require_reader(user) -> None:
    school = R.current_school()
    if school is None or not can_read_school(user, school):
        raise PermissionDenied


def hazard_list_for(*, user, status: str = "", grade: str = "", q: str = "") -> QuerySet[Hazard]:
    require_reader(user)
    qs = Hazard.objects.select_related("room__building", "responsible", "round")
    if status == "overdue":
        qs = qs.filter(status=HazardStatus.OPEN, deadline__lt=today())
    elif status:
        qs = qs.filter(status=status)
    if grade:
        qs = qs.filter(grade=grade)
    if q:
        qs = qs.filter(Q(description__icontains=q) | Q(location_text__icontains=q))
    return qs


def hazard_get_for(*, user, hazard_id: int) -> Hazard:
    return hazard_list_for(user=user).get(pk=hazard_id)


def agreement_list_for(*, actor, queryset: QuerySet[Agreement] | None = None) -> QuerySet[Agreement]:
    """The agreements the actor may read: every copy for those who run the campaigns and the principal
    (R.AGREEMENT_READERS), their own copy for any other member, nothing for anyone else (the bureau and
    partners included). The one rule for the pages, the scan download and GraphQL; `queryset` lets
    GraphQL pass the one it optimised."""
    qs = Agreement.objects.select_related("campaign__template") if queryset is None else queryset
    if actor is None or not getattr(actor, "is_authenticated", False):
        return qs.none()
    roles = R.roles_of(actor)
    if roles & R.AGREEMENT_READERS:
        return qs
    if roles:
        return qs.filter(user_id=actor.pk)
    return qs.none()


def agreement_get_for(*, actor, agreement_id: int) -> Agreement:
    """The agreement if the actor may read it; Http404 otherwise (never 403: no existence oracle)."""
    return get_object_or_404(agreement_list_for(actor=actor), pk=agreement_id)


def agreement_get_by_token(*, token: str) -> Agreement:
    """A parent's copy through their own signing link (the link is their credential); Http404 otherwise."""
    if not token:
        raise Http404
    return get_object_or_404(Agreement.objects.select_related("campaign__template"), token=token)


def rate(numerator: int, denominator: int) -> float | None:
    """A ratio 0..1, or None when there is nothing to divide by."""
    return numerator / denominator if denominator else None


def hazard_stats(*, period: Period | None = None, on: dt.date | None = None) -> dict:
    """Found, rectified (closed after verification), rate, open, overdue and major-open hazards of a term."""
    period = period or current_term()
    on = on or today()
    open_q = Q(status__in=[HazardStatus.OPEN, HazardStatus.RECTIFIED])
    found = Hazard.objects.filter(found_on__range=period.range).aggregate(
        found=Count("pk"),
        rectified=Count("pk", filter=Q(status=HazardStatus.CLOSED)),
        open=Count("pk", filter=open_q),
        overdue=Count("pk", filter=Q(status=HazardStatus.OPEN, deadline__lt=on)),
        major_open=Count("pk", filter=open_q & Q(grade=HazardGrade.MAJOR)),
    )
    found["rate"] = rate(found["rectified"], found["found"])
    found["rate_percent"] = None if found["rate"] is None else round(found["rate"] * 100)
    return found


def hazard_ledger_summary(*, on: dt.date | None = None) -> dict:
    """The hazard ledger's head: the current term's 整改率 (hazard_stats, the board's figure) and the hazards
    overdue now, whatever term found them (what the ledger's "overdue" filter lists)."""
    term = current_term()
    on = on or today()
    stats = hazard_stats(period=term, on=on)
    overdue_now = Hazard.objects.filter(status=HazardStatus.OPEN, deadline__lt=on).count()
    return {**stats, "term": term_label(term), "overdue_now": overdue_now}


def agreement_coverage(*, term: str | None = None) -> list[dict]:
    """Signed against issued, per agreement kind, for a term: the kind's latest campaign of the term (one query).

    The figure of a kind is its current campaign's, never campaigns added together (two campaigns to the same
    481 families would read 483 / 1519 where the school has one figure per campaign). The latest campaign is
    the one issued last; the school's safety board marks it as the one the bureau reads (campaign_coverage_list's
    `counted`). `campaigns` says how many campaigns of the kind the term has.
    """
    rows = [row for row in campaign_coverage_list(term=term) if row["counted"]]
    return [{"kind": row["kind"], "label": row["label"], "total": row["total"], "signed": row["signed"],
             "rate": row["rate"], "campaign_id": row["campaign_id"], "title": row["title"],
             "campaigns": row["of_kind"]} for row in sorted(rows, key=lambda r: r["kind"])]


def campaign_coverage(*, campaign_id: int) -> dict:
    """Signed against issued, per party kind, for one campaign (one aggregate query)."""
    rows = (
        Agreement.objects.filter(campaign_id=campaign_id)
        .values("party_kind")
        .annotate(total=Count("pk"), signed=Count("pk", filter=Q(signed_at__isnull=False)))
        .order_by("party_kind")
    )
    by_kind = {row["party_kind"]: {**row, "label": PartyKind(row["party_kind"]).label} for row in rows}
    total = sum(r["total"] for r in by_kind.values())
    signed = sum(r["signed"] for r in by_kind.values())
    return {"total": total, "signed": signed, "rate": rate(signed, total), "by_party": by_kind}


def campaign_coverage_list(*, term: str | None = None) -> list[dict]:
    """Signed against issued for each campaign of a term, each on its own (one aggregate query).

    Two campaigns of one kind are two rows: adding them together would count a family once per campaign.
    `counted`: the kind's latest campaign (issued last), whose figure is the school's agreement_coverage_<kind>
    metric the bureau compares; `of_kind`: how many campaigns of that kind the term has.
    """
    term = term or term_label(current_term())
    rows = (
        AgreementCampaign.objects.filter(term=term)
        .annotate(total=Count("agreements"), signed=Count("agreements", filter=Q(agreements__signed_at__isnull=False)))
        .values("pk", "term", "template__title", "template__version", "template__kind", "issued_at", "total", "signed")
        .order_by("template__kind", "template__title", "issued_at", "pk")
    )
    out = [{"campaign_id": r["pk"], "term": r["term"], "title": r["template__title"],
            "version": r["template__version"], "kind": r["template__kind"], "issued_at": r["issued_at"],
            "label": AgreementKind(r["template__kind"]).label, "total": r["total"], "signed": r["signed"],
            "rate": rate(r["signed"], r["total"]), "counted": False, "of_kind": 0} for r in rows]
    latest: dict[str, dict] = {}
    for row in out:
        best = latest.get(row["kind"])
        if best is None or (row["issued_at"], row["campaign_id"]) > (best["issued_at"], best["campaign_id"]):
            latest[row["kind"]] = row
    for row in out:
        row["of_kind"] = sum(1 for r in out if r["kind"] == row["kind"])
    for row in latest.values():
        row["counted"] = True
    return out


def agreement_template_duplicate(*, kind: str, post: str, title: str) -> AgreementTemplate | None:
    """The newest template of this kind and post with the same title (what a new one would duplicate)."""
    return (AgreementTemplate.objects.filter(kind=kind, post=post or "", title=(title or "").strip())
            .order_by("-version").first())


def agreement_campaign_duplicate(*, template: AgreementTemplate, term: str) -> AgreementCampaign | None:
    """A campaign already issued for this term with this template or another version of it."""
    return (AgreementCampaign.objects.filter(template__kind=template.kind, template__post=template.post,
                                             template__title=template.title, term=(term or "").strip())
            .select_related("template").order_by("issued_at", "pk").first())


def may_handle_class_slips(*, actor, school_class: SchoolClass) -> bool:
    """The class's head teacher and the safety managers print a class's slips and keep its roster."""
    if actor is None or not actor.is_authenticated:
        return False
    roles = R.roles_of(actor)
    if roles & R.MANAGERS:
        return True
    return bool(roles) and school_class.head_teacher_id == actor.pk


def slip_classes_for(*, actor, campaign: AgreementCampaign) -> list[dict]:
    """The classes of a campaign's parent copies the actor may print slips for, with signed/issued each."""
    classes = SchoolClass.objects.filter(
        pk__in=Agreement.objects.filter(campaign=campaign, party_kind=PartyKind.PARENT).values("school_class_id"))
    if not (R.roles_of(actor) & R.MANAGERS):
        classes = classes.filter(head_teacher_id=actor.pk) if R.roles_of(actor) else classes.none()
    counts = {
        r["school_class_id"]: r
        for r in Agreement.objects.filter(campaign=campaign, party_kind=PartyKind.PARENT, school_class__in=classes)
        .values("school_class_id")
        .annotate(total=Count("pk"), signed=Count("pk", filter=Q(signed_at__isnull=False)))
    }
    return [{"school_class": c, "total": counts.get(c.pk, {}).get("total", 0),
             "signed": counts.get(c.pk, {}).get("signed", 0)} for c in classes.select_related("head_teacher")]


def class_slips(*, actor, campaign: AgreementCampaign, school_class: SchoolClass, unsigned_only: bool = False) -> list:
    """A class's parent copies of a campaign, each with the pupil's name from the roster (`student_name`).

    Refused (PermissionDenied) to anyone but the class's head teacher and the safety managers: each slip
    carries a family's signing link, which is that family's credential.
    """
    if not may_handle_class_slips(actor=actor, school_class=school_class):
        raise PermissionDenied
    rows = Agreement.objects.filter(campaign=campaign, party_kind=PartyKind.PARENT, school_class=school_class)
    if unsigned_only:
        rows = rows.filter(signed_at__isnull=True)
    names = dict(Student.objects.filter(school_class=school_class).values_list("seat_no", "name"))
    rows = list(rows.order_by("seat_no", "pk"))
    for row in rows:
        row.student_name = names.get(row.seat_no, "")
    return rows


def class_roster(*, actor, school_class: SchoolClass) -> list[Student]:
    """A class's roster with the guardians' phones: the head teacher and the safety managers only."""
    if not may_handle_class_slips(actor=actor, school_class=school_class):
        raise PermissionDenied
    return list(Student.objects.filter(school_class=school_class).order_by("seat_no"))


def drills_vs_required(*, period: Period | None = None, on: dt.date | None = None) -> dict:
    """Evacuation drills held against those due (教基一厅〔2014〕2号: each month for primary and secondary
    schools, each quarter for kindergartens), the months or quarters without one, and those over 2 minutes."""
    from .duties import drill_figures

    figures = drill_figures(period=period, on=on)
    quarter = figures["cadence"] == "quarter"
    figures["missing_labels"] = [f"{y}-Q{n}" if quarter else f"{y}-{n}" for y, n in figures["missing"]]
    # `held` is the evacuation drills, the ones the rule counts; `held_all` every drill of the ledger.
    figures["held_all"], figures["held"] = figures["held"], figures["evacuations"]
    figures["months_missing"] = [] if quarter else figures["missing"]
    return figures


def health_completeness(*, period: Period | None = None, on: dt.date | None = None) -> float | None:
    """Checks recorded ÷ checks due (two a school day per class) over the term's weekdays so far."""
    period = period or current_term()
    on = min(on or today(), period.end)
    classes = SchoolClass.objects.count()
    first = HealthCheck.objects.filter(on__range=(period.start, on)).order_by("on").values_list("on", flat=True).first()
    if not classes or first is None:
        return None
    days = sum(1 for i in range((on - first).days + 1) if (first + dt.timedelta(days=i)).weekday() < 5)
    done = HealthCheck.objects.filter(on__range=(first, on)).count()
    return min(1.0, done / (days * classes * 2)) if days else None


def patrols_per_day(*, period: Period | None = None, on: dt.date | None = None) -> float | None:
    """Patrols ÷ calendar days of the term so far: a day without a patrol counts as a day with none."""
    from .duties import patrol_figures

    return patrol_figures(period=period, on=on)["per_day"]


def visitors_in_term(*, period: Period | None = None) -> int:
    period = period or current_term()
    start, end = period.datetime_range()
    return Visitor.objects.filter(in_at__gte=start, in_at__lt=end).count()


def education_counts(*, period: Period | None = None) -> list[dict]:
    """Safety education activities of the term, per kind (theme class meetings counted per meeting date)."""
    period = period or current_term()
    rows = EducationActivity.objects.filter(held_on__range=period.range)
    counts = dict(rows.values_list("kind").annotate(n=Count("pk")).order_by())
    meeting_days = rows.filter(kind=EducationKind.CLASS_MEETING).values("held_on").distinct().count()
    return [
        {"kind": kind.value, "label": kind.label, "count": counts.get(kind.value, 0),
         "rounds": meeting_days if kind == EducationKind.CLASS_MEETING else counts.get(kind.value, 0)}
        for kind in EducationKind
    ]


def escort_summary(*, start: dt.date, end: dt.date) -> list[dict]:
    """Route escort per teacher over a period: days present and absent (the seed ties it to pay)."""
    rows = (
        EscortRecord.objects.filter(on__range=(start, end))
        .values("teacher_id", "teacher__name", "teacher__username")
        .annotate(days_present=Count("pk", filter=Q(present=True)), days_absent=Count("pk", filter=Q(present=False)))
        .order_by("teacher__name")
    )
    return [{"teacher": r["teacher__name"] or r["teacher__username"], "present": r["days_present"],
             "absent": r["days_absent"]} for r in rows]
