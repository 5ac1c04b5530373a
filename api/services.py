"""Writes of the partner API: clients, grants, tokens, webhook subscriptions, replays."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from core import outbound
from tenants.access import bureaus_for, is_platform_operator
from tenants.models import Bureau, School, User

from .choices import Event, Scope
from .models import ApiToken, PartnerClient, WebhookDelivery, WebhookSubscription

TOKEN_PREFIX = "hq"


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def clients_for(*, user: User) -> QuerySet[PartnerClient]:
    """Clients the user manages: all for platform operators, their bureau's for bureau staff."""
    if is_platform_operator(user):
        return PartnerClient.objects.all()
    return PartnerClient.objects.filter(bureau__in=bureaus_for(user))


def client_get_for(*, user: User, client_id: int) -> PartnerClient:
    client = clients_for(user=user).filter(pk=client_id).first()
    if client is None:
        raise PermissionDenied
    return client


def may_manage_partners(user: User) -> bool:
    return is_platform_operator(user) or bureaus_for(user).exists()


def _check_grant(*, actor: User, bureau: Bureau | None, grant_bureau: Bureau | None, schools: Iterable[School],
                 scopes: Iterable[str]) -> None:
    errors = {}
    unknown = set(scopes) - set(Scope.values)
    if unknown:
        errors["scopes"] = _("Unknown scope: %(scopes)s") % {"scopes": ", ".join(sorted(unknown))}
    if not is_platform_operator(actor):
        if bureau is None or not bureaus_for(actor).filter(pk=bureau.pk).exists():
            raise PermissionDenied
        if grant_bureau is not None and grant_bureau.pk != bureau.pk:
            errors["grant_bureau"] = _("A bureau may grant only its own schools.")
        if any(s.bureau_id != bureau.pk for s in schools):
            errors["schools"] = _("A bureau may grant only its own schools.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def partner_client_create(
    *, actor: User, name: str, kind: str = "", contact: str = "", bureau: Bureau | None,
    scopes: list[str], grant_bureau: Bureau | None = None, schools: Iterable[School] = (),
) -> PartnerClient:
    """Register a partner client with its scopes and the schools of its grant."""
    schools = list(schools)
    _check_grant(actor=actor, bureau=bureau, grant_bureau=grant_bureau, schools=schools, scopes=scopes)
    client = PartnerClient(name=name, kind=kind, contact=contact, bureau=bureau, scopes=sorted(set(scopes)),
                           grant_bureau=grant_bureau, created_by=actor)
    client.full_clean()
    client.save()
    client.schools.set(schools)
    return client


@transaction.atomic
def partner_client_update(
    *, actor: User, client: PartnerClient, name: str, kind: str, contact: str, scopes: list[str],
    grant_bureau: Bureau | None, schools: Iterable[School], is_active: bool,
) -> PartnerClient:
    """Change a client's details, scopes and grant; takes effect on its next request."""
    schools = list(schools)
    _check_grant(actor=actor, bureau=client.bureau, grant_bureau=grant_bureau, schools=schools, scopes=scopes)
    client.name, client.kind, client.contact = name, kind, contact
    client.scopes = sorted(set(scopes))
    client.grant_bureau = grant_bureau
    client.is_active = is_active
    client.full_clean()
    client.save()
    client.schools.set(schools)
    return client


@transaction.atomic
def api_token_create(
    *, actor: User | None, client: PartnerClient, name: str = "", expires_at: datetime | None = None,
) -> tuple[ApiToken, str]:
    """Issue a token; the returned plain text is shown once and never stored."""
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": _("The expiry must be in the future.")})
    prefix = secrets.token_hex(4)
    raw = f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken(client=client, name=name, prefix=prefix, token_hash=token_hash(raw), expires_at=expires_at,
                     created_by=actor)
    token.full_clean()
    token.save()
    return token, raw


@transaction.atomic
def api_token_revoke(*, token: ApiToken) -> ApiToken:
    """Revoke a token; the next request carrying it is refused."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


@transaction.atomic
def webhook_subscription_create(*, client: PartnerClient, url: str, events: list[str]) -> WebhookSubscription:
    """Subscribe a client's URL to events of the schools of its grant."""
    unknown = set(events) - set(Event.values)
    if unknown or not events:
        raise ValidationError({"events": _("Choose at least one known event.")})
    # https, and not an address inside the server's network; each delivery checks the resolved address again.
    url = outbound.url_validate(url, field="url")
    subscription = WebhookSubscription(client=client, url=url, events=sorted(set(events)),
                                       secret=secrets.token_hex(32))
    subscription.full_clean()
    subscription.save()
    return subscription


@transaction.atomic
def webhook_subscription_delete(*, subscription: WebhookSubscription) -> None:
    """Stop delivering to this subscription (its delivery log goes with it)."""
    subscription.delete()


@transaction.atomic
def webhook_delivery_replay(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again (same delivery id, so a receiver that dedupes sees it once)."""
    from .webhooks import delivery_enqueue

    delivery.status = "pending"
    delivery.next_attempt_at = timezone.now()
    delivery.save(update_fields=["status", "next_attempt_at"])
    delivery_enqueue(delivery)
    return delivery
