"""Jobs survive faults: kill the worker mid-task many times; nothing lost, no side effect doubled.

Needs a broker that redelivers unacknowledged tasks (Redis): REDIS_URL, or Redis on 127.0.0.1:6379.
Sizes: BENCH_JOB_TASKS (default 300), BENCH_JOB_KILLS (default 10).
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import time
import uuid

from django.conf import settings

from tenants.models import Notification, User

from .harness import report

TASKS = int(os.environ.get("BENCH_JOB_TASKS", "300"))
KILLS = int(os.environ.get("BENCH_JOB_KILLS", "10"))


def _redis_url() -> str | None:
    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except Exception:
        return None
    return url.rsplit("/", 1)[0] + "/14"  # a database of its own


def _start_worker(env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "prefork", "--concurrency", "2",
         "--loglevel", os.environ.get("BENCH_WORKER_LOGLEVEL", "ERROR"), "--without-gossip", "--without-mingle", "-n", f"drill{uuid.uuid4().hex[:6]}@%h"],
        cwd=settings.BASE_DIR, env=env, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=open(os.environ.get("BENCH_WORKER_LOG", os.devnull), "ab"),
    )


def _kill(worker: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(worker.pid, signal.SIGKILL)
    worker.wait()


def run() -> None:
    url = _redis_url()
    if url is None:
        print("# skipped: no Redis broker reachable (set REDIS_URL)")
        return
    import redis

    redis.Redis.from_url(url).flushdb()
    env = {**os.environ, "REDIS_URL": url, "CELERY_BROKER_URL": url, "CELERY_VISIBILITY_TIMEOUT": "4",
           "CELERY_RESULT_BACKEND": "", "CACHE_BACKEND": "locmem"}
    user, _ = User.objects.get_or_create(username="drill-probe", defaults={"name": "drill"})
    run_id = uuid.uuid4().hex[:8]
    keys = [f"{run_id}-{i}" for i in range(TASKS)]
    Notification.objects.filter(recipient=user).delete()

    # Sent by a separate process through the project's own Celery app, configured for the Redis broker.
    script = (
        "import os, django; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings'); django.setup()\n"
        "from tenants.tasks import trust_probe_task\n"
        f"for key in {keys!r}:\n"
        f"    trust_probe_task.delay(key=key, user_id={user.pk}, seconds=0.05)\n"
    )
    subprocess.run([sys.executable, "-c", script], cwd=settings.BASE_DIR, env=env, check=True)
    print(f"# queued {redis.Redis.from_url(url).llen('celery')} of {TASKS} tasks", flush=True)

    def done() -> int:
        return Notification.objects.filter(recipient=user, dedupe_key__startswith=f"probe:{run_id}-").count()

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # so the finally below stops the worker
    current = [_start_worker(env)]  # the running worker, replaced after each kill
    try:
        kills = _drill(env, current, done)
    finally:
        _kill(current[0])
    _report(keys, user, run_id, kills)


def _drill(env: dict, current: list[subprocess.Popen], done) -> int:
    kills = 0
    deadline = time.monotonic() + 900
    rng = random.Random(7)
    while kills < KILLS and time.monotonic() < deadline and done() < TASKS:
        # Kill only once the worker is busy, so each kill lands in the middle of tasks.
        seen = done()
        while done() == seen and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(rng.uniform(0.1, 0.8))
        _kill(current[0])
        kills += 1
        current[0] = _start_worker(env)
    while time.monotonic() < deadline and done() < TASKS:
        time.sleep(1)
    return kills


def _report(keys: list[str], user: User, run_id: str, kills: int) -> None:
    counts = {}
    for dedupe_key in Notification.objects.filter(recipient=user, dedupe_key__startswith=f"probe:{run_id}-").values_list(
        "dedupe_key", flat=True
    ):
        counts[dedupe_key] = counts.get(dedupe_key, 0) + 1
    lost = sum(1 for key in keys if f"probe:{key}" not in counts)
    doubled = sum(1 for n in counts.values() if n > 1)
    report("jobs_worker_kills", kills, "kills")
    report("jobs_tasks_sent", TASKS, "tasks")
    report("jobs_tasks_lost", lost, "tasks", target="0")
    report("jobs_side_effects_doubled", doubled, "tasks", target="0")
