"""Backups of Houqin and restores of one school: its schema's rows, its files, its people and its history seals.

Two ways in, both checked the same way on the way back (row counts, file hashes, the history chain):

- A backup set (`infra/backup/backup.sh`, `backup_set_create`): every schema dumped from one snapshot
  of the database, each school's media and a sha256 manifest beside its dump. `manage.py restore_school
  --from <set> --schema <s>` (`school_restore`) brings one school back into this database, in one
  transaction, and refuses rows that name people this database does not hold (infra/backup/README.md).
- A school archive (`manage.py export_school <slug> <archive.tar.gz>` and `import_school <archive>`): one
  school on its own, to hand over or move. The import clones the template schema, loads every table
  with triggers held off (so history is restored as it was, not re-written), resets the sequences, then
  checks that row counts and the history hash chain match the archive.

Restoring needs a database role allowed to set session_replication_role or create triggers (the owner
or a superuser), as any pg_restore of triggers does.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from .integrity import history_verify
from .models import Bureau, Domain, HistorySeal, Membership, School, User
from .services import bureau_create, school_create

FORMAT = 2  # 2: seals carry their number and key id
USER_FIELDS = ["id", "username", "name", "phone", "email", "password", "is_active", "first_name", "last_name"]


@dataclass
class RestoreResult:
    school: School
    tables: int
    rows: int
    seconds: float
    history_problems: list


def _tables(schema: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s AND table_type = 'BASE TABLE' "
            "ORDER BY table_name",
            [schema],
        )
        return [r[0] for r in cursor.fetchall()]


def _user_columns(schema: str) -> list[tuple[str, str]]:
    """(table, column) pairs of the school's tables that name a user, history tables included.

    They are links kept by the application, not constraints (`tenants.fields.user_fk`), so they are read
    from the models, not from the catalog."""
    from .fields import school_links_to_public

    tables = set(_tables(schema))
    pairs = {
        (f.model._meta.db_table, f.column)
        for f in school_links_to_public()
        if f.related_model is User and f.model._meta.db_table in tables
    }
    return sorted(pairs)


def _count(schema: str, table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT count(*) FROM "{schema}"."{table}"')
        return cursor.fetchone()[0]


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(time.time())
    archive.addfile(info, io.BytesIO(data))


def school_export(*, school: School, path: str | Path) -> dict:
    """Write one school (rows, files, people, seals) to a .tar.gz archive; returns the manifest."""
    schema = school.schema_name
    connection.set_schema_to_public()
    tables = _tables(schema)
    manifest = {
        "format": FORMAT,
        "exported_at": timezone.now().isoformat(),
        "school": {
            "name": school.name,
            "slug": school.slug,
            "status": school.status,
            "kind": school.kind,
            "address": school.address,
            "student_count": school.student_count,
            "staff_count": school.staff_count,
        },
        "bureau": {"code": school.bureau.code, "name": school.bureau.name, "region": school.bureau.region},
        "tables": {},
    }
    user_ids = set(Membership.objects.filter(school=school).values_list("user_id", flat=True))
    for table, column in _user_columns(schema):
        with connection.cursor() as cursor:
            cursor.execute(
                f'SELECT DISTINCT "{column}" FROM "{schema}"."{table}" WHERE "{column}" IS NOT NULL'
            )
            user_ids.update(r[0] for r in cursor.fetchall())
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT app, name FROM "{schema}".django_migrations ORDER BY app, name')
        manifest["migrations"] = [list(r) for r in cursor.fetchall()]
    outermost = not connection.in_atomic_block
    with tarfile.open(path, "w:gz") as archive, transaction.atomic():
        if outermost:  # one snapshot for every table
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        for table in tables:
            buffer = io.BytesIO()
            with (
                connection.cursor() as cursor,
                cursor.cursor.copy(
                    f'COPY "{schema}"."{table}" TO STDOUT WITH (FORMAT csv, HEADER true)'
                ) as copy,
            ):
                for chunk in copy:
                    buffer.write(chunk)
            _add_bytes(archive, f"data/{table}.csv", buffer.getvalue())
            manifest["tables"][table] = _count(schema, table)
        users = list(User.objects.filter(pk__in=user_ids).values(*USER_FIELDS))
        memberships = list(
            Membership.objects.filter(school=school).values(
                "user_id", "role", "post", "is_active", "created_at", "ended_at", "ended_by_partner"
            )
        )
        seals = list(
            HistorySeal.objects.filter(school=school).values(
                "event_table", "seq", "pgh_id", "row_hash", "chain_hash", "key_id", "sealed_at"
            )
        )
        manifest["seals"] = len(seals)
        _add_bytes(archive, "users.json", json.dumps(users, default=str, ensure_ascii=False).encode())
        _add_bytes(
            archive, "memberships.json", json.dumps(memberships, default=str, ensure_ascii=False).encode()
        )
        _add_bytes(archive, "seals.json", json.dumps(seals, default=str).encode())
        media = Path(settings.MEDIA_ROOT) / schema
        if media.is_dir():
            archive.add(str(media), arcname="media")
        _add_bytes(archive, "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1).encode())
    return manifest


def _restore_users(users: list[dict]) -> None:
    for data in users:
        existing = User.objects.filter(pk=data["id"]).first()
        if existing is not None:
            if existing.username != data["username"]:
                raise ValidationError(
                    f"User id {data['id']} belongs to {existing.username!r} here, not {data['username']!r}: "
                    "restore into a database where the school's people do not clash."
                )
            continue
        if User.objects.filter(username=data["username"]).exists():
            raise ValidationError(f"A different user named {data['username']!r} already exists here.")
        User.objects.create(**data)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('public.tenants_user', 'id'), (SELECT max(id) FROM public.tenants_user))"
        )


def school_import(
    *, path: str | Path, slug: str | None = None, bureau_code: str | None = None
) -> RestoreResult:
    """Restore a school archive; refuses an archive made under other migrations than this code's."""
    started = time.perf_counter()
    with tarfile.open(path, "r:gz") as archive:
        member = archive.extractfile("manifest.json")
        manifest = json.loads(member.read())
        if manifest.get("format") != FORMAT:
            raise ValidationError("This archive's format is not supported.")
        users = json.loads(archive.extractfile("users.json").read())
        memberships = json.loads(archive.extractfile("memberships.json").read())
        seals = json.loads(archive.extractfile("seals.json").read())
        data = {
            m.name[len("data/") : -len(".csv")]: archive.extractfile(m).read()
            for m in archive.getmembers()
            if m.name.startswith("data/") and m.name.endswith(".csv")
        }
        media_members = [m for m in archive.getmembers() if m.name.startswith("media/") and m.isfile()]
        media_files = {m.name[len("media/") :]: archive.extractfile(m).read() for m in media_members}

    connection.set_schema_to_public()
    target_slug = slug or manifest["school"]["slug"]
    code = bureau_code or manifest["bureau"]["code"]
    bureau = Bureau.objects.filter(code=code).first() or bureau_create(
        name=manifest["bureau"]["name"], code=code, region=manifest["bureau"]["region"]
    )
    with transaction.atomic():
        _restore_users(users)
        info = manifest["school"]
        school = school_create(
            bureau=bureau,
            name=info["name"],
            slug=target_slug,
            student_count=info["student_count"],
            staff_count=info["staff_count"],
            address=info["address"],
        )
        schema = school.schema_name
        with connection.cursor() as cursor:
            cursor.execute(f'SELECT app, name FROM "{schema}".django_migrations ORDER BY app, name')
            here = [list(r) for r in cursor.fetchall()]
        if here != manifest["migrations"]:
            raise ValidationError("The archive was made under other migrations than this installation's.")
        tables = _tables(schema)
        unknown = set(data) - set(tables)
        if unknown:
            raise ValidationError(f"The archive holds tables this installation lacks: {sorted(unknown)}")
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute("TRUNCATE " + ", ".join(f'"{schema}"."{t}"' for t in tables) + " CASCADE")
            for table, content in data.items():
                with cursor.cursor.copy(
                    f'COPY "{schema}"."{table}" FROM STDIN WITH (FORMAT csv, HEADER true)'
                ) as copy:
                    copy.write(content)
            cursor.execute("SET LOCAL session_replication_role = origin")
            cursor.execute(
                """
                SELECT c.relname, a.attname FROM pg_class c
                JOIN pg_namespace n ON n.oid = c.relnamespace
                JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0
                WHERE n.nspname = %s AND c.relkind = 'r' AND pg_get_serial_sequence(quote_ident(n.nspname) || '.' ||
                      quote_ident(c.relname), a.attname) IS NOT NULL
                """,
                [schema],
            )
            for table, column in cursor.fetchall():
                cursor.execute(
                    f'SELECT setval(pg_get_serial_sequence(\'"{schema}"."{table}"\', %s), '
                    f'COALESCE((SELECT max("{column}") FROM "{schema}"."{table}"), 1), '
                    f'(SELECT max("{column}") IS NOT NULL FROM "{schema}"."{table}"))',
                    [column],
                )
        for m in memberships:
            Membership.objects.create(school=school, **m)
        HistorySeal.objects.bulk_create([HistorySeal(school=school, **s) for s in seals])
        counts = {t: _count(schema, t) for t in tables}
        mismatched = {t: (counts.get(t), n) for t, n in manifest["tables"].items() if counts.get(t) != n}
        if mismatched:
            raise ValidationError(f"Row counts differ after restore: {mismatched}")
    media_root = Path(settings.MEDIA_ROOT) / schema
    for name, content in media_files.items():
        target = (media_root / name).resolve()
        if not str(target).startswith(str(media_root.resolve())):
            continue  # never write outside the school's folder
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    problems = history_verify(school=school)
    connection.set_schema_to_public()
    return RestoreResult(
        school=school,
        tables=len(data),
        rows=sum(manifest["tables"].values()),
        seconds=time.perf_counter() - started,
        history_problems=problems,
    )


