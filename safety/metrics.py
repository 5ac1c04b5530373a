"""Safety figures the bureau reads per school and term, and the lists it reads across schools."""

from __future__ import annotations

from django.db.models import Count, Q
from django.utils.functional import lazy
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from tenants.metrics import Metric, Period

from . import selectors
from .choices import AgreementKind, CameraStatus, HazardGrade, HazardStatus, ItemResult, RoundKind
from .models import Camera, Hazard, InspectionRound


def _hazards(key: str):
    return lambda period: selectors.hazard_stats(period=period)[key]


def _board_term(period: Period) -> Period:
    """The school term (1 Sep – 31 Jan, 1 Feb – 31 Aug) the safety board shows for a period: the one its end
    (or today, if sooner) falls in. A bureau term runs 1 Aug – 31 Jan; its 1 Aug is not the spring term."""
    from .terms import term_of, today

    return term_of(min(period.end, today()))


def _drills(key: str):
    """Drills held / required as the safety board counts them: over the board's school term within the period,
    one a month so far (a bureau term from 1 Aug would otherwise require a holiday drill: 5 where the board
    says 4)."""

    def compute(period: Period) -> int:
        board = _board_term(period)
        span = Period(max(period.start, board.start), min(period.end, board.end))
        if span.start > span.end:
            return 0
        return selectors.drills_vs_required(period=span)[key]

    return compute


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
    Metric("drills_held", _("Drills held"), "count", _("Emergency drills held in the term"), _drills("held")),
    Metric(
        "drills_required",
        _("Drills required"),
        "count",
        _("One drill a month of the term so far"),
        _drills("required"),
    ),
    Metric(
        "patrols_per_day",
        _("Patrols per day"),
        "count",
        _("Patrols ÷ days with a patrol in the term"),
        lambda p: selectors.patrols_per_day(period=p),
    ),
    *[
        Metric(
            f"agreement_coverage_{kind.value}",
            _signed_label(kind),
            "percent",
            _("Copies signed ÷ copies issued for the term"),
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
