"""Shared pieces of the benchmarks: the report line, timing, sizes, and the bench database.

Every figure is printed as one line:
    BENCH <name> <value> <unit> baseline=<value> ratio=<value>
where the baseline is the naive way measured in the same run (omitted when there is none) and the
ratio says how many times better the measured way is (> 1 is better, whatever the unit).
"""

from __future__ import annotations

import os
import re
import statistics
import sys
import time
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

RESULTS: list[dict] = []

DEFAULT_BENCH_DATABASE = "houqin_bench"
_DB_NAME_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def format_line(name: str, value: float, unit: str, *, baseline: float | None = None, lower_is_better: bool = True,
                target: str = "") -> tuple[str, float | None]:
    """The BENCH line of one figure and its ratio (None without a baseline or when it is undefined)."""
    if not name.strip() or not unit.strip():
        raise ValueError(f"a figure needs a name and a unit: {name!r} {unit!r}")
    # One word each, so the line splits on spaces: "per school" → "per_school".
    name, unit = "_".join(name.split()), "_".join(unit.split())
    line = f"BENCH {name} {value:.4g} {unit}"
    ratio = None
    if baseline is not None:
        if lower_is_better and value:
            ratio = baseline / value
        elif not lower_is_better and baseline:
            ratio = value / baseline
        line += f" baseline={baseline:.4g}"
        line += f" ratio={ratio:.3g}" if ratio is not None else " ratio=inf"
    if target:
        line += f" target={target.replace(' ', '')}"
    return line, ratio


def report(name: str, value: float, unit: str, *, baseline: float | None = None, lower_is_better: bool = True,
           target: str = "") -> None:
    """Print one BENCH line. ratio = baseline / value for lower-is-better figures (how many times better)."""
    line, ratio = format_line(name, value, unit, baseline=baseline, lower_is_better=lower_is_better, target=target)
    print(line, flush=True)  # noqa: T201 - printing the figure is the point
    RESULTS.append({"name": name, "value": value, "unit": unit, "baseline": baseline, "ratio": ratio,
                    "target": target})


def note(message: str) -> None:
    """A progress line for the person watching (stderr, so stdout holds only BENCH lines)."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)  # noqa: T201


def env_int(name: str, default: int) -> int:
    """A size from the environment (BENCH_SCHOOLS=1000 for the full run); junk falls back to the default."""
    try:
        value = int(os.environ.get(name, default))
    except ValueError:
        return default
    return max(value, 1)


@contextmanager
def timer():
    """with timer() as t: ...; t() → elapsed seconds."""
    start = time.perf_counter()
    elapsed = [None]
    yield lambda: elapsed[0] if elapsed[0] is not None else time.perf_counter() - start
    elapsed[0] = time.perf_counter() - start


def p95(samples: list[float]) -> float:
    if len(samples) < 2:
        return samples[0]
    return statistics.quantiles(samples, n=20, method="inclusive")[18]


def bench_database_name() -> str:
    """BENCH_DATABASE, or `houqin_bench`: helpers sharing one server each use their own."""
    name = os.environ.get("BENCH_DATABASE", "").strip() or DEFAULT_BENCH_DATABASE
    if not _DB_NAME_RE.match(name):
        raise ValueError(f"BENCH_DATABASE must be a plain lowercase database name, not {name!r}")
    return name


def bench_database_url() -> str:
    """The bench database: the same server as DATABASE_URL, another database (never the dev data)."""
    url = os.environ["DATABASE_URL"]
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{bench_database_name()}"))


def ensure_bench_database() -> None:
    import psycopg

    name = bench_database_name()
    url = bench_database_url()
    admin = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = url
