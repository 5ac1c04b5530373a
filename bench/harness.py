"""Shared pieces of the benchmarks: the report line, timing, and the bench database.

Every figure is printed as one line:
    BENCH <name> <value> <unit> baseline=<value> ratio=<value>
where the baseline is the naive way measured in the same run (omitted when there is none).
"""

from __future__ import annotations

import os
import statistics
import time
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

RESULTS: list[dict] = []


def report(name: str, value: float, unit: str, *, baseline: float | None = None, lower_is_better: bool = True,
           target: str = "") -> None:
    """Print one BENCH line. ratio = baseline / value for lower-is-better figures (how many times better)."""
    line = f"BENCH {name} {value:.4g} {unit}"
    ratio = None
    if baseline is not None:
        if value and lower_is_better:
            ratio = baseline / value
        elif baseline and not lower_is_better:
            ratio = value / baseline
        line += f" baseline={baseline:.4g}"
        if ratio is not None:
            line += f" ratio={ratio:.3g}"
    if target:
        line += f" target={target}"
    print(line, flush=True)
    RESULTS.append({"name": name, "value": value, "unit": unit, "baseline": baseline, "ratio": ratio})


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


def bench_database_url() -> str:
    """The bench database: the same server as DATABASE_URL, database `houqin_bench` (never the dev data)."""
    url = os.environ["DATABASE_URL"]
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + os.environ.get("BENCH_DATABASE", "houqin_bench")))


def ensure_bench_database() -> None:
    import psycopg

    url = bench_database_url()
    parts = urlsplit(url)
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        name = urlsplit(url).path.lstrip("/")
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = url