def media_remove(school: School) -> None:
    shutil.rmtree(Path(settings.MEDIA_ROOT) / school.schema_name, ignore_errors=True)


# --- backup sets: one snapshot of the whole database, media beside it (infra/backup/backup.sh) ------

BACKUP_SCRIPT = Path(settings.BASE_DIR) / "infra" / "backup" / "backup.sh"
# The public rows a school needs to work again; the rest of its public rows (read-models, notifications,
# invitations, partner grants, award applications) are rebuilt or belong to the bureau and the partners.
STAGED = ["django_migrations", "tenants_bureau", "tenants_school", "tenants_domain"]
STAGED_OF_SCHOOL = {
    "tenants_membership": "school_id",
    "tenants_historyseal": "school_id",
    "tenants_user": None,
}


class RestoreRefused(ValidationError):
    """The restore was rolled back: nothing of the school was written. `problems` says why, one line each."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(problems)


@dataclass
class SchoolRestoreReport:
    school: School
    source_schema: str
    tables: int
    rows: int
    files: int
    file_bytes: int
    memberships: int
    seals: int
    people_added: list[str]
    chain_head: str
    seconds: float
    steps: dict[str, float]
    notes: list[str]


def _pg_tool(name: str) -> str:
    """pg_dump's sibling (pg_restore, psql) from the newest PostgreSQL found, or the one on PATH."""
    from .snapshot import pg_dump_path

    dump = pg_dump_path()
    if dump and (Path(dump).parent / name).exists():
        return str(Path(dump).parent / name)
    found = shutil.which(name)
    if not found:
        raise RestoreRefused([f"{name} was not found: install the PostgreSQL client tools"])
    return found


