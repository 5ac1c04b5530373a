from __future__ import annotations

from datetime import datetime

import strawberry
import strawberry_django

from api import models

from .enums import WebhookDeliveryStatus


@strawberry.type(description="A school of the partner's grant.")
class PartnerSchoolType:
    slug: str
    name: str
    host: str


@strawberry_django.type(
    models.WebhookDelivery,
    fields=["event", "status", "attempts", "response_status", "created_at", "delivered_at", "next_attempt_at"],
)
class WebhookDeliveryType:
    """One webhook delivery to one of the partner's subscriptions."""

    status: WebhookDeliveryStatus

    @classmethod
    def get_queryset(cls, queryset, info, **kwargs):
        # Visible only to the partner whose subscription it is.
        partner = getattr(info.context.request, "partner", None)
        client = getattr(partner, "client", None)
        return queryset.filter(subscription__client=client) if client is not None else queryset.none()

    @strawberry.field(description="The X-Houqin-Delivery header value; receivers deduplicate by it.")
    def delivery_id(self) -> str:
        return str(self.delivery_id)

    @strawberry.field(description="The slug of the school the event happened in.")
    def school_slug(self) -> str:
        return self.school.slug


@strawberry.type(description="The partner client behind the bearer token of this request.")
class PartnerViewerType:
    name: str
    scopes: list[str]
    schools: list[PartnerSchoolType]
    token_prefix: str
    token_expires_at: str | None


@strawberry.type(description="What this request cost the token's budget of the minute (GitHub's `rateLimit`).")
class RateLimitType:
    cost: int = strawberry.field(description="The cost charged for this request, this field included.")
    limit: int = strawberry.field(description="The token's budget of cost units per minute.")
    remaining: int = strawberry.field(description="What is left of this minute's budget after this request.")
    reset_at: datetime = strawberry.field(description="When the budget starts over (UTC).")
