"""The partner API's own enums (api/enums.py)."""

from __future__ import annotations

from api import choices
from api.enums import choices_enum

WebhookDeliveryStatus = choices_enum(
    choices.DeliveryStatus, "WebhookDeliveryStatus", "Where a webhook delivery is."
)
