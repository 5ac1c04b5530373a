from __future__ import annotations

from tenants.access import bureau_roles, bureaus_for, is_platform_operator, school_roles
from tenants.models import School
from tenants.roles import Role

from .nav import items_for


def navigation(request) -> dict:
    """The menu, the user's roles here, and the unread notification count."""
    user = getattr(request, "user", None)
    tenant = getattr(request, "tenant", None)
    school = tenant if isinstance(tenant, School) else None
    context: dict = {"current_school": school, "nav_items": [], "my_roles": frozenset(), "unread_count": 0}
    if user is None or not user.is_authenticated:
        return context
    urlconf = getattr(request, "urlconf", None)
    if school is not None:
        roles = school_roles(user, school)
        context["my_roles"] = roles
        context["is_bureau_reader"] = not roles
        context["nav_items"] = items_for(host="school", roles=roles, urlconf=urlconf)
    else:
        bureau = bureaus_for(user).first()
        roles = set(bureau_roles(user, bureau)) if bureau else set()
        if is_platform_operator(user):
            roles.add(Role.PLATFORM_OPERATOR)
        context["current_bureau"] = bureau
        context["my_roles"] = frozenset(roles)
        context["nav_items"] = items_for(host="bureau", roles=frozenset(roles), urlconf=urlconf)
    context["unread_count"] = user.notifications.filter(read_at__isnull=True).count()
    return context
