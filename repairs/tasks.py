"""Celery entry points of the repairs module (thin: they call services)."""

from __future__ import annotations

from celery import shared_task
from django_tenants.utils import schema_context


def _schools():
    from tenants.models import School, SchoolStatus

    return School.objects.exclude(schema_name="public").filter(status=SchoolStatus.ACTIVE)


@shared_task(acks_late=True)
def repairs_escalate_all_task() -> int:
    """Beat: queue one escalation run per active school (each runs in its school's schema)."""
    count = 0
    for school in _schools():
        with schema_context(school.schema_name):
            repairs_escalate_school_task.delay()
        count += 1
    return count


@shared_task(acks_late=True)
def repairs_escalate_school_task() -> dict:
    """Escalate this school's due-soon, overdue and late-vendor orders (idempotent)."""
    from .services import escalation_run

    return escalation_run()


@shared_task(acks_late=True)
def repairs_plans_all_task() -> int:
    """Beat: open the preventive maintenance orders that are due, school by school."""
    count = 0
    for school in _schools():
        with schema_context(school.schema_name):
            repairs_plans_school_task.delay()
        count += 1
    return count


@shared_task(acks_late=True)
def repairs_plans_school_task() -> int:
    from .services import maintenance_plans_open_due

    return len(maintenance_plans_open_due())


@shared_task(bind=True, acks_late=True, max_retries=5)
def robot_message_post_task(self, *, message_id: int) -> bool:
    """Post a message to the school's group robot; retried with back-off when the robot fails."""
    from .services import robot_message_post

    if not robot_message_post(message_id=message_id):
        raise self.retry(countdown=30 * (2 ** self.request.retries))
    return True
