"""The safety board's charts: 整改率 by month, hazards by category and grade, drills by month (see core/charts.py).

Each function reads the current school's schema with one aggregate query and returns a chart dict.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q
from django.db.models.functions import TruncMonth
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from core.charts import chart, month_label, month_starts, percent
from tenants.metrics import Period

from .choices import Area, DrillKind, HazardGrade, HazardStatus
from .models import Drill, Hazard
from .terms import current_term, today


def _months(period: Period, on: dt.date | None) -> list[dt.date]:
    """The term's months so far (all of them once the term is over)."""
    return month_starts(period.start, min(period.end, on or today()))


def hazard_rate_by_month(*, period: Period | None = None, on: dt.date | None = None) -> dict:
    """Hazards found per month of the term, those of them closed (rectified and verified), and the rate."""
    period = period or current_term()
    months = _months(period, on)
    rows = {
        row["month"]: row
        for row in Hazard.objects.filter(found_on__range=period.range)
        .annotate(month=TruncMonth("found_on"))
        .values("month")
        .annotate(found=Count("pk"), closed=Count("pk", filter=Q(status=HazardStatus.CLOSED)))
    }
    found = [rows.get(m, {}).get("found", 0) for m in months]
    closed = [rows.get(m, {}).get("closed", 0) for m in months]
    return chart(
        key="hazard-rate",
        kind="bar",
        title=_("Rectification rate by month"),
        label_name=_("Month"),
        labels=[month_label(m) for m in months],
        series=[
            {"name": _("Hazards found"), "data": found},
            {"name": _("Rectified and closed"), "data": closed},
            {
                "name": _("Rectification rate"),
                "data": [percent(c, f) for c, f in zip(closed, found, strict=True)],
                "type": "line",
                "unit": "%",
                "axis": 1,
            },
        ],
    )


def hazards_by_category(*, period: Period | None = None) -> dict:
    """Hazards found in the term per category (the areas that have any), general and major stacked."""
    period = period or current_term()
    counts = {
        (row["category"], row["grade"]): row["n"]
        for row in Hazard.objects.filter(found_on__range=period.range)
        .values("category", "grade")
        .annotate(n=Count("pk"))
    }
    areas = [area for area in Area if any(counts.get((area.value, g.value)) for g in HazardGrade)]
    series = [
        {
            "name": grade.label,
            "data": [counts.get((area.value, grade.value), 0) for area in areas],
            "stack": "grade",
        }
        for grade in HazardGrade
    ]
    total = [sum(s["data"][i] for s in series) for i in range(len(areas))]
    return chart(
        key="hazard-category",
        kind="bar",
        title=_("Hazards by category and grade"),
        horizontal=True,
        label_name=capfirst(_("category")),
        labels=[area.label for area in areas],
        series=[*series, {"name": _("Total"), "data": total, "table_only": True}],
    )


def drills_by_month(*, period: Period | None = None, on: dt.date | None = None) -> dict:
    """Drills held per month of the term, by kind (stacked); one a month is required."""
    period = period or current_term()
    months = _months(period, on)
    counts = {
        (row["month"], row["kind"]): row["n"]
        for row in Drill.objects.filter(held_on__range=period.range)
        .annotate(month=TruncMonth("held_on"))
        .values("month", "kind")
        .annotate(n=Count("pk"))
    }
    kinds = [kind for kind in DrillKind if any(counts.get((m, kind.value)) for m in months)]
    series = [
        {"name": kind.label, "data": [counts.get((m, kind.value), 0) for m in months], "stack": "drills"}
        for kind in kinds
    ]
    total = [sum(counts.get((m, kind.value), 0) for kind in DrillKind) for m in months]
    # With no drill at all the zeros are the chart: the months without one.
    series.append({"name": _("Total"), "data": total, "table_only": bool(kinds)})
    return chart(
        key="drills-month",
        kind="bar",
        title=_("Drills by month"),
        label_name=_("Month"),
        labels=[month_label(m) for m in months],
        series=series,
    )


def board_charts(*, period: Period | None = None, on: dt.date | None = None) -> dict[str, dict]:
    """The safety board's charts by where it shows them."""
    period = period or current_term()
    return {
        "rate": hazard_rate_by_month(period=period, on=on),
        "category": hazards_by_category(period=period),
        "drills": drills_by_month(period=period, on=on),
    }
