"""Celery entry points of the partner API (thin: the work is in api/webhooks.py)."""

from __future__ import annotations

from config.celery import app

from .choices import DeliveryStatus
from .webhooks import MAX_ATTEMPTS, backoff_seconds, deliveries_due, delivery_attempt


@app.task(bind=True, acks_late=True, max_retries=MAX_ATTEMPTS)
def webhook_deliver_task(self, *, delivery_id: int) -> str:
    """One attempt; on failure Celery retries with exponential back-off until MAX_ATTEMPTS."""
    delivery = delivery_attempt(delivery_id=delivery_id)
    if delivery is None:
        return "gone"
    if delivery.status == DeliveryStatus.PENDING:
        raise self.retry(countdown=backoff_seconds(delivery.attempts), max_retries=MAX_ATTEMPTS)
    return delivery.status


@app.task(acks_late=True)
def webhook_retry_sweep_task() -> int:
    """Re-queue pending deliveries that are due (a task lost with a worker is not a lost event)."""
    count = 0
    for delivery in deliveries_due():
        webhook_deliver_task.apply_async(kwargs={"delivery_id": delivery.pk})
        count += 1
    return count
