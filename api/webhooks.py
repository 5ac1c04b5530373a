"""Webhooks: `event_emit` (called by modules in their write's transaction), signing, delivery with back-off.

A delivery is a POST of JSON to the subscription's URL with three headers:
    X-Houqin-Delivery:  the delivery id (a UUID, the same on every retry and replay)
    X-Houqin-Timestamp: Unix seconds when this attempt was signed
    X-Houqin-Signature: "sha256=" + hex HMAC-SHA256(secret, f"{timestamp}.{body}")
A 2xx answer means delivered; anything else is retried with exponential back-off by Celery.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from strawberry.relay import to_base64

from core import outbound
from tenants.models import School

from .choices import EVENT_SCOPE, DeliveryStatus, Event
from .models import WebhookDelivery, WebhookSubscription

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BACKOFF_BASE_SECONDS = 30
BACKOFF_MAX_SECONDS = 6 * 3600
TIMEOUT_SECONDS = 10
RESPONSE_KEEP_CHARS = 2000


def backoff_seconds(attempts: int) -> int:
    """Seconds to wait after the `attempts`-th failed attempt: 30 s, 1 min, 2 min, … capped at 6 h."""
    return min(BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0), BACKOFF_MAX_SECONDS)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(secret: str, timestamp: str, body: bytes, signature: str, *, tolerance: int = 300) -> bool:
    """What a receiver does (also in graphql/README.md): constant-time compare and a fresh timestamp."""
    try:
        fresh = abs(time.time() - int(timestamp)) <= tolerance
    except ValueError:
        return False
    return fresh and hmac.compare_digest(sign(secret, timestamp, body), signature)


def subscriptions_for(*, school: School, event: str):
    """Active subscriptions to `event` of active clients whose grant covers `school` (and that may read it)."""
    grant = Q(client__schools=school) | Q(client__grant_bureau_id=school.bureau_id)
    subscriptions = (
        WebhookSubscription.objects.filter(grant, is_active=True, client__is_active=True, events__contains=[event])
        .select_related("client")
        .distinct()
    )
    scope = EVENT_SCOPE.get(event)
    return [s for s in subscriptions if scope is None or scope in s.client.scopes]


class _PayloadEncoder(DjangoJSONEncoder):
    """Django's JSON, with every aware time in UTC ("…Z"), whichever zone the module computed it in."""

    def default(self, o):
        if isinstance(o, datetime) and timezone.is_aware(o):
            o = o.astimezone(UTC)
        return super().default(o)


def global_id(type_name: str, pk: int) -> str:
    """The relay global id of a row, as the schema's `id` fields and `node(id:)` use it: base64("<Type>:<pk>")."""
    return to_base64(type_name, pk)


def event_emit(*, school: School, event: str, payload: dict) -> list[WebhookDelivery]:
    """Record one delivery per interested subscription and send them after the surrounding commit.

    Modules call this after a write, inside its transaction, e.g.
        event_emit(school=request.tenant, event="repair_order.created", payload={"id": gid, ...})
    A rollback takes the deliveries with it and nothing is sent. Without a subscription it costs one query.
    `payload` must be JSON-serialisable (dates, UTC times and Decimals are converted). Unknown events raise
    ValueError.
    """
    return event_emit_many(school=school, event=event, payloads=[payload])


def event_emit_many(*, school: School, event: str, payloads: Sequence[dict]) -> list[WebhookDelivery]:
    """`event_emit` for many rows at once (a set-based job): one subscriptions query and one insert in all."""
    if event not in Event.values:
        raise ValueError(f"Unknown webhook event {event!r}")
    if not payloads:
        return []
    subscriptions = subscriptions_for(school=school, event=event)
    if not subscriptions:
        return []
    now = timezone.now()
    deliveries = []
    for payload in payloads:
        data = json.loads(json.dumps(payload, cls=_PayloadEncoder))
        for subscription in subscriptions:
            delivery_id = uuid.uuid4()
            body = {
                "id": str(delivery_id),
                "event": event,
                "school": school.slug,
                "occurredAt": now.isoformat(),
                "data": data,
            }
            deliveries.append(
                WebhookDelivery(delivery_id=delivery_id, subscription=subscription, school=school, event=event,
                                payload=body, next_attempt_at=now)
            )
    created = WebhookDelivery.objects.bulk_create(deliveries)
    for delivery in created:
        delivery_enqueue(delivery)
    return created


