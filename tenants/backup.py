"""Backup and restore of one school: its schema's rows, its files, its people and its history seals.

`manage.py export_school <slug> <archive.tar.gz>` and `manage.py import_school <archive>` (into this
or another database). The restore clones the template schema, loads every table with triggers held
off (so history is restored as it was, not re-written), resets the sequences, then checks that row
counts and the history hash chain match the archive. Restoring needs a database role allowed to set
session_replication_role (the owner or a superuser), as any pg_restore of triggers does.
"""

from __future__ import annotations

import io
import json
import shutil
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from .integrity import history_verify
from .models import Bureau, HistorySeal, Membership, School, User
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
    """(table, column) pairs of the schema that reference users (FK constraints to tenants_user)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT cl.relname, att.attname
            FROM pg_constraint con
            JOIN pg_class cl ON cl.oid = con.conrelid
            JOIN pg_namespace ns ON ns.oid = cl.relnamespace
            JOIN pg_attribute att ON att.attrelid = con.conrelid AND att.attnum = ANY (con.conkey)
            WHERE con.contype = 'f' AND ns.nspname = %s AND con.confrelid = 'public.tenants_user'::regclass
            """,
            [schema],
        )
        return list(cursor.fetchall())


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
            "name": school.name, "slug": school.slug, "status": school.status, "kind": school.kind,
            "address": school.address, "student_count": school.student_count, "staff_count": school.staff_count,
        },
        "bureau": {"code": school.bureau.code, "name": school.bureau.name, "region": school.bureau.region},
        "tables": {},
    }
    user_ids = set(Membership.objects.filter(school=school).values_list("user_id", flat=True))
    for table, column in _user_columns(schema):
        with connection.cursor() as cursor:
            cursor.execute(f'SELECT DISTINCT "{column}" FROM "{schema}"."{table}" WHERE "{column}" IS NOT NULL')
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
            with connection.cursor() as cursor, cursor.cursor.copy(
                f'COPY "{schema}"."{table}" TO STDOUT WITH (FORMAT csv, HEADER true)'
            ) as copy:
                for chunk in copy:
                    buffer.write(chunk)
            _add_bytes(archive, f"data/{table}.csv", buffer.getvalue())
            manifest["tables"][table] = _count(schema, table)
        users = list(User.objects.filter(pk__in=user_ids).values(*USER_FIELDS))
        memberships = list(
            Membership.objects.filter(school=school).values("user_id", "role", "post", "is_active", "created_at", "ended_at",
                                                        "ended_by_partner")
        )
        seals = list(
            HistorySeal.objects.filter(school=school).values(
                "event_table", "seq", "pgh_id", "row_hash", "chain_hash", "key_id", "sealed_at"
            )
        )
        manifest["seals"] = len(seals)
        _add_bytes(archive, "users.json", json.dumps(users, default=str, ensure_ascii=False).encode())
        _add_bytes(archive, "memberships.json", json.dumps(memberships, default=str, ensure_ascii=False).encode())
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


def school_import(*, path: str | Path, slug: str | None = None, bureau_code: str | None = None) -> RestoreResult:
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
            m.name[len("data/"):-len(".csv")]: archive.extractfile(m).read()
            for m in archive.getmembers()
            if m.name.startswith("data/") and m.name.endswith(".csv")
        }
        media_members = [m for m in archive.getmembers() if m.name.startswith("media/") and m.isfile()]
        media_files = {m.name[len("media/"):]: archive.extractfile(m).read() for m in media_members}

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
            bureau=bureau, name=info["name"], slug=target_slug, student_count=info["student_count"],
            staff_count=info["staff_count"], address=info["address"],
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
                with cursor.cursor.copy(f'COPY "{schema}"."{table}" FROM STDIN WITH (FORMAT csv, HEADER true)') as copy:
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
                    f"SELECT setval(pg_get_serial_sequence('\"{schema}\".\"{table}\"', %s), "
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
        school=school, tables=len(data), rows=sum(manifest["tables"].values()),
        seconds=time.perf_counter() - started, history_problems=problems,
    )


def media_remove(school: School) -> None:
    shutil.rmtree(Path(settings.MEDIA_ROOT) / school.schema_name, ignore_errors=True)
