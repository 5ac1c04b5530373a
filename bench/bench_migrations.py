"""Migrating every school after adding a nullable column: django-tenants' multiprocessing executor against
the standard one (one schema after another), on the same N schools in the same run.

A throwaway migration adds a nullable column to one tenant table (schools.Department). It lives in a
temporary copy of that app's migrations package (MIGRATION_MODULES, bench/migrate_settings.py), so no
file of the app changes. `manage.py migrate_schemas --executor=<name>` applies it to every schema, in a
subprocess, exactly as a deployment would; then the column and the migration records are removed by
SQL and the other executor runs. Nothing is left behind.

BENCH_SCHOOLS (default 100) generated schools; BENCH_MIGRATE_PROCESSES (default 2) worker processes;
BENCH_MIGRATE_STOCK=1 adds the parallel run on django-tenants' own database backend (its table listing
scans pg_class, four times per schema), as the baseline of tenants/postgresql_backend.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.db import connection
from django.db.migrations.loader import MigrationLoader

from tenants.models import School

from . import generator
from .harness import env_int, note, report

APP = "schools"
MODEL = "department"
TABLE = "schools_department"
COLUMN = "bench_note"
NAME = "9999_bench_nullable_column"
PACKAGE = "houqin_bench_migrations"
ROOT = Path(__file__).resolve().parent.parent

MIGRATION = '''from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("{app}", "{leaf}")]
    operations = [
        migrations.AddField(
            model_name="{model}", name="{column}", field=models.CharField(max_length=40, null=True, blank=True)
        ),
    ]
'''


def _leaf(app: str) -> str:
    loader = MigrationLoader(None, ignore_no_migrations=True)
    leaves = [name for label, name in loader.graph.leaf_nodes() if label == app]
    if len(leaves) != 1:
        raise RuntimeError(f"{app} has {len(leaves)} leaf migrations")
    return leaves[0]


def build_package(folder: Path) -> str:
    """Copy the app's migrations into folder/<PACKAGE>/<app>/ with one extra migration; return its module."""
    source = ROOT / APP / "migrations"
    target = folder / PACKAGE / APP
    target.mkdir(parents=True)
    (folder / PACKAGE / "__init__.py").write_text("")
    for path in source.glob("*.py"):
        shutil.copy(path, target / path.name)
    (target / f"{NAME}.py").write_text(
        MIGRATION.format(app=APP, leaf=_leaf(APP), model=MODEL, column=COLUMN)
    )
    return f"{PACKAGE}.{APP}"


def _schemas_with_table() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT table_schema FROM information_schema.tables WHERE table_name = %s", [TABLE])
        return sorted(row[0] for row in cursor.fetchall())


def _schemas_with_column() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_schema FROM information_schema.columns WHERE table_name = %s AND column_name = %s",
            [TABLE, COLUMN],
        )
        return {row[0] for row in cursor.fetchall()}


def undo() -> None:
    """Remove the column and the migration records from every schema (idempotent)."""
    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        for schema in _schemas_with_column():
            cursor.execute(f'ALTER TABLE "{schema}"."{TABLE}" DROP COLUMN IF EXISTS "{COLUMN}"')
        cursor.execute("SELECT table_schema FROM information_schema.tables WHERE table_name = 'django_migrations'")
        for (schema,) in cursor.fetchall():
            cursor.execute(f'DELETE FROM "{schema}".django_migrations WHERE app = %s AND name = %s', [APP, NAME])


def _migrate(executor: str, folder: Path, module: str, *extra: str, stock_backend: bool = False) -> float:
    env = os.environ.copy()
    env.update({
        "BENCH_MIGRATION_STOCK_BACKEND": "1" if stock_backend else "0",
        "DJANGO_SETTINGS_MODULE": "bench.migrate_settings",
        "BENCH_MIGRATION_APP": APP,
        "BENCH_MIGRATION_MODULE": module,
        "PYTHONPATH": os.pathsep.join([str(folder), str(ROOT), env.get("PYTHONPATH", "")]),
    })
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "manage.py", "migrate_schemas", f"--executor={executor}", "--noinput", "-v", "0", *extra],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"migrate_schemas --executor={executor} failed:\n{result.stderr[-3000:]}")
    return elapsed


