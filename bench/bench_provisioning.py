"""School provisioning: replaying the template's SQL snapshot, against django-tenants' clone_schema and
against migrating a new schema from zero.

Run after `./dev bench generator` (BENCH_SCHOOLS) to measure it beside that many schools.
BENCH_PROVISION_ROUNDS (default 5) schools per way; with 1,000 schools one clone_schema takes a minute
(BENCH_PROVISION_CLONE=0 leaves that baseline out; migrating from zero stays the baseline).
"""

from __future__ import annotations

import os
import time

from django.db import connection
from django.test import override_settings

from tenants.models import Bureau, School
from tenants.services import bureau_create, school_create

from .harness import report

ROUNDS = int(os.environ.get("BENCH_PROVISION_ROUNDS", "5"))


def _bureau() -> Bureau:
    return Bureau.objects.filter(code="bench").first() or bureau_create(name="基准测试教育局", code="bench")


def _time_create(bureau: Bureau, prefix: str, use_template: bool, rounds: int = 0) -> list[float]:
    samples = []
    for i in range(rounds or ROUNDS):
        slug = f"{prefix}{i}"
        old = School.objects.filter(slug=slug).first()
        if old:
            old.delete(force_drop=True)
        start = time.perf_counter()
        school = school_create(bureau=bureau, name=f"基准学校{slug}", slug=slug, use_template=use_template)
        samples.append(time.perf_counter() - start)
        connection.set_schema_to_public()
        school.delete(force_drop=True)
    return samples


def run() -> None:
    bureau = _bureau()
    # clone_schema's cost grows with the catalog: say how many schools the figure was measured beside.
    report("provision_schools_present", School.objects.count(), "schools")
    _time_create(bureau, "benchwarm", True, rounds=1)  # warm the snapshot (taken after migrate) and the caches
    replayed = _time_create(bureau, "benchsnap", True)
    # Spare schemas replayed ahead of time (off the clock, as the Celery task does): provisioning renames one.
    from django.conf import settings as django_settings

    from tenants.snapshot import spares_fill

    with override_settings(TENANT_SPARE_SCHEMAS=ROUNDS):
        spares_fill(django_settings.TENANT_BASE_SCHEMA, ROUNDS)
        connection.set_schema_to_public()
        pooled = _time_create(bureau, "benchpool", True)
    cloned = []
    if os.environ.get("BENCH_PROVISION_CLONE", "1") != "0":  # a minute per clone at 1,000 schools
        with override_settings(TENANT_SNAPSHOT=False):
            _time_create(bureau, "benchwarmc", True, rounds=1)  # install django-tenants' clone function
            cloned = _time_create(bureau, "benchclone", True)
    migrated = _time_create(bureau, "benchmig", False)
    mean = sum(replayed) / len(replayed)
    clone_mean = sum(cloned) / len(cloned) if cloned else None
    migrate_mean = sum(migrated) / len(migrated)
    report("provision_school", mean, "s", baseline=migrate_mean, target="<=2s")
    if clone_mean is not None:
        report("provision_school_vs_clone", mean, "s", baseline=clone_mean)
    report("provision_school_max", max(replayed), "s")
    report("provision_school_from_spare", sum(pooled) / len(pooled), "s", baseline=migrate_mean, target="<=2s")
