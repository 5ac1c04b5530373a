"""Links from school tables to people: no constraint (what Houqin does) against foreign-key constraints.

A foreign-key constraint adds two triggers to the table it points at. With one schema per school and ~60
links to `tenants_user` in each, the users table collects 120 triggers per school: creating a school gets
slower with every school already there (each new constraint rebuilds the users table's trigger list),
and every update of a user (a sign-in sets last_login) walks all of them. This benchmark builds the same
shape twice in a scratch database on the bench server — BENCH_LINK_SCHEMAS (default 200) schemas of as many
one-link tables as the real school schema has links to people — once with plain columns and once with
constraints, and times creating the schemas, updating a user, and a new connection's first read of users.
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit, urlunsplit

from .harness import bench_database_url, env_int, note, p95, report


def _links_per_school() -> int:
    """How many links to people one school schema has (the history tables' copies never had constraints)."""
    from tenants.fields import school_links_to_public

    return sum(1 for f in school_links_to_public(with_history=False) if f.related_model._meta.label == "tenants.User")


def _schema_sql(index: int, links: int, constrained: bool) -> str:
    ref = " REFERENCES public.users (id) DEFERRABLE INITIALLY DEFERRED" if constrained else ""
    lines = [f"CREATE SCHEMA s{index};"]
    for t in range(links):
        lines.append(f"CREATE TABLE s{index}.t{t} (id bigserial PRIMARY KEY, person_id bigint{ref}, note text);")
        lines.append(f"CREATE INDEX ON s{index}.t{t} (person_id);")
        lines.append(f"INSERT INTO s{index}.t{t} (person_id, note) VALUES (1, 'a'), (2, 'b');")
    return "BEGIN;\n" + "\n".join(lines) + "\nCOMMIT;"


def _world(url: str, schemas: int, links: int, constrained: bool) -> dict:
    """Build the schemas one by one; return the figures of this variant."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE public.users (id bigserial PRIMARY KEY, name text, last_login timestamptz)")
        conn.execute("INSERT INTO public.users (name) SELECT 'u' || g FROM generate_series(1, 50) g")
        times = []
        for i in range(1, schemas + 1):
            start = time.perf_counter()
            conn.execute(_schema_sql(i, links, constrained))
            times.append(time.perf_counter() - start)
        updates = []
        for i in range(20):
            start = time.perf_counter()
            conn.execute("UPDATE public.users SET last_login = now() WHERE id = %s", [3 + i])
            updates.append(time.perf_counter() - start)
        triggers = conn.execute("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'public.users'::regclass").fetchone()[0]
    first_reads = []
    for _ in range(5):
        with psycopg.connect(url, autocommit=True) as fresh:
            start = time.perf_counter()
            fresh.execute("SELECT name FROM public.users WHERE id = 3").fetchone()
            first_reads.append(time.perf_counter() - start)
    tenth = max(1, schemas // 10)
    return {"first": sum(times[:tenth]) / tenth, "last": sum(times[-tenth:]) / tenth, "total": sum(times),
            "update": p95(updates), "first_read": p95(first_reads), "triggers": triggers}


def _admin_url(url: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/postgres"))


def _drop(url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(_admin_url(url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def _scratch(url: str, name: str) -> str:
    """A new empty database `name` on the bench server (an earlier one is dropped); returns its URL."""
    import psycopg

    _drop(url, name)
    with psycopg.connect(_admin_url(url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def run() -> None:
    schemas = env_int("BENCH_LINK_SCHEMAS", 200)
    links = _links_per_school()
    base = bench_database_url()
    name = f"{urlsplit(base).path.strip('/')}_links"
    figures = {}
    try:
        for constrained in (False, True):
            note(f"{schemas} schemas × {links} links to people, {'with' if constrained else 'without'} constraints")
            figures[constrained] = _world(_scratch(base, name), schemas, links, constrained)
    finally:
        _drop(base, name)
    plain, fk = figures[False], figures[True]
    report("user_links_per_school", links, "links")
    report(f"user_links_triggers_on_users_at_{schemas}", plain["triggers"], "triggers", baseline=fk["triggers"])
    report(f"user_links_create_{schemas}_schemas", plain["total"], "s", baseline=fk["total"])
    report(f"user_links_create_schema_last_tenth_at_{schemas}", plain["last"], "s", baseline=fk["last"])
    report(f"user_links_create_schema_growth_first_to_last_tenth_at_{schemas}", plain["last"] / plain["first"], "x",
           baseline=fk["last"] / fk["first"])
    report(f"user_links_update_user_p95_at_{schemas}", plain["update"] * 1000, "ms", baseline=fk["update"] * 1000)
    report(f"user_links_first_read_of_users_p95_at_{schemas}", plain["first_read"] * 1000, "ms",
           baseline=fk["first_read"] * 1000)
