"""The shape of a chart the school pages draw (ECharts, via frontend/static/js/charts.js) and print as a table.

A chart is a plain dict, so the modules' chart functions stay pure and their tests read numbers:

    {"key": "hazard-rate", "kind": "bar", "title": "…", "labels": ["2026年9月", …],
     "series": [{"name": "…", "data": [3, 0, …]},
                {"name": "…", "data": [66.7, None, …], "type": "line", "unit": "%", "axis": 1},
                {"name": "…", "data": [5, …], "table_only": True}]}

`kind` is bar, line or pie; a series may draw itself as another type (a rate line over count bars), stack
with others (`stack`), use the right-hand axis (`axis: 1`), or appear in the table only. None is "no
figure" (a month without a completed order has no on-time rate), drawn as a gap and printed as "—".
"""

from __future__ import annotations

import datetime as dt

from django.utils import formats


def chart(
    *, key: str, kind: str, title, label_name, labels: list, series: list[dict], horizontal: bool = False
) -> dict:
    """A chart dict with its labels and series as plain strings and numbers (ready for json_script).

    `label_name` heads the table's first column (what the labels are: month, room, …).
    """
    return {
        "key": key,
        "kind": kind,
        "title": str(title),
        "label_name": str(label_name),
        "horizontal": horizontal,
        "labels": [str(label) for label in labels],
        "series": [{**s, "name": str(s["name"])} for s in series],
    }


def month_starts(start: dt.date, end: dt.date) -> list[dt.date]:
    """The first day of every month from start's to end's (both included)."""
    months, day = [], start.replace(day=1)
    while day <= end:
        months.append(day)
        day = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return months


def month_end(first: dt.date) -> dt.date:
    return (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


def month_label(first: dt.date) -> str:
    """ "2026年9月" in Chinese, "September 2026" in English (Django's YEAR_MONTH_FORMAT)."""
    return formats.date_format(first, "YEAR_MONTH_FORMAT")


def percent(part: int, whole: int) -> float | None:
    """part ÷ whole in per cent with one decimal; None when there is nothing to divide by."""
    return round(part * 100 / whole, 1) if whole else None
