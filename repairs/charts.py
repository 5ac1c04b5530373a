"""The repairs board's charts: on time against 小修不过夜 / 大修不过三天 by month, orders by source and severity, and
完好率 at each month's end (see core/charts.py). They read the current school's schema with aggregate queries.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, F, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from core.charts import chart, month_end, month_label, month_starts, percent
from schools.selectors import term_of
from tenants.metrics import Period

from . import metrics
from .choices import DONE_STATUSES, Severity, Source, Status
from .models import WorkOrder


def _term(period: Period | None) -> Period:
    return period or Period(*term_of(timezone.localdate()))


def _months(period: Period, on: dt.date | None) -> list[dt.date]:
    return month_starts(period.start, min(period.end, on or timezone.localdate()))


def on_time_by_month(*, period: Period | None = None, on: dt.date | None = None) -> dict:
    """Per month of the term, the share of minor and major orders completed by their due time.

    An order counts in the month it was completed, on time when completed by its due time, as the bureau's
    repairs_sla_minor / repairs_sla_major count it (metrics._sla): minor by the same evening, major in three days.
    """
    period = _term(period)
    months = _months(period, on)
    start, end = period.datetime_range()
    counts = {
        (
            timezone.localtime(row["month"]).date()
            if isinstance(row["month"], dt.datetime)
            else row["month"],
            row["severity"],
        ): row
        for row in WorkOrder.objects.filter(
            status__in=DONE_STATUSES, completed_at__gte=start, completed_at__lt=end
        )
        .annotate(month=TruncMonth("completed_at"))
        .values("month", "severity")
        .annotate(done=Count("pk"), on_time=Count("pk", filter=Q(completed_at__lte=F("due_at"))))
    }

    def column(severity: str, key: str) -> list[int]:
        return [counts.get((m, severity), {}).get(key, 0) for m in months]

    series = []
    for severity, name, done_name in (
        (Severity.MINOR, _("Minor repairs on time (same day)"), _("Minor repairs completed")),
        (Severity.MAJOR, _("Major repairs on time (three days)"), _("Major repairs completed")),
    ):
        done, on_time = column(severity, "done"), column(severity, "on_time")
        series.append(
            {
                "name": name,
                "data": [percent(o, d) for o, d in zip(on_time, done, strict=True)],
                "type": "line",
                "unit": "%",
            }
        )
        series.append({"name": done_name, "data": done, "table_only": True})
    return chart(
        key="repairs-on-time",
        kind="line",
        title=_("Repairs completed on time, by month"),
        label_name=_("Month"),
        labels=[month_label(m) for m in months],
        series=series,
    )


def orders_by_source(*, period: Period | None = None) -> dict:
    """Orders reported in the term (cancelled ones left out) by how they came in, minor and major stacked."""
    period = _term(period)
    start, end = period.datetime_range()
    counts = {
        (row["source"], row["severity"]): row["n"]
        for row in WorkOrder.objects.filter(reported_at__gte=start, reported_at__lt=end)
        .exclude(status=Status.CANCELLED)
        .values("source", "severity")
        .annotate(n=Count("pk"))
    }
    sources = [source for source in Source if any(counts.get((source.value, s.value)) for s in Severity)]
    series = [
        {
            "name": severity.label,
            "data": [counts.get((source.value, severity.value), 0) for source in sources],
            "stack": "severity",
        }
        for severity in Severity
    ]
    total = [sum(s["data"][i] for s in series) for i in range(len(sources))]
    return chart(
        key="repairs-source",
        kind="bar",
        title=_("Work orders this term by source and severity"),
        horizontal=True,
        label_name=capfirst(_("source")),
        labels=[source.label for source in sources],
        series=[*series, {"name": _("Total"), "data": total, "table_only": True}],
    )


def intact_rate_by_month(*, period: Period | None = None, on: dt.date | None = None) -> dict:
    """完好率 at the end of each month of the term (today for the current month), as repairs_intact_rate computes it."""
    period = _term(period)
    on = on or timezone.localdate()
    months = _months(period, on)
    # The register is today's in every month (as repairs_intact_rate counts it): counted once, not per month;
    # then two counts a month (rooms and assets with an order open at its end).
    total = metrics.facilities_registered() if months else 0
    totals = [total] * len(months)
    broken = [metrics.facilities_out_at(Period(first, min(month_end(first), on)).datetime_range()[1])
              for first in months]
    return chart(
        key="repairs-intact",
        kind="line",
        title=_("Intact rate at each month's end"),
        label_name=_("Month"),
        labels=[month_label(m) for m in months],
        series=[
            {
                "name": pgettext("chart", "Intact rate"),
                "data": [percent(t - b, t) for t, b in zip(totals, broken, strict=True)],
                "unit": "%",
            },
            {"name": _("Registered facilities"), "data": totals, "table_only": True},
            {"name": _("Facilities awaiting repair"), "data": broken, "table_only": True},
        ],
    )


def board_charts(*, period: Period | None = None, on: dt.date | None = None) -> dict[str, dict]:
    period = _term(period)
    return {
        "on_time": on_time_by_month(period=period, on=on),
        "source": orders_by_source(period=period),
        "intact": intact_rate_by_month(period=period, on=on),
    }
