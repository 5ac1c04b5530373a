"""The repairs figures the bureau reads per school and term (protocol: tenants/metrics.py)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenants.metrics import Metric, Period

from .choices import DONE_STATUSES, OPEN_STATUSES, RUNNING_STATUSES, Severity, Status
from .models import WorkOrder


def _received(period: Period):
    start, end = period.datetime_range()
    return WorkOrder.objects.filter(reported_at__gte=start, reported_at__lt=end).exclude(status=Status.CANCELLED)


def _completed(period: Period):
    start, end = period.datetime_range()
    return WorkOrder.objects.filter(status__in=DONE_STATUSES, completed_at__gte=start, completed_at__lt=end)


def received(period: Period) -> int:
    return _received(period).count()


def completed(period: Period) -> int:
    return _completed(period).count()


def completion_rate(period: Period) -> float | None:
    counts = _received(period).aggregate(all=Count("pk"), done=Count("pk", filter=Q(status__in=DONE_STATUSES)))
    return counts["done"] / counts["all"] if counts["all"] else None


def _sla(period: Period, severity: str) -> tuple[int, int]:
    counts = _completed(period).filter(severity=severity).aggregate(
        done=Count("pk"), on_time=Count("pk", filter=Q(completed_at__lte=F("due_at")))
    )
    return counts["done"], counts["on_time"]


def sla_rate(severity: str):
    def compute(period: Period) -> float | None:
        done, on_time = _sla(period, severity)
        return on_time / done if done else None

    return compute


def mttr_hours(period: Period) -> float | None:
    """Mean hours from report to completion, the paused time left out."""
    value = _completed(period).aggregate(
        mean=Avg(ExpressionWrapper(F("completed_at") - F("reported_at"), output_field=DurationField()))
    )["mean"]
    if value is None:
        return None
    paused = _completed(period).aggregate(mean=Avg("paused_seconds"))["mean"] or 0
    return round((value.total_seconds() - float(paused)) / 3600, 2)


def reopen_rate(period: Period) -> float | None:
    counts = _completed(period).aggregate(all=Count("pk"), reopened=Count("pk", filter=Q(reopen_count__gt=0)))
    return counts["reopened"] / counts["all"] if counts["all"] else None


def satisfaction(period: Period) -> float | None:
    value = _completed(period).filter(rating__isnull=False).aggregate(mean=Avg("rating"))["mean"]
    return round(float(value), 2) if value is not None else None


def facilities_registered() -> int:
    """Rooms and assets in use: the facilities the intact rate is over (today's register, whatever the period)."""
    from assets.choices import Condition
    from assets.models import Asset
    from schools.models import Room

    return Room.objects.count() + Asset.objects.exclude(condition__in=[Condition.DISPOSED, Condition.LOST]).count()


def facilities_out_at(end: dt.datetime) -> int:
    """Rooms and assets with an order open at `end`; an order about an asset counts the asset out, not its room."""
    open_at_end = WorkOrder.objects.filter(reported_at__lt=end).exclude(status=Status.CANCELLED).filter(
        Q(completed_at__isnull=True) | Q(completed_at__gte=end)
    )
    broken = open_at_end.filter(room__isnull=False, asset__isnull=True).values("room_id").distinct().count()
    broken += open_at_end.filter(asset__isnull=False).values("asset_id").distinct().count()
    return broken


def _facility_counts(period: Period) -> tuple[int, int]:
    """(registered facilities, facilities with an order open at the end of the period): rooms and assets."""
    return facilities_registered(), facilities_out_at(period.datetime_range()[1])


def facilities(period: Period) -> int:
    return _facility_counts(period)[0]


def facilities_out(period: Period) -> int:
    return _facility_counts(period)[1]


def intact_rate(period: Period) -> float | None:
    total, broken = _facility_counts(period)
    return (total - broken) / total if total else None



METRICS = [
    Metric("repairs_received", _("Repair orders received"), "count", _("Work orders reported in the term"), received),
    Metric("repairs_completed", _("Repair orders completed"), "count", _("Work orders completed in the term"),
           completed),
    Metric("repairs_completion_rate", _("Repair completion rate"), "percent",
           _("Orders reported in the term that are completed"), completion_rate),
    Metric("repairs_minor_done", _("Minor repairs completed"), "count", _("Minor orders completed in the term"),
           lambda p: _sla(p, Severity.MINOR)[0]),
    Metric("repairs_minor_on_time", _("Minor repairs on time"), "count",
           _("Minor orders completed by their due time (same day)"), lambda p: _sla(p, Severity.MINOR)[1]),
    Metric("repairs_sla_minor", _("SLA compliance, minor repairs"), "percent",
           _("Minor repairs on time (before night) ÷ minor repairs completed"), sla_rate(Severity.MINOR),
           pooled=("repairs_minor_on_time", "repairs_minor_done")),
    Metric("repairs_major_done", _("Major repairs completed"), "count", _("Major orders completed in the term"),
           lambda p: _sla(p, Severity.MAJOR)[0]),
    Metric("repairs_major_on_time", _("Major repairs on time"), "count",
           _("Major orders completed by their due time (three days)"), lambda p: _sla(p, Severity.MAJOR)[1]),
    Metric("repairs_sla_major", _("SLA compliance, major repairs"), "percent",
           _("Major repairs on time (within three days) ÷ major repairs completed"), sla_rate(Severity.MAJOR),
           pooled=("repairs_major_on_time", "repairs_major_done")),
    Metric("repairs_mttr_hours", _("Mean time to repair"), "hours",
           _("Mean hours from report to completion, paused time excluded"), mttr_hours, higher_is_better=False),
    Metric("repairs_reopen_rate", _("Repair reopen rate"), "percent",
           _("Completed orders that the reporter reopened at least once"), reopen_rate, higher_is_better=False),
    Metric("repairs_satisfaction", _("Repair satisfaction"), "score", _("Mean rating (1–5) given by reporters"),
           satisfaction),
    Metric("repairs_facilities", _("Registered facilities"), "count", _("Rooms and assets registered"), facilities),
    Metric("repairs_facilities_out", _("Facilities awaiting repair"), "count",
           _("Rooms and assets with an order open at the end of the term"), facilities_out, higher_is_better=False),
    Metric("repairs_intact_rate", _("Intact rate"), "percent",
           _("Registered facilities without an open work order at the end of the term"), intact_rate),
]


def overdue_repair_rows() -> list[dict]:
    """Open orders past their due time (paused ones excluded: their clock is stopped)."""
    now = timezone.now()
    rows = []
    for order in WorkOrder.objects.select_related("room", "room__building").filter(
        status__in=RUNNING_STATUSES, due_at__lt=now
    ).order_by("due_at")[:500]:
        rows.append({
            "ref": order.reference,
            "title": order.title,
            "status": order.status,
            "occurred_on": timezone.localtime(order.reported_at).date(),
            "data": {
                "severity": order.severity,
                "due_at": order.due_at.isoformat(),
                "hours_late": round((now - order.due_at) / dt.timedelta(hours=1), 1),
                "where": order.where,
                "vendor": order.vendor_name,
            },
        })
    return rows


MIRRORS = {"overdue_repairs": overdue_repair_rows}
MIRROR_STATUSES = {"overdue_repairs": Status}
__all__ = ["METRICS", "MIRROR_STATUSES", "MIRRORS", "OPEN_STATUSES"]
