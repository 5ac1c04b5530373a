"""{% chart c %}: a chart dict (core/charts.py) as an ECharts div, its data and the same numbers as a table."""

from __future__ import annotations

from django import template

register = template.Library()


def _cell(value, unit: str) -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value}{unit}"


@register.inclusion_tag("includes/chart.html")
def chart(data: dict, height: str = "") -> dict:
    """The chart, then its table (hidden on screen until asked for; read by screen readers, printed)."""
    series = data["series"]
    rows = [
        [label, *[_cell(s["data"][i], s.get("unit", "")) for s in series]]
        for i, label in enumerate(data["labels"])
    ]
    return {
        "data": data,
        "dom_id": f"chart-{data['key']}",
        "data_id": f"chart-{data['key']}-data",
        "head": [s["name"] for s in series],
        "rows": rows,
        "height": height,
    }
