"""Request limits checked before any resolver runs, each with a stable `extensions.code`.

- aliases, counted through every fragment spread where it is used (a validation rule);
- introspection only for authenticated callers (people signed in, or partners);
- page size (`first` / `last`, literal or variable) ≤ GRAPHQL_MAX_PAGE_SIZE;
- cost: an estimate of the values a response may hold — every field counts once per row of the
  page or list it sits in, so nested pages and lists multiply (a plain list by its bound in
  api/bounds.py, to which its resolver is cut) — per request and per token per minute;
- objects: the objects among them, at most GRAPHQL_MAX_OBJECTS (introspection counted on the schema);
- one operation per document;
- no NUL character in any text (PostgreSQL cannot store it): BAD_USER_INPUT, not an internal error.
- depth: fields nested at most GRAPHQL_MAX_DEPTH deep (each fragment measured once, not at every spread).
Tokens are strawberry's own limiter (its error is mapped in api/errors.py).

What the per-minute budget charged a token is kept on the request (`RateLimitCharge`): the `rateLimit` field
answers it and the view writes it into the X-RateLimit-* headers, and a refusal for the budget is HTTP 429
with Retry-After (api/views.py).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from types import SimpleNamespace

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
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLUnionType,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SchemaMetaFieldDef,
    StringValueNode,
    TypeMetaFieldDef,
    ValidationContext,
    ValidationRule,
    VariableNode,
    default_field_resolver,
)

from . import bounds
from .errors import Code, HouqinGraphQLError

PAGE_ARGS = ("first", "last")
CONNECTION_CHILDREN = {"edges", "nodes"}


def max_cost() -> int:
    return getattr(settings, "GRAPHQL_MAX_COST", 50_000)


def max_objects() -> int:
    """The most objects one response may hold, by the estimate (issue 17: at most 10,000)."""
    return getattr(settings, "GRAPHQL_MAX_OBJECTS", 10_000)


def token_cost_per_minute() -> int:
    return getattr(settings, "GRAPHQL_TOKEN_COST_PER_MINUTE", 1_000_000)


def _fragments(document) -> dict[str, FragmentDefinitionNode]:
    return {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}


def _operations(document) -> list[OperationDefinitionNode]:
    return [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]


def count_aliases(node, fragments: Mapping[str, FragmentDefinitionNode], seen: frozenset[str] = frozenset(),
                  per_fragment: dict[str, int] | None = None) -> int:
    """Aliased fields under `node`, a fragment counted each time it is spread (cycles counted once).

    Each fragment is walked once (`per_fragment`): fragments spreading fragments twice over would otherwise
    make the count itself take 2**n steps.
    """
    if getattr(node, "selection_set", None) is None:
        return 0
    per_fragment = {} if per_fragment is None else per_fragment
    total = 0
    for selection in node.selection_set.selections:
        if isinstance(selection, FieldNode):
            total += 1 if selection.alias else 0
            total += count_aliases(selection, fragments, seen, per_fragment)
        elif isinstance(selection, InlineFragmentNode):
            total += count_aliases(selection, fragments, seen, per_fragment)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name in fragments and name not in seen:
                if name not in per_fragment:
                    per_fragment[name] = count_aliases(fragments[name], fragments, seen | {name}, per_fragment)
                total += per_fragment[name]
    return total


class AliasLimitRule(ValidationRule):
    """Refuse documents whose operations use more aliases than GRAPHQL_MAX_ALIASES, fragments included."""

    def __init__(self, context: ValidationContext):
        super().__init__(context)
        document = context.document
        fragments = _fragments(document)
        per_fragment: dict[str, int] = {}
        total = sum(count_aliases(op, fragments, per_fragment=per_fragment) for op in _operations(document))
        allowed = settings.GRAPHQL_MAX_ALIASES
        if total > allowed:
            context.report_error(
                GraphQLError(f"{total} aliases found. Allowed: {allowed}", extensions={"code": Code.ALIAS_LIMIT})
            )


class AliasLimiter(AddValidationRules):
    def __init__(self):
        super().__init__([AliasLimitRule])


def operation_depth(node, fragments: Mapping[str, FragmentDefinitionNode], per_fragment: dict[str, int],
                    seen: frozenset[str] = frozenset()) -> int:
    """Fields with selections nested along the deepest path (introspection not counted), as strawberry's
    QueryDepthLimiter measures it, but each fragment walked once: that one walks a fragment at every spread,
    and 21 fragments each spreading the one before twice took it 74 s."""
    if isinstance(node, FieldNode):
        if node.selection_set is None or node.name.value.startswith("__"):
            return 0
        return 1 + max((operation_depth(s, fragments, per_fragment, seen) for s in node.selection_set.selections),
                       default=0)
    if isinstance(node, FragmentSpreadNode):
        name = node.name.value
        if name not in fragments or name in seen:
            return 0
        if name not in per_fragment:
            per_fragment[name] = operation_depth(fragments[name], fragments, per_fragment, seen | {name})
        return per_fragment[name]
    if getattr(node, "selection_set", None) is None:
        return 0
    return max((operation_depth(s, fragments, per_fragment, seen) for s in node.selection_set.selections), default=0)


class DepthLimitRule(ValidationRule):
    """Refuse operations nested deeper than GRAPHQL_MAX_DEPTH (the message errors.py maps to DEPTH_LIMIT)."""

    def __init__(self, context: ValidationContext):
        super().__init__(context)
        fragments = _fragments(context.document)
        per_fragment: dict[str, int] = {}
        allowed = settings.GRAPHQL_MAX_DEPTH
        for operation in _operations(context.document):
            if operation_depth(operation, fragments, per_fragment) > allowed:
                name = operation.name.value if operation.name else "anonymous"
                context.report_error(GraphQLError(f"'{name}' exceeds maximum operation depth of {allowed}",
                                                  [operation], extensions={"code": Code.DEPTH_LIMIT}))


class DepthLimiter(AddValidationRules):
    def __init__(self):
        super().__init__([DepthLimitRule])


def _argument(field: FieldNode, name: str, variables: Mapping) -> object:
    for argument in field.arguments or ():
        if argument.name.value == name:
            value = argument.value
            if isinstance(value, IntValueNode):
                return int(value.value)
            if isinstance(value, StringValueNode):
                return value.value
            if isinstance(value, VariableNode):
                return variables.get(value.name.value)
            return None
    return None


def _is_connection(field: FieldNode) -> bool:
    if field.selection_set is None:
        return False
    return any(isinstance(s, FieldNode) and s.name.value in CONNECTION_CHILDREN for s in field.selection_set.selections)


def _variables(operations, variables: Mapping | None) -> dict:
    """The request's variables over the operations' declared defaults (`query Q($n: Int = 100)` sends none)."""
    values: dict = {}
    for operation in operations:
        for definition in operation.variable_definitions or ():
            default = definition.default_value
            if isinstance(default, IntValueNode):
                values[definition.variable.name.value] = int(default.value)
            elif isinstance(default, StringValueNode):
                values[definition.variable.name.value] = default.value
    values.update(variables or {})
    return values


def _unwrap(graphql_type) -> tuple[bool, object]:
    """(whether it is a list, its named type)."""
    listed = bounds.is_list(graphql_type)
    while isinstance(graphql_type, (GraphQLNonNull, GraphQLList)):
        graphql_type = graphql_type.of_type
    return listed, graphql_type


class _Exceeded(Exception):
    """Counting introspection stopped: it alone is over a limit."""


class _Walk:
    """One pass over an operation: its cost, the objects it may return, its page sizes, whether it introspects.

    `cost` counts every value the response may hold (a field once per object it sits in; a list field once per
    item), `objects` the objects among them. Connections multiply what they hold by their page (`first`/`last`,
    else the page cap), plain list fields by their bound (api/bounds.py), so the products along every path are
    summed: an upper bound of the response, since every list is cut to what is counted here. Without a schema
    (unit checks of the arithmetic) every field counts once per row of the page it sits in.
    """

    def __init__(self, fragments, variables, schema=None, request=None, introspection: bool = True):
        self.fragments = fragments
        self.variables = variables or {}
        self.schema = schema
        self.request = request
        self.introspection = introspection
        self.cost = 0
        self.objects = 0
        self.page_sizes: list[int] = []
        self.introspects = False
        self._per_fragment: dict[str, tuple[int, int]] = {}
        self._introspected = [0, 0]  # cost, objects counted in introspection so far
        self._plans: dict[tuple[int, str], tuple[int, list]] = {}
        self._limits = (max_cost(), max_objects())

    def visit(self, node, multiplier: int, seen: frozenset[str] = frozenset()) -> None:
        root = None
        if self.schema is not None and isinstance(node, OperationDefinitionNode):
            root = self.schema.get_root_type(node.operation)
        cost, objects = self._selections(node, root, seen)
        self.cost += multiplier * cost
        self.objects += multiplier * objects

    def _type(self, name_node, default):
        if name_node is None or self.schema is None:
            return default
        return self.schema.get_type(name_node.name.value) or default

    def _selections(self, node, parent_type, seen: frozenset[str]) -> tuple[int, int]:
        """(cost, objects) of `node`'s selections for one object of `parent_type`."""
        cost = objects = 0
        if getattr(node, "selection_set", None) is None:
            return 0, 0
        for selection in node.selection_set.selections:
            if isinstance(selection, FieldNode):
                c, o = self._field(selection, parent_type, seen)
            elif isinstance(selection, InlineFragmentNode):
                c, o = self._selections(selection, self._type(selection.type_condition, parent_type), seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name not in self.fragments or name in seen:
                    continue
                if name not in self._per_fragment:  # a fragment counts the same wherever it is spread
                    fragment = self.fragments[name]
                    self._per_fragment[name] = self._selections(
                        fragment, self._type(fragment.type_condition, parent_type), seen | {name})
                c, o = self._per_fragment[name]
            else:
                continue
            cost += c
            objects += o
        return cost, objects

    def _page(self, selection: FieldNode, definition, named) -> int | None:
        """The page this field multiplies what it holds by, or None."""
        size = None
        for arg in PAGE_ARGS:
            value = _argument(selection, arg, self.variables)
            if value is None and definition is not None and arg in definition.args:
                default = definition.args[arg].default_value
                value = default if isinstance(default, int) and not isinstance(default, bool) else None
            if isinstance(value, int):
                self.page_sizes.append(value)
                size = value if size is None else max(size, value)
        if size is None:
            paged = bounds.is_connection(named) if definition is not None else _is_connection(selection)
            if paged or (definition is not None and any(a in definition.args for a in PAGE_ARGS)):
                size = settings.GRAPHQL_MAX_PAGE_SIZE
        return None if size is None else max(size, 0)

    def _field(self, selection: FieldNode, parent_type, seen: frozenset[str]) -> tuple[int, int]:
        name = selection.name.value
        if name in ("__schema", "__type"):
            self.introspects = True
            return self._introspect(selection) if self.introspection else (0, 0)
        if name.startswith("__"):
            return 0, 0
        fields = getattr(parent_type, "fields", None) or {}
        definition = fields.get(name)
        listed, named = _unwrap(definition.type) if definition is not None else (False, None)
        composite = (isinstance(named, (GraphQLObjectType, GraphQLInterfaceType, GraphQLUnionType))
                     if definition is not None else selection.selection_set is not None)
        page = self._page(selection, definition, named)
        items, holds = 1, page or 1
        if listed:
            bound = bounds.bound_of(parent_type, name)
            if bound == bounds.PAGE:  # one page: of its own first, or of the field above (counted there)
                items = holds = page or 1
            else:
                items = bounds.size(bound, self.request)
                holds = items * (page or 1)
        cost, objects = items, (items if composite else 0)
        if selection.selection_set is not None:
            c, o = self._selections(selection, named, seen)
            cost += holds * c
            objects += holds * o
        return cost, objects

    # --- introspection: its size is the schema's, counted on the schema itself -----------------------------

    def _introspect(self, selection: FieldNode) -> tuple[int, int]:
        if self.schema is None:
            return 0, 0
        before = tuple(self._introspected)
        info = SimpleNamespace(schema=self.schema, field_name=selection.name.value)
        if selection.name.value == "__schema":
            self._complete(selection, SchemaMetaFieldDef.type, self.schema, info, frozenset())
        else:
            name = _argument(selection, "name", self.variables)
            found = self.schema.get_type(name) if isinstance(name, str) else None
            self._complete(selection, TypeMetaFieldDef.type, found, info, frozenset())
        return self._introspected[0] - before[0], self._introspected[1] - before[1]

    def _spend(self, cost: int, objects: int) -> None:
        self._introspected[0] += cost
        self._introspected[1] += objects
        if self._introspected[0] > self._limits[0] or self._introspected[1] > self._limits[1]:
            raise _Exceeded

    def _intro_fields(self, node, seen: frozenset[str]):
        for selection in node.selection_set.selections:
            if isinstance(selection, FieldNode):
                yield selection
            elif isinstance(selection, InlineFragmentNode):
                yield from self._intro_fields(selection, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name in self.fragments and name not in seen:
                    yield from self._intro_fields(self.fragments[name], seen | {name})

    def _intro_plan(self, node: FieldNode, graphql_type, seen: frozenset[str]):
        """(scalars, [(field node, definition, arguments)] of the lists and objects) selected on one object."""
        key = (id(node), graphql_type.name)
        plan = self._plans.get(key)
        if plan is None:
            scalars, composites = 0, []
            for field_node in self._intro_fields(node, seen):
                definition = graphql_type.fields.get(field_node.name.value)
                if definition is None:
                    continue
                listed, named = _unwrap(definition.type)
                if not listed and not isinstance(named, (GraphQLObjectType, GraphQLInterfaceType)):
                    scalars += 1  # a scalar: not worth resolving to count
                    continue
                args = {"includeDeprecated": True} if "includeDeprecated" in definition.args else {}
                composites.append((field_node, definition, args))
            plan = self._plans[key] = (scalars, composites)
        return plan

    def _complete(self, node: FieldNode, graphql_type, value, info, seen: frozenset[str]) -> None:
        """Count what the executor returns for `value` of `graphql_type` under `node` (deprecated items too)."""
        if isinstance(graphql_type, GraphQLNonNull):
            graphql_type = graphql_type.of_type
        if value is None:
            self._spend(1, 0)
            return
        if isinstance(graphql_type, GraphQLList):
            for item in value:
                self._complete(node, graphql_type.of_type, item, info, seen)
            return
        if not isinstance(graphql_type, (GraphQLObjectType, GraphQLInterfaceType)) or node.selection_set is None:
            self._spend(1, 0)
            return
        scalars, composites = self._intro_plan(node, graphql_type, seen)
        self._spend(1 + scalars, 1)
        for field_node, definition, args in composites:
            info.field_name = field_node.name.value
            resolve = definition.resolve or default_field_resolver
            self._complete(field_node, definition.type, resolve(value, info, **args), info, seen)


def estimate(document, variables: Mapping | None, schema=None, request=None, introspection: bool = True) -> _Walk:
    """The cost and objects of a document; with `schema`, plain lists count by their bound and introspection
    by the schema's size (`introspection=False` only notes that the document introspects)."""
    operations = _operations(document)
    walk = _Walk(_fragments(document), _variables(operations, variables), schema, request, introspection)
    try:
        for operation in operations:
            walk.visit(operation, 1)
    except _Exceeded:
        walk.cost = max(walk.cost, walk._introspected[0])
        walk.objects = max(walk.objects, walk._introspected[1])
    return walk


def _caller(request) -> tuple[object | None, bool]:
    partner = getattr(request, "partner", None)
    user = getattr(request, "user", None)
    return partner, bool(partner is not None or (user is not None and user.is_authenticated))


@dataclass(frozen=True)
class RateLimitCharge:
    """What the per-minute budget charged one request of a token (GitHub's `rateLimit`)."""

    cost: int  # charged for this request, the `rateLimit` field itself included
    limit: int  # the token's budget per minute
    spent: int  # the token's spend of this minute, this request included
    reset: int  # Unix time when the minute's budget starts over

    @property
    def remaining(self) -> int:
        return max(self.limit - self.spent, 0)

    @property
    def exceeded(self) -> bool:
        return self.spent > self.limit

    @property
    def reset_at(self) -> datetime:
        return datetime.fromtimestamp(self.reset, tz=UTC)

    def retry_after(self, now: float | None = None) -> int:
        """Whole seconds until the budget starts over (at least 1)."""
        return max(self.reset - int(time.time() if now is None else now), 1)


RATE_LIMIT_ATTR = "houqin_rate_limit"


def rate_limit_of(request) -> RateLimitCharge | None:
    """What the budget charged this request, or None (no token, or refused before charging)."""
    return getattr(request, RATE_LIMIT_ATTR, None)


def spend_token_budget(token_id: int, cost: int, minute: int | None = None) -> int:
    """Add `cost` to this token's spend of the current minute; return the total so far.

    The key lives in the public schema's key space so a token has one budget on every host.
    """
    key = f"api:cost:{token_id}:{_minute() if minute is None else minute}"
    with schema_context("public"):
        cache.add(key, 0, timeout=120)
        try:
            return cache.incr(key, cost)
        except ValueError:  # expired between add and incr
            cache.set(key, cost, timeout=120)
            return cost


def _minute(now: float | None = None) -> int:
    return int((time.time() if now is None else now) // 60)


def charge_token(request, token_id: int, cost: int) -> RateLimitCharge:
    """Charge `cost` to the token's budget of this minute and note the charge on the request."""
    minute = _minute()
    spent = spend_token_budget(token_id, cost, minute)
    charge = RateLimitCharge(cost=cost, limit=token_cost_per_minute(), spent=spent, reset=(minute + 1) * 60)
    if request is not None:
        setattr(request, RATE_LIMIT_ATTR, charge)
    return charge


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


def check_request(document, variables: Mapping | None, request, schema=None) -> HouqinGraphQLError | None:
    """The first limit this request breaks, or None (`schema`: the graphql-core schema; default ours)."""
    if len(_operations(document)) > 1:
        return HouqinGraphQLError("Send one operation per request.", Code.ONE_OPERATION)
    if _document_has_nul(document) or _has_nul(variables or {}):
        # A text with NUL would reach PostgreSQL and fail there as an internal error: refuse it as input.
        return HouqinGraphQLError("Text may not contain the NUL character (\\u0000).", Code.BAD_USER_INPUT)
    partner, authenticated = _caller(request)
    if schema is None:
        from .schema import schema as houqin_schema

        schema = houqin_schema._schema
    walk = estimate(document, variables, schema, request, introspection=authenticated)
    if walk.introspects and not authenticated:
        return HouqinGraphQLError("Introspection needs a signed-in person or a token.", Code.UNAUTHENTICATED)
    cap = settings.GRAPHQL_MAX_PAGE_SIZE
    for size in walk.page_sizes:
        if size > cap or size < 0:
            return HouqinGraphQLError(f"Page size must be between 0 and {cap}.", Code.PAGE_SIZE_LIMIT, maxPageSize=cap)
    if walk.cost > max_cost():
        return HouqinGraphQLError(
            f"This request would cost {walk.cost}; the limit is {max_cost()}. Ask for smaller or fewer pages.",
            Code.COST_LIMIT, cost=walk.cost, maxCost=max_cost(), objects=walk.objects, maxObjects=max_objects(),
        )
    if walk.objects > max_objects():
        return HouqinGraphQLError(
            f"This request could return {walk.objects} objects; the limit is {max_objects()}. "
            "Ask for smaller or fewer pages, or fewer nested lists.",
            Code.COST_LIMIT, cost=walk.cost, maxCost=max_cost(), objects=walk.objects, maxObjects=max_objects(),
        )
    token = getattr(partner, "token", None)
    if token is not None:
        charge = charge_token(request, token.pk, walk.cost)
        if charge.exceeded:
            return HouqinGraphQLError(
                "This token has spent its budget for this minute; try again shortly.", Code.RATE_LIMIT,
                retryAfter=charge.retry_after(), budgetPerMinute=charge.limit, cost=charge.cost,
                resetAt=charge.reset_at.isoformat(),
            )
    return None


class RequestLimits(SchemaExtension):
    """Check the limits after validation and before execution; a refused request runs no resolver."""

    def on_execute(self):
        context = self.execution_context
        document = context.graphql_document
        if document is not None and context.result is None:
            request = getattr(context.context, "request", None)
            error = check_request(document, context.variables, request, context.schema._schema)
            if error is not None:
                context.result = ExecutionResult(data=None, errors=[error])
        yield
