"""The notification centre's entry point: every module notifies people through `notify`.

In-app notifications are always written. Each person chooses per kind whether they also get an
e-mail at once or a daily digest (when e-mail is configured). A school's group robots (DingTalk,
WeCom) relay the kinds they are set up for. E-mail and robot sends are NotificationDelivery rows,
sent by Celery after commit, each once (dedupe_key), with their outcome logged. Text messages
(`sms_send`: invitations and password links, to the owner's own phone) go through the provider
interface of tenants/sms.py and are logged as SmsMessage rows.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
import time
import urllib.parse
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import outbound

from .models import (
    Bureau,
    DeliveryStatus,
    Membership,
    Notification,
    NotificationChannel,
    NotificationDelivery,
    NotificationPreference,
    RobotChannel,
    RobotProvider,
    School,
    SmsMessage,
    SmsStatus,
    User,
)
from .sms import SmsError, sms_backend, sms_backend_path, sms_delivers

logger = logging.getLogger(__name__)

# Kinds people can set preferences for; modules add theirs with notification_kind_register.
NOTIFICATION_KINDS: dict[str, str] = {
    "people.invited": gettext_lazy("Invitations and accounts"),
    "people.roles": gettext_lazy("My roles changed"),
    "repairs": gettext_lazy("Repair work orders"),
    "safety.hazard": gettext_lazy("Hazards and rectification"),
    "safety.agreement": gettext_lazy("Safety agreements to sign"),
    "assets": gettext_lazy("Assets, loans and stocktakes"),
    "schools.project": gettext_lazy("Capital projects"),
    "reporting": gettext_lazy("Bureau campaigns and reports"),
}
# Names of the individual kinds, for the badge on each notification (preferences stay per group above).
KIND_LABELS: dict[str, str] = {
    "assets.bureau_approval": gettext_lazy("Purchase awaiting the bureau"),
    "assets.disposal": gettext_lazy("Asset disposal"),
    "assets.loan_overdue": gettext_lazy("Loan overdue"),
    "assets.loan_request": gettext_lazy("Loan request"),
    "assets.low_stock": gettext_lazy("Low stock"),
    "assets.purchase": gettext_lazy("Purchase request"),
    "assets.requisition": gettext_lazy("Requisition"),
    "feedback_overdue": gettext_lazy("Feedback overdue"),
    "milestone_overdue": gettext_lazy("Project milestone overdue"),
    "history.anchor": gettext_lazy("Daily history seal heads"),
    "probe": gettext_lazy("System check"),
    "repairs.assigned": gettext_lazy("Work order assigned"),
    "repairs.completed": gettext_lazy("Repair completed"),
    "repairs.due_soon": gettext_lazy("Repair due soon"),
    "repairs.overdue": gettext_lazy("Repair overdue"),
    "repairs.reported": gettext_lazy("Repair reported"),
    "repairs.urged": gettext_lazy("Repair urged by the reporter"),
    "repairs.vendor_due_soon": gettext_lazy("Vendor repair due soon"),
    "repairs.vendor_late": gettext_lazy("Vendor repair late"),
    "safety.agreement_reminder": gettext_lazy("Agreement to sign"),
    "safety.campaign": gettext_lazy("Bureau safety campaign"),
    "safety.hazard_assigned": gettext_lazy("Hazard assigned to me"),
    "safety.hazard_due_soon": gettext_lazy("Hazard due soon"),
    "safety.hazard_overdue": gettext_lazy("Hazard overdue"),
    "safety.major_hazard": gettext_lazy("Major hazard"),
    "safety.partner_hazard": gettext_lazy("Hazard reported by a partner"),
}
# Hosts a group robot may post to; tests add 127.0.0.1 with override_settings.
DEFAULT_ROBOT_HOSTS = ("oapi.dingtalk.com", "qyapi.weixin.qq.com")


class DeliveryError(Exception):
    """A send failed and may succeed on a retry."""


def notification_kind_register(kind: str, label) -> None:
    """Let people choose how they receive this kind (call from an app's AppConfig.ready)."""
    NOTIFICATION_KINDS.setdefault(kind, label)


def kind_label(kind: str) -> str:
    """The kind's name: its own, else its group's (``repairs.*``), else the module's notifications."""
    if kind in NOTIFICATION_KINDS:
        return str(NOTIFICATION_KINDS[kind])
    if kind in KIND_LABELS:
        return str(KIND_LABELS[kind])
    prefix = kind.split(".")[0]
    return str(NOTIFICATION_KINDS.get(prefix, _("Notification")))


def _current_school() -> School | None:
    tenant = getattr(connection, "tenant", None)
    return tenant if isinstance(tenant, School) else None


def channel_for(*, user: User, kind: str) -> str:
    """How the user receives this kind: a preference for the kind, else for its module, else in-app."""
    prefix = kind.split(".")[0]
    prefs = {p.kind: p.channel for p in NotificationPreference.objects.filter(user=user, kind__in=[kind, prefix])}
    return prefs.get(kind) or prefs.get(prefix) or NotificationChannel.IN_APP


def _queue(delivery_ids: list[int]) -> None:
    if not delivery_ids:
        return

    def _send() -> None:
        from .tasks import notification_delivery_send_task

        for delivery_id in delivery_ids:
            notification_delivery_send_task.delay(delivery_id=delivery_id)

    transaction.on_commit(_send)


def notify(
    *,
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    users: Iterable[User] = (),
    roles: Iterable[str] = (),
    school: School | None = None,
    dedupe_key: str,
    bureau: Bureau | None = None,
) -> list[Notification]:
    """Notify people (by person and/or by role in the school, or in `bureau`) once per dedupe_key each.

    Safe to call twice with the same dedupe_key: a person is notified once, a robot posts once.
    """
    school = school or (None if bureau is not None else _current_school())
    recipients: dict[int, User] = {u.pk: u for u in users}
    roles = list(roles)
    if roles and (school is not None or bureau is not None):
        where = {"school": school} if school is not None else {"bureau": bureau}
        for membership in Membership.objects.active().filter(role__in=roles, **where).select_related("user"):
            if membership.user.is_active:
                recipients[membership.user_id] = membership.user
    created = []
    deliveries: list[int] = []
    absolute_url = school.url(url) if (school is not None and url.startswith("/")) else url
    with transaction.atomic():
        for user in recipients.values():
            notification, was_created = Notification.objects.get_or_create(
                recipient=user,
                dedupe_key=dedupe_key[:200],
                defaults={
                    "school": school,
                    "bureau": bureau,
                    "kind": kind,
                    "title": title[:200],
                    "body": body,
                    "url": url,
                    "created_at": timezone.now(),
                },
            )
            if not was_created:
                continue
            created.append(notification)
            if (
                settings.EMAIL_ENABLED
                and user.email
                and channel_for(user=user, kind=kind) == NotificationChannel.EMAIL
            ):
                delivery, new = NotificationDelivery.objects.get_or_create(
                    dedupe_key=f"email:{notification.pk}",
                    defaults={
                        "channel": "email",
                        "notification": notification,
                        "recipient": user,
                        "school": school,
                        "subject": title[:200],
                        "body": "\n\n".join(part for part in (body, absolute_url) if part),
                    },
                )
                if new:
                    deliveries.append(delivery.pk)
        if school is not None:
            for robot in RobotChannel.objects.filter(school=school, is_active=True):
                if not robot.relays(kind):
                    continue
                delivery, new = NotificationDelivery.objects.get_or_create(
                    dedupe_key=f"robot:{robot.pk}:{dedupe_key}"[:255],
                    defaults={
                        "channel": "robot",
                        "robot": robot,
                        "school": school,
                        "subject": title[:200],
                        "body": "\n\n".join(part for part in (body, absolute_url) if part),
                    },
                )
                if new:
                    deliveries.append(delivery.pk)
        _queue(deliveries)
    return created


def notification_mark_read(*, user: User, notification_ids: Iterable[int] | None = None) -> int:
    """Mark the user's notifications read (all when no ids given); returns how many changed."""
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_ids is not None:
        qs = qs.filter(pk__in=list(notification_ids))
    return qs.update(read_at=timezone.now())


@transaction.atomic
def notification_preference_set(*, user: User, kind: str, channel: str) -> NotificationPreference:
    """Choose how one kind reaches me: in-app only, also by e-mail, or in the daily digest."""
    if channel not in NotificationChannel.values:
        raise ValidationError({"channel": _("Choose how to receive it.")})
    if channel != NotificationChannel.IN_APP and not user.email:
        raise ValidationError({"channel": _("Add an e-mail address to your account first.")})
    pref, _created = NotificationPreference.objects.update_or_create(user=user, kind=kind, defaults={"channel": channel})
    return pref


# --- group robots ------------------------------------------------------------------------------


def robot_hosts() -> tuple[str, ...]:
    return tuple(getattr(settings, "ROBOT_WEBHOOK_HOSTS", DEFAULT_ROBOT_HOSTS))


def robot_url_validate(url: str, *, field: str = "webhook_url") -> str:
    """Only the robot services' own hosts, over https, and never an inside address (core/outbound)."""
    parts = urllib.parse.urlsplit((url or "").strip())
    if parts.scheme not in ("https", "http") or parts.hostname not in robot_hosts():
        raise ValidationError(
            {field: _("Use the webhook address DingTalk or WeCom gave you (%(hosts)s).")
             % {"hosts": "、".join(DEFAULT_ROBOT_HOSTS)}}
        )
    if parts.scheme != "https" and parts.hostname in DEFAULT_ROBOT_HOSTS:
        raise ValidationError({field: _("The address must start with https://.")})
    return outbound.url_validate(url, field=field)


@transaction.atomic
def robot_channel_create(
    *, school: School, name: str, provider: str, webhook_url: str, secret: str = "", kinds: Iterable[str] = ()
) -> RobotChannel:
    """Connect a DingTalk or WeCom group robot to the school's notifications."""
    robot = RobotChannel(
        school=school, name=(name or "").strip(), provider=provider, webhook_url=robot_url_validate(webhook_url),
        secret=(secret or "").strip(), kinds=sorted(set(kinds)),
    )
    robot.full_clean()
    robot.save()
    return robot


@transaction.atomic
def robot_channel_delete(*, school: School, robot_id: int) -> None:
    """Disconnect a group robot (its delivery log goes with it)."""
    RobotChannel.objects.filter(school=school, pk=robot_id).delete()


def robot_signed_url(*, provider: str, webhook_url: str, secret: str) -> str:
    """The URL to post to: DingTalk's with its "加签" when the robot has a secret, else as given."""
    if provider != RobotProvider.DINGTALK or not secret:
        return webhook_url
    # DingTalk's "加签": HMAC-SHA256 of "timestamp\nsecret", base64, URL-encoded.
    timestamp = str(int(time.time() * 1000))
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest))
    joiner = "&" if "?" in webhook_url else "?"
    return f"{webhook_url}{joiner}timestamp={timestamp}&sign={sign}"


