"""What the people module of the shared core asks the school core (looked up by tenants.people)."""

from __future__ import annotations

from django.utils import timezone

from .models import StaffMember


def person_left(*, user) -> None:
    """The person left this school: their roster row is closed, never deleted."""
    StaffMember.objects.filter(user=user, is_active=True).update(is_active=False, left_on=timezone.localdate())


def person_joined(*, user, phone: str = "") -> None:
    """An invited person accepted and is a member now: the roster row the school typed for them is theirs."""
    if phone and not StaffMember.objects.filter(user=user).exists():
        StaffMember.objects.filter(user__isnull=True, phone=phone).update(user=user)


def open_tasks_for(*, user) -> list[dict]:
    """Open work of the person in the school core: departments they head and rooms in their custody."""
    from django.urls import NoReverseMatch, reverse
    from django.utils.translation import gettext as _

    from .models import Department, Room

    def url(name: str, *args) -> str:
        try:
            return reverse(name, args=args)
        except NoReverseMatch:
            return ""

    tasks = [
        {"module": _("School"), "label": _("Heads the department %(name)s") % {"name": d.name},
         "url": url("schools:department_edit", d.pk)}
        for d in Department.objects.filter(head=user, is_active=True)
    ]
    tasks += [
        {"module": _("School"), "label": _("Custodian of room %(room)s") % {"room": r},
         "url": url("schools:room_detail", r.pk)}
        for r in Room.objects.filter(custodian=user).select_related("building")
    ]
    return tasks
