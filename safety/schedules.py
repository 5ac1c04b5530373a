"""Periodic safety jobs (merged into the beat schedule by config/celery.py)."""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    "safety-hazards-overdue": {
        "task": "safety.tasks.hazards_overdue_sweep_task",
        "schedule": crontab(hour=7, minute=30),
    },
    "safety-agreement-reminders": {
        "task": "safety.tasks.agreement_reminders_sweep_task",
        "schedule": crontab(hour=18, minute=0, day_of_week="1-5"),
    },
    "safety-visitor-retention": {
        "task": "safety.tasks.visitor_retention_sweep_task",
        "schedule": crontab(hour=2, minute=40),
    },
}