def database_url() -> str:
    """A libpq URL for the database Django uses (the embedded server listens on a socket directory)."""
    from urllib.parse import quote

    from .snapshot import libpq_env

    pq = libpq_env()
    password = f":{quote(pq['PGPASSWORD'], safe='')}" if pq.get("PGPASSWORD") else ""
    return (
        f"postgresql://{quote(pq['PGUSER'], safe='')}{password}@/{quote(pq['PGDATABASE'], safe='')}"
        f"?host={quote(pq.get('PGHOST', '127.0.0.1'), safe='')}&port={pq.get('PGPORT', '5432')}"
    )


def _media_pull_env() -> dict[str, str]:
    """With media on an S3 API, backup.sh copies it out of the bucket after the snapshot (MEDIA_PULL)."""
    from core.storage import s3_media_storage

    if s3_media_storage() is None:
        return {}
    storage = s3_media_storage()
    manage = Path(settings.BASE_DIR) / "manage.py"
    # The bucket as this process sees it, so the command reaches the same one.
    env = {
        "MEDIA_PULL": f"{sys.executable} {manage} media_pull",
        "MEDIA_S3_BUCKET": storage.bucket_name,
        "MEDIA_S3_ENDPOINT_URL": storage.endpoint_url or "",
        "MEDIA_S3_REGION": storage.region_name or "",
        "MEDIA_S3_PREFIX": storage._base_location,
        "MEDIA_S3_ADDRESSING_STYLE": storage.addressing_style or "path",
    }
    if storage.access_key:
        env |= {"MEDIA_S3_ACCESS_KEY_ID": storage.access_key, "MEDIA_S3_SECRET_ACCESS_KEY": storage.secret_key}
    return env


