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
    from django.core.management import call_command

    note(f"database {bench_database_name()}: migrating")
    call_command("migrate", interactive=False, verbosity=0)
    failed = []
    for name in wanted:
        started = time.perf_counter()
        note(f"{name} …")
        try:
            module = importlib.import_module(f"bench.{name}")
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
