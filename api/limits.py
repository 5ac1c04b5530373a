"""Request limits checked before any resolver runs, each with a stable `extensions.code`.

- aliases, counted through every fragment spread where it is used (a validation rule);
- introspection only for authenticated callers (people signed in, or partners);
- page size (`first` / `last`, literal or variable) ≤ GRAPHQL_MAX_PAGE_SIZE;
- cost: an estimate of the rows a request may touch — every field counts once per row of the
  page it sits in, so nested pages multiply — per request and per token per minute;
- one operation per document;
- no NUL character in any text (PostgreSQL cannot store it): BAD_USER_INPUT, not an internal error.
Depth and tokens are strawberry's own limiters (their errors are mapped in api/errors.py).
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from django.conf import settings
from django.core.cache import cache
from django_tenants.utils import schema_context
from strawberry.extensions import AddValidationRules, SchemaExtension

from graphql import (
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    StringValueNode,
    ValidationContext,
    ValidationRule,
    VariableNode,
)

from .errors import Code, HouqinGraphQLError

PAGE_ARGS = ("first", "last")
CONNECTION_CHILDREN = {"edges", "nodes"}


def max_cost() -> int:
    return getattr(settings, "GRAPHQL_MAX_COST", 50_000)


def token_cost_per_minute() -> int:
    return getattr(settings, "GRAPHQL_TOKEN_COST_PER_MINUTE", 1_000_000)


def _fragments(document) -> dict[str, FragmentDefinitionNode]:
    return {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}


def _operations(document) -> list[OperationDefinitionNode]:
    return [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]


def count_aliases(node, fragments: Mapping[str, FragmentDefinitionNode], seen: frozenset[str] = frozenset()) -> int:
    """Aliased fields under `node`, a fragment counted each time it is spread (cycles counted once)."""
    if getattr(node, "selection_set", None) is None:
        return 0
    total = 0
    for selection in node.selection_set.selections:
        if isinstance(selection, FieldNode):
            total += 1 if selection.alias else 0
            total += count_aliases(selection, fragments, seen)
        elif isinstance(selection, InlineFragmentNode):
            total += count_aliases(selection, fragments, seen)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name in fragments and name not in seen:
                total += count_aliases(fragments[name], fragments, seen | {name})
    return total


class AliasLimitRule(ValidationRule):
    """Refuse documents whose operations use more aliases than GRAPHQL_MAX_ALIASES, fragments included."""

    def __init__(self, context: ValidationContext):
        super().__init__(context)
        document = context.document
        fragments = _fragments(document)
        total = sum(count_aliases(op, fragments) for op in _operations(document))
        allowed = settings.GRAPHQL_MAX_ALIASES
        if total > allowed:
            context.report_error(
                GraphQLError(f"{total} aliases found. Allowed: {allowed}", extensions={"code": Code.ALIAS_LIMIT})
            )


class AliasLimiter(AddValidationRules):
    def __init__(self):
        super().__init__([AliasLimitRule])


def _argument(field: FieldNode, name: str, variables: Mapping) -> object:
    for argument in field.arguments or ():
        if argument.name.value == name:
            value = argument.value
            if isinstance(value, IntValueNode):
                return int(value.value)
            if isinstance(value, VariableNode):
                return variables.get(value.name.value)
            return None
    return None


def _is_connection(field: FieldNode) -> bool:
    if field.selection_set is None:
        return False
    return any(isinstance(s, FieldNode) and s.name.value in CONNECTION_CHILDREN for s in field.selection_set.selections)


class _Walk:
    """One pass over an operation: its cost, its page sizes, whether it introspects."""

    def __init__(self, fragments, variables):
        self.fragments = fragments
        self.variables = variables or {}
        self.cost = 0
        self.page_sizes: list[int] = []
        self.introspects = False

    def visit(self, node, multiplier: int, seen: frozenset[str] = frozenset()) -> None:
        if getattr(node, "selection_set", None) is None:
            return
        for selection in node.selection_set.selections:
            if isinstance(selection, FieldNode):
                name = selection.name.value
                if name in ("__schema", "__type"):
                    self.introspects = True
                    continue
                if name.startswith("__"):
                    continue
                self.cost += multiplier
                size = None
                for arg in PAGE_ARGS:
                    value = _argument(selection, arg, self.variables)
                    if isinstance(value, int):
                        self.page_sizes.append(value)
                        size = value if size is None else max(size, value)
                if size is None and _is_connection(selection):
                    size = settings.GRAPHQL_MAX_PAGE_SIZE
                self.visit(selection, multiplier * max(size, 1) if size is not None else multiplier, seen)
            elif isinstance(selection, InlineFragmentNode):
                self.visit(selection, multiplier, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name in self.fragments and name not in seen:
                    self.visit(self.fragments[name], multiplier, seen | {name})


def estimate(document, variables: Mapping | None) -> _Walk:
    walk = _Walk(_fragments(document), variables)
    for operation in _operations(document):
        walk.visit(operation, 1)
    return walk


def _caller(request) -> tuple[object | None, bool]:
    partner = getattr(request, "partner", None)
    user = getattr(request, "user", None)
    return partner, bool(partner is not None or (user is not None and user.is_authenticated))


def spend_token_budget(token_id: int, cost: int) -> int:
    """Add `cost` to this token's spend of the current minute; return the total so far.

    The key lives in the public schema's key space so a token has one budget on every host.
    """
    key = f"api:cost:{token_id}:{int(time.time() // 60)}"
    with schema_context("public"):
        cache.add(key, 0, timeout=120)
        try:
            return cache.incr(key, cost)
        except ValueError:  # expired between add and incr
            cache.set(key, cost, timeout=120)
            return cost


def _has_nul(value) -> bool:
    """A NUL character anywhere in a variable's value (strings inside lists and input objects too)."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, Mapping):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(_has_nul(v) for v in value)
    return False


