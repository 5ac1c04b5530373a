"""Every list of the school's rows takes `filters` and `ordering` (issue 22, part 2)."""

from __future__ import annotations

from api.schema import schema
from graphql import GraphQLInputObjectType, GraphQLList, GraphQLNonNull

# Lists that are not connections of a school's rows yet (part 3 makes them connections).
NOT_YET = {"schools"}


def _named(graphql_type):
    while isinstance(graphql_type, (GraphQLNonNull, GraphQLList)):
        graphql_type = graphql_type.of_type
    return graphql_type


def test_every_connection_on_the_query_root_has_filters_and_ordering():
    missing = []
    for name, field in schema._schema.query_type.fields.items():
        if not _named(field.type).name.endswith("Connection") or name in NOT_YET:
            continue
        filters, ordering = field.args.get("filters"), field.args.get("ordering")
        if (
            filters is None
            or ordering is None
            or not isinstance(_named(filters.type), GraphQLInputObjectType)
        ):
            missing.append(name)
    assert missing == []


def test_filters_take_enums_not_strings_for_choices():
    fields = schema._schema.type_map["HazardFilter"].fields
    assert {n: _named(f.type).name for n, f in fields.items() if n in ("status", "grade", "category")} == {
        "status": "HazardStatus",
        "grade": "HazardGrade",
        "category": "SafetyArea",
    }
    assert _named(schema._schema.type_map["WorkOrderFilter"].fields["reportedAt"].type).name == "DateRange"
