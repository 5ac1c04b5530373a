"""The metrics every module defines (tenants.metrics protocol), grouped by module, and how to show them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from tenants import metrics as protocol

# The module a metric comes from decides its section of the work summary and of the glossary.
MODULE_LABELS = {
    "schools": _("Schools and projects"),
    "assets": _("Assets and procurement"),
    "repairs": _("Repairs"),
    "safety": _("Campus safety"),
}
MIRROR_LABELS = {
    "major_hazards": _("Major hazards under supervision"),
    "weak_buildings": _("C/D-grade buildings"),
    "capital_projects": _("Capital projects"),
    "overdue_repairs": _("Overdue repairs"),
    "campaign_rounds": _("Campaign rounds"),
}
UNIT_LABELS = {
    "count": "",
    "percent": "%",
    "yuan": _("yuan"),
    "days": _("days"),
    "hours": _("hours"),
    "m2": "m²",
    "score": _("points"),
}


def metrics_by_module() -> list[tuple[str, list[protocol.Metric]]]:
    """[(module, [Metric, ...])] in protocol order (only modules that define metrics)."""
    groups = []
    for app in protocol.METRIC_APPS:
        module = protocol._module(app)
        found = list(getattr(module, "METRICS", ())) if module else []
        if found:
            groups.append((app, found))
    return groups


def metric_map() -> dict[str, protocol.Metric]:
    return {m.key: m for m in protocol.all_metrics()}


def to_json(value):
    """A computed value as stored in SchoolMetrics.values (numbers stay numbers, None stays None)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return float(value)


def number(value) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def display(metric: protocol.Metric | None, value) -> str:
    """A value for people: percent as 69%, money with 2 places, counts as integers."""
    value = number(value)
    if value is None:
        return "—"
    unit = metric.unit if metric else "count"
    if unit == "percent":
        return f"{percent(value)}%"
    if unit == "yuan":
        return f"{value:,.2f}"
    if unit == "count":
        return str(int(round(value)))
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.1f}"


def percent(ratio: float) -> int:
    """A ratio 0..1 as a whole percent, rounded half up (11/16 → 69, 5/7 → 71)."""
    return int(Decimal(str(ratio * 100)).quantize(Decimal("1"), rounding="ROUND_HALF_UP"))


def unit_label(metric: protocol.Metric) -> str:
    return str(UNIT_LABELS.get(metric.unit, ""))


def mirror_label(kind: str) -> str:
    return str(MIRROR_LABELS.get(kind, kind))


def mirror_status(kind: str, status: str) -> str:
    """A mirrored row's status by its label (待整改, 可行性研究), as the module that mirrors it names it."""
    return protocol.mirror_status_label(kind, status) if status else ""


def local_time(value) -> str | None:
    """An ISO time kept in a mirror's data, in the active time zone, as people write it (2026-12-04 09:06)."""
    from django.utils import dateformat, timezone
    from django.utils.dateparse import parse_date, parse_datetime

    if not value:
        return None
    if isinstance(value, str) and "T" not in value and " " not in value:
        day = parse_date(value)
        return day.isoformat() if day else value
    moment = parse_datetime(value) if isinstance(value, str) else value
    if moment is None:
        return str(value)
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return dateformat.format(moment, "Y-m-d H:i")