def robot_payload(*, robot: RobotChannel, subject: str, body: str) -> dict:
    text = f"### {subject}\n\n{body}" if body else f"### {subject}"
    if robot.provider == RobotProvider.DINGTALK:
        return {"msgtype": "markdown", "markdown": {"title": subject, "text": text}}
    return {"msgtype": "markdown", "markdown": {"content": text}}


def robot_send(*, provider: str, webhook_url: str, secret: str, payload: dict, timeout: float = 5.0) -> None:
    """The one sending path of every group robot (these notifications and the repairs robot).

    The host check, DingTalk's 加签, then core/outbound (https, no inside address after resolution, no
    redirect, timeouts, a capped answer), then the robot's own verdict (errcode). Raises DeliveryError.
    """
    try:
        robot_url_validate(webhook_url)
    except ValidationError as exc:
        raise DeliveryError("；".join(exc.messages)) from exc
    url = robot_signed_url(provider=provider, webhook_url=webhook_url, secret=secret)
    data = json.dumps(payload, ensure_ascii=False).encode()
    try:
        response = outbound.post(url, body=data, headers={"Content-Type": "application/json"}, timeout=timeout)
    except outbound.OutboundError as exc:
        raise DeliveryError(str(exc)) from exc
    if not 200 <= response.status < 300:
        raise DeliveryError(f"HTTP {response.status}")
    try:
        answer = json.loads(response.text() or "{}")
    except ValueError as exc:
        raise DeliveryError(str(exc)) from exc
    if not isinstance(answer, dict):
        raise DeliveryError("unexpected answer")
    if answer.get("errcode", 0) != 0:
        raise DeliveryError(f"{answer.get('errcode')}: {answer.get('errmsg', '')}")


