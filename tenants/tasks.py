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


@shared_task(acks_late=True)
def history_integrity_all_task() -> int:
    """Nightly: queue one seal-and-verify task per school (and one for the public schema)."""
    from .models import School

    connection.set_schema_to_public()
    history_integrity_task.delay(school_id=None)
    ids = list(School.objects.exclude(status="archived").values_list("pk", flat=True))
    for school_id in ids:
        history_integrity_task.delay(school_id=school_id)
    return len(ids)


@shared_task(bind=True, acks_late=True, max_retries=3)
def history_integrity_task(self, *, school_id: int | None) -> list[str]:
    """Verify the sealed history of one school, then seal what is new; alert operators on problems."""
    from .integrity import history_seal, history_verify
    from .models import School
    from .notifications import notify
    from .roles import Role

    connection.set_schema_to_public()
    school = School.objects.get(pk=school_id) if school_id else None
    problems = [str(p) for p in history_verify(school=school)]
    if problems:
        from .models import Membership

        operators = [m.user for m in Membership.objects.active().filter(role=Role.PLATFORM_OPERATOR).select_related("user")]
        notify(
            kind="history_tampered",
            title=f"History check failed: {school.name if school else 'public'}",
            body="\n".join(problems[:50]),
            users=operators,
            school=None,
            dedupe_key=f"history-tampered:{school_id}:{problems[0]}",
        )
    else:
        history_seal(school=school)
    return problems


@shared_task(acks_late=True)
def trust_probe_task(*, key: str, user_id: int, seconds: float = 0.0) -> str:
    """A task with one side effect (a notification), for the worker-kill drill: safe to run twice."""
    import time

    from .models import User
    from .notifications import notify

    connection.set_schema_to_public()
    notify(kind="probe", title=key, users=[User.objects.get(pk=user_id)], dedupe_key=f"probe:{key}")
    time.sleep(seconds)  # the window in which the drill kills the worker, after the side effect
    return key
