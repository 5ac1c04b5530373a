"""Backup and restore drill: export one school with demo data, restore it into another database."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from django.conf import settings

from tenants.backup import school_export
from tenants.demo import SCHOOL_PEOPLE, _user, school_demo_load
from tenants.integrity import history_seal
from tenants.models import Bureau, School
from tenants.services import bureau_create, membership_grant, school_create

from .harness import report

RESTORE_DB = "houqin_restore_drill"


def _school() -> School:
    existing = School.objects.filter(slug="benchbackup").first()
    if existing:
        return existing
    bureau = Bureau.objects.filter(code="bench").first() or bureau_create(name="基准测试教育局", code="bench")
    school = school_create(bureau=bureau, name="备份演练小学", slug="benchbackup", student_count=481, staff_count=37)
    people = {}
    for username, name, role, post in SCHOOL_PEOPLE:
        user = _user(f"benchbackup-{username}", name)
        membership_grant(user=user, role=role, school=school, post=post)
        people[role] = user
    school_demo_load(school=school, people=people, seed=True)
    return school


def run() -> None:
    school = _school()
    history_seal(school=school)
    url = os.environ["DATABASE_URL"]
    parts = urlsplit(url)
    admin = urlunsplit(parts._replace(path="/postgres"))
    target = urlunsplit(parts._replace(path=f"/{RESTORE_DB}"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{RESTORE_DB}"')
        conn.execute(f'CREATE DATABASE "{RESTORE_DB}"')
    env = {**os.environ, "DATABASE_URL": target}
    manage = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], env=env, check=True)
    with tempfile.TemporaryDirectory() as folder:
        archive = Path(folder) / "school.tar.gz"
        start = time.perf_counter()
        manifest = school_export(school=school, path=archive)
        export_s = time.perf_counter() - start
        start = time.perf_counter()
        done = subprocess.run([*manage, "import_school", str(archive)], env=env, capture_output=True, text=True)
        restore_s = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip()[-500:])
    rows = sum(manifest["tables"].values())
    report("backup_export_school", export_s, "s")
    report("backup_restore_school_other_db", restore_s, "s")
    report("backup_rows_restored", rows, "rows")
    print(f"# {done.stdout.strip()}")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{RESTORE_DB}"')
