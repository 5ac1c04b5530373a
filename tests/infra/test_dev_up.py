"""`./dev up` stops everything on Ctrl-C, whatever it is doing: a real `./dev up` in a subprocess with its
own HOUQIN_DEV_DIR (a new embedded PostgreSQL), SIGINT to its process group (what a terminal's Ctrl-C
sends) at a chosen phase, and every process it started — the embedded PostgreSQL and its backends
included — gone within 10 s.

The phases: just after the embedded PostgreSQL is up, while the baseline replays, during the first
migration (the baseline switched off, so the migrations run from zero), while the demo district
loads, and while serving (gunicorn, the Celery worker and beat), after the whole first run.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parents[2]
STOP_WITHIN = 10.0

# phase → (line that marks it, seconds to wait after it before Ctrl-C, extra environment)
PHASES = {
    "database": ("embedded PostgreSQL ready", 0.0, {}),
    "baseline": ("replaying the migrated baseline", 0.3, {}),
    "migrating": ("[dev] migrating (", 3.0, {"HOUQIN_DEV_BASELINE": "off"}),
    "demo": ("loading the demo district", 3.0, {}),
    "serving": ("[dev] Celery worker and beat started", 2.0, {}),
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


class _Watcher:
    """Every process below `./dev up` seen while it ran (children in their own sessions included)."""

    def __init__(self, root: int):
        self.root = root
        self.seen: dict[int, str] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def snapshot(self) -> None:
        try:
            for child in psutil.Process(self.root).children(recursive=True):
                try:
                    self.seen.setdefault(child.pid, " ".join(child.cmdline()[:4]))
                except psutil.Error:
                    self.seen.setdefault(child.pid, "?")
        except psutil.NoSuchProcess:
            pass

    def _run(self) -> None:
        while not self._stop.wait(0.1):
            self.snapshot()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def _postgres_processes(data: Path) -> dict[int, str]:
    """The embedded postmaster (from its pid file) and its backends and helpers."""
    try:
        pid = int((data / "pg" / "postmaster.pid").read_text().split()[0])
        postmaster = psutil.Process(pid)
        found = {pid: "postmaster"}
        for child in postmaster.children(recursive=True):
            found[child.pid] = "postgres child"
        return found
    except (OSError, ValueError, IndexError, psutil.Error):
        return {}


@pytest.mark.parametrize("phase", list(PHASES))
def test_ctrl_c_stops_everything(phase, tmp_path):
    marker, delay, extra = PHASES[phase]
    data = tmp_path / "dev"
    env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "LC_ALL", "TZ") if key in os.environ}
    env.update(HOUQIN_DEV_DIR=str(data), PORT=str(_free_port()), WEB_CONCURRENCY="2", **extra)
    process = subprocess.Popen([str(ROOT / "dev"), "up"], cwd=ROOT, env=env, start_new_session=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
    watcher = _Watcher(process.pid)
    lines: list[str] = []
    reached = threading.Event()

    def read():
        for line in process.stdout:
            lines.append(line.rstrip())
            if marker in line:
                reached.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 420
        while not reached.wait(0.5) and process.poll() is None and time.monotonic() < deadline:
            pass
        assert reached.is_set(), f"`./dev up` never reached {marker!r}:\n" + "\n".join(lines[-30:])
        time.sleep(delay)
        watcher.snapshot()
        postgres = _postgres_processes(data)
        assert postgres, "the embedded PostgreSQL is not running at this phase"
        running = {**watcher.seen, **postgres}
        if phase == "serving":
            assert any("gunicorn" in what for what in running.values()), running
            assert any("celery" in what for what in running.values()), running
        signalled = time.monotonic()
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        process.wait(timeout=STOP_WITHIN)
        left = {}
        while time.monotonic() - signalled < STOP_WITHIN:
            left = {pid: what for pid, what in running.items() if not _gone(pid)}
            if not left:
                break
            time.sleep(0.1)
        elapsed = time.monotonic() - signalled
        assert not left, f"still running {elapsed:.1f}s after Ctrl-C at {phase}: {left}"
        assert not _postgres_processes(data), "the embedded PostgreSQL outlived `./dev up`"
        assert "[dev] stopped" in "\n".join(lines), lines[-10:]
    finally:
        watcher.stop()
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        for pid in {**watcher.seen, **_postgres_processes(data)}:
            with contextlib.suppress(psutil.Error):
                psutil.Process(pid).kill()
