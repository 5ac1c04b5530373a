"""./dev bench [name ...]: run the benchmarks (every bench/bench_*.py, or the ones named).

Sizes come from the environment (BENCH_SCHOOLS, BENCH_ROUNDS, ...; see each module's docstring);
the database is BENCH_DATABASE (default `houqin_bench`) on the DATABASE_URL server.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys
import time
import traceback

from .harness import RESULTS, bench_database_name, ensure_bench_database, note


def discover() -> list[str]:
    folder = os.path.dirname(os.path.abspath(__file__))
    return sorted(m.name for m in pkgutil.iter_modules([folder]) if m.name.startswith("bench_"))


def prepare_database() -> None:
    """Migrate public and the template; the schools only when the template was behind.

    Migrating every one of 1,000 generated schools at each run would cost minutes for nothing: they
    are copies of the template, so while it is current they are too. When it was behind (new
    migrations since the schools were generated), every school is migrated as a release would do it
    (`migrate_schemas --executor=multiprocessing`, timed and reported), or, with BENCH_BEHIND=drop, the
    generated schools are dropped so the next generation copies the new state; with BENCH_BEHIND=keep
    they are left as they are (a benchmark that signs in to some of them migrates those, see bench_load).
    """
    from django.core.management import call_command
    from django_tenants.utils import schema_exists

    from frontend.middleware import _unapplied
    from tenants.services import template_schema_migrate

    from . import generator

    call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
    template = settings_template()
    behind = not schema_exists(template) or _unapplied(template) > 0
    template_schema_migrate()
    if behind and os.environ.get("BENCH_BEHIND", "migrate") == "drop":
        dropped = generator.drop(keep=0)
        note(f"the template was behind: {dropped} generated schools dropped, migrating the others")
        call_command("migrate_schemas", tenant=True, interactive=False, verbosity=0)
    elif behind and os.environ.get("BENCH_BEHIND") == "keep":
        note("the template was behind: generated schools kept as they are (BENCH_BEHIND=keep)")
    elif behind:
        import subprocess

        from tenants.models import School

        from .harness import report

        schools = School.objects.exclude(schema_name="public").count()
        note(f"the template was behind: migrating {schools} schools (multiprocessing executor)")
        start = time.perf_counter()
        subprocess.run([sys.executable, "manage.py", "migrate_schemas", "--tenant", "--executor=multiprocessing",
                        "--noinput", "-v", "0"], check=True, cwd=os.path.dirname(os.path.dirname(__file__)))
        report(f"migrate_release_{schools}_schools", time.perf_counter() - start, "s", target="<=600s")


def settings_template() -> str:
    from django.conf import settings

    return settings.TENANT_BASE_SCHEMA


def main(argv: list[str]) -> int:
    names = discover()
    wanted = [n if n.startswith("bench_") else f"bench_{n}" for n in argv] or names
    unknown = [n for n in wanted if n not in names]
    if unknown:
        note(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(n[6:] for n in names)}")
        return 2
    ensure_bench_database()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    note(f"database {bench_database_name()}: migrating")
    prepare_database()
    failed = []
    for name in wanted:
        started = time.perf_counter()
        try:
            module = importlib.import_module(f"bench.{name}")
            doc = module.__doc__.strip().splitlines()[0] if module.__doc__ else ""
            note(f"{name}: {doc}")
            module.run()
        except Exception:  # one broken benchmark does not hide the others' figures
            failed.append(name)
            traceback.print_exc()
        finally:
            from django.db import connection

            connection.set_schema_to_public()
        note(f"{name} done in {time.perf_counter() - started:.1f}s")
    note(f"{len(RESULTS)} figures from {len(wanted) - len(failed)} benchmark(s)"
         + (f"; FAILED: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
