"""Celery entry points of the shared core (thin: they call services)."""

from __future__ import annotations

from celery import shared_task
from django.db import connection


@shared_task(bind=True, acks_late=True, max_retries=3)
def school_provision_task(self, *, bureau_id: int, name: str, slug: str, student_count: int = 0,
                          staff_count: int = 0) -> int:
    """Create a school and its schema (idempotent: a school that exists is returned as is)."""
    from .models import Bureau, School
    from .services import school_create

    existing = School.objects.filter(slug=slug).first()
    if existing is not None:
        return existing.pk
    school = school_create(
        bureau=Bureau.objects.get(pk=bureau_id), name=name, slug=slug,
        student_count=student_count, staff_count=staff_count,
    )
    return school.pk


@shared_task(acks_late=True)
def current_schema_task() -> str:
    """Report the schema the worker ran this task in (used to check task routing)."""
    return connection.schema_name
