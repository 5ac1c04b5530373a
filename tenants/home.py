"""The people card on the school home: who is here, who has not signed in yet, my unread notifications."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse

from .access import school_roles
from .models import Membership
from .roles import SCHOOL_ADMIN_ROLES


def _url(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def home_cards(request, school) -> list[dict]:
    if not school_roles(request.user, school) & SCHOOL_ADMIN_ROLES:
        return []
    members = Membership.objects.active().filter(school=school, user__is_active=True)
    people = members.values("user_id").distinct().count()
    waiting = members.filter(user__password__startswith="!").values("user_id").distinct().count()
    context = {
        "people": people,
        "waiting": waiting,
        "people_url": _url("people:list"),
        "checklist_url": _url("staff:checklist") or _url("people:checklist"),
        "import_url": _url("staff:import"),
    }
    return [{"template": "tenants/people/home_card.html", "context": context, "order": 5}]
