"""Metrics of the repairs module (per term) and the overdue mirror; the demo data gives them substance."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from repairs import metrics
from repairs.choices import Severity, Status
from repairs.models import WorkOrder
from repairs.services import work_order_report
from tenants.metrics import Period, all_metrics, all_mirrors
from tenants.roles import Role

from .factories import RoomFactory

SH = ZoneInfo("Asia/Shanghai")
TERM = Period(dt.date(2026, 9, 1), dt.date(2027, 1, 31))


def at(*args):
    return dt.datetime(*args, tzinfo=SH)


def _done(order, completed_at, rating=None, reopen=0):
    WorkOrder.objects.filter(pk=order.pk).update(status=Status.CONFIRMED if rating else Status.COMPLETED,
                                                 completed_at=completed_at, rating=rating, reopen_count=reopen)


@pytest.fixture
def term_orders(room, bob):
    """4 orders: minor on time (rated 5), minor late (rated 3, reopened once), major on time, major still open."""
    RoomFactory(number="302")
    RoomFactory(number="303")
    RoomFactory(number="304")
    a = work_order_report(reporter=bob, title="灯", room=room, reported_at=at(2026, 10, 8, 9))
    b = work_order_report(reporter=bob, title="门", room=room, reported_at=at(2026, 10, 9, 9))
    c = work_order_report(reporter=bob, title="屋顶", room=room, reported_at=at(2026, 10, 10, 9),
                          severity=Severity.MAJOR)
    d = work_order_report(reporter=bob, title="电线", room=room, reported_at=at(2026, 10, 11, 9),
                          severity=Severity.MAJOR)
    _done(a, at(2026, 10, 8, 11), rating=5)
    _done(b, at(2026, 10, 10, 10), rating=3, reopen=1)
    _done(c, at(2026, 10, 12, 9))
    return a, b, c, d


def test_term_figures(term_orders):
    values = {m.key: m.compute(TERM) for m in metrics.METRICS}
    assert values["repairs_received"] == 4
    assert values["repairs_completed"] == 3
    assert values["repairs_completion_rate"] == 0.75
    assert (values["repairs_minor_done"], values["repairs_minor_on_time"], values["repairs_sla_minor"]) == (2, 1, 0.5)
    assert (values["repairs_major_done"], values["repairs_major_on_time"], values["repairs_sla_major"]) == (1, 1, 1.0)
    # (2 h + 25 h + 48 h) / 3
    assert values["repairs_mttr_hours"] == 25.0
    assert values["repairs_reopen_rate"] == pytest.approx(1 / 3)
    assert values["repairs_satisfaction"] == 4.0
    # 4 rooms, 1 with an order still open at the end of the term
    assert (values["repairs_facilities"], values["repairs_facilities_out"], values["repairs_intact_rate"]) == (
        4, 1, 0.75)


def test_empty_term_gives_none_for_rates(in_school_a):
    values = {m.key: m.compute(TERM) for m in metrics.METRICS}
    assert values["repairs_received"] == 0
    assert values["repairs_completion_rate"] is None
    assert values["repairs_sla_minor"] is None
    assert values["repairs_mttr_hours"] is None


def test_metrics_are_registered_and_mirror_lists_overdue_orders(term_orders):
    keys = {m.key for m in all_metrics()}
    assert {"repairs_received", "repairs_sla_minor", "repairs_sla_major", "repairs_intact_rate"} <= keys
    rows = all_mirrors()["overdue_repairs"]()
    assert [r["ref"] for r in rows] == [term_orders[3].reference]
    assert rows[0]["data"]["severity"] == "major"


def test_demo_year_shows_the_seed_figures(in_school_a, bob, lena, mario, alice):
    from repairs.demo import load_school

    people = {Role.TEACHER: bob, Role.LOGISTICS_DIRECTOR: lena, Role.MAINTENANCE_WORKER: mario, Role.PRINCIPAL: alice}
    load_school(school=in_school_a, people=people, seed=True)

    today = timezone.localdate()
    year = Period(today - dt.timedelta(days=365), today)
    values = {m.key: m.compute(year) for m in metrics.METRICS}
    assert values["repairs_received"] == 360
    assert values["repairs_intact_rate"] >= 0.9
    assert 0.85 < values["repairs_sla_minor"] <= 1
    assert 0.6 < values["repairs_sla_major"] < 1
    assert values["repairs_satisfaction"] > 4
    assert WorkOrder.objects.exclude(vendor_name="").exists()
    assert WorkOrder.objects.filter(status__in=[Status.ASSIGNED, Status.IN_PROGRESS, Status.PAUSED]).exists()
    # a new report after the demo gets a fresh reference
    order = work_order_report(reporter=bob, title="新报修", location_note="操场")
    assert WorkOrder.objects.filter(reference=order.reference).count() == 1