def _document_has_nul(node) -> bool:
    if isinstance(node, StringValueNode):
        return "\x00" in node.value
    for key in getattr(node, "keys", ()):
        child = getattr(node, key, None)
        children = child if isinstance(child, (list, tuple)) else (child,)
        if any(hasattr(c, "kind") and _document_has_nul(c) for c in children):
            return True
    return False


def check_request(document, variables: Mapping | None, request) -> HouqinGraphQLError | None:
    """The first limit this request breaks, or None."""
    if len(_operations(document)) > 1:
        return HouqinGraphQLError("Send one operation per request.", Code.ONE_OPERATION)
    if _document_has_nul(document) or _has_nul(variables or {}):
        # A text with NUL would reach PostgreSQL and fail there as an internal error: refuse it as input.
        return HouqinGraphQLError("Text may not contain the NUL character (\\u0000).", Code.BAD_USER_INPUT)
    walk = estimate(document, variables)
    partner, authenticated = _caller(request)
    if walk.introspects and not authenticated:
        return HouqinGraphQLError("Introspection needs a signed-in person or a token.", Code.UNAUTHENTICATED)
    cap = settings.GRAPHQL_MAX_PAGE_SIZE
    for size in walk.page_sizes:
        if size > cap or size < 0:
            return HouqinGraphQLError(f"Page size must be between 0 and {cap}.", Code.PAGE_SIZE_LIMIT, maxPageSize=cap)
    if walk.cost > max_cost():
        return HouqinGraphQLError(
            f"This request would cost {walk.cost}; the limit is {max_cost()}. Ask for smaller or fewer pages.",
            Code.COST_LIMIT, cost=walk.cost, maxCost=max_cost(),
        )
    token = getattr(partner, "token", None)
    if token is not None:
        spent = spend_token_budget(token.pk, walk.cost)
        if spent > token_cost_per_minute():
            return HouqinGraphQLError(
                "This token has spent its budget for this minute; try again shortly.", Code.RATE_LIMIT,
                retryAfter=60 - int(time.time()) % 60, budgetPerMinute=token_cost_per_minute(),
            )
    return None


class RequestLimits(SchemaExtension):
    """Check the limits after validation and before execution; a refused request runs no resolver."""

    def on_execute(self):
        context = self.execution_context
        document = context.graphql_document
        if document is not None and context.result is None:
            request = getattr(context.context, "request", None)
            error = check_request(document, context.variables, request)
            if error is not None:
                context.result = ExecutionResult(data=None, errors=[error])
        yield