def backup_set_create(*, directory: str | Path, jobs: int = 2) -> Path:
    """Run infra/backup/backup.sh against this database and MEDIA_ROOT; returns the new set's folder."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    before = {p.name for p in directory.iterdir()}
    tools = os.path.dirname(_pg_tool("pg_dump"))
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "BACKUP_DIR": str(directory),
        **_media_pull_env(),
        "BACKUP_JOBS": str(jobs),
        "BACKUP_KEEP_DAYS": "off",
        "PATH": os.pathsep.join([tools, os.environ.get("PATH", "")]),
    }
    done = subprocess.run(["sh", str(BACKUP_SCRIPT)], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"backup.sh failed: {done.stderr.strip()[-1000:]}")
    (folder,) = [p for p in directory.iterdir() if p.name not in before and p.is_dir()]
    return folder


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _sums(path: Path) -> dict[str, str]:
    """A sha256sum listing: relative path (without "./") -> hash. Names with a newline or a backslash are
    written escaped, their line starting with a backslash."""
    sums = {}
    if not path.exists():
        return sums
    for line in path.read_text(encoding="utf-8", errors="surrogateescape").splitlines():
        if not line:
            continue
        escaped = line.startswith("\\")
        digest, _, name = line.lstrip("\\").partition("  ")
        if escaped:
            name = name.replace("\\n", "\n").replace("\\\\", "\\")
        sums[name[2:] if name.startswith("./") else name] = digest
    return sums


def _counts(folder: Path, schema: str) -> dict[str, int]:
    counts = {}
    for line in (folder / "counts.tsv").read_text().splitlines():
        parts = line.split("\t")
        if len(parts) == 3 and parts[0] == schema:
            counts[parts[1]] = int(parts[2])
    return counts


def _pg_restore_sql(dump: Path, *args: str) -> str:
    done = subprocess.run([_pg_tool("pg_restore"), *args, "-f", "-", str(dump)], capture_output=True)
    if done.returncode != 0:
        raise RestoreRefused([f"pg_restore could not read {dump.name}: {done.stderr.decode()[-500:]}"])
    return done.stdout.decode()


def _copy_blocks(sql: str):
    """pg_restore's plain output as ("sql", statements) and ("copy", header, rows) in order."""
    statements: list[str] = []
    lines = iter(sql.split("\n"))
    for line in lines:
        if line.startswith("COPY ") and line.endswith(" FROM stdin;"):
            if statements:
                yield ("sql", "\n".join(statements))
                statements = []
            rows = []
            for row in lines:
                if row == "\\.":
                    break
                rows.append(row)
            yield ("copy", line[len("COPY ") : -len(" FROM stdin;")], rows)
        else:
            statements.append(line)
    if statements:
        yield ("sql", "\n".join(statements))


def _run_sql(sql: str) -> None:
    """Run pg_restore's statements inside the current transaction, its session settings kept local."""
    from .snapshot import _SETTING, _replayable, known_settings_only

    sql = known_settings_only(_replayable(sql))
    if not sql.strip():
        return
    names = sorted({a or b for a, b in _SETTING.findall(sql)})
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting(n) FROM unnest(%s::text[]) WITH ORDINALITY AS t(n, i) ORDER BY i", [names]
        )
        values = [row[0] for row in cursor.fetchall()]
        cursor.execute(sql)
        cursor.execute(
            "SELECT count(set_config(n, v, true)) FROM unnest(%s::text[], %s::text[]) AS t(n, v)",
            [names, values],
        )


def _copy_in(target: str, rows: list[str]) -> None:
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {target} FROM STDIN") as copy:
        for row in rows:
            copy.write(row + "\n")


def _rename(sql: str, source: str, target: str) -> str:
    # Schema names are validated slugs; replaced where they stand as a whole word, as the template's is
    # when a school is provisioned (tenants/snapshot.py). Only DDL and sequence values go through this,
    # never the rows.
    return sql if source == target else re.sub(rf"\b{re.escape(source)}\b", target, sql)


