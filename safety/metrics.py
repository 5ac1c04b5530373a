"""Safety figures the bureau reads per school and term, and the lists it reads across schools."""

from __future__ import annotations

from django.db.models import Count, Min, Q
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from tenants.metrics import Metric, Period

from . import duties, selectors
from .choices import AgreementKind, CameraStatus, HazardGrade, HazardStatus, ItemResult, RoundKind
from .models import Camera, Hazard, InspectionRound, PupilCollection, Visitor


def _hazards(key: str):
    return lambda period: selectors.hazard_stats(period=period)[key]


def _board_term(period: Period) -> Period:
    """The school term (1 Sep – 31 Jan, 1 Feb – 31 Aug) the safety board shows for a period: the one its end
    (or today, if sooner) falls in. A bureau term runs 1 Aug – 31 Jan; its 1 Aug is not the spring term."""
    from .terms import term_of, today

    return term_of(min(period.end, today()))


def _board_span(period: Period) -> Period | None:
    """The part of the period within the board's school term (None when they do not meet): a bureau term from
    1 Aug would otherwise require a holiday drill, 5 where the board says 4, and count August's days."""
    board = _board_term(period)
    span = Period(max(period.start, board.start), min(period.end, board.end))
    return None if span.start > span.end else span


def _drills(key: str):
    """Evacuation drills held / required as the safety board counts them, over the board's school term."""

    def compute(period: Period) -> int:
        span = _board_span(period)
        return selectors.drills_vs_required(period=span)[key] if span else 0

    return compute


def _over_span(figures, pick):
    """A metric of one of duties' figures over the board's span; None when the span is empty."""

    def compute(period: Period):
        span = _board_span(period)
        return pick(figures(period=span)) if span else None

    return compute


def _count(value):
    return None if value is None else len(value)


def _camera_retention_min() -> int | None:
    return Camera.objects.aggregate(m=Min("retention_days"))["m"]


def _visitor_oldest_identified() -> int | None:
    """Days since the oldest visitor still holding personal data came in (None: none holds any)."""
    oldest = Visitor.objects.filter(anonymised_at__isnull=True).aggregate(m=Min("in_at"))["m"]
    return None if oldest is None else (timezone.now() - oldest).days


def _signed_label(kind):
    """ "Signed: <kind>" in the reader's language (a % on a lazy string would fix it in the language at import)."""
    return lazy(lambda: gettext("Signed: %(kind)s") % {"kind": kind.label}, str)()


def _coverage(kind: str):
    def compute(period: Period):
        from .terms import term_label

        rows = {r["kind"]: r for r in selectors.agreement_coverage(term=term_label(_board_term(period)))}
        return rows[kind]["rate"] if kind in rows else None

    return compute


