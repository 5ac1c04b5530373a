"""Periodic jobs of the shared core (merged into Celery beat by config/celery.py)."""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    "tenants-notification-digest": {
        "task": "tenants.tasks.notification_digest_task",
        # 07:30 Beijing time (CELERY_TIMEZONE is Asia/Shanghai): before the school day starts.
        "schedule": crontab(hour=7, minute=30),
    },
    "tenants-user-sessions-prune": {
        "task": "tenants.tasks.user_sessions_prune_task",
        "schedule": crontab(hour=3, minute=15),
    },
    "tenants-spare-schemas-fill": {
        "task": "tenants.tasks.spare_schemas_fill_task",  # a no-op unless TENANT_SPARE_SCHEMAS > 0
        "schedule": crontab(minute="*/10"),
    },
    "history-seal-and-verify-nightly": {
        "task": "tenants.tasks.history_integrity_all_task",
        "schedule": crontab(hour=2, minute=30),
    },
    # Hourly: history rows wait at most an hour unsealed (until then the live-row check covers them).
    "history-seal-hourly": {
        "task": "tenants.tasks.history_seal_all_task",
        "schedule": crontab(minute=40),
    },
    # After the nightly check has anchored every school: the day's heads to the bureaus and operators.
    "history-anchor-send-daily": {
        "task": "tenants.tasks.history_anchor_send_task",
        "schedule": crontab(hour=5, minute=0),
    },
}
