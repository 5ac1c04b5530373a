"""Record tenants/baseline/: migrate a new empty database and dump it (tenants/baseline.py).

The scratch database starts from the current baseline when it still fits (the migrations since then
run on top of it, which is what a first `./dev up` does too); `--from-zero` runs every migration."""

import os
import subprocess
import sys
import time
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection

from tenants import baseline
from tenants.snapshot import libpq_env


class Command(BaseCommand):
    help = "Migrate a scratch database from zero and record it as tenants/baseline (the first ./dev up replays it)."

    def add_arguments(self, parser):
        parser.add_argument("--from-zero", action="store_true", help="ignore the current baseline")

    def handle(self, *args, **options):
        scratch = f"houqin_baseline_{os.getpid()}"
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{scratch}"')
        try:
            url = urlsplit(os.environ.get("DATABASE_URL") or f"postgres:///{settings.DATABASES['default']['NAME']}")
            env = {**os.environ, "DATABASE_URL": urlunsplit(url._replace(path=f"/{scratch}"))}
            started = time.monotonic()
            start = "zero (minutes)"
            if not options["from_zero"] and baseline.unusable_reason() is None:
                replay = ("import django; django.setup()\nfrom tenants import baseline\nbaseline.load()\n")
                subprocess.run([sys.executable, "-c", replay], cwd=settings.BASE_DIR, env=env, check=True)
                start = "the current baseline"
            self.stdout.write(f"migrating {scratch} from {start} …")
            subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
                           cwd=settings.BASE_DIR, env=env, check=True)
            self.stdout.write(f"migrated in {time.monotonic() - started:.0f}s")
            baseline.record(database_env={**libpq_env(), "PGDATABASE": scratch}, stdout=self.stdout)
        finally:
            connection.close()
            with connection.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
