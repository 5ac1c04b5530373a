"""Celery entry points of the school core (thin: they call services)."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True)
def schools_overdue_notify_task() -> int:
    """In one school's schema: notify late callbacks and overdue milestones (idempotent by dedupe key)."""
    from .services import overdue_notify

    return overdue_notify()


@shared_task(acks_late=True)
def schools_overdue_notify_all_task() -> int:
    """From the public schema: queue one overdue check per active school."""
    from django_tenants.utils import schema_context

    from tenants.models import School

    count = 0
    for school in School.objects.exclude(schema_name="public").filter(status="active"):
        with schema_context(school.schema_name):
            schools_overdue_notify_task.delay()
        count += 1
    return count
