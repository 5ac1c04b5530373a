from celery.schedules import crontab

BEAT_SCHEDULE = {
    "jobs-expired-clean": {
        "task": "jobs.tasks.jobs_expired_clean_task",
        "schedule": crontab(minute=17),
    },
}
