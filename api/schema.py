"""The one GraphQL schema: every app's Query and Mutation, the optimizer, the limits, the error codes."""

from __future__ import annotations

import importlib

import strawberry
from django.conf import settings
from strawberry.extensions import MaxTokensLimiter
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry_django.optimizer import DjangoOptimizerExtension

from . import bounds
from .errors import ErrorCodes, errors_log
from .limits import AliasLimiter, DepthLimiter, RequestLimits
from .permissions import PartnerWriteGate

# (module, Query class, Mutation class) of every app; an app may have neither yet.
APP_SCHEMAS = [
    ("tenants.graphql.schema", "TenantsQuery", "TenantsMutation"),
    ("schools.graphql.schema", "SchoolsQuery", "SchoolsMutation"),
    ("schools.graphql.people", "StaffQuery", "StaffMutation"),
    ("assets.graphql.schema", "AssetsQuery", "AssetsMutation"),
    ("repairs.graphql.schema", "RepairsQuery", "RepairsMutation"),
    ("safety.graphql.schema", "SafetyQuery", "SafetyMutation"),
    ("reporting.graphql.schema", "ReportingQuery", "ReportingMutation"),
    ("reporting.graphql.rules", "RulesQuery", "RulesMutation"),
    ("api.graphql.schema", "ApiQuery", "ApiMutation"),
    ("api.graphql.todo", "TodoQuery", "TodoMutation"),
]


def _collect(kind_index: int) -> tuple[type, ...]:
    found = []
    for module_name, *names in APP_SCHEMAS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        cls = getattr(module, names[kind_index], None)
        if cls is not None:
            found.append(cls)
    return tuple(found)


Query = merge_types("Query", _collect(0))
Mutation = merge_types("Mutation", _collect(1))

class HouqinSchema(strawberry.Schema):
    def process_errors(self, errors, execution_context=None) -> None:
        # Unexpected errors with their traceback; refused requests as one line by size and reason; answers
        # to the caller (forbidden, not found, bad input) not at all. Never the query itself.
        errors_log(errors, getattr(execution_context, "query", None))


schema = HouqinSchema(
    query=Query,
    mutation=Mutation,
    config=StrawberryConfig(
        relay_max_results=settings.GRAPHQL_MAX_PAGE_SIZE,
        disable_field_suggestions=not settings.DEBUG,
    ),
    extensions=[
        ErrorCodes,
        DepthLimiter(),
        AliasLimiter(),
        MaxTokensLimiter(max_token_count=settings.GRAPHQL_MAX_TOKENS),
        RequestLimits,
        PartnerWriteGate,
        DjangoOptimizerExtension,
    ],
)


def _cache_node_id_attrs(built: strawberry.Schema) -> None:
    """Resolve each Node type's id attribute once, now.

    strawberry-django answers "pk" for a type without a NodeID annotation by catching the error of a scan
    of every annotation of the class's MRO, and relay caches only a found annotation: the scan ran for every
    id of every row (0.8 ms each, a third of a page of 100 work orders). The answer does not change.
    """
    from strawberry import relay
    from strawberry.types.base import StrawberryObjectDefinition

    for graphql_type in built._schema.type_map.values():
        definition = getattr(graphql_type, "extensions", {}).get("strawberry-definition")
        origin = getattr(definition, "origin", None) if isinstance(definition, StrawberryObjectDefinition) else None
        if origin is None or definition.is_interface or not issubclass(origin, relay.Node):
            continue
        if origin.__dict__.get("_id_attr") is None:
            origin._id_attr = origin.resolve_id_attr()


_cache_node_id_attrs(schema)
# Every plain list field is cut to its bound, the one the cost estimate multiplies by (api/bounds.py).
bounds.install(schema._schema)
