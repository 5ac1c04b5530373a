from celery.schedules import crontab

BEAT_SCHEDULE = {
    "repairs-escalate": {"task": "repairs.tasks.repairs_escalate_all_task", "schedule": crontab(minute="*/10")},
    "repairs-preventive-plans": {"task": "repairs.tasks.repairs_plans_all_task", "schedule": crontab(minute=15, hour=6)},
}
