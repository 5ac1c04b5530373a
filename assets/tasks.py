"""Celery entry points of the assets module (thin; each is safe to run twice)."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True)
def loans_overdue_notify_task() -> int:
    """Remind borrowers and custodians of overdue loans in the current school."""
    from .services import loans_overdue_notify

    return loans_overdue_notify()


@shared_task(acks_late=True)
def consumables_low_stock_task() -> int:
    """Warn custodians of consumables that will run out, from actual consumption, in the current school."""
    from .services import consumables_low_stock_notify

    return consumables_low_stock_notify()


@shared_task(acks_late=True)
def assets_daily_task() -> int:
    """Beat entry: queue the daily checks once per active school, each in its own schema."""
    from django_tenants.utils import tenant_context

    from tenants.models import School, SchoolStatus

    count = 0
    for school in School.objects.filter(status=SchoolStatus.ACTIVE).exclude(schema_name="public"):
        with tenant_context(school):
            loans_overdue_notify_task.delay()
            consumables_low_stock_task.delay()
        count += 1
    return count
