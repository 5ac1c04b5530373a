"""Reads of the staff roster and of the first-run checklist."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from tenants.access import can_read_school
from tenants.models import School

from .models import Building, Department, OnCampusUnit, Room, StaffMember


def staff_list_for(*, user, school: School, query: str = "", department_id: int | None = None,
                   left: bool = False) -> QuerySet[StaffMember]:
    """The roster as the user may see it (readers of the school see it; phones are hidden in views)."""
    if not can_read_school(user, school):
        return StaffMember.objects.none()
    qs = StaffMember.objects.select_related("department", "user").filter(is_active=not left)
    if query:
        qs = qs.filter(Q(name__icontains=query) | Q(phone__icontains=query) | Q(post__icontains=query))
    if department_id:
        qs = qs.filter(department_id=department_id)
    return qs.order_by("department__sort_order", "department__name", "name", "pk")


def _url(*names: str) -> str | None:
    for name in names:
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return None


def _count(model, **filters) -> int:
    return model.objects.filter(**filters).count()


def checklist_for(*, user, school: School) -> list[dict]:
    """First-run steps with what is there already; a page that does not exist yet has no link."""
    departments = _count(Department, is_active=True)
    buildings, rooms = _count(Building), _count(Room)
    staff = _count(StaffMember, is_active=True)
    units = _count(OnCampusUnit)
    return [
        {"key": "departments", "label": _("Departments"), "done": departments > 0,
         "status": _("%(n)s departments") % {"n": departments}, "url": _url("schools:department_list")},
        {"key": "buildings", "label": _("Buildings and rooms"), "done": buildings > 0 and rooms > 0,
         "status": _("%(b)s buildings, %(r)s rooms") % {"b": buildings, "r": rooms},
         "url": _url("schools:building_list", "schools:room_list")},
        {"key": "staff", "label": _("Staff (import the staff sheet)"), "done": staff > 1,
         "status": _("%(n)s staff on the roster") % {"n": staff}, "url": _url("staff:import")},
        {"key": "units", "label": _("On-campus units"), "done": units > 0,
         "status": _("%(n)s units") % {"n": units}, "url": _url("schools:unit_list")},
    ]
