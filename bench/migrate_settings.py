"""Settings of the migration benchmark's subprocesses: the project's settings, with one app's migrations
read from a throwaway copy that carries one extra migration (see bench/bench_migrations.py)."""

import os

from config.settings import *  # noqa: F403

MIGRATION_MODULES = {os.environ["BENCH_MIGRATION_APP"]: os.environ["BENCH_MIGRATION_MODULE"]}
TENANT_MULTIPROCESSING_MAX_PROCESSES = int(os.environ.get("BENCH_MIGRATE_PROCESSES", "2"))
TENANT_MULTIPROCESSING_CHUNKS = int(os.environ.get("BENCH_MIGRATE_CHUNKS", "2"))

if os.environ.get("BENCH_MIGRATION_STOCK_BACKEND") == "1":
    # The baseline of the table listing: django-tenants' own backend (a pg_class scan per listing).
    DATABASES["default"]["ENGINE"] = "django_tenants.postgresql_backend"  # noqa: F405