METRICS = [
    Metric(
        "hazards_found",
        _("Hazards found"),
        "count",
        _("Hazards found in the term, any grade"),
        _hazards("found"),
        higher_is_better=False,
    ),
    Metric(
        "hazards_rectified",
        _("Hazards rectified"),
        "count",
        _("Hazards found in the term and closed after verification"),
        _hazards("rectified"),
    ),
    Metric(
        "hazard_rectification_rate",
        _("Rectification rate"),
        "percent",
        _("Hazards rectified ÷ hazards found in the term"),
        _hazards("rate"),
        pooled=("hazards_rectified", "hazards_found"),
    ),
    Metric(
        "hazards_overdue",
        _("Hazards overdue"),
        "count",
        _("Open hazards past their deadline"),
        _hazards("overdue"),
        higher_is_better=False,
    ),
    Metric(
        "major_hazards_open",
        _("Major hazards open"),
        "count",
        _("Major hazards not yet closed"),
        _hazards("major_open"),
        higher_is_better=False,
    ),
    Metric(
        "drills_held",
        _("Evacuation drills held"),
        "count",
        _("Evacuation drills held in the term (of that kind, or timed)"),
        _drills("held"),
    ),
    Metric(
        "drills_required",
        _("Evacuation drills required"),
        "count",
        _("One a month of the term so far; a kindergarten one a quarter (教基一厅〔2014〕2号)"),
        _drills("required"),
    ),
    Metric(
        "drill_cadence_months",
        _("Months between drills"),
        "count",
        _("1: an evacuation drill each month (primary and secondary schools); 3: each quarter (kindergartens)"),
        lambda p: 3 if duties.profile().kindergarten else 1,
    ),
    Metric(
        "drill_periods_missing",
        _("Months (quarters) without a drill"),
        "count",
        _("Months of the term so far without an evacuation drill; quarters for a kindergarten"),
        lambda p: (lambda span: len(selectors.drills_vs_required(period=span)["missing"]) if span else None)(
            _board_span(p)),
        higher_is_better=False,
    ),
    Metric(
        "drills_over_target",
        _("Evacuations over 2 minutes"),
        "count",
        _("Evacuation drills of the term that took longer than 2 minutes"),
        _drills("over_target"),
        higher_is_better=False,
    ),
    Metric(
        "patrols_per_day",
        _("Patrols per day"),
        "count",
        _("Patrols ÷ calendar days of the term so far (a day without a patrol counts)"),
        lambda p: (lambda span: selectors.patrols_per_day(period=span) if span else None)(_board_span(p)),
    ),
    Metric(
        "patrol_days_short",
        _("Days with fewer than 5 patrols"),
        "count",
        _("Calendar days of the term so far with fewer than 5 patrols of the key areas, days with none included"),
        _over_span(duties.patrol_figures, lambda f: len(f["days_short"]) if f["days"] else None),
        higher_is_better=False,
    ),
    Metric(
        "fire_patrol_days_missing",
        _("Days without a fire patrol"),
        "count",
        _("Days of the term so far without a fire patrol (fire-safety key units: boarding schools, kindergartens)"),
        _over_span(duties.fire_patrol_figures, lambda f: _count(f["days_missing"])),
        higher_is_better=False,
    ),
    Metric(
        "night_fire_patrol_days_missing",
        _("Nights without a fire patrol"),
        "count",
        _("Days of the term so far without a night fire patrol (boarding schools, kindergartens)"),
        _over_span(duties.fire_patrol_figures, lambda f: _count(f["nights_missing"])),
        higher_is_better=False,
    ),
    Metric(
        "fire_inspections_held",
        _("Fire inspections"),
        "count",
        _("Fire inspections of the term, signed by the inspected department's head"),
        _over_span(duties.fire_inspection_figures, lambda f: f["held"]),
    ),
    Metric(
        "fire_inspection_quarters_missing",
        _("Quarters without a fire inspection"),
        "count",
        _("Quarters of the term so far without a fire inspection (at least one a quarter)"),
        _over_span(duties.fire_inspection_figures, lambda f: len(f["missing"])),
        higher_is_better=False,
    ),
    Metric(
        "guards_on_roster",
        _("Guards on the roster"),
        "count",
        _("Active gate guards of the security roster"),
        lambda p: duties.guards_on_roster(),
    ),
    Metric(
        "guards_required",
        _("Guards required"),
        "count",
        _("Full-time guards the enrolment requires (GB/T 29315-2022)"),
        lambda p: (lambda prof: duties.guards_required(students=prof.students) if prof.students else None)(
            duties.profile()),
    ),
    Metric(
        "guard_shortfall",
        _("Guards short"),
        "count",
        _("Guards required − guards on the roster, at least 0"),
        lambda p: duties.guard_shortfall(),
        higher_is_better=False,
    ),
    Metric(
        "meal_days_accompanied",
        _("School days with an accompanied meal"),
        "count",
        _("School days of the term so far on which a leader ate with the pupils"),
        _over_span(duties.meal_figures, lambda f: f["days_with"]),
    ),
    Metric(
        "meal_school_days",
        _("School days (meals)"),
        "count",
        _("Weekdays of the term so far"),
        _over_span(duties.meal_figures, lambda f: f["days"]),
    ),
    Metric(
        "meal_accompaniment_rate",
        _("Accompanied meals"),
        "percent",
        _("School days with an accompanied meal ÷ school days of the term so far"),
        _over_span(duties.meal_figures, lambda f: f["rate"]),
        pooled=("meal_days_accompanied", "meal_school_days"),
    ),
    Metric(
        "pupil_collections",
        _("Pupils handed over"),
        "count",
        _("Pupils handed to an authorised collector in the term"),
        lambda p: PupilCollection.objects.filter(
            collected_at__gte=p.datetime_range()[0], collected_at__lt=p.datetime_range()[1]).count(),
    ),
    *[
        Metric(
            f"agreement_coverage_{kind.value}",
            _signed_label(kind),
            "percent",
            _("Copies signed ÷ copies issued in the term's latest campaign of this kind (the campaign the school's "
              "safety board marks; campaigns are never added together)"),
            _coverage(kind.value),
        )
        for kind in AgreementKind
    ],
    Metric(
        "visitors",
        _("Visitors registered"),
        "count",
        _("Visitors registered at the gate in the term"),
        lambda p: selectors.visitors_in_term(period=p),
    ),
    Metric(
        "cameras_working",
        _("Cameras working"),
        "count",
        _("Cameras of the registry that work"),
        lambda p: Camera.objects.filter(status=CameraStatus.WORKING).count(),
    ),
    Metric(
        "camera_retention_min_days",
        _("Shortest CCTV retention"),
        "days",
        _("The fewest days any camera of the registry keeps its recordings"),
        lambda p: _camera_retention_min(),
    ),
    Metric(
        "visitor_oldest_identified_days",
        _("Oldest visitor record with personal data"),
        "days",
        _("Days since the oldest visitor whose name, ID number or phone is still kept came in"),
        lambda p: _visitor_oldest_identified(),
        higher_is_better=False,
    ),
    Metric(
        "health_check_completeness",
        _("Health-check completeness"),
        "percent",
        _("Morning and noon checks recorded ÷ due, per class and school day"),
        lambda p: selectors.health_completeness(period=p),
    ),
]


