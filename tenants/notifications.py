"""The notification centre's entry point: every module notifies people through `notify`."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, transaction
from django.utils import timezone

from .models import Membership, Notification, School, User


def _current_school() -> School | None:
    tenant = getattr(connection, "tenant", None)
    return tenant if isinstance(tenant, School) else None


def notify(
    *,
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    users: Iterable[User] = (),
    roles: Iterable[str] = (),
    school: School | None = None,
    dedupe_key: str,
) -> list[Notification]:
    """Notify people (by person and/or by role in the school) once per dedupe_key each.

    Safe to call twice with the same dedupe_key: a person is notified once.
    """
    school = school or _current_school()
    recipients: dict[int, User] = {u.pk: u for u in users}
    roles = list(roles)
    if roles and school is not None:
        for membership in Membership.objects.active().filter(school=school, role__in=roles).select_related("user"):
            if membership.user.is_active:
                recipients[membership.user_id] = membership.user
    created = []
    with transaction.atomic():
        for user in recipients.values():
            notification, was_created = Notification.objects.get_or_create(
                recipient=user,
                dedupe_key=dedupe_key[:200],
                defaults={
                    "school": school,
                    "kind": kind,
                    "title": title[:200],
                    "body": body,
                    "url": url,
                    "created_at": timezone.now(),
                },
            )
            if was_created:
                created.append(notification)
    return created


def notification_mark_read(*, user: User, notification_ids: Iterable[int] | None = None) -> int:
    """Mark the user's notifications read (all when no ids given); returns how many changed."""
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_ids is not None:
        qs = qs.filter(pk__in=list(notification_ids))
    return qs.update(read_at=timezone.now())
