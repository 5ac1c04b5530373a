from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.db import connection
from django.utils import timezone

from reporting.services import term_create
from tenants.services import membership_grant

from . import fake_metrics


@pytest.fixture
def fake_metrics_module(monkeypatch):
    """Replace every module's metrics by tests/reporting/fake_metrics.py (the protocol is unchanged)."""
    from tenants import metrics as protocol

    monkeypatch.setattr(protocol, "_module", lambda app: fake_metrics if app == "schools" else None)
    fake_metrics.CAMPAIGN_ROUNDS.clear()
    yield fake_metrics
    fake_metrics.CAMPAIGN_ROUNDS.clear()


@pytest.fixture
def terms(bureau_north, bureau_south):
    """Three terms in each bureau; the current one holds today."""
    today = timezone.localdate()
    made = {}
    for bureau in (bureau_north, bureau_south):
        made[bureau.code] = [
            term_create(bureau=bureau, name="2025–2026 第一学期", start=today - dt.timedelta(days=400),
                        end=today - dt.timedelta(days=201)),
            term_create(bureau=bureau, name="2025–2026 第二学期", start=today - dt.timedelta(days=200),
                        end=today - dt.timedelta(days=31)),
            term_create(bureau=bureau, name="2026–2027 第一学期", start=today - dt.timedelta(days=30),
                        end=today + dt.timedelta(days=100)),
        ]
    return made


_serial = itertools.count()


def add_hazards(school, found: int, rectified: int) -> None:
    from schools.models import Department

    connection.set_tenant(school)
    try:
        for i in range(found):
            Department.objects.create(name=f"隐患{next(_serial)}-{school.slug}", is_active=i >= rectified)
    finally:
        connection.set_schema_to_public()


@pytest.fixture
def bureau_staff(bureau_north):
    from tenants.models import User
    from tenants.roles import Role

    people = {}
    for username, role in (("nina", Role.BUREAU_LOGISTICS), ("fred", Role.BUREAU_FINANCE)):
        user = User.objects.create_user(username=username, password="x", name=username.title())
        membership_grant(user=user, role=role, bureau=bureau_north)
        people[username] = user
    return people
