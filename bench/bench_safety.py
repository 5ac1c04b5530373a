"""Safety: the gate page with a year's visitor log, and agreement coverage of a 2,000-student school.

  ./dev bench safety                 (BENCH_VISITORS=50000, BENCH_STUDENTS=2000, BENCH_ROUNDS=40 by default)
Each figure is printed against the naive way measured in the same run.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import sys
import time
from unittest import mock

from django.db import connection
from django.test import Client
from django.utils import timezone

from tenants.models import Bureau, School, User
from tenants.roles import Role
from tenants.services import bureau_create, membership_grant, school_create

from .harness import RESULTS, p95, report

VISITORS = int(os.environ.get("BENCH_VISITORS", "50000"))
STUDENTS = int(os.environ.get("BENCH_STUDENTS", "2000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "40"))


def _school() -> School:
    bureau = Bureau.objects.filter(code="bench").first() or bureau_create(name="基准测试教育局", code="bench")
    school = School.objects.filter(slug="benchsafety").first()
    if school is None:
        school = school_create(bureau=bureau, name="基准安全小学", slug="benchsafety", student_count=STUDENTS)
    return school


def _person(username: str, role: str, school: School) -> User:
    user, _ = User.objects.get_or_create(username=username, defaults={"name": username})
    membership_grant(user=user, role=role, school=school)
    return user


def _fill_visitors(guard: User) -> None:
    from safety.models import Visitor

    Visitor.objects.all().delete()
    start = timezone.now() - dt.timedelta(days=365)
    step = dt.timedelta(days=365) / max(VISITORS, 1)
    batch = []
    for i in range(VISITORS):
        in_at = start + step * i
        batch.append(Visitor(name=f"访客{i}", id_number_masked="510***********1234", host_name="王老师",
                             host_verified=True, purpose="来访", in_at=in_at, out_at=in_at + dt.timedelta(minutes=30),
                             registered_by=guard))
        if len(batch) == 5000:
            Visitor.objects.bulk_create(batch)
            batch = []
    Visitor.objects.bulk_create(batch)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE safety_visitor")


def _naive_inside_today():
    """The obvious query: cast every row's time to a date (no index), then filter."""
    from safety.models import Visitor

    return list(Visitor.objects.filter(in_at__date=timezone.localdate(), out_at__isnull=True).order_by("-in_at")[:30])


def _time_gate(client: Client, host: str, label: str) -> tuple[list[float], list[float]]:
    """(the POST that records the visitor, the POST and the page it redirects to), in ms."""
    posts, flows = [], []
    for i in range(ROUNDS):
        start = time.perf_counter()
        response = client.post("/safety/gate/", {"name": f"{label}{i}", "id_number": "510104198805061234",
                                                 "host_name": "陈老师", "host_verified": "1", "purpose": "家长来访"},
                               HTTP_HOST=host)
        posted = time.perf_counter()
        assert response.status_code == 302, response.status_code
        page = client.get(response["Location"], HTTP_HOST=host)
        assert page.status_code == 200
        posts.append((posted - start) * 1000)
        flows.append((time.perf_counter() - start) * 1000)
    return posts[2:], flows[2:]  # the first requests warm caches


def bench_gate(school: School) -> None:
    from safety import views

    connection.set_tenant(school)
    guard = _person("bench-guard", Role.GUARD, school)
    _fill_visitors(guard)
    connection.set_schema_to_public()
    client = Client()
    client.force_login(guard)
    fast_post, fast_flow = _time_gate(client, school.host, "快")
    with mock.patch.object(views, "_inside_today", _naive_inside_today):
        naive_post, naive_flow = _time_gate(client, school.host, "慢")
    report("safety_gate_register_post_p95", p95(fast_post), "ms", baseline=p95(naive_post), target="<=100ms")
    report("safety_gate_register_and_page_p95", p95(fast_flow), "ms", baseline=p95(naive_flow))
    report("safety_gate_register_and_page_median", statistics.median(fast_flow), "ms",
           baseline=statistics.median(naive_flow))


def bench_coverage(school: School) -> None:
    from safety.choices import AgreementKind
    from safety.models import Agreement, AgreementCampaign, AgreementTemplate, SchoolClass
    from safety.selectors import agreement_coverage
    from safety.services import agreement_campaign_issue, agreement_template_create
    from safety.terms import current_term, term_label

    connection.set_tenant(school)
    officer = _person("bench-safety", Role.SAFETY_OFFICER, school)
    # Agreements are immutable once signed: drop the triggers' protection by recreating the schema's rows only
    # when the school is new (a rerun reuses the rows it made).
    term = term_label(current_term())
    if not AgreementCampaign.objects.filter(term=term).exists():
        per_class = 50
        for index in range(STUDENTS // per_class):
            SchoolClass.objects.create(grade=index % 6 + 1, name=f"{index + 1}班", student_count=per_class)
        for kind in (AgreementKind.PARENT_NOTICE, AgreementKind.ROUTE):
            template = AgreementTemplate.objects.filter(kind=kind).first() or agreement_template_create(
                actor=officer, kind=kind, title=str(kind.label), body="条款")
            campaign = agreement_campaign_issue(actor=officer, template=template, term=term, groups=["parents"])
            signed = Agreement.objects.filter(campaign=campaign, seat_no__lte=per_class * 9 // 10)
            signed.update(signed_at=timezone.now(), signer_name="家长", text_sha256="0" * 64, signed_via="online")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE safety_agreement")

    def naive():
        # per class and kind: two counts each (what a first version of the page did)
        result = {}
        for school_class in SchoolClass.objects.all():
            for kind in (AgreementKind.PARENT_NOTICE, AgreementKind.ROUTE):
                rows = Agreement.objects.filter(campaign__term=term, kind=kind, school_class=school_class)
                total, signed = rows.count(), rows.filter(signed_at__isnull=False).count()
                old = result.get(kind, (0, 0))
                result[kind] = (old[0] + signed, old[1] + total)
        return result

    def timed(fn, n=20):
        out = []
        for _ in range(n):
            start = time.perf_counter()
            fn()
            out.append((time.perf_counter() - start) * 1000)
        return out[2:]

    fast = timed(lambda: agreement_coverage(term=term))
    slow = timed(naive, n=5)
    rows = {r["kind"]: (r["signed"], r["total"]) for r in agreement_coverage(term=term)}
    assert rows[AgreementKind.ROUTE][1] == STUDENTS // 50 * 50, rows
    report("safety_agreement_coverage_2000", statistics.median(fast), "ms", baseline=statistics.median(slow),
           target="<=50ms")
    report("safety_agreement_coverage_2000_p95", p95(fast), "ms", baseline=p95(slow))
    connection.set_schema_to_public()


def run() -> None:
    first = len(RESULTS)
    school = _school()
    try:
        bench_gate(school)
        bench_coverage(school)
    except Exception as exc:
        sys.stderr.write(f"bench_safety failed: {exc!r}\n")
        raise
    finally:
        connection.set_schema_to_public()
    for row in RESULTS[first:]:
        baseline = f" baseline={row['baseline']:.4g}" if row["baseline"] is not None else ""
        sys.stdout.write(f"BENCH {row['name']} {row['value']:.4g} {row['unit']}{baseline}\n")