def major_hazard_rows() -> list[dict]:
    """Every major hazard not yet closed (挂牌督办), for the bureau's list."""
    rows = []
    qs = (
        Hazard.objects.filter(grade=HazardGrade.MAJOR)
        .exclude(status=HazardStatus.CLOSED)
        .select_related("room__building", "responsible")
    )
    for hazard in qs:
        rows.append(
            {
                "ref": f"hazard:{hazard.pk}",
                "title": hazard.description[:200],
                "status": hazard.status,
                "occurred_on": hazard.found_on,
                "data": {
                    "location": hazard.location,
                    "category": hazard.category,
                    "responsible": hazard.responsible.display_name if hazard.responsible_id else "",
                    "measures": hazard.measures,
                    "funds": str(hazard.funds) if hazard.funds is not None else None,
                    "deadline": hazard.deadline.isoformat() if hazard.deadline else None,
                    "contingency_plan": hazard.contingency_plan,
                    "supervised": hazard.supervised,
                },
            }
        )
    return rows


def campaign_round_rows() -> list[dict]:
    """One row per bureau campaign round of this school, with its progress."""
    rounds = (
        InspectionRound.objects.filter(kind=RoundKind.CAMPAIGN, campaign_id__isnull=False)
        .annotate(
            items_total=Count("items", distinct=True),
            items_checked=Count("items", filter=~Q(items__result=ItemResult.PENDING), distinct=True),
            hazards_found=Count("hazards", distinct=True),
        )
        .order_by("campaign_id")
    )
    return [
        {
            "ref": f"campaign:{r.campaign_id}",
            "title": r.title,
            "status": "completed" if r.completed_at else "open",
            "occurred_on": r.started_on,
            "data": {
                "campaign_id": r.campaign_id,
                "items_total": r.items_total,
                "items_checked": r.items_checked,
                "hazards_found": r.hazards_found,
                "completed_at": r.completed_at.isoformat() if r.completed_at else None,
            },
        }
        for r in rounds
    ]


MIRRORS = {"major_hazards": major_hazard_rows, "campaign_rounds": campaign_round_rows}
MIRROR_STATUSES = {
    "major_hazards": HazardStatus,
    "campaign_rounds": {
        "open": pgettext_lazy("campaign round", "In progress"),
        "completed": pgettext_lazy("campaign round", "Completed"),
    },
}