def _raw_ddl() -> float:
    """The floor: the same ALTER TABLE in every schema over one connection, without Django's migrate."""
    schemas = _schemas_with_table()
    start = time.perf_counter()
    with connection.cursor() as cursor:
        for schema in schemas:
            cursor.execute(f'ALTER TABLE "{schema}"."{TABLE}" ADD COLUMN "{COLUMN}" varchar(40) NULL')
    return time.perf_counter() - start


def _table_listing(schema: str, rounds: int = 5) -> tuple[float, float]:
    """ms per table listing of one schema: this backend's (pg_depend's index) and django-tenants' (a pg_class scan)."""
    from django_tenants.postgresql_backend.introspection import DatabaseSchemaIntrospection

    connection.set_schema(schema)
    timings = []
    with connection.cursor() as cursor:
        for introspection in (connection.introspection, DatabaseSchemaIntrospection(connection)):
            start = time.perf_counter()
            for _ in range(rounds):
                introspection.get_table_list(cursor)
            timings.append((time.perf_counter() - start) * 1000 / rounds)
    connection.set_schema_to_public()
    return timings[0], timings[1]


def run() -> None:
    count = env_int("BENCH_SCHOOLS", 100)
    note(f"making sure {count} generated schools exist")
    generator.generate(count=count)
    # Only the generated schools are migrated: drop what other benchmarks may have left beside them.
    others = School.objects.exclude(slug__regex=f"^{generator.PREFIX}([0-9]{{5}}|model)$")
    extra = generator.drop(prefix=generator.PREFIX, keep=count)
    schemas = School.objects.count()
    note(f"{schemas} school schemas in the database ({others.count()} not generated, {extra} extra dropped)")
    undo()
    # migrate asks for the schema's table list four times per schema (MigrationRecorder.has_table).
    fast, scan = _table_listing(generator.school_slug(generator.PREFIX, 1))
    report(f"migrate_table_listing_{schemas}_schools", fast, "ms", baseline=scan)
    folder = Path(tempfile.mkdtemp(prefix="houqin-bench-migrations-"))
    try:
        module = build_package(folder)
        timings = {}
        for executor in ("standard", "multiprocessing"):
            note(f"migrate_schemas --executor={executor} on {schemas} schools …")
            timings[executor] = _migrate(executor, folder, module)
            done = _schemas_with_column()
            missing = [s for s in _schemas_with_table() if s not in done]
            if missing:
                raise RuntimeError(f"{executor}: {len(missing)} schemas lack the column, e.g. {missing[:3]}")
            undo()
        if os.environ.get("BENCH_MIGRATE_STOCK") == "1":
            # The same parallel run on django-tenants' own backend, whose table listing scans pg_class.
            note(f"migrate_schemas --executor=multiprocessing on {schemas} schools, stock backend …")
            stock = _migrate("multiprocessing", folder, module, stock_backend=True)
            undo()
            report(f"migrate_{schemas}_schemas_parallel_fast_listing", timings["multiprocessing"], "s", baseline=stock)
        # The fixed part (interpreter and Django start-up, the public schema) is not per school.
        startup = _migrate("standard", folder, module, "--shared")
        floor = _raw_ddl()
        undo()
        # At 1,000 schools or more the target is measured, not extrapolated.
        report(f"migrate_{schemas}_schemas_parallel", timings["multiprocessing"], "s",
               baseline=timings["standard"], **({"target": "<=600s"} if schemas >= 1000 else {}))
        per = {name: max(seconds - startup, 0.0) / schemas for name, seconds in timings.items()}
        report("migrate_startup", startup, "s")
        report("migrate_per_schema_standard", per["standard"], "s")
        report("migrate_per_schema_parallel", per["multiprocessing"], "s", baseline=per["standard"])
        report("migrate_per_schema_sql_floor", floor / schemas, "s", baseline=per["standard"])
        report("migrate_1000_schemas_extrapolated", startup + min(per.values()) * 1000, "s", target="<=600s")
    finally:
        undo()
        shutil.rmtree(folder, ignore_errors=True)
