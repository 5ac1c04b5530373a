"""Enums (issue 22, part 1): every status, grade, kind and category is a GraphQL enum made from its TextChoices;
a value outside it is refused before anything runs, answers carry the enum names, an unset choice is null."""

from __future__ import annotations

import pytest
from django.db import connection

from api.schema import schema
from graphql import GraphQLEnumType, GraphQLNonNull


def _field_type(type_name: str, field: str):
    graphql_type = schema._schema.type_map[type_name].fields[field].type
    return graphql_type.of_type if isinstance(graphql_type, GraphQLNonNull) else graphql_type


@pytest.mark.parametrize(
    ("type_name", "field", "enum"),
    [
        ("WorkOrderType", "status", "WorkOrderStatus"),
        ("WorkOrderType", "severity", "WorkOrderSeverity"),
        ("HazardType", "grade", "HazardGrade"),
        ("HazardType", "category", "SafetyArea"),
        ("HazardType", "status", "HazardStatus"),
        ("AssetType", "kind", "AssetKind"),
        ("PurchaseRequestType", "status", "PurchaseRequestStatus"),
        ("BuildingType", "safetyGrade", "BuildingSafetyGrade"),
        ("FeedbackType", "category", "FeedbackCategory"),
        ("SchoolType", "status", "SchoolStatus"),
        ("WebhookDeliveryType", "status", "WebhookDeliveryStatus"),
        ("AwardProgrammeType", "level", "AwardLevel"),
    ],
)
def test_choice_fields_are_enums(type_name, field, enum):
    assert _field_type(type_name, field).name == enum
    assert isinstance(schema._schema.type_map[enum], GraphQLEnumType)


def test_no_model_choice_field_is_left_a_string():
    """Every field of a model type whose column has choices answers an enum (roles are lists of their own)."""
    strings = []
    for name, graphql_type in schema._schema.type_map.items():
        definition = getattr(graphql_type, "extensions", {}).get("strawberry-definition")
        django = getattr(getattr(definition, "origin", None), "__strawberry_django_definition__", None)
        if django is None or django.is_input or django.is_filter:
            continue
        for field in definition.fields:
            try:
                column = django.model._meta.get_field(field.django_name or field.python_name)
            except Exception:  # noqa: BLE001 - a resolver field, not a column
                continue
            graphql_name = schema.config.name_converter.get_graphql_name(field)
            enum = isinstance(_field_type(name, graphql_name), GraphQLEnumType)
            if getattr(column, "choices", None) and column.name != "role" and not enum:
                strings.append(f"{name}.{graphql_name}")
    assert strings == []


def test_values_are_the_member_names_described_by_their_labels():
    values = schema._schema.type_map["WorkOrderStatus"].values
    assert list(values) == [
        "REPORTED",
        "ASSIGNED",
        "IN_PROGRESS",
        "PAUSED",
        "COMPLETED",
        "CONFIRMED",
        "CANCELLED",
    ]
    assert values["IN_PROGRESS"].value == "in_progress"
    assert values["IN_PROGRESS"].description == "In progress"


def test_a_wrong_value_is_a_validation_error_before_anything_runs(client_for, school_a, bob, monkeypatch):
    from repairs import selectors

    calls = []
    monkeypatch.setattr(selectors, "work_order_list_for", lambda **kw: calls.append(kw))
    result = client_for(bob, school_a).gql('{ workOrderList(status: "nonsense") { totalCount } }')
    assert result["data"] is None
    assert result["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert calls == []


def test_a_wrong_value_in_variables_is_refused(client_for, school_a, bob):
    result = client_for(bob, school_a).gql(
        "query($s: WorkOrderStatus) { workOrderList(status: $s) { totalCount } }", {"s": "reported"}
    )
    assert result["data"] is None
    assert result["errors"][0]["extensions"]["code"] in ("BAD_USER_INPUT", "GRAPHQL_VALIDATION_FAILED")


def test_answers_and_arguments_use_the_names(client_for, school_a, bob, in_school_a):
    from repairs.services import work_order_report

    work_order_report(reporter=bob, title="灯不亮", location_note="三楼走廊")
    connection.set_schema_to_public()
    client = client_for(bob, school_a)
    found = client.gql("{ workOrderList(status: REPORTED) { edges { node { status severity source } } } }")
    assert found["data"]["workOrderList"]["edges"] == [
        {"node": {"status": "REPORTED", "severity": "MINOR", "source": "WEB"}}
    ]
    none = client.gql("{ workOrderList(status: COMPLETED) { totalCount } }")
    assert none["data"]["workOrderList"]["totalCount"] == 0


def test_an_unset_choice_is_null(client_for, school_a, alice):
    from schools.models import Building

    connection.set_tenant(school_a)
    Building.objects.create(name="新楼")
    connection.set_schema_to_public()
    result = client_for(alice, school_a).gql(
        "{ buildingList { edges { node { name safetyGrade handling } } } }"
    )
    assert {"name": "新楼", "safetyGrade": None, "handling": None} in [
        e["node"] for e in result["data"]["buildingList"]["edges"]
    ]
