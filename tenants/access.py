"""Who may act where. Every view and resolver asks these functions, never the models directly."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

from .models import Bureau, Membership, School
from .roles import BUREAU_ROLES, Role


def _memberships(user) -> list[Membership]:
    """The user's active memberships, loaded once per user object (i.e. once per request)."""
    if not user or not user.is_authenticated or not user.is_active:
        return []
    cached = getattr(user, "_houqin_memberships", None)
    if cached is None:
        cached = list(Membership.objects.active().filter(user=user).select_related("school", "bureau"))
        user._houqin_memberships = cached
    return cached


def forget_memberships(user) -> None:
    """Drop the per-request cache after memberships changed."""
    if hasattr(user, "_houqin_memberships"):
        del user._houqin_memberships


def is_platform_operator(user) -> bool:
    return any(m.role == Role.PLATFORM_OPERATOR for m in _memberships(user)) or bool(
        getattr(user, "is_superuser", False) and user.is_active
    )


def school_roles(user, school: School | None) -> frozenset[str]:
    """Roles the user holds in this school (empty for anyone else)."""
    if school is None:
        return frozenset()
    return frozenset(m.role for m in _memberships(user) if m.school_id == school.pk)


def bureau_roles(user, bureau: Bureau | None) -> frozenset[str]:
    if bureau is None:
        return frozenset()
    return frozenset(m.role for m in _memberships(user) if m.bureau_id == bureau.pk)


def bureaus_for(user) -> QuerySet[Bureau]:
    """Bureaus whose console the user may open."""
    if is_platform_operator(user):
        return Bureau.objects.all()
    ids = {m.bureau_id for m in _memberships(user) if m.bureau_id}
    return Bureau.objects.filter(pk__in=ids)


def schools_for(user) -> QuerySet[School]:
    """Schools the user may read: their own, and every school of a bureau they belong to."""
    if is_platform_operator(user):
        return School.objects.exclude(schema_name="public")
    school_ids = {m.school_id for m in _memberships(user) if m.school_id}
    bureau_ids = {m.bureau_id for m in _memberships(user) if m.bureau_id}
    from django.db.models import Q

    return School.objects.filter(Q(pk__in=school_ids) | Q(bureau_id__in=bureau_ids))


def can_read_school(user, school: School) -> bool:
    """Members of the school, its bureau's staff, and platform operators may read it."""
    if school_roles(user, school):
        return True
    if bureau_roles(user, school.bureau) & BUREAU_ROLES:
        return True
    return is_platform_operator(user)


def is_bureau_reader(user, school: School) -> bool:
    """True when the user reads this school only as its bureau (or the platform), never edits."""
    return not school_roles(user, school) and can_read_school(user, school)


def has_school_role(user, school: School | None, roles: Iterable[str]) -> bool:
    return bool(school_roles(user, school) & set(roles))


def require_school_role(user, school: School | None, roles: Iterable[str]) -> None:
    """Raise PermissionDenied unless the user holds one of the roles in this school."""
    if not has_school_role(user, school, roles):
        raise PermissionDenied


def _current_school(request) -> School | None:
    tenant = getattr(request, "tenant", None)
    return tenant if isinstance(tenant, School) else None


def school_view(*, roles: Iterable[str] | None = None, write: bool = False) -> Callable:
    """Decorate a school-host view: sign-in required; readers are members and their bureau.

    `roles`: the school roles allowed (None = any member). Bureau readers pass only when `write`
    is False and `roles` is None (they read, never edit). A suspended school refuses writes.
    """
    allowed = frozenset(roles) if roles is not None else None

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            school = _current_school(request)
            if school is None:
                raise PermissionDenied
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
            mine = school_roles(request.user, school)
            if allowed is None:
                ok = bool(mine) or (not write and can_read_school(request.user, school))
            else:
                ok = bool(mine & allowed)
            if not ok:
                raise PermissionDenied
            if (write or request.method not in ("GET", "HEAD", "OPTIONS")) and school.is_read_only:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.houqin_access = {"kind": "school", "roles": allowed, "write": write}
        return wrapped

    return decorator


def bureau_view(view):
    """Decorate a bureau-host view: only bureau members (or platform operators)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if _current_school(request) is not None:
            raise PermissionDenied
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        if not bureaus_for(request.user).exists():
            raise PermissionDenied
        return view(request, *args, **kwargs)

    wrapped.houqin_access = {"kind": "bureau"}
    return wrapped


def public_view(view):
    """Mark a view anyone may open (sign-in page, a public report page): it shows no private rows."""
    view.houqin_access = {"kind": "public"}
    return view


def personal_view(view):
    """Mark a signed-in view that shows only the person's own things (their notifications)."""
    from django.contrib.auth.decorators import login_required

    wrapped = login_required(view)
    wrapped.houqin_access = {"kind": "personal"}
    return wrapped
