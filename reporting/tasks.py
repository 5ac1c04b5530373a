"""Celery entry points of reporting (thin: they call services)."""

from __future__ import annotations

from celery import shared_task
from django_tenants.utils import schema_context


@shared_task(name="reporting.tasks.school_metrics_refresh_task", bind=True, acks_late=True, max_retries=3)
def school_metrics_refresh_task(self, *, schema_name: str, previous: bool = False) -> int | None:
    """Recompute one school's metrics row for the current term and its mirrors (idempotent).

    It may arrive with the school's schema set by tenant-schemas-celery; the service enters the
    school's schema to compute and the public schema to write, whatever it arrived in.
    """
    from .services import school_metrics_refresh_by_schema

    try:
        row = school_metrics_refresh_by_schema(schema_name=schema_name, previous=previous)
    except Exception as exc:
        raise self.retry(exc=exc, countdown=10) from exc
    return row.pk if row else None


@shared_task(name="reporting.tasks.metrics_nightly_task", acks_late=True)
def metrics_nightly_task() -> int:
    """Queue one refresh per school (fan-out): each school is recomputed by its own task, this term and the last."""
    from .services import schools_to_refresh

    schemas = schools_to_refresh()
    with schema_context("public"):
        for schema in schemas:
            school_metrics_refresh_task.apply_async(kwargs={"schema_name": schema, "previous": True})
    return len(schemas)


@shared_task(name="reporting.tasks.campaign_round_open_task", bind=True, acks_late=True, max_retries=3)
def campaign_round_open_task(self, *, campaign_id: int, school_id: int) -> bool:
    """Open a campaign's inspection round in one school (idempotent by its target row)."""
    from .services import campaign_round_open_in_school

    try:
        return campaign_round_open_in_school(campaign_id=campaign_id, school_id=school_id)
    except Exception as exc:
        raise self.retry(exc=exc, countdown=30) from exc
