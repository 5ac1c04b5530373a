"""Progress of long work, told to whoever runs it (a background job) and ignored everywhere else.

Code that builds a big file (an Excel ledger, a PDF) calls `progress()` or wraps its rows in
`counting()` without knowing whether it runs in a request or in a job: in a request nothing listens,
in a job (jobs.runner) the reporter writes the figure to the job's row for the progress bar.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterable, Iterator
from typing import Protocol


class Reporter(Protocol):
    total: int | None

    def report(self, percent: int, message: str = "") -> None: ...

    def rows(self, done: int, total: int | None) -> None: ...


_current: contextvars.ContextVar[Reporter | None] = contextvars.ContextVar("houqin_progress", default=None)

EVERY = 200  # rows between two reports


def current() -> Reporter | None:
    return _current.get()


def listening(reporter: Reporter | None):
    """Set the reporter for the work that follows; returns the token to `stop_listening` with."""
    return _current.set(reporter)


def stop_listening(token) -> None:
    _current.reset(token)


def progress(percent: int, message: str = "") -> None:
    """Say how far the work is (0–100) and what it is doing; nothing happens outside a job."""
    reporter = _current.get()
    if reporter is not None:
        reporter.report(max(0, min(100, int(percent))), str(message))


def counting(rows: Iterable) -> Iterator:
    """The rows, telling the reporter every few hundred how many of them have been written."""
    reporter = _current.get()
    if reporter is None:
        yield from rows
        return
    done = 0
    for row in rows:
        yield row
        done += 1
        if done % EVERY == 0:
            reporter.rows(done, reporter.total)
    reporter.rows(done, reporter.total)
