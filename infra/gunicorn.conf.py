"""gunicorn settings of the production image (`gunicorn config.wsgi:application -c infra/gunicorn.conf.py`).

Sizing comes from the environment the orchestrator sets: WEB_CONCURRENCY worker processes (default
2 × cores + 1, capped at 8), GUNICORN_THREADS threads each, bound on 0.0.0.0:$PORT.
"""

import multiprocessing
import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", min(2 * multiprocessing.cpu_count() + 1, 8)))
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
worker_class = "gthread"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))  # PDF and Excel exports of a whole term
graceful_timeout = 30
keepalive = 5
max_requests = 2000  # recycle workers slowly, against leaks
max_requests_jitter = 200
accesslog = "-"
# Gunicorn's default line, and the request id the application answered with (X-Request-ID).
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %({x-request-id}o)s'
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "*")  # behind nginx / the ingress only
worker_tmp_dir = "/dev/shm"

# Prometheus counters of every worker in one scrape (prometheus_client's multiprocess mode): a fresh
# directory per start, and each dead worker's files marked so its gauges stop counting.
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", "/dev/shm/houqin-prometheus")


def on_starting(server):
    import shutil

    folder = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder, exist_ok=True)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
