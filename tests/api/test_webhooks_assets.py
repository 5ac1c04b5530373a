"""Webhook events of the assets module: purchase_request.approved and acceptance.recorded.

Each reaches the subscriptions granted the school (with assets:read) exactly once, nobody else, and
only when the write commits.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from api.models import WebhookDelivery
from api.services import webhook_subscription_create
from api.tasks import webhook_deliver_task
from tenants.roles import Role
from tenants.services import membership_grant

EVENTS = ["purchase_request.approved", "acceptance.recorded"]


@pytest.fixture
def queued(monkeypatch):
    """Delivery ids queued after commit (no broker needed)."""
    calls = []
    monkeypatch.setattr(webhook_deliver_task, "apply_async",
                        lambda kwargs=None, countdown=0, **kw: calls.append(kwargs["delivery_id"]))
    return calls


@pytest.fixture
def subscriptions(make_partner, school_a, school_b):
    """A procurement platform granted school A and one granted school B, both subscribed to both events."""
    platform_a, _, token_a = make_partner(scopes=["assets:read"], schools=[school_a], name="甲校采购平台")
    platform_b, _, _ = make_partner(scopes=["assets:read"], schools=[school_b], name="乙校采购平台")
    return {
        "a": webhook_subscription_create(client=platform_a, url="https://buy-a.example.com/h", events=EVENTS),
        "b": webhook_subscription_create(client=platform_b, url="https://buy-b.example.com/h", events=EVENTS),
        "token_a": token_a,
    }


def _deliveries(subscription, event: str) -> list[WebhookDelivery]:
    return list(WebhookDelivery.objects.filter(subscription=subscription, event=event))


@pytest.fixture
def people(school_a):
    """Kate (custodian of A) asks and accepts; alice is A's principal; dave leads bureau north."""
    from tenants.models import User

    kate, _ = User.objects.get_or_create(username="kate-hooks", defaults={"name": "Kate"})
    membership_grant(user=kate, role=Role.CUSTODIAN, school=school_a)
    return {"kate": kate, "alice": User.objects.get(username="alice"), "dave": User.objects.get(username="dave"),
            "bob": User.objects.get(username="bob")}


def _submitted(kate, *, quantity=3, price="5600.50"):
    from assets import services
    from assets.services import LineInput
    from tests.assets.factories import DepartmentFactory, category

    request = services.purchase_request_create(
        actor=kate, department=DepartmentFactory(name="信息中心"), title="电脑", reason="教学", channel="government",
        lines=[LineInput(name="台式计算机", category=category("A02010105"), quantity=quantity,
                         estimated_unit_price=Decimal(price))])
    return services.purchase_request_submit(request=request, actor=kate)


def test_final_approval_is_delivered_once_to_the_school_s_subscription(
    school_a, subscriptions, people, queued, django_capture_on_commit_callbacks, bearer
):
    from assets import services

    connection.set_tenant(school_a)
    request = _submitted(people["kate"])
    with django_capture_on_commit_callbacks(execute=True):
        request = services.purchase_request_decide(request=request, actor=people["alice"], approve=True)
    approved_at = request.approvals.get().decided_at
    connection.set_schema_to_public()

    [delivery] = _deliveries(subscriptions["a"], "purchase_request.approved")
    assert _deliveries(subscriptions["b"], "purchase_request.approved") == []
    assert WebhookDelivery.objects.filter(event="acceptance.recorded").count() == 0
    assert queued == [delivery.pk]
    assert (delivery.payload["event"], delivery.payload["school"]) == ("purchase_request.approved", "alpha")
    data = delivery.payload["data"]
    assert {k: data[k] for k in ("number", "title", "status", "estimatedTotal", "needsBureauApproval", "requestedBy",
                                 "requestedByPartner", "department")} == {
        "number": request.number, "title": "电脑", "status": "approved", "estimatedTotal": "16801.50",
        "needsBureauApproval": False, "requestedBy": "Kate", "requestedByPartner": "", "department": "信息中心"}
    assert data["lines"] == [{"name": "台式计算机", "spec": "", "quantity": 3, "unit": "台",
                              "estimatedUnitPrice": "5600.50", "estimatedAmount": "16801.50"}]
    assert (data["createdAt"], data["submittedAt"], data["approvedAt"]) == (
        request.created_at.isoformat(), request.submitted_at.isoformat(), approved_at.isoformat())
    # the id in the payload is the one the API answers to
    found = bearer(subscriptions["token_a"], school_a).gql(
        "query($id: ID!) { node(id: $id) { ... on PurchaseRequestType { number status } } }", {"id": data["id"]})
    assert found["data"]["node"] == {"number": request.number, "status": "APPROVED"}


