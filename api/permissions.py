"""Permission checks every resolver goes through."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from strawberry.permission import BasePermission
from strawberry.types import Info

from tenants.access import can_read_school, school_roles
from tenants.models import School

from .errors import Code, HouqinGraphQLError


def current_school(info: Info) -> School | None:
    tenant = getattr(info.context.request, "tenant", None)
    return tenant if isinstance(tenant, School) else None


def current_user(info: Info):
    return info.context.request.user


def current_partner(info: Info):
    """The partner client behind a bearer token, or None for a signed-in person (see api/auth.py)."""
    return getattr(info.context.request, "partner", None)


def _partner_check(info: Info, school: School, scope: str | None) -> None:
    """A partner acts only in the schools of its grant and only with the scopes it holds.

    A write that names no scope is for people only: no partner passes it.
    """
    partner = current_partner(info)
    if not partner.may_access_school(school):
        raise HouqinGraphQLError("This token is not granted this school.", Code.FORBIDDEN)
    if scope is None:
        raise HouqinGraphQLError("Partners may not do this.", Code.FORBIDDEN)
    if not partner.has_scope(scope):
        raise HouqinGraphQLError(f"This token lacks the scope {scope}.", Code.FORBIDDEN, requiredScope=scope)


def require_authenticated(info: Info):
    if current_partner(info) is not None:
        return current_user(info)
    user = current_user(info)
    if not user or not user.is_authenticated:
        raise HouqinGraphQLError("Sign in or send a valid token.", Code.UNAUTHENTICATED)
    return user


def require_school(info: Info) -> School:
    school = current_school(info)
    if school is None:
        raise HouqinGraphQLError("This field is served on a school's host only.", Code.WRONG_HOST)
    return school


def require_school_reader(info: Info, scope: str | None = None) -> School:
    """The current school, when the caller may read it (members and its bureau).

    `scope` (e.g. "assets:read") is what a partner token must hold; people are judged by membership.
    """
    user = require_authenticated(info)
    school = require_school(info)
    if current_partner(info) is not None:
        # A read that names no scope is of the school's own profile: that takes schools:read.
        _partner_check(info, school, scope or "schools:read")
        return school
    if not can_read_school(user, school):
        raise HouqinGraphQLError("You may not read this school.", Code.FORBIDDEN)
    return school


def require_school_role(info: Info, roles: Iterable[str], scope: str | None = None) -> School:
    """The current school, when the caller holds one of the roles there and it is writable.

    A partner token needs `scope` (e.g. "repairs:write") and a grant for this school instead of a role.
    """
    user = require_authenticated(info)
    school = require_school(info)
    if current_partner(info) is not None:
        _partner_check(info, school, scope)
    elif not (school_roles(user, school) & set(roles)):
        raise HouqinGraphQLError("Your role here does not allow this.", Code.FORBIDDEN)
    if school.is_read_only:
        raise HouqinGraphQLError("This school is suspended and read-only.", Code.READ_ONLY)
    return school


class IsAuthenticated(BasePermission):
    message = "Sign in or send a valid token."

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        require_authenticated(info)
        return True


class SchoolReader(BasePermission):
    """Field permission: the caller may read the current school (partners need `scope`)."""

    message = "You may not read this school."

    def __init__(self, scope: str | None = None):
        self.scope = scope

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        require_school_reader(info, self.scope)
        return True


class HasSchoolRole(BasePermission):
    """Field permission: the caller holds one of `roles` in the current (writable) school."""

    message = "Your role here does not allow this."

    def __init__(self, *roles: str, scope: str | None = None):
        self.roles = frozenset(roles)
        self.scope = scope

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        require_school_role(info, self.roles, self.scope)
        return True
