"""Backup and restore drill: one school with its files back from a backup set, into a fresh database.

1. A backup set of the whole bench database (infra/backup/backup.sh: every schema from one snapshot,
   each school's media and its sha256 manifest).
2. `restore_school --from <set> --schema benchbackup --with-people` into a freshly migrated database
   (no bureau, no users): it checks row counts, file hashes, the people and the history chain itself.
3. Checked again from outside: every table's rows (md5 of the sorted rows) equal the source's, every
   file byte for byte, the chain verified.
Baseline in the same run: the per-school archive (export_school / import_school) of the same school.
4. Point-in-time recovery with pgBackRest on a throwaway cluster (infra/backup/pitr_drill.py), when
   pgbackrest is installed.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from django.conf import settings
from django.db import connection

from schools.models import Building
from tenants.backup import backup_set_create, school_export
from tenants.demo import SCHOOL_PEOPLE, _user, school_demo_load
from tenants.integrity import history_seal
from tenants.models import Bureau, School
from tenants.roles import Role
from tenants.services import bureau_create, membership_grant, school_create

from .harness import bench_database_name, note, report

SCHEMA = "benchbackup"
FILES = {
    "buildings/appraisal-2024.pdf": b"%PDF-1.4 " + os.urandom(200_000),
    "buildings/plan.png": b"\x89PNG\r\n\x1a\n" + os.urandom(50_000),
}


def _school() -> School:
    existing = School.objects.filter(slug=SCHEMA).first()
    if existing:
        return existing
    bureau = Bureau.objects.filter(code="bench").first() or bureau_create(name="基准测试教育局", code="bench")
    # The demo's purchases above the bureau's limit are approved by its logistics office (勤管股).
    membership_grant(user=_user(f"{SCHEMA}-bureau", "勤管股"), role=Role.BUREAU_LOGISTICS, bureau=bureau)
    school = school_create(bureau=bureau, name="备份演练小学", slug=SCHEMA, student_count=481, staff_count=37)
    people = {}
    for username, name, role, post in SCHOOL_PEOPLE:
        user = _user(f"{SCHEMA}-{username}", name)
        membership_grant(user=user, role=role, school=school, post=post)
        people[role] = user
    school_demo_load(school=school, people=people, seed=True)
    return school


def _files(school: School) -> dict[str, bytes]:
    """The school's files on disk, and a building whose appraisal report names one of them."""
    folder = Path(settings.MEDIA_ROOT) / school.schema_name
    for name, content in FILES.items():
        path = folder / name
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
    connection.set_tenant(school)
    building = Building.objects.order_by("pk").first()
    if building is not None and not building.appraisal_report:
        building.appraisal_report = "buildings/appraisal-2024.pdf"
        building.save()
    connection.set_schema_to_public()
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


DIGESTS = """
SELECT table_name FROM information_schema.tables WHERE table_schema = %s AND table_type = 'BASE TABLE'
"""


def _digests(url: str, schema: str) -> dict[str, str]:
    with psycopg.connect(url) as conn:
        tables = [r[0] for r in conn.execute(DIGESTS, [schema]).fetchall()]
        return {
            t: conn.execute(
                f'SELECT md5(coalesce(string_agg(x::text, chr(10) ORDER BY x::text), \'\')) FROM "{schema}"."{t}" x'
            ).fetchone()[0]
            for t in tables
        }


