from __future__ import annotations

import uuid

import strawberry
from strawberry import relay
from strawberry.types import Info

from api.errors import Code, HouqinGraphQLError
from api.limits import rate_limit_of
from api.permissions import PARTNER_MUTATION, current_partner, require_authenticated
from api.services import webhook_delivery_replay

from .. import models
from .enums import WebhookDeliveryStatus
from .types import PartnerSchoolType, PartnerViewerType, RateLimitType, WebhookDeliveryType

MAX_DELIVERIES = 100


def _require_partner(info: Info):
    partner = current_partner(info)
    if partner is None:
        raise HouqinGraphQLError("Send a partner token (Authorization: Bearer …).", Code.UNAUTHENTICATED)
    return partner


def node_resolve(info: Info, global_id: relay.GlobalID):
    """The object behind a global id, only when the caller may see it (the type's get_queryset decides)."""
    require_authenticated(info)
    try:
        type_def = info.schema.get_type_by_name(global_id.type_name)
    except Exception:  # noqa: BLE001
        type_def = None
    origin = getattr(type_def, "origin", None)
    django_def = getattr(origin, "__strawberry_django_definition__", None)
    get_queryset = getattr(origin, "get_queryset", None)
    if origin is None or django_def is None or get_queryset is None:
        # Types that do not declare who sees their rows are not resolvable by id.
        return None
    queryset = get_queryset(django_def.model._default_manager.all(), info)
    try:
        return queryset.filter(pk=global_id.node_id).first()
    except (ValueError, TypeError):
        return None


@strawberry.type
class ApiQuery:
    @strawberry.field(description="An object by its global id, when the caller may see it; null otherwise.")
    def node(self, info: Info, id: relay.GlobalID) -> relay.Node | None:  # noqa: A002
        return node_resolve(info, id)

    @strawberry.field(description=(
        "What the per-minute budget charged this very request (the same as the X-RateLimit-* headers); "
        "null without a partner token (people signed in have no per-minute budget)."
    ))
    def rate_limit(self, info: Info) -> RateLimitType | None:
        charge = rate_limit_of(info.context.request)
        if charge is None:
            return None
        return RateLimitType(cost=charge.cost, limit=charge.limit, remaining=charge.remaining,
                             reset_at=charge.reset_at)

    @strawberry.field(description="The partner client of the bearer token: its scopes and the schools of its grant.")
    def partner(self, info: Info) -> PartnerViewerType:
        partner = _require_partner(info)
        token = partner.token
        return PartnerViewerType(
            name=partner.client.name,
            scopes=sorted(partner.scopes),
            schools=[PartnerSchoolType(slug=s.slug, name=s.name, host=s.host) for s in partner.schools()],
            token_prefix=token.prefix,
            token_expires_at=token.expires_at.isoformat() if token.expires_at else None,
        )

    @strawberry.field(description="The partner's most recent webhook deliveries (at most 100), newest first.")
    def webhook_delivery_list(
        self, info: Info, status: WebhookDeliveryStatus | None = None, first: int = 20
    ) -> list[WebhookDeliveryType]:
        partner = _require_partner(info)
        if first < 0 or first > MAX_DELIVERIES:
            raise HouqinGraphQLError(f"first must be between 0 and {MAX_DELIVERIES}.", Code.PAGE_SIZE_LIMIT)
        queryset = models.WebhookDelivery.objects.filter(subscription__client=partner.client).select_related("school")
        if status:
            queryset = queryset.filter(status=status)
        return list(queryset[:first])  # type: ignore[return-value]


@strawberry.type
class ApiMutation:
    @strawberry.mutation(description="Send one of the partner's webhook deliveries again (same delivery id).",
                         metadata=PARTNER_MUTATION)
    def webhook_delivery_replay(self, info: Info, delivery_id: str) -> WebhookDeliveryType:
        partner = _require_partner(info)
        try:
            parsed = uuid.UUID(delivery_id)
        except ValueError:
            raise HouqinGraphQLError("Not found.", Code.NOT_FOUND) from None
        delivery = models.WebhookDelivery.objects.filter(
            delivery_id=parsed, subscription__client=partner.client
        ).select_related("school").first()
        if delivery is None:
            raise HouqinGraphQLError("Not found.", Code.NOT_FOUND)
        return webhook_delivery_replay(delivery=delivery)  # type: ignore[return-value]
