from celery.schedules import crontab

BEAT_SCHEDULE = {
    "assets-daily": {"task": "assets.tasks.assets_daily_task", "schedule": crontab(hour=7, minute=30)},
}
