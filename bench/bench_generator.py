"""The data generator: N schools with records by cloning a populated model school, against the naive way
(provision each school through the service and run every app's demo loader in it).

BENCH_SCHOOLS (default 100) schools are made afresh (an earlier run's are dropped first); they are kept
for the other benchmarks (the `gen` bureau) unless BENCH_KEEP=0. BENCH_NAIVE_ROUNDS (default 3) naive
schools give the baseline. BENCH_FRESH=0 keeps the schools of an earlier run and times the missing ones
(grow 300 → 1,000 without starting over).
"""

from __future__ import annotations

import os
import time

from django.db import connection

from tenants.models import Membership, School

from . import generator
from .harness import env_int, note, report

NAIVE_SLUG = "gennaive"


def _naive(rounds: int) -> float:
    """Seconds per school made the naive way: school_create + memberships + demo loaders."""
    from tenants.services import school_create

    bureau = generator._bureau(generator.PREFIX)
    people = generator._people(generator.PREFIX)
    samples = []
    for i in range(rounds):
        slug = f"{NAIVE_SLUG}{i}"
        old = School.objects.filter(slug=slug).first()
        if old:
            old.delete(force_drop=True)
        profile = generator._profile(i + 1)
        start = time.perf_counter()
        school = school_create(bureau=bureau, name=f"逐个创建学校{i}", slug=slug,
                               student_count=profile["student_count"], staff_count=profile["staff_count"],
                               address=profile["address"])
        Membership.objects.bulk_create([Membership(user=u, role=r, school=school) for r, u in people.items()])
        # Fresh user objects: the ones above cache their memberships from before this school existed.
        generator.load_model_school(school, generator._people(generator.PREFIX))
        samples.append(time.perf_counter() - start)
        connection.set_schema_to_public()
        school.delete(force_drop=True)
    return sum(samples) / len(samples)


def _per_school_at_scale(count: int, method: str, extra: int) -> float:
    """Seconds per school to copy `extra` more schools with `method`, with `count` already there."""
    district = generator.generate(count=count + extra, method=method)
    generator.drop(keep=count)
    return district.copy_seconds_per_school()  # not the one-time pg_dump of the model school


def run() -> None:
    count = env_int("BENCH_SCHOOLS", 100)
    existing = len(generator._existing_schemas(generator.PREFIX))
    if existing and os.environ.get("BENCH_FRESH", "1") == "0":
        note(f"keeping the {existing} generated schools (BENCH_FRESH=0): timing the missing ones only")
    elif existing:
        note(f"dropping the {existing} generated schools of an earlier run, to time a fresh generation")
        generator.drop(keep=0)
    started = time.perf_counter()
    model = generator.model_school()
    loaded = getattr(model, "loaded_apps", [])
    note(f"model school ready in {time.perf_counter() - started:.1f}s; "
         f"apps with a demo loader: {', '.join(loaded) or 'none yet'}")
    district = generator.generate(count=count)
    note(f"{district.created} schools by {district.method} in {district.seconds:.1f}s")
    per_school = district.seconds / max(district.created, 1)
    naive = _naive(env_int("BENCH_NAIVE_ROUNDS", 3))
    report(f"generate_{district.created}_schools", district.seconds, "s", baseline=naive * district.created)
    report("generate_per_school", per_school, "s", baseline=naive)
    # Flat means the copies do not get slower as the catalog grows (they did while school tables carried
    # foreign keys to tenants_user: 3,223 s for 1,000, see infra/SCALING.md).
    first, last = district.copy_seconds_per_school("first"), district.copy_seconds_per_school("last")
    report("generate_copy_per_school_first_tenth", first, "s", baseline=naive)
    report(f"generate_copy_per_school_last_tenth_of_{district.created}", last, "s", baseline=naive)
    report("generate_copy_growth_last_over_first_tenth", last / first, "x")
    rows = generator.catalog_rows(district.schools[0].schema_name)
    report("catalog_rows_per_school", rows, "pg_class")
    # Copying a school once `count` exist: clone_schema against replaying the model's SQL.
    extra = env_int("BENCH_SCALE_ROUNDS", 4)
    if generator.dump_available():
        cloned = _per_school_at_scale(count, "clone", extra)
        dumped = _per_school_at_scale(count, "dump", extra)
        report(f"copy_school_dump_at_{count}", dumped, "s", baseline=cloned)
    if os.environ.get("BENCH_KEEP", "1") == "0":
        generator.drop()