def test_approval_above_the_limit_is_delivered_when_the_bureau_approves(school_a, subscriptions, people):
    from assets import services

    connection.set_tenant(school_a)
    request = _submitted(people["kate"], quantity=10)  # ¥56,005: above north's ¥50,000 limit
    request = services.purchase_request_decide(request=request, actor=people["alice"], approve=True)
    assert request.status == "bureau_pending"
    assert WebhookDelivery.objects.count() == 0
    services.purchase_request_decide(request=request, actor=people["dave"], approve=True)
    connection.set_schema_to_public()
    [delivery] = _deliveries(subscriptions["a"], "purchase_request.approved")
    assert (delivery.payload["data"]["needsBureauApproval"], delivery.payload["data"]["estimatedTotal"]) == (
        True, "56005.00")


def test_rejected_or_refused_decisions_emit_nothing(school_a, subscriptions, people):
    from assets import services

    connection.set_tenant(school_a)
    request = _submitted(people["kate"])
    with pytest.raises(ValidationError):  # a rejection needs a reason
        services.purchase_request_decide(request=request, actor=people["alice"], approve=False)
    services.purchase_request_decide(request=request, actor=people["alice"], approve=False, comment="预算不足")
    connection.set_schema_to_public()
    assert WebhookDelivery.objects.count() == 0


def _approved(people):
    from assets import services

    request = _submitted(people["kate"])
    return services.purchase_request_decide(request=request, actor=people["alice"], approve=True)


def test_acceptance_is_delivered_once_with_its_amounts(school_a, subscriptions, people, bearer):
    from assets import services
    from assets.services import AcceptedLine

    connection.set_tenant(school_a)
    request = _approved(people)
    acceptance = services.acceptance_record(
        request=request, actor=people["kate"], members=[people["kate"]], actual_user=people["bob"],
        invoice_number="FP-001", lines=[AcceptedLine(line=request.lines.get(), accepted=2, rejected=1,
                                                      unit_price=Decimal("5588.8"), note="一台屏幕碎")])
    connection.set_schema_to_public()

    [delivery] = _deliveries(subscriptions["a"], "acceptance.recorded")
    assert _deliveries(subscriptions["b"], "acceptance.recorded") == []
    data = delivery.payload["data"]
    assert data["purchaseRequest"]["number"] == request.number
    assert data["purchaseRequest"]["status"] == "accepted"
    assert (data["acceptedOn"], data["invoiceNumber"], data["acceptedTotal"]) == (
        acceptance.accepted_on.isoformat(), "FP-001", "11177.60")
    assert [{k: v for k, v in line.items() if k != "lineId"} for line in data["lines"]] == [
        {"name": "台式计算机", "accepted": 2, "rejected": 1, "unitPrice": "5588.80", "amount": "11177.60"}]
    client = bearer(subscriptions["token_a"], school_a)
    found = client.gql("query($id: ID!) { node(id: $id) { ... on AcceptanceType { invoiceNumber request { id } } } }",
                       {"id": data["id"]})
    assert found["data"]["node"] == {"invoiceNumber": "FP-001", "request": {"id": data["purchaseRequest"]["id"]}}


def test_a_failed_acceptance_emits_nothing(school_a, subscriptions, people):
    from assets import services
    from assets.services import AcceptedLine

    connection.set_tenant(school_a)
    request = _approved(people)
    with pytest.raises(ValidationError):  # 4 of 3 ordered
        services.acceptance_record(request=request, actor=people["kate"], members=[people["kate"]],
                                   actual_user=people["bob"], lines=[AcceptedLine(line=request.lines.get(), accepted=4)])
    connection.set_schema_to_public()
    assert WebhookDelivery.objects.filter(event="acceptance.recorded").count() == 0


def test_an_error_after_the_event_takes_the_delivery_back(school_a, subscriptions, people, monkeypatch, queued,
                                                          django_capture_on_commit_callbacks):
    from assets import services
    from assets.services import AcceptedLine

    connection.set_tenant(school_a)
    request = _approved(people)
    before = WebhookDelivery.objects.count()

    def broken_refresh():
        raise RuntimeError("metrics broker down")

    monkeypatch.setattr(services, "_refresh", broken_refresh)
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        services.acceptance_record(request=request, actor=people["kate"], members=[people["kate"]],
                                   actual_user=people["bob"], lines=[AcceptedLine(line=request.lines.get(), accepted=1)])
    connection.set_schema_to_public()
    assert WebhookDelivery.objects.count() == before
    assert WebhookDelivery.objects.filter(event="acceptance.recorded").count() == 0
    assert callbacks == []
    assert queued == []