def _load_schema(dump: Path, source: str, target: str) -> None:
    """Create `target` from the school's dump inside the current transaction: definitions, rows (COPY,
    triggers not created yet, so history is loaded as it was), then indexes, constraints and triggers."""
    _run_sql(
        _rename(_pg_restore_sql(dump, "--section=pre-data", "--no-owner", "--no-privileges"), source, target)
    )
    prefix = f"{source}."
    for block in _copy_blocks(_pg_restore_sql(dump, "--section=data", "--no-owner", "--no-privileges")):
        if block[0] == "sql":
            _run_sql(_rename(block[1], source, target))
        else:
            header = block[1]
            if not header.startswith(prefix):
                raise RestoreRefused([f"unexpected table in the school's dump: {header[:80]}"])
            _copy_in(f'"{target}".{header[len(prefix) :]}', block[2])
    _run_sql(
        _rename(_pg_restore_sql(dump, "--section=post-data", "--no-owner", "--no-privileges"), source, target)
    )


def _stage(dump: Path, tables: list[str], keep=None) -> dict[str, int]:
    """Load public tables of the set into temporary tables `_bak_<table>` (dropped at commit); `keep`
    (table -> predicate over a row's fields) filters big tables while they are read."""
    counts = {}
    args = ["--data-only"] + [f"--table={t}" for t in tables]
    for block in _copy_blocks(_pg_restore_sql(dump, *args)):
        if block[0] != "copy":
            continue
        header = block[1]
        table = header.split(" ", 1)[0].removeprefix("public.")
        if table not in tables:
            continue
        rows = block[2]
        columns = [
            c.strip().strip('"') for c in header[header.index("(") + 1 : header.rindex(")")].split(",")
        ]
        if keep and table in keep:
            rows = [r for r in rows if keep[table](dict(zip(columns, r.split("\t"), strict=True)))]
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE TEMPORARY TABLE "_bak_{table}" (LIKE public."{table}") ON COMMIT DROP')
        _copy_in(f'pg_temp."_bak_{table}" {header[len("public." + table) + 1 :]}', rows)
        counts[table] = len(rows)
    missing = set(tables) - set(counts)
    if missing:
        raise RestoreRefused([f"the set's public dump lacks {sorted(missing)}"])
    return counts


def _columns(table: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' "
            "AND table_name = %s ORDER BY ordinal_position",
            [table],
        )
        return [r[0] for r in cursor.fetchall()]


def _insert_staged(
    table: str, where: str, params: list, overrides: dict | None = None, keep_id: bool = False
) -> list[int]:
    """Copy staged rows into public.<table>, with new ids unless keep_id; returns the ids written."""
    overrides = overrides or {}
    columns = [c for c in _columns(table) if keep_id or c != "id"]
    values = ["%s" if c in overrides else f'"{c}"' for c in columns]
    with connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO public."{table}" ({", ".join(chr(34) + c + chr(34) for c in columns)}) '
            f'SELECT {", ".join(values)} FROM pg_temp."_bak_{table}" WHERE {where} ORDER BY id RETURNING id',
            [overrides[c] for c in columns if c in overrides] + params,
        )
        return [r[0] for r in cursor.fetchall()]


def _staged_row(table: str, where: str, params: list) -> dict | None:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT * FROM pg_temp."_bak_{table}" WHERE {where}', params)
        row = cursor.fetchone()
        return dict(zip([c.name for c in cursor.description], row, strict=True)) if row else None


