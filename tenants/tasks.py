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
def spare_schemas_fill_task() -> int:
    """Keep TENANT_SPARE_SCHEMAS spare schemas of the current template ready (idempotent)."""
    from django.conf import settings

    from .snapshot import SnapshotUnavailable, spares_fill

    if not settings.TENANT_SPARE_SCHEMAS:
        return 0
    connection.set_schema_to_public()
    try:
        return spares_fill(settings.TENANT_BASE_SCHEMA, settings.TENANT_SPARE_SCHEMAS)
    except SnapshotUnavailable:
        return 0


@shared_task(acks_late=True)
def current_schema_task() -> str:
    """Report the schema the worker ran this task in (used to check task routing)."""
    return connection.schema_name


@shared_task(bind=True, acks_late=True, max_retries=5)
def notification_delivery_send_task(self, *, delivery_id: int) -> str:
    """Send one e-mail / robot delivery (a sent delivery is never sent twice)."""
    from .notifications import DeliveryError, delivery_send

    try:
        return delivery_send(delivery_id=delivery_id).status
    except DeliveryError as exc:
        raise self.retry(exc=exc, countdown=30 * (2**self.request.retries)) from exc


@shared_task(acks_late=True)
def notification_digest_task() -> int:
    """Build and send the daily digest of everyone who chose one (safe to run twice a day)."""
    from .notifications import digest_run

    ids = digest_run()
    for delivery_id in ids:
        notification_delivery_send_task.delay(delivery_id=delivery_id)
    return len(ids)


@shared_task(acks_late=True)
def user_sessions_prune_task() -> int:
    """Forget expired remembered sessions (daily)."""
    from .people import sessions_prune

    return sessions_prune()


@shared_task(bind=True, acks_late=True, max_retries=3)
def school_onboard_task(self, *, bureau_id: int, by_id: int | None, name: str, slug: str, principal_name: str,
                        principal_phone: str, principal_email: str, student_count: int = 0,
                        staff_count: int = 0) -> int:
    """Provision a school in the background and e-mail its principal the link (idempotent by slug)."""
    from .models import Bureau, School, User
    from .people import school_onboard

    existing = School.objects.filter(slug=slug).first()
    if existing is not None:
        return existing.pk
    school, _added = school_onboard(
        bureau=Bureau.objects.get(pk=bureau_id), by=User.objects.filter(pk=by_id).first() if by_id else None,
        name=name, slug=slug, principal_name=principal_name, principal_phone=principal_phone,
        principal_email=principal_email, student_count=student_count, staff_count=staff_count,
    )
    return school.pk


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
