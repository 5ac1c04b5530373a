"""A migrated empty database as SQL, so a first `./dev up` does not replay every migration.

Running the migrations from zero takes minutes whatever the machine: Django re-renders the model
state after each operation (the pghistory event models tie almost every model to the users), twice —
for the public schema and for the template schema every school is copied from. The outcome of those
minutes is the same for everyone, so `./dev manage dev_baseline` records it once: a `pg_dump` of a
freshly migrated database (public and the template schema, with their django_migrations rows,
content types and permissions) in `tenants/baseline/schema.sql`, and in `manifest.json` the
migrations it contains with a hash of each file.

`./dev up` on an empty database replays it in one transaction, then migrates as usual: migrations
newer than the baseline are applied on top, so a baseline that lags behind only costs their time. It
is not used (the migrations run from zero) when a migration it contains has changed or is gone, when
the server's PostgreSQL is older than the one it was dumped from, or when the database is not empty.
Only development uses it; deployments and the test database migrate.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

from django.db import connection, transaction

DIRECTORY = Path(__file__).resolve().parent / "baseline"
SQL = DIRECTORY / "schema.sql"
MANIFEST = DIRECTORY / "manifest.json"
# The template's stored snapshot is retaken from the template when the first school needs it.
EXCLUDED_DATA = ("public.tenants_schemasnapshot",)


def _migration_files() -> dict[str, Path]:
    """'app.name' → file of every migration on disk."""
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    files = {}
    for (app, name), migration in loader.disk_migrations.items():
        module = sys.modules[type(migration).__module__]
        files[f"{app}.{name}"] = Path(module.__file__)
    return files


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _server_major() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        return int(cursor.fetchone()[0]) // 10000


def database_is_empty() -> bool:
    """No schema but public, and no table in it: nothing has migrated here yet."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_namespace WHERE nspname NOT IN ('public', 'information_schema')"
            " AND nspname NOT LIKE 'pg\\_%%'"
        )
        schemas = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace")
        relations = cursor.fetchone()[0]
    return schemas == 0 and relations == 0


def unusable_reason() -> str | None:
    """Why the baseline cannot be replayed here, or None when it can."""
    if not SQL.exists() or not MANIFEST.exists():
        return "no baseline recorded"
    manifest = json.loads(MANIFEST.read_text())
    if _server_major() < manifest["server_major"]:
        return f"PostgreSQL {_server_major()} is older than the baseline's {manifest['server_major']}"
    files = _migration_files()
    for label, digest in manifest["migrations"].items():
        path = files.get(label)
        if path is None:
            return f"migration {label} is gone"
        if _digest(path) != digest:
            return f"migration {label} changed since the baseline was recorded"
    return None


def newer_migrations() -> list[str]:
    """Migrations on disk that the baseline does not contain (they run after it)."""
    manifest = json.loads(MANIFEST.read_text())
    return sorted(set(_migration_files()) - set(manifest["migrations"]))


def load() -> None:
    """Replay the baseline into this (empty) database, in one transaction."""
    from .snapshot import _replayable, known_settings_only

    sql = known_settings_only(_replayable(SQL.read_text()))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
        cursor.execute("SELECT set_config('search_path', 'public', true)")
    connection.set_schema_to_public()


def record(*, database_env: dict, stdout=None) -> dict:
    """Dump the freshly migrated database `database_env` points at (libpq variables) as the baseline."""
    from .snapshot import pg_dump_path

    binary = pg_dump_path()
    command = [binary, "--no-owner", "--no-privileges", "--inserts", "--rows-per-insert=200",
               *(f"--exclude-table-data={table}" for table in EXCLUDED_DATA)]
    result = subprocess.run(command, env=database_env, capture_output=True, text=True, check=True)
    DIRECTORY.mkdir(exist_ok=True)
    # \restrict lines carry a random key: drop them so an unchanged schema gives an unchanged file.
    lines = [line for line in result.stdout.splitlines() if not line.startswith(("\\restrict", "\\unrestrict"))]
    SQL.write_text("\n".join(lines) + "\n")
    recorded = subprocess.run(
        [str(Path(binary).with_name("psql")), "-At", "-c",
         "SELECT app || '.' || name FROM public.django_migrations UNION "
         "SELECT app || '.' || name FROM school_template.django_migrations ORDER BY 1"],
        env=database_env, capture_output=True, text=True, check=True,
    ).stdout.split()
    version = subprocess.run([str(Path(binary).with_name("psql")), "-At", "-c", "SHOW server_version_num"],
                             env=database_env, capture_output=True, text=True, check=True).stdout.strip()
    files = _migration_files()
    manifest = {
        "server_major": int(version) // 10000,
        "migrations": {label: _digest(files[label]) for label in recorded if label in files},
    }
    MANIFEST.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    if stdout:
        stdout.write(f"baseline: {len(manifest['migrations'])} migrations, {SQL.stat().st_size // 1024} KiB\n")
    return manifest
