"""Charts of the bureau's pages beside their tables: a ranking, a campaign's progress, an award's readiness.

Each function takes the rows its page already shows and returns a chart dict (core/charts.py), so the chart
and the table can never disagree.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from core.charts import chart

from . import catalogue


def ranking_chart(*, metric, rows: list[dict], average) -> dict:
    """Every school's figure of one metric, best first, with the district's figure as its own series."""
    scale = 100 if metric.unit == "percent" else 1
    unit = "%" if metric.unit == "percent" else catalogue.unit_label(metric)
    shown = [r for r in rows if r["value"] is not None]
    district = None if average is None else round(average * scale, 2)
    return chart(
        key="ranking", kind="bar", title=metric.label, label_name=_("School"), horizontal=True,
        labels=[r["school"] for r in shown],
        series=[
            {"name": metric.label, "data": [round(r["value"] * scale, 2) for r in shown], "unit": unit},
            {"name": pgettext("district figure", "District"), "data": [district] * len(shown),
             "type": "line", "unit": unit},
        ],
    )


def campaign_chart(*, title, rows: list[dict]) -> dict:
    """Items checked and still to check, per school, stacked."""
    return chart(
        key="campaign", kind="bar", title=title, label_name=_("School"), horizontal=True,
        labels=[r["school"].name for r in rows],
        series=[
            {"name": _("Items checked"), "data": [r["items_checked"] for r in rows], "stack": "items"},
            {"name": _("Items to check"), "data": [max(r["items_total"] - r["items_checked"], 0) for r in rows],
             "stack": "items"},
            {"name": _("Hazards found"), "data": [r["hazards_found"] for r in rows], "table_only": True},
        ],
    )


def readiness_chart(*, title, rows: list[dict]) -> dict:
    """Each school's readiness score (share of criteria met); a school without a score is left out."""
    scored = [r for r in rows if r["score"] is not None]
    return chart(
        key="readiness", kind="bar", title=title, label_name=_("School"), horizontal=True,
        labels=[r["school"].name for r in scored],
        series=[
            {"name": _("Readiness score"), "data": [r["score"] for r in scored]},
            {"name": _("Criteria met"), "data": [r["met"] for r in scored], "table_only": True},
            {"name": _("Criteria without a figure"), "data": [r["unknown"] for r in scored], "table_only": True},
        ],
    )
