"""A metrics module for tests, in the tenants.metrics protocol, over models every schema has.

Departments named "隐患…" stand for hazards (inactive = rectified); buildings carry safety grades.
"""

from __future__ import annotations

from decimal import Decimal

from tenants.metrics import Metric

CAMPAIGN_ROUNDS: dict[str, list[dict]] = {}


def _hazards():
    from schools.models import Department

    return Department.objects.filter(name__startswith="隐患")


def _rate(period):
    found = _hazards().count()
    return None if not found else _hazards().filter(is_active=False).count() / found


def _d_grade(period):
    from schools.models import Building

    return Building.objects.filter(safety_grade="D").count()


METRICS = [
    Metric(key="hazards_found", label="Hazards found", unit="count", formula="Hazards found in the term",
           compute=lambda period: _hazards().count()),
    Metric(key="hazards_rectified", label="Hazards rectified", unit="count", formula="Hazards rectified",
           compute=lambda period: _hazards().filter(is_active=False).count()),
    Metric(key="hazard_rectification_rate", label="Rectification rate", unit="percent",
           formula="rectified / found", compute=_rate, pooled=("hazards_rectified", "hazards_found")),
    Metric(key="buildings_d_grade", label="D-grade buildings", unit="count", formula="Buildings graded D",
           compute=_d_grade, higher_is_better=False),
    Metric(key="asset_value", label="Asset value", unit="yuan", formula="Sum of asset values",
           compute=lambda period: Decimal("1234.50")),
]


def _weak_buildings():
    from schools.models import Building

    rows = [
        {"ref": str(b.pk), "title": b.name, "status": b.safety_grade, "occurred_on": None, "data": {"grade": b.safety_grade}}
        for b in Building.objects.filter(safety_grade__in=["C", "D"])
    ]
    return rows


def _campaign_rounds():
    from django.db import connection

    return list(CAMPAIGN_ROUNDS.get(connection.schema_name, []))


MIRRORS = {"weak_buildings": _weak_buildings, "campaign_rounds": _campaign_rounds}
