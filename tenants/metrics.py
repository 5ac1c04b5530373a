"""How a module defines the metrics the bureau reads (the protocol `reporting` consumes).

Each school-side app lists its metrics in `<app>/metrics.py`:

    METRICS = [
        Metric(
            key="hazards_found",                    # unique across Houqin; a column of SchoolMetrics.values
            label=_("Hazards found"),               # shown to users
            unit="count",                          # count | percent | yuan | days | hours | m2 | score
            formula=_("Hazards reported in the term, any grade"),   # shown next to the figure
            compute=lambda period: Hazard.objects.filter(found_on__range=period.range).count(),
        ),
    ]

`compute(period)` runs inside the school's schema; `period.start`/`period.end` are dates of the term
(`period.range` is the inclusive tuple). It returns an int, a Decimal, a float ratio 0..1 for
`percent`, or None when the figure does not apply (e.g. a rate with nothing found). Metrics never
write. A rate's numerator and denominator are metrics of their own, so the bureau can sum them.

Lists the bureau reads across schools are mirrored the same way, in `<app>/metrics.py`:

    MIRRORS = {"major_hazards": major_hazard_rows}

where each function takes no argument and returns dicts with keys
`ref` (stable id within the school, str), `title`, `status`, `occurred_on` (date or None) and
`data` (a JSON-able dict). Kinds in use: major_hazards, weak_buildings, capital_projects,
overdue_repairs, campaign_rounds. A module names the labels of its rows' `status` values in

    MIRROR_STATUSES = {"major_hazards": HazardStatus}   # a TextChoices class or a {value: label} dict

so the bureau's pages and exports show 待整改, not `open`.

After a write that changes a metric, a module calls `tenants.services.school_metrics_request_refresh()`.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

METRIC_APPS = ("schools", "assets", "repairs", "safety")
UNITS = ("count", "percent", "yuan", "days", "hours", "m2", "score")


@dataclass(frozen=True)
class Period:
    """A term (or any date range) a metric is computed over."""

    start: dt.date
    end: dt.date

    @property
    def range(self) -> tuple[dt.date, dt.date]:
        return (self.start, self.end)

    def datetime_range(self) -> tuple[dt.datetime, dt.datetime]:
        """[start 00:00, end+1 00:00) in the current time zone, for DateTimeField filters (use __gte/__lt)."""
        from django.utils import timezone

        tz = timezone.get_current_timezone()
        return (
            dt.datetime.combine(self.start, dt.time.min, tzinfo=tz),
            dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time.min, tzinfo=tz),
        )


@dataclass(frozen=True)
class Metric:
    """One figure a school reports per term: its key, label, unit, formula and how to compute it."""

    key: str
    label: Any
    unit: str
    formula: Any
    compute: Callable[[Period], Any]
    higher_is_better: bool = True
    # For a rate: the keys of its numerator and denominator metrics. The district's figure is then the pooled
    # rate, Σ numerators ÷ Σ denominators over the schools (what the bureau's summary says), not the mean of
    # the schools' rates; a figure without parts is the schools' mean, and is labelled so.
    pooled: tuple[str, str] | None = None

    def __post_init__(self):
        if self.unit not in UNITS:
            raise ValueError(f"unknown unit {self.unit!r} for metric {self.key}")
        if self.pooled is not None and self.unit != "percent":
            raise ValueError(f"only a percent metric is pooled ({self.key})")


def all_metrics() -> list[Metric]:
    """Every module's metrics, in module order (keys are unique)."""
    found: list[Metric] = []
    seen: set[str] = set()
    for app in METRIC_APPS:
        module = _module(app)
        for metric in getattr(module, "METRICS", ()) if module else ():
            if metric.key in seen:
                raise ValueError(f"metric key {metric.key} defined twice")
            seen.add(metric.key)
            found.append(metric)
    for metric in found:
        if metric.pooled and not set(metric.pooled) <= seen:
            raise ValueError(f"metric {metric.key} pools {metric.pooled}, which are not all metrics")
    return found


def all_mirrors() -> dict[str, Callable[[], list[dict]]]:
    mirrors: dict[str, Callable[[], list[dict]]] = {}
    for app in METRIC_APPS:
        module = _module(app)
        mirrors.update(getattr(module, "MIRRORS", {}) if module else {})
    return mirrors


def mirror_status_label(kind: str, status: str) -> str:
    """The label of a mirrored row's status, as its module names it; the value itself when none does."""
    for app in METRIC_APPS:
        module = _module(app)
        labels = (getattr(module, "MIRROR_STATUSES", {}) if module else {}).get(kind)
        if labels is None:
            continue
        mapping = dict(labels.choices) if hasattr(labels, "choices") else labels
        if status in mapping:
            return str(mapping[status])
    return status


def _module(app: str):
    try:
        return importlib.import_module(f"{app}.metrics")
    except ModuleNotFoundError as exc:
        if exc.name != f"{app}.metrics":
            raise
        return None