def run() -> None:
    school = _school()
    files = _files(school)
    history_seal(school=school)
    url = os.environ["DATABASE_URL"]
    restore_db = f"{bench_database_name()}_restore"  # one per bench database on a shared server
    parts = urlsplit(url)
    admin = urlunsplit(parts._replace(path="/postgres"))
    target = urlunsplit(parts._replace(path=f"/{restore_db}"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{restore_db}"')
        conn.execute(f'CREATE DATABASE "{restore_db}"')
    manage = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]
    with tempfile.TemporaryDirectory() as folder:
        media = Path(folder) / "restored-media"
        env = {
            **os.environ,
            "DATABASE_URL": target,
            "MEDIA_ROOT": str(media),
            "HISTORY_ANCHOR_DIR": str(Path(folder) / "anchors"),
        }
        start = time.perf_counter()
        subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], env=env, check=True)
        report("backup_fresh_database_migrate", time.perf_counter() - start, "s")

        start = time.perf_counter()
        backup_set = backup_set_create(directory=Path(folder) / "sets")
        set_s = time.perf_counter() - start
        schools = len((backup_set / "schools.txt").read_text().split())
        size = sum(p.stat().st_size for p in backup_set.rglob("*") if p.is_file())
        report(f"backup_set_whole_database_{schools}_schools", set_s, "s")
        report("backup_set_size", size / 1e6, "MB")

        start = time.perf_counter()
        done = subprocess.run(
            [*manage, "restore_school", "--from", str(backup_set), "--schema", SCHEMA, "--with-people"],
            env=env,
            capture_output=True,
            text=True,
        )
        restore_s = time.perf_counter() - start
        if done.returncode != 0:
            raise RuntimeError((done.stderr or done.stdout).strip()[-1500:])
        for line in done.stdout.strip().splitlines():
            note(line)

        # Checked again from outside the command: rows, files, chain.
        source, restored = _digests(url, SCHEMA), _digests(target, SCHEMA)
        differ = sorted(t for t in source if source[t] != restored.get(t))
        if differ or set(source) != set(restored):
            raise RuntimeError(f"restored tables differ from the source: {differ[:10]}")
        back = {
            str(p.relative_to(media / SCHEMA)): p.read_bytes()
            for p in (media / SCHEMA).rglob("*")
            if p.is_file()
        }
        if back != files:
            raise RuntimeError(f"restored files differ: {sorted(set(files) ^ set(back))[:10]}")
        if "chain verified" not in done.stdout:
            raise RuntimeError("the restore did not report a verified history chain")
        with psycopg.connect(target) as conn:
            rows = sum(conn.execute(f'SELECT count(*) FROM "{SCHEMA}"."{t}"').fetchone()[0] for t in restored)
        note(f"checked from outside: {len(restored)} tables, {rows} rows equal, {len(back)} files equal")

        # Baseline: the per-school archive of the same school (one REPEATABLE READ export, then import).
        archive = Path(folder) / "school.tar.gz"
        start = time.perf_counter()
        manifest = school_export(school=school, path=archive)
        export_s = time.perf_counter() - start
        start = time.perf_counter()
        baseline = subprocess.run(
            [*manage, "import_school", str(archive), "--slug", f"{SCHEMA}copy"],
            env=env,
            capture_output=True,
            text=True,
        )
        import_s = time.perf_counter() - start
        if baseline.returncode != 0:
            raise RuntimeError(baseline.stderr.strip()[-500:])
    report("backup_restore_school_from_set_fresh_db", restore_s, "s", baseline=import_s)
    done_in = re.search(r"Restore done in ([\d.]+)s", done.stdout)
    if done_in:  # the restore itself, without the command's start-up (Django, ~5 s on a busy machine)
        report("backup_restore_school_in_command", float(done_in.group(1)), "s")
    report("backup_restore_school_rows", rows, "rows")
    report("backup_restore_school_files", len(back), "files")
    report("backup_export_school_archive", export_s, "s")
    report("backup_import_school_archive_other_db", import_s, "s")
    report("backup_archive_rows", sum(manifest["tables"].values()), "rows")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{restore_db}"')
    _pitr()


def _pitr() -> None:
    sys.path.insert(0, str(Path(settings.BASE_DIR) / "infra" / "backup"))
    import pitr_drill

    why = pitr_drill.available()
    if why:
        note(f"PITR drill skipped: {why}")
        return
    start = time.perf_counter()
    root = Path(tempfile.mkdtemp(prefix="houqin-pitr-"))
    drill = pitr_drill.Drill(root)
    try:
        ok = drill.go()
    finally:
        drill.cleanup()
        import shutil

        shutil.rmtree(root, ignore_errors=True)
    if not ok:
        raise RuntimeError(
            "PITR drill: the restored cluster does not hold exactly the write before the target"
        )
    report("backup_pitr_drill_total", time.perf_counter() - start, "s", target="<=120s")
    for name, seconds in drill.times.items():
        if name.startswith("pgbackrest restore") or name.startswith("replay"):
            report("backup_pitr_" + "_".join(name.split()[:2]).replace("(", ""), seconds, "s")