def robot_post(*, robot: RobotChannel, subject: str, body: str, timeout: float = 5.0) -> None:
    """Post one message to a group robot; raise DeliveryError when it is not accepted."""
    robot_send(provider=robot.provider, webhook_url=robot.webhook_url, secret=robot.secret,
               payload=robot_payload(robot=robot, subject=subject, body=body), timeout=timeout)


# --- sending -----------------------------------------------------------------------------------


def delivery_send(*, delivery_id: int) -> NotificationDelivery:
    """Send one delivery unless it was sent already; log the attempt. Raises DeliveryError to retry."""
    with transaction.atomic():
        delivery = (
            NotificationDelivery.objects.select_for_update(of=("self",)).select_related("robot", "recipient")
            .get(pk=delivery_id)
        )
        if delivery.status == DeliveryStatus.SENT:
            return delivery
        delivery.attempts += 1
        try:
            if delivery.channel == "robot":
                if delivery.robot is None or not delivery.robot.is_active:
                    raise DeliveryError("robot disconnected")
                robot_post(robot=delivery.robot, subject=delivery.subject, body=delivery.body)
            else:
                if not settings.EMAIL_ENABLED or not delivery.recipient or not delivery.recipient.email:
                    raise DeliveryError("e-mail is not configured")
                send_mail(delivery.subject, delivery.body, settings.DEFAULT_FROM_EMAIL, [delivery.recipient.email])
        except (DeliveryError, OSError, ValidationError) as exc:
            delivery.status = DeliveryStatus.FAILED
            delivery.last_error = str(exc)[:1000]
            delivery.save(update_fields=["status", "attempts", "last_error"])
            failure = DeliveryError(delivery.last_error)
        else:
            delivery.status = DeliveryStatus.SENT
            delivery.sent_at = timezone.now()
            delivery.last_error = ""
            delivery.save(update_fields=["status", "attempts", "last_error", "sent_at"])
            return delivery
    raise failure


