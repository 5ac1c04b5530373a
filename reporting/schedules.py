from celery.schedules import crontab

BEAT_SCHEDULE = {
    "reporting-metrics-nightly": {
        "task": "reporting.tasks.metrics_nightly_task",
        "schedule": crontab(hour=2, minute=30),
    },
}
