"""Repairs: the escalation run over many schools (set-based vs the naive per-order loop), and the public report page.

Sizes (environment): REPAIRS_BENCH_SCHOOLS (default 3), REPAIRS_BENCH_ORDERS per school (default 4200),
REPAIRS_BENCH_OPEN share of orders still open (default 0.25, a backlog like the seed's first year),
REPAIRS_BENCH_PAGE_REQUESTS (default 200). The issue's target is 1,000 schools × 4,200 orders:
REPAIRS_BENCH_SCHOOLS=1000 runs it (hours of set-up on 2 cores); by default the per-school mean is
measured and the 1,000-school figure is projected from it (one worker, serial).
"""

from __future__ import annotations

import datetime as dt
import os
import random
import sys
import time

from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from tenants.models import Bureau, School
from tenants.services import bureau_create, school_create

from .harness import RESULTS, p95, report

SCHOOLS = int(os.environ.get("REPAIRS_BENCH_SCHOOLS", "3"))
ORDERS = int(os.environ.get("REPAIRS_BENCH_ORDERS", "4200"))
OPEN_SHARE = float(os.environ.get("REPAIRS_BENCH_OPEN", "0.25"))
PAGE_REQUESTS = int(os.environ.get("REPAIRS_BENCH_PAGE_REQUESTS", "200"))


def _bureau() -> Bureau:
    return Bureau.objects.filter(code="bench").first() or bureau_create(name="基准测试教育局", code="bench")


def _school(bureau: Bureau, i: int) -> School:
    slug = f"rbench{i}"
    return School.objects.filter(slug=slug).first() or school_create(bureau=bureau, name=f"维修基准学校{i}", slug=slug)


def _fill(school: School, rng: random.Random) -> None:
    """ORDERS orders of the past year; OPEN_SHARE of them open, spread around now (due soon, overdue, fine)."""
    from repairs.choices import Severity, Status
    from repairs.models import ReferenceCounter, WorkOrder
    from schools.models import Building, Room
    from tenants.models import User

    connection.set_tenant(school)
    WorkOrder.objects.all().delete()
    ReferenceCounter.objects.all().delete()
    building, _ = Building.objects.get_or_create(name="基准楼")
    room, _ = Room.objects.get_or_create(building=building, number="101")
    worker, _ = User.objects.get_or_create(username=f"{school.slug}-worker", defaults={"name": "维修工"})
    now = timezone.now()
    orders = []
    for n in range(ORDERS):
        is_open = rng.random() < OPEN_SHARE
        reported = now - dt.timedelta(hours=rng.uniform(1, 100) if is_open else rng.uniform(100, 8760))
        due = reported + dt.timedelta(hours=rng.uniform(2, 100))
        vendor = rng.random() < 0.1
        orders.append(WorkOrder(
            reference=f"BX-BENCH-{n:06d}", room=room, title="灯不亮", severity=Severity.MINOR,
            status=rng.choice([Status.ASSIGNED, Status.IN_PROGRESS, Status.PAUSED]) if is_open else Status.CONFIRMED,
            reported_at=reported, due_at=due, completed_at=None if is_open else due - dt.timedelta(hours=1),
            assignee=None if vendor else worker, vendor_name="格力售后" if vendor else "",
            vendor_due_at=reported + dt.timedelta(days=rng.uniform(1, 8)) if vendor else None,
        ))
    WorkOrder.objects.bulk_create(orders, batch_size=2000)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {WorkOrder._meta.db_table}")
    connection.set_schema_to_public()


def _timed_runs(school: School, *, naive: bool, now) -> tuple[float, float, dict]:
    """(first run over the backlog, the next beat run ten minutes later, the first run's result)."""
    from repairs.services import escalation_run

    connection.set_tenant(school)
    try:
        with transaction.atomic():
            start = time.perf_counter()
            result = escalation_run(now=now, naive=naive)
            first = time.perf_counter() - start
            start = time.perf_counter()
            escalation_run(now=now + dt.timedelta(minutes=10), naive=naive)
            steady = time.perf_counter() - start
            transaction.set_rollback(True)  # both ways see the same rows
    finally:
        connection.set_schema_to_public()
    return first, steady, result


def _escalation(schools: list[School]) -> None:
    now = timezone.now()
    totals = {"naive_first": 0.0, "naive_steady": 0.0, "set_first": 0.0, "set_steady": 0.0}
    same = True
    marked = 0
    for school in schools:
        n_first, n_steady, r_naive = _timed_runs(school, naive=True, now=now)
        s_first, s_steady, r_set = _timed_runs(school, naive=False, now=now)
        same = same and r_naive == r_set
        marked += sum(len(v) for v in r_set.values())
        totals["naive_first"] += n_first
        totals["naive_steady"] += n_steady
        totals["set_first"] += s_first
        totals["set_steady"] += s_steady
    n = len(schools)
    report(f"repairs_escalation_backlog_{n}x{ORDERS}", totals["set_first"], "s", baseline=totals["naive_first"])
    report(f"repairs_escalation_beat_{n}x{ORDERS}", totals["set_steady"], "s", baseline=totals["naive_steady"])
    report("repairs_escalation_backlog_projected_1000", totals["set_first"] / n * 1000, "s",
           baseline=totals["naive_first"] / n * 1000, target="<=60s")
    report("repairs_escalation_beat_projected_1000", totals["set_steady"] / n * 1000, "s",
           baseline=totals["naive_steady"] / n * 1000, target="<=60s")
    report("repairs_escalation_same_result", 1.0 if same else 0.0, "bool", lower_is_better=False)
    report("repairs_escalation_orders_marked", marked, "orders", lower_is_better=False)


def _public_page(school: School) -> None:
    from core.labels import ROOM, label_token
    from repairs.models import RepairSettings
    from schools.models import Room

    connection.set_tenant(school)
    room = Room.objects.first()
    preset = RepairSettings.current()
    preset.public_reports_per_hour = 100000
    preset.save()
    connection.set_schema_to_public()
    client = Client(HTTP_HOST=school.host)
    path = f"/repairs/report/?label={label_token(schema_name=school.schema_name, kind=ROOM, pk=room.pk)}"
    for _ in range(10):
        client.get(path)
    samples = []
    for _ in range(PAGE_REQUESTS):
        start = time.perf_counter()
        response = client.get(path)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
    report("repairs_public_page_p95", p95(samples), "ms", target="<=100ms")
    posts = []
    for i in range(min(50, PAGE_REQUESTS)):
        start = time.perf_counter()
        response = client.post(path, {"title": f"基准报修{i}"})
        posts.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 302, response.status_code
    report("repairs_public_report_submit_p95", p95(posts), "ms", target="<=100ms")


def run() -> None:
    rng = random.Random(42)
    bureau = _bureau()
    schools = [_school(bureau, i) for i in range(SCHOOLS)]
    for school in schools:
        _fill(school, rng)
    _escalation(schools)
    _public_page(schools[0])
    for row in RESULTS:
        if row["name"].startswith("repairs_"):
            line = f"BENCH {row['name']} {row['value']:.4g} {row['unit']}"
            if row["baseline"] is not None:
                line += f" baseline={row['baseline']:.4g} ratio={row['ratio']:.3g}"
            sys.stdout.write(line + "\n")