def webhook_ping(*, subscription: WebhookSubscription) -> WebhookDelivery:
    """Send a `ping` event to one subscription (to test the receiver and its signature check)."""
    outbound.url_validate(subscription.url)  # an address saved before the guard is refused here too
    client = subscription.client
    school = client.schools.order_by("pk").first() or School.objects.filter(
        bureau_id=client.grant_bureau_id).exclude(schema_name="public").order_by("pk").first()
    if school is None:
        from django.core.exceptions import ValidationError
        from django.utils.translation import gettext as _

        raise ValidationError(_("Grant the client a school first."))
    now = timezone.now()
    delivery_id = uuid.uuid4()
    delivery = WebhookDelivery.objects.create(
        delivery_id=delivery_id, subscription=subscription, school=school, event=Event.PING, next_attempt_at=now,
        payload={"id": str(delivery_id), "event": Event.PING, "school": school.slug, "occurredAt": now.isoformat(),
                 "data": {"message": "ping"}},
    )
    delivery_enqueue(delivery)
    return delivery


def delivery_enqueue(delivery: WebhookDelivery, *, countdown: int = 0) -> None:
    """Queue the delivery's next attempt once the current transaction commits."""
    from .tasks import webhook_deliver_task

    pk = delivery.pk
    transaction.on_commit(lambda: webhook_deliver_task.apply_async(kwargs={"delivery_id": pk}, countdown=countdown))


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str, str]:
    """(status, response text, error) of one POST, through the outbound guard (core/outbound).

    The guard refuses http outside development, any inside address after resolution (checked at each
    attempt, so a hostname re-pointed to 127.0.0.1 is caught), and a redirect (recorded with its status, not
    followed); it reads at most RESPONSE_KEEP_CHARS bytes of the answer.
    """
    try:
        response = outbound.post(url, body=body, headers=headers, timeout=TIMEOUT_SECONDS,
                                 max_bytes=RESPONSE_KEEP_CHARS)
    except outbound.OutboundError as exc:
        return exc.status, "", str(exc)[:500]
    error = "" if 200 <= response.status < 300 else f"HTTP {response.status}"
    return response.status, response.text(), error


def delivery_attempt(*, delivery_id: int) -> WebhookDelivery:
    """Make one attempt at a delivery (idempotent once delivered); record the outcome and the next attempt time."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update().select_related("subscription").filter(pk=delivery_id).first()
        )
        if delivery is None or delivery.status == DeliveryStatus.DELIVERED:
            return delivery
        subscription = delivery.subscription
        body = json.dumps(delivery.payload, ensure_ascii=False, separators=(",", ":")).encode()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Houqin-Webhooks/1",
            "X-Houqin-Delivery": str(delivery.delivery_id),
            "X-Houqin-Event": delivery.event,
            "X-Houqin-Timestamp": timestamp,
            "X-Houqin-Signature": sign(subscription.secret, timestamp, body),
        }
        status, text, error = _post(subscription.url, body, headers)
        now = timezone.now()
        delivery.attempts += 1
        delivery.response_status = status
        delivery.response_body = text[:RESPONSE_KEEP_CHARS]
        delivery.last_error = error
        if status is not None and 200 <= status < 300:
            delivery.status = DeliveryStatus.DELIVERED
            delivery.delivered_at = now
            delivery.next_attempt_at = None
        elif delivery.attempts >= MAX_ATTEMPTS:
            delivery.status = DeliveryStatus.FAILED
            delivery.next_attempt_at = None
        else:
            delivery.status = DeliveryStatus.PENDING
            delivery.next_attempt_at = now + timedelta(seconds=backoff_seconds(delivery.attempts))
        delivery.save()
    return delivery


def deliveries_due(*, grace_seconds: int = 300, limit: int = 500):
    """Pending deliveries overdue by `grace_seconds` (their Celery retry was lost): the beat sweep re-queues them."""
    return WebhookDelivery.objects.filter(
        status=DeliveryStatus.PENDING, next_attempt_at__lte=timezone.now() - timedelta(seconds=grace_seconds)
    ).order_by("next_attempt_at")[:limit]