def _people_check(schema: str, school_id: int, with_people: bool) -> tuple[list[str], list[str]]:
    """Every user the school's rows and memberships name must exist here and be the same person (same
    username) as in the backup. With `with_people`, those missing here are brought from the set (same
    id). Returns (problems, people added)."""
    links = _user_columns(schema)
    union = " UNION ".join(
        f'SELECT "{c}" AS id FROM "{schema}"."{t}" WHERE "{c}" IS NOT NULL' for t, c in links
    )
    where = {}
    with connection.cursor() as cursor:
        if union:
            cursor.execute(union)
            for (uid,) in cursor.fetchall():
                where.setdefault(uid, []).append("rows")
        cursor.execute(
            'SELECT DISTINCT user_id FROM pg_temp."_bak_tenants_membership" WHERE school_id = %s', [school_id]
        )
        for (uid,) in cursor.fetchall():
            where.setdefault(uid, []).append("memberships")
        ids = sorted(where)
        cursor.execute(
            "SELECT b.id, b.username, u.username, "
            "(SELECT u2.id FROM public.tenants_user u2 WHERE lower(u2.username) = lower(b.username) LIMIT 1) "
            'FROM unnest(%s::bigint[]) AS r(id) LEFT JOIN pg_temp."_bak_tenants_user" b ON b.id = r.id '
            "LEFT JOIN public.tenants_user u ON u.id = r.id",
            [ids],
        )
        found = {r[0]: r[1:] for r in cursor.fetchall() if r[0] is not None}
        cursor.execute(
            "SELECT r.id FROM unnest(%s::bigint[]) AS r(id) "
            "WHERE NOT EXISTS (SELECT 1 FROM public.tenants_user u WHERE u.id = r.id)",
            [ids],
        )
        absent_here = {r[0] for r in cursor.fetchall()}
    problems, to_add = [], []
    for uid in ids:
        backup_name, here_name, same_name_id = found.get(uid, (None, None, None))
        if uid in absent_here:
            if with_people and backup_name is not None and same_name_id is None:
                to_add.append(uid)
                continue
            why = (
                "not in the backup either"
                if backup_name is None
                else f"{backup_name!r} in the backup; that username is user {same_name_id} here"
                if same_name_id is not None
                else f"{backup_name!r} in the backup; --with-people brings them"
            )
            problems.append(
                f"user {uid} is named by the school's {' and '.join(where[uid])} but does not exist "
                f"in this database's public.tenants_user ({why})"
            )
        elif backup_name is not None and here_name != backup_name:
            problems.append(
                f"user {uid} is {backup_name!r} in the backup but {here_name!r} here: the school's "
                f"{' and '.join(where[uid])} would name another person"
            )
    if problems:
        # Name the rows, so the report says what would have been wrong, not only who.
        missing = {int(p.split()[1]) for p in problems}
        with connection.cursor() as cursor:
            for table, column in links:
                cursor.execute(
                    f'SELECT "{column}", count(*) FROM "{schema}"."{table}" '
                    f'WHERE "{column}" = ANY(%s) GROUP BY 1 ORDER BY 1',
                    [sorted(missing)],
                )
                for uid, n in cursor.fetchall():
                    problems.append(f"  {table}.{column} = {uid}: {n} row(s)")
    added = []
    if to_add and not problems:
        added_ids = _insert_staged("tenants_user", "id = ANY(%s)", [to_add], keep_id=True)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('public.tenants_user', 'id'), "
                "(SELECT max(id) FROM public.tenants_user))"
            )
            cursor.execute(
                "SELECT username FROM public.tenants_user WHERE id = ANY(%s) ORDER BY id", [added_ids]
            )
            added = [r[0] for r in cursor.fetchall()]
    return problems, added


def _file_fields() -> list[tuple[str, str, bool]]:
    """(table, column, is history) of every file field of the school apps."""
    from django.apps import apps
    from django.db import models
    from pghistory.models import Event

    found = set()
    for app in settings.TENANT_APPS:
        if app in settings.SHARED_APPS:
            continue
        for model in apps.get_app_config(app.split(".")[-1]).get_models():
            for field in model._meta.concrete_fields:
                if isinstance(field, models.FileField):
                    found.add((model._meta.db_table, field.column, issubclass(model, Event)))
    return sorted(found)


def _media_restore(folder: Path, source: str, staging: Path) -> tuple[int, int, list[str]]:
    """Unpack the school's tar into `staging`, compare every file with the manifest; returns (files,
    bytes, problems)."""
    tar_path = folder / "media" / f"{source}.tar"
    manifest = _sums(folder / "media" / f"{source}.sha256")
    problems = []
    if tar_path.exists():
        with tarfile.open(tar_path) as archive:
            for member in archive.getmembers():
                if member.name == source and member.isdir():
                    continue
                if not member.name.startswith(f"{source}/") or not (member.isfile() or member.isdir()):
                    problems.append(f"media: {member.name!r} is outside the school's folder or not a file")
                    continue
                member.name = member.name[len(source) + 1 :]
                if member.name:
                    archive.extract(member, staging, filter="data")
    elif manifest:
        problems.append(f"media: media/{source}.tar is missing from the set")
    files = [p for p in staging.rglob("*") if p.is_file()]
    present = {str(p.relative_to(staging)): p for p in files}
    for name, digest in sorted(manifest.items()):
        path = present.get(name)
        if path is None:
            problems.append(f"media: {name} is in the manifest but not restored")
        elif _sha256(path) != digest:
            problems.append(f"media: {name} does not match its sha256 in the manifest")
    for name in sorted(set(present) - set(manifest)):
        problems.append(f"media: {name} is not in the manifest")
    return len(files), sum(p.stat().st_size for p in files), problems


