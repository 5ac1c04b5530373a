"""./dev bench [name ...]: run the benchmarks (every bench/bench_*.py, or the ones named)."""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys

from .harness import ensure_bench_database


def main(argv: list[str]) -> int:
    ensure_bench_database()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    folder = os.path.dirname(os.path.abspath(__file__))
    names = [m.name for m in pkgutil.iter_modules([folder]) if m.name.startswith("bench_")]
    wanted = [f"bench_{n}" if not n.startswith("bench_") else n for n in argv] or sorted(names)
    failed = 0
    for name in wanted:
        module = importlib.import_module(f"bench.{name}")
        doc = module.__doc__.strip().splitlines()[0] if module.__doc__ else ""
        print(f"# {name}: {doc}", flush=True)
        try:
            module.run()
        except Exception as exc:  # one broken benchmark does not hide the others' figures
            failed += 1
            print(f"# {name} FAILED: {type(exc).__name__}: {exc}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