def digest_send_for(*, user: User, now=None) -> NotificationDelivery | None:
    """Gather a person's digest kinds of the last day into one e-mail (once per day)."""
    now = now or timezone.now()
    day = timezone.localdate(now)
    digest_kinds = set(
        NotificationPreference.objects.filter(user=user, channel=NotificationChannel.DIGEST).values_list("kind", flat=True)
    )
    if not digest_kinds or not user.email or not user.is_active:
        return None
    since = now - timedelta(days=1)
    items = [
        n for n in Notification.objects.filter(recipient=user, created_at__gte=since, created_at__lte=now).select_related("school")
        if channel_for(user=user, kind=n.kind) == NotificationChannel.DIGEST
    ]
    if not items:
        return None
    lines = [f"· {n.title}" + (f"（{n.school.name}）" if n.school else "") for n in items]
    delivery, created = NotificationDelivery.objects.get_or_create(
        dedupe_key=f"digest:{user.pk}:{day.isoformat()}",
        defaults={
            "channel": "digest",
            "recipient": user,
            "subject": _("Houqin daily digest %(day)s: %(count)s notifications") % {"day": day, "count": len(items)},
            "body": "\n".join(lines),
        },
    )
    return delivery if created else None


def digest_run(*, now=None) -> list[int]:
    """Build today's digest for everyone who chose one; return the new deliveries' ids."""
    if not settings.EMAIL_ENABLED:
        return []
    user_ids = (
        NotificationPreference.objects.filter(channel=NotificationChannel.DIGEST).values_list("user_id", flat=True).distinct()
    )
    created = []
    for user in User.objects.filter(pk__in=list(user_ids), is_active=True):
        delivery = digest_send_for(user=user, now=now)
        if delivery is not None:
            created.append(delivery.pk)
    return created


# --- text messages (SMS) ---------------------------------------------------------------------------

_LINK = re.compile(r"https?://\S+")


def sms_send(
    *, phone: str, text: str, kind: str, recipient: User | None = None, school: School | None = None,
    bureau: Bureau | None = None,
) -> SmsMessage | None:
    """Text one phone number (the account's own: never a number typed by someone else for someone else).

    Without a provider (tenants.sms.LocalSmsBackend) the message is kept at once for the platform operator;
    with one it is sent after commit by Celery, retried, and logged. None when there is no number.
    """
    phone = (phone or "").strip()
    if not phone:
        return None
    message = SmsMessage.objects.create(phone=phone, text=text, kind=kind, recipient=recipient, school=school,
                                        bureau=bureau, backend=sms_backend_path())
    if not sms_delivers():
        sms_message_send(message_id=message.pk)
        return SmsMessage.objects.get(pk=message.pk)

    def _send() -> None:
        from .tasks import notification_sms_send_task

        notification_sms_send_task.delay(message_id=message.pk)

    transaction.on_commit(_send)
    return message


def sms_message_send(*, message_id: int) -> SmsMessage:
    """Hand one message to the provider unless it went already; log the attempt. Raises SmsError to retry."""
    with transaction.atomic():
        message = SmsMessage.objects.select_for_update().get(pk=message_id)
        if message.status in (SmsStatus.SENT, SmsStatus.KEPT):
            return message
        backend = sms_backend()
        message.attempts += 1
        message.backend = sms_backend_path()
        try:
            provider_id = backend.send(message.phone, message.text)
        except (SmsError, OSError) as exc:
            message.status = SmsStatus.FAILED
            message.last_error = str(exc)[:1000]
            message.save(update_fields=["status", "attempts", "backend", "last_error"])
            failure = SmsError(message.last_error)
        else:
            delivers = getattr(backend, "delivers", True)
            message.status = SmsStatus.SENT if delivers else SmsStatus.KEPT
            message.provider_id = str(provider_id or "")[:100]
            message.sent_at = timezone.now()
            message.last_error = ""
            if delivers:
                # The phone has the link now; the copy kept here must not be a second way in.
                message.text = _LINK.sub("[链接已隐去]", message.text)
            message.save(update_fields=["status", "attempts", "backend", "provider_id", "sent_at", "last_error",
                                        "text"])
            return message
    raise failure
