"""Bureau rollups: the comparison over N schools from the read-model against the naive per-schema loop,
freshness from a school-side write to the bureau's row (in-process worker), and the nightly recompute.

Sizes (environment):
  BENCH_REPORTING_SCHOOLS  schools in the read-model (default 200; 1000 for the issue's target)
  BENCH_REPORTING_REAL     real schemas cloned for the naive loop, freshness and the nightly (default 12)
  BENCH_REPORTING_ROUNDS   timed requests per figure (default 30)
The naive loop computes every metric in each real schema per request; its cost for N schools is
extrapolated linearly from the real schemas (it is linear: one schema after another).
"""

from __future__ import annotations

import os
import random
import sys
import threading
import time

from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from tenants import metrics as protocol
from tenants.models import Bureau, School, User
from tenants.roles import Role
from tenants.services import bureau_create, membership_grant, school_create, school_metrics_request_refresh

from .harness import p95, report

N = int(os.environ.get("BENCH_REPORTING_SCHOOLS", "200"))
REAL = int(os.environ.get("BENCH_REPORTING_REAL", "12"))
ROUNDS = int(os.environ.get("BENCH_REPORTING_ROUNDS", "30"))
CODE = "benchrep"
GQL = """query { schoolMetricsList(sort: "-hazard_rectification_rate", first: 50) {
  totalCount districtAverage rows { schoolName rank values previousValues } } }"""


def _bureau() -> Bureau:
    return Bureau.objects.filter(code=CODE).first() or bureau_create(name="基准对比教育局", code=CODE)


def _leader(bureau: Bureau) -> User:
    user, created = User.objects.get_or_create(username="bench-rep-leader", defaults={"name": "基准局领导"})
    if created:
        membership_grant(user=user, role=Role.BUREAU_LEADER, bureau=bureau)
    return user


def _real_schools(bureau: Bureau) -> list[School]:
    schools = []
    for i in range(REAL):
        slug = f"brep{i}"
        school = School.objects.filter(slug=slug).first() or school_create(
            bureau=bureau, name=f"基准实体学校{i:03d}", slug=slug, student_count=400 + i)
        schools.append(school)
    connection.set_schema_to_public()
    return schools


def _fake_values(rng: random.Random) -> dict:
    values = {}
    for metric in protocol.all_metrics():
        if metric.unit == "percent":
            values[metric.key] = round(rng.uniform(0.4, 1.0), 4)
        elif metric.unit == "yuan":
            values[metric.key] = round(rng.uniform(1e4, 5e6), 2)
        else:
            values[metric.key] = rng.randint(0, 60)
    return values


def _read_model_schools(bureau: Bureau, term) -> None:
    """N - REAL schools as rows only (no schema: the read-model never enters them), with their metrics."""
    from reporting.models import SchoolMetrics

    rng = random.Random(7)
    wanted = max(0, N - REAL)
    School.objects.bulk_create([
        School(bureau=bureau, name=f"基准学校{i:04d}", slug=f"brow{i}", schema_name=f"brow{i}",
               student_count=rng.randint(200, 2000))
        for i in range(wanted)
    ], batch_size=500)
    schools = list(School.objects.filter(bureau=bureau, slug__startswith="brow"))
    SchoolMetrics.objects.bulk_create(
        [SchoolMetrics(school=s, term=term, values=_fake_values(rng)) for s in schools], batch_size=500)


def _time(fn, rounds: int) -> list[float]:
    fn()  # warm-up
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


