"""Record tenants/baseline/: migrate a new empty database from zero and dump it (tenants/baseline.py)."""

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

    def handle(self, *args, **options):
        scratch = f"houqin_baseline_{os.getpid()}"
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{scratch}"')
        try:
            url = urlsplit(os.environ.get("DATABASE_URL") or f"postgres:///{settings.DATABASES['default']['NAME']}")
            env = {**os.environ, "DATABASE_URL": urlunsplit(url._replace(path=f"/{scratch}"))}
            started = time.monotonic()
            self.stdout.write(f"migrating {scratch} from zero (minutes) …")
            subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
                           cwd=settings.BASE_DIR, env=env, check=True)
            self.stdout.write(f"migrated in {time.monotonic() - started:.0f}s")
            baseline.record(database_env={**libpq_env(), "PGDATABASE": scratch}, stdout=self.stdout)
        finally:
            connection.close()
            with connection.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
