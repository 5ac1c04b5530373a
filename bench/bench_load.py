"""Bounded load over loopback: concurrent users on mixed pages and GraphQL, p95 per endpoint, errors.

gunicorn on 127.0.0.1 only. Sizes: BENCH_LOAD_USERS (default 50), BENCH_LOAD_SECONDS (default 60;
the issue's run is 300), BENCH_LOAD_SCHOOLS (default 50) in the database, BENCH_LOAD_ACTIVE (default 20)
of them spread over the district where the school users sign in. The schools are the generator's (bench/
generator.py: clones of a school filled with every module's demo records), made if missing, so the
bureau's pages read the read-model of all of them and each school's lists hold real rows. Users sign
in as the generated district-wide team (one principal for every school) and the bureau's leader.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import re
import socket
import subprocess
import sys
import threading
import time
from collections import defaultdict
from urllib.parse import urlencode

from django.conf import settings

from tenants.models import Bureau, School, User
from tenants.roles import Role
from tenants.services import membership_grant

from .harness import p95, report

USERS = int(os.environ.get("BENCH_LOAD_USERS", "50"))
SECONDS = float(os.environ.get("BENCH_LOAD_SECONDS", "60"))
SCHOOLS = int(os.environ.get("BENCH_LOAD_SCHOOLS", "50"))
ACTIVE = int(os.environ.get("BENCH_LOAD_ACTIVE", "20"))  # schools the school users sign in to
PASSWORD = "load-pass-42"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _world(count: int = SCHOOLS, active_count: int = ACTIVE) -> tuple[list[School], Bureau, str]:
    """The active schools, their bureau and the username every school user signs in as."""
    from reporting.services import school_metrics_refresh

    from . import generator

    district = generator.generate(count=count)
    schools, bureau = district.schools, district.bureau
    # The signed-in users spread over ACTIVE schools of the district (all SCHOOLS stay in the database and
    # in the bureau's read-model). Generated schools copied before a release are migrated here if behind.
    from django.core.management import call_command

    from frontend.middleware import _unapplied

    step = max(1, len(schools) // active_count)
    active = schools[::step][:active_count]
    for school in [district.model, *active]:
        if _unapplied(school.schema_name):
            call_command("migrate_schemas", schema_name=school.schema_name, tenant=True, interactive=False,
                         verbosity=0)
    principal = User.objects.get(username=f"{generator.PREFIX}-{Role.PRINCIPAL}".replace("_", "-"))
    principal.set_password(PASSWORD)
    principal.save(update_fields=["password"])
    leader, created = User.objects.get_or_create(username="load-leader", defaults={"name": "压测局领导"})
    leader.set_password(PASSWORD)
    leader.save()
    membership_grant(user=leader, role=Role.BUREAU_LEADER, bureau=bureau)
    # The bureau reads the read-model: every school needs its row. The generated schools are copies of
    # the model school, so their metrics are the model's: computed once, copied in bulk.
    from reporting.models import SchoolMetrics

    model_row = school_metrics_refresh(school=district.model)
    have = set(SchoolMetrics.objects.filter(school__in=schools, term=model_row.term).values_list("school_id",
                                                                                                flat=True))
    SchoolMetrics.objects.bulk_create(
        [SchoolMetrics(school=school, term=model_row.term, values=model_row.values) for school in schools
         if school.pk not in have], batch_size=500)
    for school in active:
        school_metrics_refresh(school=school)
    return active, bureau, principal.username


BUREAU_QUERY = "{ bureau { name schools(first: 50) { totalCount edges { node { name slug } } } } }"
WORK_ORDERS_QUERY = ("{ workOrderList(first: 50) { totalCount edges { node { reference status title "
                     "reportedAt dueAt } } } }")
ASSETS_QUERY = ("{ assetList(first: 50) { totalCount edges { node { assetNumber name kind "
                "category { code name } room { name } } } } }")


class Session:
    """One simulated person: a cookie jar for one host."""

    def __init__(self, port: int, host: str):
        self.port, self.host, self.cookies = port, host, {}

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        all_headers = {"Host": self.host, **(headers or {})}
        if self.cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        conn.request(method, path, body=body, headers=all_headers)
        response = conn.getresponse()
        data = response.read()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        conn.close()
        return response.status, data

    def login(self, username: str) -> None:
        status, body = self.request("GET", "/accounts/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1).decode()
        form = urlencode({"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token}).encode()
        status, _ = self.request("POST", "/accounts/login/", form, {
            "Content-Type": "application/x-www-form-urlencoded", "Referer": f"http://{self.host}/accounts/login/"})
        if status != 302:
            raise RuntimeError(f"login failed for {username}: {status}")


def _gql(session: Session, query: str):
    body = json.dumps({"query": query}).encode()
    return session.request("POST", "/graphql/", body, {
        "Content-Type": "application/json", "X-CSRFToken": session.cookies.get("csrftoken", ""),
        "Referer": f"http://{session.host}/"})


def drive(port: int, schools: list[School], principal: str, *, users: int = USERS, seconds: float = SECONDS
          ) -> tuple[dict[str, list[float]], dict[str, int]]:
    """`users` simulated people on a server at 127.0.0.1:port for `seconds`: each request's time and the errors,
    per endpoint. One in ten is the bureau's leader, the others a school's principal (bench_topology reuses it)."""
    timings: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def user_loop(index: int) -> None:
        rng = random.Random(index)
        bureau_user = index % 10 == 0
        if bureau_user:
            session = Session(port, "localhost")
            session.login("load-leader")
        else:
            school = schools[index % len(schools)]
            session = Session(port, school.host)
            session.login(principal)
        while time.monotonic() < stop_at:
            if bureau_user:
                name, call = rng.choice([
                    ("bureau_home", lambda: session.request("GET", "/")),
                    ("bureau_console", lambda: session.request("GET", "/bureau/")),
                    ("bureau_rankings", lambda: session.request("GET", "/bureau/rankings/")),
                    ("bureau_graphql", lambda: _gql(session, BUREAU_QUERY)),
                ])
            else:
                name, call = rng.choice([
                    ("school_home", lambda: session.request("GET", "/")),
                    ("school_graphql", lambda: _gql(session, "{ school { name studentCount } viewer { username } }")),
                    ("assets_list", lambda: session.request("GET", "/assets/?page=1")),
                    ("repairs_list", lambda: session.request("GET", "/repairs/")),
                    ("hazards_list", lambda: session.request("GET", "/safety/hazards/")),
                    ("gql_work_orders", lambda: _gql(session, WORK_ORDERS_QUERY)),
                    ("gql_assets", lambda: _gql(session, ASSETS_QUERY)),
                    ("notifications", lambda: session.request("GET", "/notifications/")),
                    ("healthz", lambda: session.request("GET", "/healthz")),
                ])
            start = time.perf_counter()
            try:
                status, body = call()
                ok = status < 400 and (not name.endswith("graphql") or b'"errors"' not in body)
            except Exception:
                ok = False
            elapsed = time.perf_counter() - start
            with lock:
                timings[name].append(elapsed)
                if not ok:
                    errors[name] += 1

    threads = [threading.Thread(target=user_loop, args=(i,), daemon=True) for i in range(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 120)
    return timings, errors


def run() -> None:
    schools, bureau, principal = _world()
    port = _free_port()
    env = {**os.environ, "DEBUG": "false", "SITE_PORT": str(port), "CONN_MAX_AGE": "60"}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "3",
         "--threads", "4", "--log-level", "warning"],
        cwd=settings.BASE_DIR, env=env,
    )
    try:
        for _ in range(120):
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=1).request("GET", "/healthz")
                break
            except OSError:
                time.sleep(0.5)
        timings, errors = drive(port, schools, principal)
    finally:
        server.terminate()
        server.wait(timeout=20)
    total = sum(len(v) for v in timings.values())
    report("load_schools_in_database", School.objects.exclude(schema_name="public").count(), "schools")
    report("load_active_schools", len(schools), "schools")
    report("load_users", USERS, "users")
    report("load_seconds", SECONDS, "s")
    report("load_requests", total, "requests")
    report("load_errors", sum(errors.values()), "errors", target="0")
    for name in sorted(timings):
        report(f"load_p95_{name}", p95(timings[name]) * 1000, "ms")
