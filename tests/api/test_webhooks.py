"""Webhooks: who receives an event, signed deliveries to a local receiver, back-off, failure, replay."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from api import webhooks
from api.choices import DeliveryStatus
from api.models import WebhookDelivery
from api.services import webhook_subscription_create
from api.tasks import webhook_deliver_task, webhook_retry_sweep_task

from .receiver import Receiver


@pytest.fixture
def receiver():
    with Receiver() as r:
        yield r


@pytest.fixture
def queued(monkeypatch):
    """Task ids queued by apply_async (no broker needed)."""
    calls = []
    monkeypatch.setattr(webhook_deliver_task, "apply_async", lambda kwargs=None, countdown=0, **kw: calls.append(
        (kwargs["delivery_id"], countdown)))
    return calls


def _subscribe(client, url, events=("repair_order.created",)):
    return webhook_subscription_create(client=client, url=url, events=list(events))


def test_event_emit_reaches_only_granted_scoped_subscribed_clients(
    make_partner, school_a, bureau_north, receiver, queued, django_capture_on_commit_callbacks
):
    # given four partners: granted A with repairs:read (subscribed), granted by bureau (subscribed),
    # granted A without repairs:read, granted A but subscribed to another event, granted B only
    ok_client, _, _ = make_partner(scopes=["repairs:read"], schools=[school_a], name="ok")
    bureau_client, _, _ = make_partner(scopes=["repairs:read"], grant_bureau=bureau_north, name="bureau")
    no_scope, _, _ = make_partner(scopes=["safety:read"], schools=[school_a], name="noscope")
    other_event, _, _ = make_partner(scopes=["repairs:read"], schools=[school_a], name="other")
    from tenants.models import School

    other_school, _, _ = make_partner(scopes=["repairs:read"], schools=[School.objects.get(slug="beta")], name="b")
    for client in (ok_client, bureau_client, no_scope, other_school):
        _subscribe(client, receiver.url)
    _subscribe(other_event, receiver.url, events=["hazard.reported"])

    # when school A emits repair_order.created
    with django_capture_on_commit_callbacks(execute=True):
        deliveries = webhooks.event_emit(school=school_a, event="repair_order.created", payload={"id": "R1"})

    # then exactly the two entitled clients get a delivery, queued after commit
    assert sorted(d.subscription.client.name for d in deliveries) == ["bureau", "ok"]
    assert sorted(pk for pk, _ in queued) == sorted(d.pk for d in deliveries)
    assert deliveries[0].payload["event"] == "repair_order.created"
    assert deliveries[0].payload["school"] == "alpha"
    assert deliveries[0].payload["data"] == {"id": "R1"}


def test_nothing_is_queued_when_the_transaction_rolls_back(make_partner, school_a, receiver, queued,
                                                           django_capture_on_commit_callbacks):
    client, _, _ = make_partner(scopes=["repairs:read"], schools=[school_a])
    _subscribe(client, receiver.url)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        webhooks.event_emit(school=school_a, event="repair_order.created", payload={})
    assert len(callbacks) == 1
    assert queued == []


def test_unknown_event_is_an_error(school_a):
    with pytest.raises(ValueError, match="Unknown webhook event"):
        webhooks.event_emit(school=school_a, event="repair_order.exploded", payload={})


def test_delivery_is_signed_and_recorded(make_partner, school_a, receiver, queued):
    # given a subscription and an emitted event
    client, _, _ = make_partner(scopes=["repairs:read"], schools=[school_a])
    subscription = _subscribe(client, receiver.url)
    [delivery] = webhooks.event_emit(school=school_a, event="repair_order.created", payload={"title": "门锁坏了"})

    # when it is attempted
    webhooks.delivery_attempt(delivery_id=delivery.pk)

    # then the receiver got one POST whose signature checks with the subscription's secret
    [request] = receiver.requests
    headers = request["headers"]
    assert headers["X-Houqin-Delivery"] == str(delivery.delivery_id)
    assert webhooks.verify(subscription.secret, headers["X-Houqin-Timestamp"], request["body"],
                           headers["X-Houqin-Signature"])
    assert not webhooks.verify("wrong-secret", headers["X-Houqin-Timestamp"], request["body"],
                               headers["X-Houqin-Signature"])
    assert not webhooks.verify(subscription.secret, headers["X-Houqin-Timestamp"], request["body"] + b" ",
                               headers["X-Houqin-Signature"])
    assert json.loads(request["body"])["data"] == {"title": "门锁坏了"}
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_status, delivery.response_body) == (
        DeliveryStatus.DELIVERED, 1, 200, "ok")
    assert delivery.delivered_at is not None


def test_stale_timestamp_fails_verification():
    body = b"{}"
    old = str(int(timezone.now().timestamp()) - 3600)
    assert not webhooks.verify("s", old, body, webhooks.sign("s", old, body))


def test_failed_attempt_backs_off_exponentially_then_fails(make_partner, school_a, queued):
    with Receiver(status=500) as failing:
        client, _, _ = make_partner(scopes=["repairs:read"], schools=[school_a])
        _subscribe(client, failing.url)
        [delivery] = webhooks.event_emit(school=school_a, event="repair_order.created", payload={})
        waits = []
        for _ in range(webhooks.MAX_ATTEMPTS):
            before = timezone.now()
            webhooks.delivery_attempt(delivery_id=delivery.pk)
            delivery.refresh_from_db()
            if delivery.next_attempt_at:
                waits.append(round((delivery.next_attempt_at - before).total_seconds()))
    assert waits[:4] == [30, 60, 120, 240]
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts == webhooks.MAX_ATTEMPTS
    assert delivery.response_status == 500
    assert delivery.response_body == "try later"
    assert len(failing.requests) == webhooks.MAX_ATTEMPTS


def test_unreachable_receiver_is_recorded_as_an_error(make_partner, school_a, queued, settings):
    settings.OUTBOUND_ALLOWED_HOSTS, settings.OUTBOUND_ALLOW_HTTP = ["127.0.0.1"], True  # nothing listens there
    client, _, _ = make_partner(scopes=["repairs:read"], schools=[school_a])
    _subscribe(client, "http://127.0.0.1:9/nothing-listens-here")
    [delivery] = webhooks.event_emit(school=school_a, event="repair_order.created", payload={})
    webhooks.delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_status) == (DeliveryStatus.PENDING, 1, None)
    assert delivery.last_error != ""


def test_task_retries_with_backoff_until_delivered(make_partner, school_a, monkeypatch):
    # given a receiver that fails the first attempt
    with Receiver(fail_fraction=1.0) as flaky:
        client, _, _ = make_partner(scopes=["repairs:read"], schools=[school_a])
        _subscribe(client, flaky.url)
        [delivery] = webhooks.event_emit(school=school_a, event="repair_order.created", payload={})
        retries = []

        def fake_retry(*args, countdown=None, **kwargs):
            retries.append(countdown)
            from celery.exceptions import Retry

            return Retry(when=countdown)

        monkeypatch.setattr(webhook_deliver_task, "retry", fake_retry)
        # when the task runs, fails, is retried, and runs again
        first = webhook_deliver_task.apply(kwargs={"delivery_id": delivery.pk})
        second = webhook_deliver_task.apply(kwargs={"delivery_id": delivery.pk})
        third = webhook_deliver_task.apply(kwargs={"delivery_id": delivery.pk})
    # then it asked for a retry in 30 s, then delivered, and a duplicate run sends nothing more
    assert retries == [30]
    assert first.state == "RETRY"
    assert second.result == "delivered"
    assert third.result == "delivered"
    assert len(flaky.requests) == 2
    assert flaky.processed == [str(delivery.delivery_id)]


def test_retry_sweep_requeues_only_overdue_pending(make_partner, school_a, receiver, queued):
    client, _, _ = make_partner(scopes=["repairs:read"], schools=[school_a])
    _subscribe(client, receiver.url)
    [overdue] = webhooks.event_emit(school=school_a, event="repair_order.created", payload={})
    [fresh] = webhooks.event_emit(school=school_a, event="repair_order.created", payload={})
    WebhookDelivery.objects.filter(pk=overdue.pk).update(next_attempt_at=timezone.now() - timedelta(hours=1))
    queued.clear()
    assert webhook_retry_sweep_task() == 1
    assert queued == [(overdue.pk, 0)]
    assert fresh.pk not in [pk for pk, _ in queued]


REPLAY = "mutation($id: String!) { webhookDeliveryReplay(deliveryId: $id) { deliveryId status } }"
DELIVERIES = "{ webhookDeliveryList(first: 10) { deliveryId event status attempts schoolSlug } }"


def test_partner_lists_and_replays_its_delivery(make_partner, school_a, receiver, queued, bearer):
    client, _, raw = make_partner(scopes=["repairs:read"], schools=[school_a])
    _subscribe(client, receiver.url)
    [delivery] = webhooks.event_emit(school=school_a, event="repair_order.created", payload={})
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.FAILED, attempts=8)
    queued.clear()

    listed = bearer(raw, None).gql(DELIVERIES)["data"]["webhookDeliveryList"]
    assert listed == [{"deliveryId": str(delivery.delivery_id), "event": "repair_order.created",
                       "status": "FAILED", "attempts": 8, "schoolSlug": "alpha"}]

    result = bearer(raw, None).gql(REPLAY, {"id": str(delivery.delivery_id)})
    assert result["data"]["webhookDeliveryReplay"] == {"deliveryId": str(delivery.delivery_id), "status": "PENDING"}
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING


def test_partner_cannot_replay_or_list_another_partners_delivery(make_partner, school_a, receiver, queued, bearer):
    owner, _, _ = make_partner(scopes=["repairs:read"], schools=[school_a], name="owner")
    _, _, intruder_raw = make_partner(scopes=["repairs:read"], schools=[school_a], name="intruder")
    _subscribe(owner, receiver.url)
    [delivery] = webhooks.event_emit(school=school_a, event="repair_order.created", payload={})
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.FAILED)
    queued.clear()

    result = bearer(intruder_raw, None).gql(REPLAY, {"id": str(delivery.delivery_id)})
    assert result["data"] is None
    assert result["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert bearer(intruder_raw, None).gql(DELIVERIES)["data"]["webhookDeliveryList"] == []
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert queued == []


def test_test_ping_from_the_page_reaches_the_receiver_signed(client_for, dave, bureau_north, school_a, receiver,
                                                             monkeypatch, django_capture_on_commit_callbacks):
    from api.services import partner_client_create

    # given a client of bureau north subscribed (to another event) at a local receiver
    client = partner_client_create(actor=dave, name="北区物业", bureau=bureau_north, scopes=["repairs:read"],
                                   schools=[school_a])
    subscription = _subscribe(client, receiver.url)
    monkeypatch.setattr(webhook_deliver_task, "apply_async",
                        lambda kwargs=None, countdown=0, **kw: webhooks.delivery_attempt(**kwargs))

    # when the bureau presses "send test ping"
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(dave, None).post(f"/partners/{client.pk}/subscriptions/{subscription.pk}/ping/")

    # then the receiver got a signed ping and the log shows it delivered
    assert response.status_code == 302
    [request] = receiver.requests
    assert json.loads(request["body"])["event"] == "ping"
    assert webhooks.verify(subscription.secret, request["headers"]["X-Houqin-Timestamp"], request["body"],
                           request["headers"]["X-Houqin-Signature"])
    assert WebhookDelivery.objects.get(subscription=subscription).status == DeliveryStatus.DELIVERED
