from celery.schedules import crontab

BEAT_SCHEDULE = {
    "schools-overdue-notify": {"task": "schools.tasks.schools_overdue_notify_all_task", "schedule": crontab(minute="*/30")},
}