def _referenced_files(schema: str, staging: Path) -> tuple[list[str], list[str]]:
    """Files the school's rows name that are not there: (problems for live rows, notes for history rows,
    whose old versions may name a file since replaced)."""
    problems, notes = [], []
    existing = set(_tables(schema))
    for table, column, history in _file_fields():
        if table not in existing:
            continue
        with connection.cursor() as cursor:
            cursor.execute(f'SELECT DISTINCT "{column}" FROM "{schema}"."{table}" WHERE "{column}" <> \'\'')
            names = [r[0] for r in cursor.fetchall()]
        lost = [n for n in names if not (staging / n).is_file()]
        for name in lost[:20]:
            (notes if history else problems).append(
                f"media: {table}.{column} names {name}, which the set lacks"
            )
    return problems, notes


def school_restore(
    *, backup_set: str | Path, schema: str, new_schema: str | None = None, with_people: bool = False
) -> SchoolRestoreReport:
    """Bring one school back from a backup set into this database, in one transaction.

    Restores the school's schema (rows and history as they were), its row in public with its bureau
    (found by code or recreated), host names, memberships and history seals, and its files; then checks
    the row count of every table against the count taken under the backup's snapshot, every file against
    the manifest, every file a row names, and the history chain. Rows naming a user this database does
    not hold (or holds under another username) are refused, not repaired: school rows name users by id
    without a constraint, so a restore that let them through would attribute work to nobody, or to
    someone else. `with_people` brings the missing users from the set (same id) when no one here holds
    their username. Anything wrong raises RestoreRefused and nothing is written.
    """
    from reporting.services import school_metrics_refresh

    from .integrity import _heads, scope_head
    from .snapshot import _check_schema_name

    started = time.perf_counter()
    steps: dict[str, float] = {}
    mark = started

    def step(name: str) -> None:
        nonlocal mark
        now = time.perf_counter()
        steps[name] = round(now - mark, 3)
        mark = now

    folder = Path(backup_set)
    target = new_schema or schema
    try:
        _check_schema_name(schema)
        _check_schema_name(target)
    except ValueError as exc:
        raise RestoreRefused([str(exc)]) from None
    if not (folder / "COMPLETE").exists():
        raise RestoreRefused([f"{folder} is not a complete backup set (no COMPLETE marker)"])
    dump = folder / f"school-{schema}.dump"
    if not dump.exists():
        raise RestoreRefused([f"the set holds no school {schema!r} (see {folder / 'schools.txt'})"])
    sums = _sums(folder / "SHA256SUMS")
    for name in ["public.dump", dump.name, f"media/{schema}.tar", f"media/{schema}.sha256"]:
        if name in sums and _sha256(folder / name) != sums[name]:
            raise RestoreRefused([f"{name} does not match its sha256 in SHA256SUMS: the set is damaged"])
        if name.endswith(".dump") and name not in sums:
            raise RestoreRefused([f"{name} is not listed in SHA256SUMS"])
    expected = _counts(folder, schema)
    step("check the set")

    connection.set_schema_to_public()
    media_root = Path(settings.MEDIA_ROOT)
    final = media_root / target
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [target])
        taken = cursor.fetchone() is not None
    if (
        taken
        or School.objects.filter(schema_name=target).exists()
        or School.objects.filter(slug=target).exists()
    ):
        raise RestoreRefused(
            [
                f"this database already has a school or schema {target!r}: restore into a fresh "
                "database, or beside it with --as <new name>"
            ]
        )
    if final.exists() and any(final.iterdir()):
        raise RestoreRefused([f"{final} already holds files"])
    from core.storage import media_prefix_keys, media_push, media_remove_keys, s3_media_storage

    bucket = s3_media_storage()
    if bucket is not None and media_prefix_keys(storage=bucket, schema=target):
        raise RestoreRefused([f"bucket {bucket.bucket_name} already holds files under the prefix of {target!r}"])
    media_root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".restore-{target}-", dir=media_root))
    notes: list[str] = []
    try:
        with transaction.atomic():
            _stage(folder / "public.dump", STAGED)
            backup_school = _staged_row("tenants_school", "schema_name = %s", [schema])
            if backup_school is None:
                raise RestoreRefused([f"the set's public dump has no school with schema {schema!r}"])
            old_id = str(backup_school["id"])
            staged = _stage(
                folder / "public.dump",
                list(STAGED_OF_SCHOOL),
                keep={
                    "tenants_membership": lambda r: r["school_id"] == old_id,
                    "tenants_historyseal": lambda r: r["school_id"] == old_id,
                },
            )
            with connection.cursor() as cursor:
                cursor.execute(
                    'SELECT app, name FROM pg_temp."_bak_django_migrations" EXCEPT '
                    "SELECT app, name FROM public.django_migrations ORDER BY 1, 2"
                )
                newer = cursor.fetchall()
            if newer:
                raise RestoreRefused(
                    [f"the set was made under migrations this installation lacks: {newer[:5]}"]
                )
            step("stage public rows")

            _load_schema(dump, schema, target)
            step("load the schema")
            problems = []
            with connection.cursor() as cursor:
                cursor.execute(
                    f'SELECT app, name FROM "{target}".django_migrations EXCEPT '
                    f'SELECT app, name FROM "{settings.TENANT_BASE_SCHEMA}".django_migrations'
                )
                newer = cursor.fetchall()
            if newer:
                problems.append(f"the school's schema has migrations this installation lacks: {newer[:5]}")
            tables = _tables(target)
            counts = {t: _count(target, t) for t in tables}
            for table in sorted(set(expected) | set(counts)):
                if counts.get(table) != expected.get(table):
                    problems.append(
                        f"rows: {table} has {counts.get(table)} rows, the snapshot had {expected.get(table)}"
                    )
            step("count rows")

            people_problems, added = _people_check(target, int(old_id), with_people)
            problems += people_problems
            step("check people")

            files, size, media_problems = _media_restore(folder, schema, staging)
            problems += media_problems
            lost, history_notes = _referenced_files(target, staging)
            problems += lost
            notes += history_notes
            step("restore and check files")
            if problems:
                raise RestoreRefused(problems)

            bureau = Bureau.objects.filter(
                code=_staged_row("tenants_bureau", "id = %s", [backup_school["bureau_id"]])["code"]
            ).first()
            if bureau is None:
                (bureau_id,) = _insert_staged("tenants_bureau", "id = %s", [backup_school["bureau_id"]])
                notes.append("bureau recreated from the backup")
            else:
                bureau_id = bureau.pk
            (school_id,) = _insert_staged(
                "tenants_school",
                "id = %s",
                [backup_school["id"]],
                {"bureau_id": bureau_id, "slug": target, "schema_name": target},
            )
            school = School.objects.select_related("bureau").get(pk=school_id)
            Domain.objects.create(domain=f"{target}.{settings.BASE_DOMAIN}", tenant=school, is_primary=True)
            memberships = _insert_staged(
                "tenants_membership", "school_id = %s", [backup_school["id"]], {"school_id": school_id}
            )
            seals = _insert_staged(
                "tenants_historyseal", "school_id = %s", [backup_school["id"]], {"school_id": school_id}
            )
            if len(seals) != staged["tenants_historyseal"]:
                raise RestoreRefused([f"seals: {len(seals)} written of {staged['tenants_historyseal']}"])
            step("write public rows")

            chain = history_verify(school=school)
            connection.set_schema_to_public()
            if chain:
                raise RestoreRefused([f"history chain: {p}" for p in chain[:20]])
            head = scope_head(_heads(school))
            step("verify the history chain")
            if bucket is not None:
                # Into the bucket before the rows commit: a failed upload takes its objects back and the
                # transaction rolls back, so nothing of the school is left half restored.
                media_push(storage=bucket, schema=target, source=staging)
                step("upload files to the bucket")
        if bucket is None:
            if final.exists():
                final.rmdir()
            staging.rename(final)
    except BaseException:
        if bucket is not None:
            # The prefix was empty when the restore began: whatever is under it now came from here.
            media_remove_keys(storage=bucket, keys=media_prefix_keys(storage=bucket, schema=target))
        raise
    finally:
        connection.set_schema_to_public()
        shutil.rmtree(staging, ignore_errors=True)
    try:
        school_metrics_refresh(school=school)
        notes.append("bureau read-models refreshed")
    except Exception as exc:  # the school is back; its figures are refreshed again by the nightly job
        notes.append(f"bureau read-models not refreshed now ({type(exc).__name__}); the nightly job will")
    finally:
        connection.set_schema_to_public()
    step("refresh read-models")
    return SchoolRestoreReport(
        school=school,
        source_schema=schema,
        tables=len(tables),
        rows=sum(counts.values()),
        files=files,
        file_bytes=size,
        memberships=len(memberships),
        seals=len(seals),
        people_added=added,
        chain_head=head,
        seconds=time.perf_counter() - started,
        steps=steps,
        notes=notes,
    )
