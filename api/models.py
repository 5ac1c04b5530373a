"""Public-schema models of the partner API: clients, their tokens and grants, webhooks and deliveries."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tenants.models import Bureau, School

from .choices import DeliveryStatus


class PartnerClient(models.Model):
    """A partner (property company, procurement platform, CCTV vendor) that calls the API.

    Its grant: `scopes` (what it may do) and the schools it may touch — every school of
    `grant_bureau` (including schools the bureau opens later) plus the schools listed in `schools`.
    """

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=50, blank=True)
    contact = models.CharField(_("contact"), max_length=100, blank=True)
    # The bureau that registered (and manages) this client; empty when the platform operator did.
    bureau = models.ForeignKey(
        Bureau, on_delete=models.CASCADE, null=True, blank=True, related_name="partner_clients",
        verbose_name=_("managing bureau"),
    )
    scopes = models.JSONField(_("scopes"), default=list, blank=True)
    grant_bureau = models.ForeignKey(
        Bureau, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("all schools of bureau"),
    )
    schools = models.ManyToManyField(School, blank=True, related_name="partner_clients", verbose_name=_("schools"))
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("partner client")
        verbose_name_plural = _("partner clients")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class ApiToken(models.Model):
    """A bearer token of a client: shown once, stored as the SHA-256 of the whole token."""

    client = models.ForeignKey(PartnerClient, on_delete=models.CASCADE, related_name="tokens", verbose_name=_("client"))
    name = models.CharField(_("name"), max_length=100, blank=True)
    # The public part of the token (`hq_<prefix>_<secret>`), used to find the row.
    prefix = models.CharField(_("prefix"), max_length=16, unique=True)
    token_hash = models.CharField(max_length=64)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"hq_{self.prefix}_…"

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and not self.is_expired


class WebhookSubscription(models.Model):
    """Where a client wants events of the schools of its grant delivered, signed with `secret`."""

    client = models.ForeignKey(
        PartnerClient, on_delete=models.CASCADE, related_name="subscriptions", verbose_name=_("client")
    )
    url = models.URLField(_("URL"), max_length=500)
    events = models.JSONField(_("events"), default=list)
    secret = models.CharField(pgettext_lazy("webhook", "signing secret"), max_length=64)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(models.Model):
    """One event sent to one subscription: its status, attempts and the last response."""

    delivery_id = models.UUIDField(_("delivery id"), default=uuid.uuid4, unique=True, editable=False)
    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("subscription")
    )
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+", verbose_name=_("school"))
    event = models.CharField(_("event"), max_length=50)
    payload = models.JSONField(_("payload"))
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    response_status = models.PositiveIntegerField(_("response status"), null=True, blank=True)
    response_body = models.TextField(_("response"), blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.event} → {self.subscription.url}"
