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
                        staff_count: int = 0, kind: str = "", boarding: bool = False) -> int:
    """Provision a school in the background and e-mail its principal the link (idempotent by slug)."""
    from .models import Bureau, School, User
    from .people import school_onboard

    existing = School.objects.filter(slug=slug).first()
    if existing is not None:
        return existing.pk
    school, _added = school_onboard(
        bureau=Bureau.objects.get(pk=bureau_id), by=User.objects.filter(pk=by_id).first() if by_id else None,
        name=name, slug=slug, principal_name=principal_name, principal_phone=principal_phone,
        principal_email=principal_email, student_count=student_count, staff_count=staff_count, kind=kind,
        boarding=boarding,
    )
    return school.pk


def _history_scopes() -> list[int | None]:
    """The public schema (None) and every school not archived."""
    from .models import School

    connection.set_schema_to_public()
    return [None, *School.objects.exclude(status="archived").order_by("pk").values_list("pk", flat=True)]


@shared_task(acks_late=True)
def history_integrity_all_task() -> int:
    """Nightly: queue one verify-seal-anchor task per school (and one for the public schema)."""
    ids = _history_scopes()
    for school_id in ids:
        history_integrity_task.delay(school_id=school_id)
    return len(ids) - 1


@shared_task(acks_late=True)
def history_seal_all_task() -> int:
    """Hourly: queue one sealing task per school (and the public schema), so few rows wait unsealed."""
    ids = _history_scopes()
    for school_id in ids:
        history_seal_task.delay(school_id=school_id)
    return len(ids) - 1


@shared_task(bind=True, acks_late=True, max_retries=3)
def history_seal_task(self, *, school_id: int | None) -> int:
    """Seal what is new in one school's history and anchor the heads that moved (safe to run twice)."""
    from .integrity import history_anchor, history_seal_run
    from .models import School

    connection.set_schema_to_public()
    school = School.objects.get(pk=school_id) if school_id else None
    moved = history_seal_run(school=school)
    history_anchor(school=school, moved=moved)
    return len(moved)


@shared_task(bind=True, acks_late=True, max_retries=3)
def history_integrity_task(self, *, school_id: int | None) -> list[str]:
    """Verify one school's history, alert the operators of any problem, then seal what is new anyway and
    anchor the day's head outside the database (a problem found never stops the sealing)."""
    import hashlib
    import logging

    from django.utils.translation import gettext

    from .integrity import Problem, history_anchor, history_seal_run, history_verify
    from .models import Membership, School
    from .notifications import notify
    from .roles import Role

    connection.set_schema_to_public()
    school = School.objects.get(pk=school_id) if school_id else None
    try:
        problems = history_verify(school=school)
    except Exception as exc:  # a check that cannot run is a finding too; sealing still goes on
        logging.getLogger(__name__).exception("history check of %s failed", school or "public")
        problems = [Problem("history", None, "check_failed", note=str(exc)[:200])]
    connection.set_schema_to_public()
    lines = [str(p) for p in problems]
    if problems:
        logging.getLogger(__name__).error("history check of %s: %d problems", school or "public", len(problems))
        operators = [
            m.user for m in Membership.objects.active().filter(role=Role.PLATFORM_OPERATOR).select_related("user")
        ]
        digest = hashlib.sha256("\n".join(sorted(lines)).encode()).hexdigest()[:16]
        notify(
            kind="history_tampered",
            title=gettext("History check found %(count)d problems: %(school)s")
            % {"count": len(problems), "school": school.name if school else gettext("Platform (public schema)")},
            body="\n".join(lines[:50]),
            users=operators,
            school=None,
            dedupe_key=f"history-tampered:{school_id}:{digest}",  # the same findings alert once
        )
    moved = history_seal_run(school=school)
    history_anchor(school=school, moved=moved, daily=True, problems=problems)
    return lines


@shared_task(acks_late=True)
def history_anchor_send_task() -> int:
    """Daily, after the nightly check: send each bureau and the operators the day's seal heads."""
    from .integrity import history_anchor_send

    connection.set_schema_to_public()
    return history_anchor_send()


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


@shared_task(bind=True, acks_late=True, max_retries=5)
def notification_sms_send_task(self, *, message_id: int) -> str:
    """Hand one text message to the SMS provider (a message that went is never sent twice)."""
    from .notifications import sms_message_send
    from .sms import SmsError

    try:
        return sms_message_send(message_id=message_id).status
    except SmsError as exc:
        raise self.retry(exc=exc, countdown=30 * (2**self.request.retries)) from exc
