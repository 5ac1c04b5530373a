"""The figures the bureau reads about a school's property (protocol in tenants/metrics.py)."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenants.metrics import Metric

from .choices import AssetKind, Condition, ProcurementForm, StocktakeStatus
from .models import Acceptance, AcceptanceLine, Asset, Loan, Reclassification, Stocktake

LIVE = [Condition.IN_USE, Condition.IDLE, Condition.LENT, Condition.UNDER_REPAIR]


def _live(kind: str):
    return Asset.objects.filter(condition__in=LIVE, kind=kind)


def _count(kind: str):
    return lambda period: _live(kind).count()


def _value(kind: str):
    return lambda period: _live(kind).aggregate(v=Coalesce(Sum("original_value"), Decimal("0")))["v"]


def _procured(*, government: bool):
    def compute(period) -> Decimal:
        lines = AcceptanceLine.objects.filter(acceptance__accepted_on__range=period.range)
        lines = lines.filter(acceptance__request__channel=ProcurementForm.GOVERNMENT) if government else lines.exclude(
            acceptance__request__channel=ProcurementForm.GOVERNMENT
        )
        total = Decimal("0")
        for quantity, price in lines.values_list("accepted_quantity", "unit_price"):
            total += quantity * price
        return total

    return compute


def _discrepancies(period) -> int:
    from .selectors import stocktake_discrepancy_count, stocktake_lists, stocktake_prefetch

    finished = Stocktake.objects.filter(status=StocktakeStatus.FINISHED, planned_on__range=period.range)
    finished = finished.prefetch_related(*stocktake_prefetch())
    return sum(stocktake_discrepancy_count(stocktake_lists(stocktake)) for stocktake in finished)


# 清查盘点: a full stocktake (every room holding property) at least once a year (assets.annual_stocktake).
FULL_STOCKTAKE_DAYS = 365


def last_full_stocktake_on():
    """The day the latest finished stocktake covering every room that holds a card in service ended; None if none."""
    import datetime as dt

    rooms = set(Asset.objects.filter(condition__in=LIVE, room__isnull=False).values_list("room_id", flat=True).distinct())
    since = timezone.now() - dt.timedelta(days=2 * FULL_STOCKTAKE_DAYS)
    finished = Stocktake.objects.filter(status=StocktakeStatus.FINISHED, finished_at__gte=since).order_by("-finished_at")
    for stocktake in finished.prefetch_related("rooms")[:20]:
        if rooms <= {room.pk for room in stocktake.rooms.all()}:
            return timezone.localtime(stocktake.finished_at).date()
    return None


def full_stocktake_overdue() -> int | None:
    """1 when no full stocktake ended in the last year and the school holds property in rooms, else 0."""
    if not Asset.objects.filter(condition__in=LIVE).exists():
        return None
    last = last_full_stocktake_on()
    return int(last is None or (timezone.localdate() - last).days > FULL_STOCKTAKE_DAYS)


METRICS = [
    Metric(key="assets_fixed_count", label=_("Fixed assets"), unit="count",
           formula=_("Fixed asset cards in service (not disposed or lost)"), compute=_count(AssetKind.FIXED)),
    Metric(key="assets_fixed_value", label=_("Value of fixed assets"), unit="yuan",
           formula=_("Original value of fixed assets in service"), compute=_value(AssetKind.FIXED)),
    Metric(key="assets_low_value_count", label=_("Low-value durables"), unit="count",
           formula=_("Low-value durable cards in service"), compute=_count(AssetKind.LOW_VALUE)),
    Metric(key="assets_low_value_value", label=_("Value of low-value durables"), unit="yuan",
           formula=_("Original value of low-value durables in service"), compute=_value(AssetKind.LOW_VALUE)),
    Metric(key="assets_procured_government", label=_("Bought through government procurement"), unit="yuan",
           formula=_("Accepted quantity × unit price of government procurement, accepted in the term"),
           compute=_procured(government=True)),
    Metric(key="assets_procured_other", label=_("Bought by other channels"), unit="yuan",
           formula=_("Accepted quantity × unit price of other purchases, accepted in the term"),
           compute=_procured(government=False)),
    Metric(key="assets_loans_open", label=_("Open loans"), unit="count", higher_is_better=False,
           formula=_("Assets lent and not yet returned"),
           compute=lambda period: Loan.objects.filter(returned_on__isnull=True).count()),
    Metric(key="assets_loans_overdue", label=_("Overdue loans"), unit="count", higher_is_better=False,
           formula=_("Open loans past their due date"),
           compute=lambda period: Loan.objects.filter(returned_on__isnull=True, due_on__lt=timezone.localdate()).count()),
    Metric(key="assets_full_stocktake_overdue", label=_("Annual full stocktake overdue"), unit="count",
           higher_is_better=False,
           formula=_("1 when no stocktake covering every room that holds property finished in the last 365 days"),
           compute=lambda period: full_stocktake_overdue()),
    Metric(key="assets_acceptances_without_plan", label=_("Acceptances without a written plan"), unit="count",
           higher_is_better=False,
           formula=_("Government-procurement acceptances of the term recorded without a written acceptance plan"),
           compute=lambda period: Acceptance.objects.filter(
               accepted_on__range=period.range, request__channel=ProcurementForm.GOVERNMENT, plan="").count()),
    Metric(key="assets_reclassifications_pending", label=_("Re-classifications to confirm"), unit="count",
           higher_is_better=False, formula=_("Cards re-classified to the thresholds, not yet confirmed by the custodian"),
           compute=lambda period: Reclassification.objects.filter(confirmed_at__isnull=True).count()),
    Metric(key="assets_stocktake_discrepancies", label=_("Stocktake discrepancies"), unit="count",
           higher_is_better=False, formula=_("Surplus, missing and misplaced items of stocktakes finished in the term"),
           compute=_discrepancies),
]
