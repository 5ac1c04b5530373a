"""The contract: example operations run against demo-like data; breaking changes need a changelog entry."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from api.contract import BASELINE_PATH, CHANGELOG_PATH, breaking_changes, unrecorded_breaking_changes
from api.management.commands.export_schema import current_schema_sdl

OPERATIONS = sorted((Path(settings.BASE_DIR) / "graphql" / "operations").glob("*.graphql"))
HEADER = re.compile(r"^# (host|scopes|variables): (.*)$", re.MULTILINE)


def _header(text: str) -> dict:
    values = dict(HEADER.findall(text))
    return {"host": values["host"], "scopes": values["scopes"].split(", "), "variables": values["variables"]}


def test_there_are_operations_for_each_partner_kind():
    names = {p.stem for p in OPERATIONS}
    assert {"partner_viewer", "property_work_orders", "property_work_order_report", "node",
            "webhook_delivery_replay", "procurement_purchase_request_create", "procurement_purchase_requests"} <= names


@pytest.fixture
def demo_like(school_a, oscar):
    """A room, a department and a reported order in school A; a failed delivery to replay; a partner's draft."""
    import base64

    from api.models import WebhookDelivery
    from api.services import webhook_subscription_create
    from repairs.services import work_order_report
    from schools.models import Building, Department, Room

    connection.set_tenant(school_a)
    building, _ = Building.objects.get_or_create(name="综合楼")
    room = Room.objects.create(building=building, number="301", name="三楼走廊")
    department = Department.objects.order_by("pk").first()
    connection.set_schema_to_public()

    def new_reference() -> str:
        connection.set_tenant(school_a)
        order = work_order_report(reporter=oscar, title="窗户关不上", room=room)
        connection.set_schema_to_public()
        return order.reference

    def new_purchase_request(client) -> str:
        """A draft the partner sent (a partner submits only its own), as its global id."""
        from decimal import Decimal

        from assets.models import Category
        from assets.services import LineInput, purchase_request_create

        connection.set_tenant(school_a)
        request = purchase_request_create(
            actor=None, partner=client, department=department, title="课桌椅", reason="扩班", channel="government",
            lines=[LineInput(name="课桌", category=Category.objects.get(code="A05010200"), quantity=40,
                             estimated_unit_price=Decimal("320.00"))])
        connection.set_schema_to_public()
        return base64.b64encode(f"PurchaseRequestType:{request.pk}".encode()).decode()

    def new_leaver() -> str:
        from tenants.models import User
        from tenants.roles import Role
        from tenants.services import membership_grant

        leaver = User.objects.create_user(username="leaver-a", password="x-pass-42", name="调出教师")
        membership_grant(user=leaver, role=Role.TEACHER, school=school_a)
        return str(leaver.pk)

    return {
        "leaver_id": new_leaver,
        "room_id": room.pk,
        "make_purchase_request": new_purchase_request,
        "department_id": base64.b64encode(f"DepartmentType:{department.pk}".encode()).decode(),
        "new_reference": new_reference,
        "make_delivery": lambda client: str(WebhookDelivery.objects.create(
            subscription=webhook_subscription_create(client=client, url="https://partner.example.com/h",
                                                     events=["repair_order.created"]),
            school=school_a, event="repair_order.created", payload={}, status="failed").delivery_id),
    }


def _fill(value, context):
    if isinstance(value, dict):
        return {k: _fill(v, context) for k, v in value.items()}
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        filled = context[value[1:-1]]
        return filled() if callable(filled) else filled
    return value


@pytest.mark.parametrize("path", OPERATIONS, ids=lambda p: p.stem)
def test_example_operation_runs(path, make_partner, bearer, school_a, demo_like, monkeypatch):
    from api.tasks import webhook_deliver_task

    monkeypatch.setattr(webhook_deliver_task, "apply_async", lambda **kw: None)
    text = path.read_text(encoding="utf-8")
    header = _header(text)
    client, _, raw = make_partner(scopes=header["scopes"], schools=[school_a])
    context = {**demo_like, "delivery_id": lambda: demo_like["make_delivery"](client),
               "purchase_request_id": lambda: demo_like["make_purchase_request"](client)}
    variables = _fill(json.loads(header["variables"]), context)
    result = bearer(raw, school_a if header["host"] == "school" else None).gql(text, variables)
    assert "errors" not in result, result
    assert all(value is not None for value in result["data"].values()), result


def test_committed_schema_has_no_unrecorded_breaking_change():
    baseline = BASELINE_PATH.read_text(encoding="utf-8")
    changelog = CHANGELOG_PATH.read_text(encoding="utf-8")
    missing = unrecorded_breaking_changes(baseline, current_schema_sdl(), changelog)
    assert missing == [], "Record these in graphql/CHANGELOG.md, then ./dev manage export_schema --baseline"


OLD = "type Query { a: String  b(x: Int): Int }"


def test_a_removed_field_is_breaking_until_recorded():
    new = "type Query { b(x: Int): Int }"
    assert breaking_changes(OLD, new) == ["Field Query.a was removed."]
    assert unrecorded_breaking_changes(OLD, new, "## Unreleased\n") == ["Field Query.a was removed."]
    assert unrecorded_breaking_changes(OLD, new, "## Unreleased\n- Field Query.a was removed. Use b.\n") == []


def test_a_new_required_argument_is_breaking_and_an_addition_is_not():
    assert breaking_changes(OLD, "type Query { a: String  b(x: Int, y: Int!): Int }") == [
        "A required argument Query.b(y:) was added."]
    assert breaking_changes(OLD, "type Query { a: String  b(x: Int): Int  c: Int }") == []
