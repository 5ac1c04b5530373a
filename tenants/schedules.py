"""Periodic jobs of the shared core (merged into Celery beat by config/celery.py)."""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    "history-seal-and-verify-nightly": {
        "task": "tenants.tasks.history_integrity_all_task",
        "schedule": crontab(hour=2, minute=30),
    },
}