def _comparison_benchmarks(bureau: Bureau, leader: User, term, real: list[School]) -> None:
    from reporting.services import school_metrics_compute

    client = Client(HTTP_HOST="localhost")
    client.force_login(leader)

    def page():
        response = client.get("/bureau/?sort=-hazard_rectification_rate")
        assert response.status_code == 200, response.status_code

    def gql():
        response = client.post("/graphql/", {"query": GQL}, content_type="application/json")
        assert "errors" not in response.json(), response.json()

    def naive():
        rows = [school_metrics_compute(school=s, term=term) for s in real]
        rows.sort(key=lambda v: v.get("hazard_rectification_rate") or 0)
        connection.set_schema_to_public()

    page_p95 = p95(_time(page, ROUNDS))
    gql_p95 = p95(_time(gql, ROUNDS))
    naive_samples = _time(naive, max(3, ROUNDS // 10))
    naive_for_n = p95(naive_samples) * N / max(1, len(real))
    report(f"reporting_comparison_page_p95_{N}", page_p95 * 1000, "ms", baseline=naive_for_n * 1000,
           target="<=100ms")
    report(f"reporting_comparison_graphql_p95_{N}", gql_p95 * 1000, "ms", baseline=naive_for_n * 1000,
           target="<=100ms")
    report(f"reporting_naive_loop_p95_{len(real)}_schemas", p95(naive_samples) * 1000, "ms")


def _freshness(real: list[School]) -> None:
    """A write in a school → on_commit → task → worker recomputes → the bureau row changes."""
    from celery.contrib.testing.worker import start_worker

    from config.celery import app
    from reporting.models import SchoolMetrics
    from reporting.tasks import school_metrics_refresh_task
    from schools.models import Department

    samples = []
    stop = threading.Event()

    def background():
        # Steady background load: refreshes of the other schools keep the worker busy.
        index = 0
        while not stop.is_set():
            school = real[1 + index % (len(real) - 1)]
            school_metrics_refresh_task.apply_async(kwargs={"schema_name": school.schema_name})
            index += 1
            stop.wait(0.5)

    if str(app.conf.broker_url).startswith("memory"):
        # The in-memory transport polls (1 s by default); Redis in production delivers at once.
        app.conf.broker_transport_options = {**(app.conf.broker_transport_options or {}), "polling_interval": 0.05}
    with start_worker(app, pool="threads", concurrency=2, perform_ping_check=False, loglevel="WARNING"):
        loader = threading.Thread(target=background, daemon=True)
        loader.start()
        try:
            for i in range(max(5, ROUNDS // 3)):
                school = real[0]
                before = SchoolMetrics.objects.filter(school=school).values_list("computed_at", flat=True).first()
                start = time.perf_counter()
                connection.set_tenant(school)
                with transaction.atomic():
                    Department.objects.create(name=f"基准部门{time.time_ns()}-{i}")
                    school_metrics_request_refresh()
                connection.set_schema_to_public()
                while time.perf_counter() - start < 30:
                    now = SchoolMetrics.objects.filter(school=school).values_list("computed_at", flat=True).first()
                    if now and now != before:
                        break
                    time.sleep(0.01)
                samples.append(time.perf_counter() - start)
        finally:
            stop.set()
            loader.join(timeout=5)
    report("reporting_freshness_p95", p95(samples), "s", target="<=5s")


def _nightly(real: list[School]) -> None:
    """The nightly recompute, school after school as one worker runs the fan-out; extrapolated to N."""
    from reporting.services import school_metrics_refresh

    start = time.perf_counter()
    for school in real:
        school_metrics_refresh(school=school)
    elapsed = time.perf_counter() - start
    per_school = elapsed / max(1, len(real))
    report(f"reporting_nightly_per_school_{len(real)}", per_school * 1000, "ms")
    report(f"reporting_nightly_recompute_{N}_extrapolated", per_school * N, "s", target="<=300s")


class _RollBack(Exception):
    pass


def run() -> None:
    from reporting.services import school_metrics_refresh, term_current

    connection.set_schema_to_public()
    bureau = _bureau()
    leader = _leader(bureau)
    term = term_current(bureau=bureau, on=timezone.localdate())
    real = _real_schools(bureau)
    for school in real:
        school_metrics_refresh(school=school, term=term)
    # The N - REAL rows-only schools live in a transaction that is rolled back: no school row without
    # a schema ever outlives the run (migrate_schemas would trip over it).
    try:
        with transaction.atomic():
            _read_model_schools(bureau, term)
            _comparison_benchmarks(bureau, leader, term, real)
            raise _RollBack
    except _RollBack:
        pass
    _freshness(real)
    _nightly(real)
    _print_results()


def _print_results() -> None:
    from .harness import RESULTS

    for row in RESULTS:
        if not row["name"].startswith("reporting_"):
            continue
        line = f"BENCH {row['name']} {row['value']:.4g} {row['unit']}"
        if row["baseline"] is not None:
            line += f" baseline={row['baseline']:.4g} ratio={row['ratio']:.3g}" if row["ratio"] else ""
        sys.stdout.write(line + "\n")
