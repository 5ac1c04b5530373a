from celery.schedules import crontab

BEAT_SCHEDULE = {
    "api-webhook-retry-sweep": {"task": "api.tasks.webhook_retry_sweep_task", "schedule": crontab(minute="*/5")},
}
