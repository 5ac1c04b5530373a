"""Permission checks every resolver goes through."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from strawberry.extensions import SchemaExtension
from strawberry.permission import BasePermission
from strawberry.types import Info

from graphql import (
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
)
from tenants.access import can_read_school, school_roles
from tenants.models import School

from .errors import Code, HouqinGraphQLError

# The answer to a token on a write that is for people only (approvals, signatures, roles, stock, …).
PARTNERS_REFUSED = "Partners may not do this."
# Field metadata of a mutation a partner token may call (its resolver still checks the scope and the grant):
# @strawberry.mutation(metadata=PARTNER_MUTATION). Every other mutation is for people only.
_PARTNER_MUTATION_KEY = "houqin_partner_mutation"
PARTNER_MUTATION = {_PARTNER_MUTATION_KEY: True}


def current_school(info: Info) -> School | None:
    tenant = getattr(info.context.request, "tenant", None)
    return tenant if isinstance(tenant, School) else None


def current_user(info: Info):
    return info.context.request.user


def current_partner(info: Info):
    """The partner client behind a bearer token, or None for a signed-in person (see api/auth.py)."""
    return getattr(info.context.request, "partner", None)


def current_partner_name(info: Info) -> str:
    """The name a partner token's writes are recorded under ("" for a signed-in person)."""
    partner = current_partner(info)
    return partner.client.name if partner is not None else ""


def _partner_check(info: Info, school: School, scope: str | None) -> None:
    """A partner acts only in the schools of its grant and only with the scopes it holds.

    A write that names no scope is for people only: no partner passes it.
    """
    partner = current_partner(info)
    if not partner.may_access_school(school):
        raise HouqinGraphQLError("This token is not granted this school.", Code.FORBIDDEN)
    if scope is None:
        raise HouqinGraphQLError(PARTNERS_REFUSED, Code.FORBIDDEN)
    if not partner.has_scope(scope):
        raise HouqinGraphQLError(f"This token lacks the scope {scope}.", Code.FORBIDDEN, requiredScope=scope)


def refuse_partners(info: Info) -> None:
    """People only: a partner token is refused with FORBIDDEN before anything runs.

    For writes that do not go through require_school_role with scope=None (which refuses tokens too).
    """
    if current_partner(info) is not None:
        raise HouqinGraphQLError(PARTNERS_REFUSED, Code.FORBIDDEN)


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


def require_school_writable(info: Info) -> School:
    """A reader of the school (its members and its bureau) about to write: refused while it is suspended.

    For decisions the service judges itself (a bureau approver acts through the school's host).
    """
    school = require_school_reader(info)
    if school.is_read_only:
        raise HouqinGraphQLError("This school is suspended and read-only.", Code.READ_ONLY)
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


def _root_fields(selection_set, fragments: dict, seen: frozenset[str] = frozenset()) -> list[FieldNode]:
    """The fields at the root of an operation, through its inline fragments and fragment spreads."""
    fields: list[FieldNode] = []
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            fields.append(selection)
        elif isinstance(selection, InlineFragmentNode):
            fields.extend(_root_fields(selection.selection_set, fragments, seen))
        elif isinstance(selection, FragmentSpreadNode) and selection.name.value in fragments:
            name = selection.name.value
            if name not in seen:
                fields.extend(_root_fields(fragments[name].selection_set, fragments, seen | {name}))
    return fields


class PartnerWriteGate(SchemaExtension):
    """Deny by default: a partner token calls only the mutations marked PARTNER_MUTATION.

    A mutation that is not marked is refused with FORBIDDEN after validation and before execution, so no
    resolver runs and not even its arguments are read; a new mutation is for people until someone marks it.
    The resolvers refuse tokens on people-only writes too (scope=None, refuse_partners).
    """

    def on_execute(self):
        context = self.execution_context
        request = getattr(context.context, "request", None)
        partner = getattr(request, "partner", None)
        if context.result is None and context.graphql_document is not None and partner is not None:
            errors = self._refusals(context)
            if errors:
                context.result = ExecutionResult(data=None, errors=errors)
        yield

    def _refusals(self, context) -> list[GraphQLError]:
        """One FORBIDDEN error per mutation field of the operation that partners may not call."""
        definitions = context.graphql_document.definitions
        fragments = {d.name.value: d for d in definitions if isinstance(d, FragmentDefinitionNode)}
        operations = [d for d in definitions if isinstance(d, OperationDefinitionNode)]
        if context.operation_name:
            operations = [o for o in operations if o.name and o.name.value == context.operation_name]
        if not operations or operations[0].operation != OperationType.MUTATION:
            return []
        errors = []
        for field in _root_fields(operations[0].selection_set, fragments):
            name = field.name.value
            if name == "__typename":
                continue
            definition = context.schema.get_field_for_type(name, "Mutation")
            if definition is None or not (definition.metadata or {}).get(_PARTNER_MUTATION_KEY):
                key = field.alias.value if field.alias else name
                errors.append(GraphQLError(PARTNERS_REFUSED, nodes=[field], path=[key],
                                           extensions={"code": Code.FORBIDDEN}))
        return errors
