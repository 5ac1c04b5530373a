"""Stage-2 topology, run here: a streaming replica and PgBouncer (session mode) under Houqin, checked and loaded.

bench/topology.py starts a throwaway primary on 127.0.0.1 loaded with the bench database's public schema
and BENCH_TOPOLOGY_ACTIVE (default 3) of the generator's schools (BENCH_TOPOLOGY_SCHOOLS, default 20, in
the bureau's read-model; BENCH_TOPOLOGY_WORLD=generated, else that many plain schools), its streaming replica (pg_basebackup -R) and PgBouncer in session mode. Then:
the checks (bureau reads on the replica, writes and read-your-writes on the primary, the search_path of
each request through PgBouncer with two schools alternating), and bench_load's mix of pages and GraphQL
(BENCH_TOPOLOGY_USERS, default 10, for BENCH_TOPOLOGY_SECONDS, default 32, in quarters alternating)
against two gunicorns over the same primary: one straight to it (the baseline), one through PgBouncer
with the replica. Prints a table on stderr and the BENCH lines; the topology's p95 is the value, the
direct connection's the baseline. Skips, with the reason, without the server binaries or pgbouncer.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from django.conf import settings
from django.db import connection

from . import bench_load
from .harness import env_int, note, p95, report
from .topology import SchoolLogin, Topology, available, checks, table

SCHOOLS = env_int("BENCH_TOPOLOGY_SCHOOLS", 20)
ACTIVE = env_int("BENCH_TOPOLOGY_ACTIVE", 3)
USERS = env_int("BENCH_TOPOLOGY_USERS", 10)
SECONDS = env_int("BENCH_TOPOLOGY_SECONDS", 32)
# plain: ACTIVE schools provisioned empty (seconds); generated: the generator's district with every module's
# demo records (minutes the first time, as bench_load).
WORLD = os.environ.get("BENCH_TOPOLOGY_WORLD", "plain")


def static_root() -> Path:
    """Collected, hashed static files for gunicorn (DEBUG off needs the manifest), kept between runs."""
    root = Path(settings.DATA_DIR) / "bench-static"
    manifest = root / "staticfiles.json"
    sources = [p for folder in settings.BASE_DIR.glob("*/static") for p in folder.rglob("*") if p.is_file()]
    newest = max((p.stat().st_mtime for p in sources), default=0)
    if not manifest.exists() or manifest.stat().st_mtime < newest:
        import subprocess

        note("collecting static files for gunicorn (once, kept in .data/bench-static)")
        subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=settings.BASE_DIR,
                       env={**os.environ, "STATIC_ROOT": str(root)}, check=True)
    return root


def _plain_world(count: int) -> tuple[list, str]:
    """ACTIVE schools of a bureau `topo`, provisioned without records, one principal for all of them."""
    from reporting.services import school_metrics_refresh
    from tenants.models import Bureau, School, User
    from tenants.roles import Role
    from tenants.services import bureau_create, membership_grant, school_create

    bureau = Bureau.objects.filter(code="topo").first() or bureau_create(name="拓扑测试教育局", code="topo")
    principal, _ = User.objects.get_or_create(username="topo-principal", defaults={"name": "拓扑校长"})
    principal.set_password(bench_load.PASSWORD)
    principal.save()
    leader, _ = User.objects.get_or_create(username="load-leader", defaults={"name": "压测局领导"})
    leader.set_password(bench_load.PASSWORD)
    leader.save()
    membership_grant(user=leader, role=Role.BUREAU_LEADER, bureau=bureau)
    schools = []
    for i in range(1, count + 1):
        school = School.objects.filter(slug=f"topo{i:02d}").first() or school_create(
            bureau=bureau, name=f"拓扑第{i}小学", slug=f"topo{i:02d}", student_count=500, staff_count=40)
        membership_grant(user=principal, role=Role.PRINCIPAL, school=school)
        school_metrics_refresh(school=school)
        schools.append(school)
    return schools, principal.username


def _load(servers, schools, principal) -> dict[str, dict]:
    """bench_load's mix on each server in turn, twice (so neither gets the machine's quiet or busy half)."""
    out = {s.label: {"timings": {}, "errors": 0} for s in servers}
    for server in servers:  # warm-up, not counted: each worker's first requests load templates and connect
        bench_load.drive(server.port, schools, principal, users=USERS, seconds=3)
    for _ in range(2):
        for server in servers:
            timings, errors = bench_load.drive(server.port, schools, principal, users=USERS, seconds=SECONDS / 4)
            for name, samples in timings.items():
                out[server.label]["timings"].setdefault(name, []).extend(samples)
            out[server.label]["errors"] += sum(errors.values())
    return out


def run() -> None:
    why = available()
    if why:
        note(f"skipped: {why}")
        return
    started = time.perf_counter()
    if WORLD == "generated":
        schools, _bureau, principal = bench_load._world(count=SCHOOLS, active_count=ACTIVE)
        world = f"{ACTIVE} of {SCHOOLS} generated schools with demo records"
    else:
        schools, principal = _plain_world(ACTIVE)
        world = f"{ACTIVE} provisioned schools without demo records (BENCH_TOPOLOGY_WORLD=generated for the generator's)"
    note(f"world: {world}")
    statics = static_root()
    started = time.perf_counter()  # the topology's own time: the world and the one-off collectstatic left out
    with Topology(pool_size=20) as top:
        top.start_primary(version_at_least=connection.pg_version // 10000)
        # The template too: /healthz answers 503 until it is current, as on a deployment.
        top.load(source=connection.settings_dict,
                 schemas=["public", settings.TENANT_BASE_SCHEMA, *[s.schema_name for s in schools]])
        top.start_replica()
        top.start_bouncer()
        env = {"STATIC_ROOT": str(statics)}
        # Each school's own department, written through the direct server, so a request that read another
        # school's schema would show.
        t = time.perf_counter()
        direct = top.serve(topology=False, label="direct", extra_env=env)
        top.times["gunicorn: start the direct server"] = time.perf_counter() - t
        from .topology import Client

        markers = []
        for school in schools[:2]:
            client = Client(direct.port, school.host)
            client.login(principal, bench_load.PASSWORD)
            marker = f"TOPO-{school.schema_name}"
            if marker not in {e["node"]["name"] for e in client.graphql(
                    "{ departmentList(first: 100) { edges { node { name } } } }")["departmentList"]["edges"]}:
                client.graphql("mutation($n: String!) { departmentCreate(data: {name: $n}) { name } }", {"n": marker})
            markers.append(SchoolLogin(school.host, school.schema_name, principal, marker))
        top.wait_replayed()
        t = time.perf_counter()
        checker = top.serve(topology=True, label="checks", workers=2, threads=2, check_pool=True, conn_max_age=0,
                            extra_env=env)
        results = checks(top, port=checker.port, bureau_user="load-leader", schools=markers,
                         password=bench_load.PASSWORD, metrics_school_ids=[s.pk for s in schools[:2]])
        checker.stop()
        top.times["checks (their own server's start included)"] = time.perf_counter() - t
        t = time.perf_counter()
        through = top.serve(topology=True, label="topology", extra_env=env)
        top.times["gunicorn: start the topology server"] = time.perf_counter() - t
        load_started = time.perf_counter()
        loads = _load([direct, through], schools, principal)
        load_seconds = time.perf_counter() - load_started
        lag = []
        for _ in range(5):
            from .topology import sql

            sql(top.primary_port, "CREATE TABLE IF NOT EXISTS topology_lag (at timestamptz)")
            sql(top.primary_port, "INSERT INTO topology_lag VALUES (now())")
            lag.append(top.wait_replayed())
        setup = dict(top.times)

    rows = [["check", "holds", "shown by"]] + [[c.name, "yes" if c.ok else "NO", c.detail] for c in results]
    print("\n" + table(rows) + "\n", file=sys.stderr, flush=True)
    names = sorted(set(loads["direct"]["timings"]) | set(loads["topology"]["timings"]))
    groups = {"all requests": names, "bureau (reads on the replica)": [n for n in names if n.startswith("bureau")],
              "school (primary)": [n for n in names if not n.startswith("bureau")]}
    rows = [["requests", "direct p95 ms", "PgBouncer + replica p95 ms", "direct n", "topology n"]]
    figures = {}
    for group, members in {**groups, **{n: [n] for n in names}}.items():
        d = [t for n in members for t in loads["direct"]["timings"].get(n, [])]
        t = [t for n in members for t in loads["topology"]["timings"].get(n, [])]
        if d and t:
            figures[group] = (p95(t) * 1000, p95(d) * 1000)
            rows.append([group, f"{p95(d) * 1000:.0f}", f"{p95(t) * 1000:.0f}", str(len(d)), str(len(t))])
    rows.append(["errors", str(loads["direct"]["errors"]), str(loads["topology"]["errors"]), "", ""])
    print(table(rows) + "\n", file=sys.stderr, flush=True)
    print(table([["step", "seconds"]] + [[k, f"{v:.1f}"] for k, v in setup.items()]
                + [["load runs (both servers)", f"{load_seconds:.1f}"],
                   ["topology run (after the world and static files)", f"{time.perf_counter() - started:.1f}"]]) + f"\nworld: {world}\n",
          file=sys.stderr, flush=True)

    for c in results:
        report(f"topology_check_{'_'.join(c.name.split()[:4]).replace('(', '').replace('-', '_')}", int(c.ok),
               "holds", target="1")
    for key, name in (("all requests", "all"), ("bureau (reads on the replica)", "bureau"),
                      ("school (primary)", "school")):
        if key in figures:
            value, baseline = figures[key]
            report(f"topology_p95_{name}", value, "ms", baseline=baseline)
    report("topology_errors", loads["topology"]["errors"], "errors", baseline=loads["direct"]["errors"], target="0")
    report("topology_replication_lag_p95", p95(lag) * 1000, "ms")
    report("topology_seconds", time.perf_counter() - started, "s", target="<=180s")
