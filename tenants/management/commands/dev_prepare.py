"""One process for `./dev up`'s start-up: migrate when needed, collect static files, load the demo.

Each phase prints a line when it starts and its time when it ends; a long migration prints how far it
is every few seconds. An empty database first replays the recorded baseline (tenants/baseline.py),
unless HOUQIN_DEV_BASELINE=off (then every migration runs from zero, as a deployment's do).
"""

import hashlib
import os
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import DatabaseError, connection, connections
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django_tenants.utils import schema_context, schema_exists

from tenants import baseline
from tenants.demo import demo_loaded, load_demo
from tenants.services import template_schema_name

PROGRESS_SECONDS = 10
STATIC_STAMP = ".dev-collected"


def _static_fingerprint() -> str:
    """What collectstatic would collect: every source file's name, size and time, and where it goes."""
    from django.contrib.staticfiles.finders import get_finders

    digest = hashlib.sha256(f"{settings.STATIC_ROOT}|{settings.STORAGES['staticfiles']}".encode())
    found = []
    for finder in get_finders():
        for path, storage in finder.list(["CVS", ".*", "*~"]):
            stat = os.stat(storage.path(path))
            found.append(f"{path}|{stat.st_size}|{stat.st_mtime_ns}")
    digest.update("\n".join(sorted(found)).encode())
    return digest.hexdigest()


def _pending(schema: str) -> int:
    """How many migrations `schema` lacks (all of them when it does not exist)."""
    if schema != "public" and not schema_exists(schema):
        return len(MigrationLoader(None, ignore_no_migrations=True).graph.nodes)
    with schema_context(schema):
        executor = MigrationExecutor(connection)
        return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))


def _applied(cursor, schema: str) -> int:
    cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [f'"{schema}".django_migrations'])
    if not cursor.fetchone()[0]:
        return 0
    cursor.execute(f'SELECT count(*) FROM "{schema}".django_migrations')
    return cursor.fetchone()[0]


@contextmanager
def _migration_progress(write, schemas: dict[str, int]):
    """Print 'migrating: public 40/118, template 0/120' every PROGRESS_SECONDS while the block runs."""
    done = threading.Event()
    started = time.monotonic()

    def report():
        conn = connections.create_connection("default")
        try:
            with conn.cursor() as cursor:
                before = {schema: _applied(cursor, schema) for schema in schemas}
            while not done.wait(PROGRESS_SECONDS):
                with conn.cursor() as cursor:
                    parts = [f"{'template' if schema != 'public' else schema} "
                             f"{max(0, _applied(cursor, schema) - before[schema])}/{total}"
                             for schema, total in schemas.items()]
                write(f"[dev]   migrating: {', '.join(parts)} ({time.monotonic() - started:.0f}s)")
        except Exception:  # noqa: BLE001 - progress is a courtesy; the migration reports its own errors
            pass
        finally:
            conn.close()

    thread = threading.Thread(target=report, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join(timeout=2)


class Command(BaseCommand):
    help = "Prepare the development server: migrate (only when needed), collectstatic, demo data."

    def add_arguments(self, parser):
        parser.add_argument("--port", default=None, help="print the demo logins for this port at the end")

    def say(self, message: str) -> None:
        self.stdout.write(message)
        self.stdout.flush()

    def handle(self, *args, **options):
        template = template_schema_name()
        if baseline.database_is_empty():
            reason = ("HOUQIN_DEV_BASELINE=off" if os.environ.get("HOUQIN_DEV_BASELINE") == "off"
                      else baseline.unusable_reason())
            if reason is None:
                started = time.monotonic()
                self.say("[dev] empty database: replaying the migrated baseline (tenants/baseline)")
                baseline.load()
                self.say(f"[dev] baseline replayed in {time.monotonic() - started:.1f}s")
            else:
                self.say(f"[dev] empty database, baseline not used ({reason}): every migration runs, minutes")
        pending = {"public": _pending("public"), template: _pending(template)}
        if any(pending.values()):
            started = time.monotonic()
            self.say(f"[dev] migrating ({pending['public']} migrations for public, {pending[template]} for the "
                     "template schema)")
            with _migration_progress(self.say, pending):
                call_command("migrate", interactive=False, verbosity=0)
            self.say(f"[dev] migrated in {time.monotonic() - started:.0f}s")
        changed = any(pending.values())
        started = time.monotonic()
        stamp = Path(settings.STATIC_ROOT) / STATIC_STAMP
        fingerprint = _static_fingerprint()
        manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
        if manifest.exists() and stamp.exists() and stamp.read_text() == fingerprint:
            self.say("[dev] static files unchanged since they were collected")
        else:
            self.say("[dev] collecting the static files (hashed and compressed)")
            call_command("collectstatic", interactive=False, verbosity=0)
            stamp.write_text(fingerprint)
            self.say(f"[dev] static files collected in {time.monotonic() - started:.1f}s")
        if not demo_loaded():
            started = time.monotonic()
            self.say("[dev] loading the demo district (first run only)")
            load_demo(stdout=self.stdout)
            self.say(f"[dev] demo district loaded in {time.monotonic() - started:.0f}s")
            changed = True
        if changed:
            self._checkpoint()
        if options["port"]:
            call_command("demo_logins", port=options["port"])  # here, not in a Django process of its own

    def _checkpoint(self) -> None:
        """Write what the first run changed to disk now, so a Ctrl-C soon after stops PostgreSQL at once
        (a fast shutdown's checkpoint, or the WAL replay at the next start, would otherwise be large)."""
        started = time.monotonic()
        try:
            with connection.cursor() as cursor:
                cursor.execute("CHECKPOINT")
        except DatabaseError:  # not a superuser on this server: its own checkpoints will do
            return
        self.say(f"[dev] checkpoint written in {time.monotonic() - started:.1f}s")
