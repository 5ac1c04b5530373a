"""The Celery app. tenant-schemas-celery carries the schema a task was sent from to the worker."""

import os

from celery.signals import setup_logging
from tenant_schemas_celery.app import CeleryApp

from config.logs import connect_celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = CeleryApp("houqin")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# A task carries the id of the request (or task) that sent it, and binds it while it runs.
connect_celery()


@setup_logging.connect
def _django_logging(loglevel=None, **kwargs) -> None:
    """Workers and beat log through settings.LOGGING (request ids, LOG_FORMAT), not Celery's own set-up."""
    import logging
    import logging.config

    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)
    if loglevel:  # --loglevel of the command line
        logging.getLogger().setLevel(loglevel)


def _ensure_broker_dirs() -> None:
    # The filesystem transport needs its folders before the first message is written.
    opts = app.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder"):
        if opts.get(key):
            os.makedirs(opts[key], exist_ok=True)


_ensure_broker_dirs()


LOCAL_APPS = ("tenants", "schools", "assets", "repairs", "safety", "reporting", "api", "jobs")


@app.on_after_finalize.connect
def _collect_beat_schedules(sender, **kwargs) -> None:
    """Each app declares its periodic jobs in `<app>/schedules.py` as BEAT_SCHEDULE."""
    import importlib

    for name in LOCAL_APPS:
        try:
            module = importlib.import_module(f"{name}.schedules")
        except ModuleNotFoundError as exc:
            if exc.name != f"{name}.schedules":
                raise
            continue
        sender.conf.beat_schedule.update(module.BEAT_SCHEDULE)
