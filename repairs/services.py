"""Writes of the repairs module: each function is one business action in one transaction."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.conf import settings as django_settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mass_mail
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from api.webhooks import event_emit, event_emit_many, global_id
from assets.choices import Condition
from assets.selectors import asset_under_warranty
from assets.services import asset_condition_set, consumable_issue
from frontend.uploads import IMAGE_KINDS, validate_upload
from tenants.access import school_roles
from tenants.audit import partner_name_required
from tenants.models import Membership, School, User
from tenants.notifications import notify
from tenants.roles import Role
from tenants.services import school_metrics_request_refresh

from .choices import (
    OPEN_STATUSES,
    RUNNING_STATUSES,
    ClockEventKind,
    Frequency,
    PhotoKind,
    RobotKind,
    Severity,
    Source,
    Status,
)
from .models import (
    ClockEvent,
    MaintenancePlan,
    PartUsage,
    ReferenceCounter,
    RepairSettings,
    RobotMessage,
    WorkOrder,
    WorkOrderNote,
    WorkOrderPhoto,
)

logger = logging.getLogger(__name__)

PHOTO_MAX_BYTES = 8 * 1024 * 1024
MAX_PHOTOS = 6
TRIAGE_ROLES = frozenset({Role.LOGISTICS_DIRECTOR})
WORKER_ROLES = frozenset({Role.MAINTENANCE_WORKER})


# --- helpers ------------------------------------------------------------------------------------


def _school() -> School | None:
    tenant = getattr(connection, "tenant", None)
    return tenant if isinstance(tenant, School) else None


def _roles(user: User | None) -> frozenset[str]:
    return school_roles(user, _school()) if user is not None else frozenset()


def is_triager(user: User | None) -> bool:
    return bool(_roles(user) & TRIAGE_ROLES)


def sla_due_at(*, severity: str, reported_at: dt.datetime, preset: RepairSettings) -> dt.datetime:
    """The SLA due time: minor the same day at the preset time (23:59), major N days after reporting."""
    if severity == Severity.MAJOR:
        return reported_at + dt.timedelta(days=preset.major_due_days)
    local = timezone.localtime(reported_at)
    due = timezone.make_aware(dt.datetime.combine(local.date(), preset.minor_due_time), local.tzinfo)
    if due <= reported_at:
        # Reported in the last minute of the day: due at the same time tomorrow.
        due += dt.timedelta(days=1)
    return due


def reference_next(*, on: dt.date | None = None) -> str:
    """The next reference number of the day, BX-YYYYMMDD-NNNN (one atomic upsert, no gaps from races)."""
    day = on or timezone.localdate()
    table = ReferenceCounter._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (day, last) VALUES (%s, 1) "  # noqa: S608 - table name is ours
            f"ON CONFLICT (day) DO UPDATE SET last = {table}.last + 1 RETURNING last",
            [day],
        )
        number = cursor.fetchone()[0]
    return f"BX-{day:%Y%m%d}-{number:04d}"


def _partner_name(by_partner: bool, partner_name: str) -> str:
    """The partner's name to record on a partner's write ("" for a person's).

    A partner token has no account, so its name is what the order's notes and clock show; a partner write
    without it is refused rather than recorded anonymously.
    """
    return partner_name_required(partner_name) if by_partner else ""


def _clock(order: WorkOrder, kind: str, *, actor: User | None, partner: str = "", reason: str = "", old=None,
           new=None, at=None):
    ClockEvent.objects.create(
        order=order, kind=kind, actor=actor, partner_name=partner, reason=reason[:200], old_due_at=old,
        new_due_at=new, at=at or timezone.now(),
    )


def _notify(**kwargs) -> list:
    """In-app notification (tenants.notifications.notify), and an e-mail after commit when e-mail is set up."""
    created = notify(**kwargs)
    if created and getattr(django_settings, "EMAIL_ENABLED", False):
        transaction.on_commit(lambda: _email(created))
    return created


def _refresh() -> None:
    school_metrics_request_refresh()


def _webhook_school() -> School | None:
    """The school whose schema is active (a beat task under schema_context has no School on the connection)."""
    school = _school()
    if school is not None or connection.schema_name in (None, "", "public"):
        return school
    return School.objects.filter(schema_name=connection.schema_name).first()


def _payload(values: dict, **extra) -> dict:
    """The data of repair_order.* webhook events: ids, status and times; no free text, no reporter."""
    return {
        "id": global_id("WorkOrderType", values["id"]), "reference": values["reference"],
        "status": values["status"], "severity": values["severity"], "source": values["source"],
        "reportedAt": values["reported_at"], "dueAt": values["due_at"], "completedAt": values["completed_at"],
        **extra,
    }


def order_payload(order: WorkOrder, **extra) -> dict:
    """The webhook data of one order (see _payload)."""
    return _payload({column: getattr(order, column) for column in MARKED_COLUMNS}, **extra)


def _emit(event: str, order: WorkOrder, **extra) -> None:
    """Tell the partners subscribed to `event` (recorded in this transaction, sent after its commit)."""
    school = _webhook_school()
    if school is not None:
        event_emit(school=school, event=event, payload=order_payload(order, **extra))


def _updated(order: WorkOrder, action: str) -> None:
    _emit("repair_order.updated", order, action=action)


def photos_validate(photos: Sequence) -> list[str]:
    """Check every photo (image content, size, count) before anything is written; return their kinds."""
    if len(photos) > MAX_PHOTOS:
        raise ValidationError({"photos": _("At most %(n)s photos.") % {"n": MAX_PHOTOS}})
    kinds = []
    for photo in photos:
        try:
            kinds.append(validate_upload(photo, kinds=IMAGE_KINDS, max_bytes=PHOTO_MAX_BYTES))
        except ValidationError as exc:
            raise ValidationError({"photos": exc.messages}) from exc
    return kinds


def _save_photos(order: WorkOrder, photos: Sequence, kinds: Sequence[str], *, kind: str, actor: User | None):
    for photo, content_kind in zip(photos, kinds, strict=True):
        row = WorkOrderPhoto(order=order, kind=kind, content_kind=content_kind, uploaded_by=actor)
        row.image.save(photo.name, photo, save=False)
        row.save()


def _asset_warranty(order: WorkOrder) -> bool | None:
    """True/False when the order is about an asset (under warranty or not), None when it is not."""
    if order.asset_id is None:
        return None
    return bool(asset_under_warranty(order.asset, on=timezone.localdate()))


def _asset_condition(order: WorkOrder, condition: str, *, actor: User | None, only_from: str | None = None) -> None:
    """Keep the asset card's condition in step with its repair (under repair ↔ in use)."""
    if order.asset_id is None or actor is None:
        return
    asset = order.asset
    if only_from is not None and asset.condition != only_from:
        return
    if asset.condition in (Condition.DISPOSED, Condition.LOST) or asset.condition == condition:
        return
    asset_condition_set(asset=asset, condition=condition, actor=actor, reason=order.reference)


# --- reporting ----------------------------------------------------------------------------------

# 192 random bits: a follow-up link cannot be guessed, whatever the rate limit in front of it.
FOLLOW_TOKEN_BYTES = 24


def follow_token_hash(token: str) -> str:
    """What the order stores of its follow-up token (a leaked table gives no working link)."""
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def work_order_report(
    *,
    reporter: User | None,
    title: str,
    room=None,
    asset=None,
    description: str = "",
    location_note: str = "",
    reporter_name: str = "",
    reporter_phone: str = "",
    photos: Sequence = (),
    source: str = Source.WEB,
    severity: str = Severity.MINOR,
    reported_at: dt.datetime | None = None,
    by_partner: bool = False,
    partner_name: str = "",
    follow_link: bool = False,
) -> WorkOrder:
    """Record a fault report, start its SLA clock (minor until triaged) and route warranty assets to the vendor.

    A partner (by_partner, e.g. the property company) reports under its own name: the reporter's name.
    `follow_link`: an anonymous reporter gets a private follow-up token, on `order.follow_token` only
    (the order keeps its hash).
    """
    partner = _partner_name(by_partner, partner_name)
    if partner:
        reporter, reporter_name = None, partner
    kinds = photos_validate(photos)
    if asset is not None and room is None:
        room = getattr(asset, "room", None)
    if room is None and asset is None and not location_note.strip():
        raise ValidationError({"room": _("Say where the fault is: a room or a place.")})
    preset = RepairSettings.current()
    reported_at = reported_at or timezone.now()
    order = WorkOrder(
        reference=reference_next(on=timezone.localtime(reported_at).date()),
        source=source,
        room=room,
        title=(title or "").strip(),
        description=description.strip(),
        location_note=location_note.strip(),
        reporter=reporter,
        reporter_name=(reporter_name.strip() or (reporter.display_name if reporter else ""))[:50],
        reporter_phone=reporter_phone.strip(),
        severity=severity,
        reported_at=reported_at,
        due_at=sla_due_at(severity=severity, reported_at=reported_at, preset=preset),
    )
    order.asset = asset
    follow_token = ""
    if follow_link:
        follow_token = secrets.token_urlsafe(FOLLOW_TOKEN_BYTES)
        order.follow_token_hash = follow_token_hash(follow_token)
    order.full_clean()
    order.save()
    order.follow_token = follow_token
    _clock(order, ClockEventKind.STARTED, actor=reporter, partner=partner, new=order.due_at, at=reported_at)
    _save_photos(order, photos, kinds, kind=PhotoKind.REPORT, actor=reporter)
    if _asset_warranty(order) and order.asset.supplier_id:
        # 催修: an asset under warranty goes to its supplier straight away.
        _vendor_route(order, actor=None, vendor_name=order.asset.supplier.name, preset=preset)
    _notify(
        kind="repairs.reported",
        title=_("New repair report %(ref)s: %(title)s") % {"ref": order.reference, "title": order.title},
        body=order.where,
        url=f"/repairs/{order.pk}/",
        roles=[Role.LOGISTICS_DIRECTOR],
        dedupe_key=f"repairs:reported:{order.reference}",
    )
    _refresh()
    _emit("repair_order.created", order)
    return order


# --- triage and the clock -----------------------------------------------------------------------


def _set_due(order: WorkOrder, due_at: dt.datetime, *, actor: User | None, partner: str = "", reason: str = "") -> None:
    if order.due_at != due_at:
        _clock(order, ClockEventKind.DUE_CHANGED, actor=actor, partner=partner, reason=reason, old=order.due_at,
               new=due_at)
        order.due_at = due_at
        order.due_soon_notified_at = None
        order.overdue_escalated_at = None


def _vendor_route(order: WorkOrder, *, actor: User | None, vendor_name: str, preset: RepairSettings,
                  partner: str = "") -> None:
    order.vendor_name = vendor_name[:100]
    if order.asset_id and order.asset.supplier_id and order.asset.supplier.name == order.vendor_name:
        order.supplier_id = order.asset.supplier_id
    order.assignee = None
    due = timezone.now() + dt.timedelta(days=preset.vendor_due_days)
    _clock(order, ClockEventKind.VENDOR_DUE, actor=actor, partner=partner, old=order.vendor_due_at, new=due)
    order.vendor_due_at = due
    order.vendor_reminded_at = None
    order.vendor_escalated_at = None
    if order.status == Status.REPORTED:
        order.status = Status.ASSIGNED
    order.full_clean()
    order.save()


def _check_assignee(assignee: User) -> None:
    school = _school()
    if not Membership.objects.active().filter(
        user=assignee, school=school, role=Role.MAINTENANCE_WORKER
    ).exists():
        raise ValidationError({"assignee": _("Assign the order to a maintenance worker of this school.")})


@transaction.atomic
def work_order_triage(
    *,
    order: WorkOrder,
    actor: User | None,
    severity: str,
    assignee: User | None = None,
    vendor_name: str = "",
    by_partner: bool = False,
    partner_name: str = "",
) -> WorkOrder:
    """Grade an order minor/major (which sets its due time) and assign it to a worker or a vendor."""
    order = WorkOrder.objects.select_for_update().get(pk=order.pk)
    partner = _partner_name(by_partner, partner_name)
    if not by_partner and not is_triager(actor):
        raise PermissionDenied(_("Only the logistics director triages and assigns work orders."))
    if order.status not in OPEN_STATUSES:
        raise ValidationError({"status": _("This order is closed; reopen it first.")})
    if severity not in Severity.values:
        raise ValidationError({"severity": _("Choose minor or major.")})
    if assignee is not None and vendor_name.strip():
        raise ValidationError({"assignee": _("Assign either a worker or a vendor, not both.")})
    warranty = _asset_warranty(order)
    if vendor_name.strip() and warranty is False:
        raise ValidationError(
            {"vendor_name": _("This asset is out of warranty: its supplier cannot be asked to repair it.")}
        )
    if assignee is not None:
        _check_assignee(assignee)
    preset = RepairSettings.current()
    if order.severity != severity or order.triaged_at is None:
        order.severity = severity
        _set_due(order, sla_due_at(severity=severity, reported_at=order.reported_at, preset=preset)
                 + dt.timedelta(seconds=order.paused_seconds), actor=actor, partner=partner, reason=_("Triaged"))
    order.triaged_at = order.triaged_at or timezone.now()
    if vendor_name.strip():
        _vendor_route(order, actor=actor, vendor_name=vendor_name.strip(), preset=preset, partner=partner)
    elif assignee is not None:
        order.assignee = assignee
        order.vendor_name = ""
        order.supplier = None
        order.vendor_due_at = None
        if order.status == Status.REPORTED:
            order.status = Status.ASSIGNED
    order.full_clean()
    order.save()
    _asset_condition(order, Condition.UNDER_REPAIR, actor=actor)
    if order.assignee_id:
        _notify(
            kind="repairs.assigned",
            title=_("Work order %(ref)s assigned to you: %(title)s") % {"ref": order.reference, "title": order.title},
            body=order.where,
            url=f"/repairs/{order.pk}/",
            users=[order.assignee],
            dedupe_key=f"repairs:assigned:{order.pk}:{order.assignee_id}:{order.reopen_count}",
        )
    _refresh()
    _updated(order, "triaged")
    return order


def _may_work(actor: User | None, order: WorkOrder, by_partner: bool, partner_name: str = "") -> str:
    """Check who works on the order; the partner's name to record ("" for a person)."""
    if by_partner:
        return _partner_name(by_partner, partner_name)
    if is_triager(actor):
        return ""
    if actor is not None and order.assignee_id == actor.pk and _roles(actor) & WORKER_ROLES:
        return ""
    raise PermissionDenied(_("Only the assigned worker or the logistics director may work on this order."))


def _locked(order: WorkOrder) -> WorkOrder:
    return WorkOrder.objects.select_for_update().get(pk=order.pk)


@transaction.atomic
def work_order_start(*, order: WorkOrder, actor: User | None, by_partner: bool = False,
                     partner_name: str = "") -> WorkOrder:
    """The worker starts on the order (a partner's start is attributed in the row history)."""
    order = _locked(order)
    _may_work(actor, order, by_partner, partner_name)
    if order.status not in (Status.ASSIGNED, Status.REPORTED):
        raise ValidationError({"status": _("Only an assigned order can be started.")})
    order.status = Status.IN_PROGRESS
    order.started_at = order.started_at or timezone.now()
    order.save(update_fields=["status", "started_at"])
    _updated(order, "started")
    return order


@transaction.atomic
def work_order_pause(*, order: WorkOrder, actor: User | None, reason: str, by_partner: bool = False,
                     partner_name: str = "") -> WorkOrder:
    """Stop the SLA clock with a reason (waiting for parts, for the vendor)."""
    order = _locked(order)
    partner = _may_work(actor, order, by_partner, partner_name)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the order is paused.")})
    if order.status not in RUNNING_STATUSES:
        raise ValidationError({"status": _("Only a running order can be paused.")})
    now = timezone.now()
    order.status = Status.PAUSED
    order.paused_at = now
    order.pause_reason = reason[:200]
    order.save(update_fields=["status", "paused_at", "pause_reason"])
    _clock(order, ClockEventKind.PAUSED, actor=actor, partner=partner, reason=reason, at=now)
    _updated(order, "paused")
    return order


def _resume(order: WorkOrder, *, actor: User | None, now: dt.datetime, partner: str = "") -> None:
    paused_for = now - order.paused_at
    order.paused_seconds += int(paused_for.total_seconds())
    old = order.due_at
    order.due_at = order.due_at + paused_for
    if order.vendor_due_at:
        order.vendor_due_at += paused_for
        order.vendor_reminded_at = None
        order.vendor_escalated_at = None
    order.due_soon_notified_at = None
    order.overdue_escalated_at = None
    order.paused_at = None
    order.pause_reason = ""
    order.status = Status.IN_PROGRESS if order.started_at else Status.ASSIGNED
    _clock(order, ClockEventKind.RESUMED, actor=actor, partner=partner, old=old, new=order.due_at, at=now)


@transaction.atomic
def work_order_resume(*, order: WorkOrder, actor: User | None, by_partner: bool = False,
                      partner_name: str = "") -> WorkOrder:
    """Restart the clock; the due time moves by the time spent paused."""
    order = _locked(order)
    partner = _may_work(actor, order, by_partner, partner_name)
    if order.status != Status.PAUSED:
        raise ValidationError({"status": _("The order is not paused.")})
    _resume(order, actor=actor, now=timezone.now(), partner=partner)
    order.save()
    _updated(order, "resumed")
    return order


# --- work and closing ---------------------------------------------------------------------------


@transaction.atomic
def work_order_note_add(*, order: WorkOrder, actor: User | None, text: str, by_partner: bool = False,
                        partner_name: str = "") -> WorkOrderNote:
    """Add a note to the order's record (a partner's under its own name)."""
    partner = _partner_name(by_partner, partner_name)
    if not by_partner and not is_triager(actor) and not (actor and actor.pk in (order.assignee_id, order.reporter_id)):
        raise PermissionDenied(_("Only the reporter, the assigned worker or the logistics director may add notes."))
    note = WorkOrderNote(order=order, author=None if by_partner else actor, partner_name=partner,
                         text=(text or "").strip())
    note.full_clean()
    note.save()
    return note


@transaction.atomic
def work_order_photos_add(*, order: WorkOrder, actor: User | None, kind: str, photos: Sequence) -> int:
    """Attach photos taken before or after the repair."""
    _may_work(actor, order, False)
    if kind not in PhotoKind.values:
        raise ValidationError({"kind": _("Choose before or after.")})
    if not photos:
        raise ValidationError({"photos": _("Choose a file.")})
    kinds = photos_validate(photos)
    _save_photos(order, photos, kinds, kind=kind, actor=actor)
    return len(photos)


@transaction.atomic
def work_order_part_add(
    *, order: WorkOrder, actor: User | None, name: str, quantity: Decimal, unit: str = "", item=None
) -> PartUsage:
    """Record a part used; a stocked consumable is issued from stock in the same transaction."""
    _may_work(actor, order, False)
    if order.status not in OPEN_STATUSES:
        raise ValidationError({"status": _("This order is closed.")})
    quantity = Decimal(quantity)
    if quantity <= 0:
        raise ValidationError({"quantity": _("The quantity must be more than zero.")})
    if item is not None:
        if quantity != quantity.to_integral_value():
            raise ValidationError({"quantity": _("Stocked items are issued in whole units.")})
        # Taken from the consumables stock in the same transaction: no stock, no part.
        consumable_issue(item=item, quantity=int(quantity), actor=actor, reason=_("Repair %(ref)s") % {
            "ref": order.reference}, reference=order.reference)
        name = name or str(item)
        unit = unit or item.unit
    part = PartUsage(order=order, item=item, name=(name or "").strip(), quantity=quantity, unit=unit, added_by=actor)
    part.full_clean()
    part.save()
    return part


@transaction.atomic
def work_order_complete(
    *, order: WorkOrder, actor: User | None, closing_note: str, labour_minutes: int = 0, by_partner: bool = False,
    partner_name: str = "",
) -> WorkOrder:
    """Finish the work: a closing note is required; the clock stops."""
    order = _locked(order)
    partner = _may_work(actor, order, by_partner, partner_name)
    closing_note = (closing_note or "").strip()
    if not closing_note:
        raise ValidationError({"closing_note": _("Write a closing note: what was done.")})
    if order.status not in OPEN_STATUSES:
        raise ValidationError({"status": _("This order is already closed.")})
    if labour_minutes is None or int(labour_minutes) < 0:
        raise ValidationError({"labour_minutes": _("Labour time cannot be negative.")})
    now = timezone.now()
    if order.status == Status.PAUSED:
        _resume(order, actor=actor, now=now, partner=partner)
    order.status = Status.COMPLETED
    order.completed_at = now
    order.closing_note = closing_note
    order.labour_minutes = int(labour_minutes)
    order.full_clean()
    order.save()
    _clock(order, ClockEventKind.STOPPED, actor=actor, partner=partner, at=now)
    _asset_condition(order, Condition.IN_USE, actor=actor, only_from=Condition.UNDER_REPAIR)
    if order.reporter_id:
        _notify(
            kind="repairs.completed",
            title=_("Your repair %(ref)s is done: please confirm and rate it") % {"ref": order.reference},
            body=closing_note,
            url=f"/repairs/{order.pk}/",
            users=[order.reporter],
            dedupe_key=f"repairs:completed:{order.pk}:{order.reopen_count}",
        )
    _refresh()
    _updated(order, "completed")
    return order


def _may_confirm(actor: User | None, order: WorkOrder) -> None:
    if actor is None:
        raise PermissionDenied(_("Only the reporter confirms their own order."))
    if order.reporter_id:
        if order.reporter_id != actor.pk:
            raise PermissionDenied(_("Only the reporter confirms their own order."))
    elif not is_triager(actor):
        # A report from the public page has no account behind it: the director closes it.
        raise PermissionDenied(_("Only the reporter confirms their own order."))


@transaction.atomic
def work_order_confirm(*, order: WorkOrder, actor: User | None, rating: int, comment: str = "") -> WorkOrder:
    """The reporter confirms the repair and rates it 1–5."""
    order = _locked(order)
    _may_confirm(actor, order)
    return _confirm(order, rating=rating, comment=comment, author=actor)


def _confirm(order: WorkOrder, *, rating, comment: str, author: User | None, partner: str = "") -> WorkOrder:
    """Close a completed order with the reporter's 1–5 rating and comment (who may is checked by the caller)."""
    if order.status != Status.COMPLETED:
        raise ValidationError({"status": _("Only a completed order can be confirmed.")})
    try:
        rating = int(rating)
    except (TypeError, ValueError):
        rating = 0
    if not 1 <= rating <= 5:
        raise ValidationError({"rating": _("Rate from 1 to 5.")})
    order.status = Status.CONFIRMED
    order.rating = rating
    order.confirmed_at = timezone.now()
    order.full_clean()
    order.save()
    if comment.strip():
        WorkOrderNote.objects.create(order=order, author=author, partner_name=partner, text=comment.strip()[:2000])
    _refresh()
    _updated(order, "confirmed")
    return order


@transaction.atomic
def work_order_reopen(*, order: WorkOrder, actor: User | None, reason: str) -> WorkOrder:
    """The reporter says it is not fixed: the order goes back to work with a fresh SLA clock."""
    order = _locked(order)
    _may_confirm(actor, order)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say what is still wrong.")})
    if order.status != Status.COMPLETED:
        raise ValidationError({"status": _("Only a completed order can be reopened.")})
    _reopen(order, actor=actor, reason=reason)
    return order


def _reopen(order: WorkOrder, *, actor: User | None, reason: str, partner: str = "") -> None:
    now = timezone.now()
    preset = RepairSettings.current()
    order.status = Status.ASSIGNED if (order.assignee_id or order.vendor_name) else Status.REPORTED
    order.reopen_count += 1
    order.completed_at = None
    order.closing_note = ""
    old = order.due_at
    order.due_at = sla_due_at(severity=order.severity, reported_at=now, preset=preset)
    order.due_soon_notified_at = None
    order.overdue_escalated_at = None
    order.full_clean()
    order.save()
    _clock(order, ClockEventKind.REOPENED, actor=actor, partner=partner, reason=reason, old=old, new=order.due_at,
           at=now)
    WorkOrderNote.objects.create(order=order, author=actor, partner_name=partner,
                                 text=_("Reopened: %(reason)s") % {"reason": reason})
    _refresh()
    _updated(order, "reopened")


# --- the anonymous reporter's private link: 催修, confirm and rate, or say it is not fixed -----------

URGE_INTERVAL = dt.timedelta(hours=2)


def _order_by_link(token: str) -> WorkOrder:
    """The order the private follow-up link opens, locked; the link is the reporter's only credential."""
    token = (token or "").strip()
    order = None
    if token and len(token) <= 100:
        order = WorkOrder.objects.select_for_update().filter(follow_token_hash=follow_token_hash(token)).first()
    if order is None:
        raise PermissionDenied(_("This link does not open a report."))
    return order


def _reporter_label(order: WorkOrder) -> str:
    name = order.reporter_name.strip() or _("the reporter")
    return _("%(name)s (by the private link)") % {"name": name}


@transaction.atomic
def work_order_urge_by_link(*, token: str, now: dt.datetime | None = None) -> WorkOrder:
    """催修 from the private link: the assignee (or the logistics director) is reminded, once every two hours."""
    order = _order_by_link(token)
    if order.status not in OPEN_STATUSES:
        raise ValidationError({"status": _("Only a report still being worked on can be urged.")})
    now = now or timezone.now()
    if order.urged_at and now - order.urged_at < URGE_INTERVAL:
        again = timezone.localtime(order.urged_at + URGE_INTERVAL)
        raise ValidationError({"status": _("You urged this repair at %(at)s; you can urge it again after %(again)s.")
                               % {"at": timezone.localtime(order.urged_at).strftime("%H:%M"),
                                  "again": again.strftime("%H:%M")}})
    order.urged_at = now
    order.urge_count += 1
    order.save(update_fields=["urged_at", "urge_count"])
    WorkOrderNote.objects.create(order=order, author=None, partner_name=_reporter_label(order)[:100],
                                 text=_("Urged by the reporter (%(n)d)") % {"n": order.urge_count})
    recipients = {"users": [order.assignee]} if order.assignee_id else {"roles": [Role.LOGISTICS_DIRECTOR]}
    _notify(
        kind="repairs.urged",
        title=_("The reporter urges %(ref)s: %(title)s") % {"ref": order.reference, "title": order.title},
        body=order.where, url=f"/repairs/{order.pk}/", dedupe_key=f"repairs:urged:{order.pk}:{order.urge_count}",
        **recipients,
    )
    return order


@transaction.atomic
def work_order_confirm_by_link(*, token: str, rating, comment: str = "") -> WorkOrder:
    """The anonymous reporter confirms the repair from the private link and rates it 1–5."""
    order = _order_by_link(token)
    return _confirm(order, rating=rating, comment=comment, author=None, partner=_reporter_label(order)[:100])


@transaction.atomic
def work_order_reopen_by_link(*, token: str, reason: str) -> WorkOrder:
    """The anonymous reporter says it is not fixed: back to work with a fresh clock, as for a signed-in reporter."""
    order = _order_by_link(token)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say what is still wrong.")})
    if order.status != Status.COMPLETED:
        raise ValidationError({"status": _("Only a completed order can be reopened.")})
    _reopen(order, actor=None, reason=reason[:500], partner=_reporter_label(order)[:100])
    return order


@transaction.atomic
def repair_settings_update(*, actor: User, **values) -> RepairSettings:
    """Change the school's SLA presets and robot channel."""
    if not is_triager(actor) and Role.PRINCIPAL not in _roles(actor):
        raise PermissionDenied(_("Only the logistics director or the principal sets the repair presets."))
    preset = RepairSettings.current()
    for key, value in values.items():
        setattr(preset, key, value)
    if preset.robot_kind and not preset.robot_url:
        raise ValidationError({"robot_url": _("Give the robot's webhook URL.")})
    if preset.robot_url:
        # The notification centre's rule: DingTalk's or WeCom's own https host, never an inside address.
        from tenants.notifications import robot_url_validate

        preset.robot_url = robot_url_validate(preset.robot_url, field="robot_url")
    preset.robot_secret = (preset.robot_secret or "").strip()
    preset.full_clean()
    preset.save()
    return preset


# --- preventive maintenance ---------------------------------------------------------------------


def plan_next_due(*, frequency: str, after: dt.date) -> dt.date:
    """The plan's next due date after `after`."""
    if frequency == Frequency.WEEKLY:
        return after + dt.timedelta(days=7)
    if frequency == Frequency.TERMLY:
        # Before each term: the spring term starts in late February, the autumn term on 1 September.
        for candidate in (dt.date(after.year, 2, 20), dt.date(after.year, 8, 25), dt.date(after.year + 1, 2, 20)):
            if candidate > after:
                return candidate
    months = {Frequency.MONTHLY: 1, Frequency.QUARTERLY: 3, Frequency.YEARLY: 12}[frequency]
    month = after.month - 1 + months
    year, month = after.year + month // 12, month % 12 + 1
    day = min(after.day, 28)
    return dt.date(year, month, day)


@transaction.atomic
def maintenance_plans_open_due(*, today: dt.date | None = None) -> list[WorkOrder]:
    """Open the work orders of every plan that is due (idempotent per plan and due date)."""
    today = today or timezone.localdate()
    opened = []
    plans = MaintenancePlan.objects.select_for_update(skip_locked=True).filter(is_active=True)
    for plan in plans:
        while plan.next_due_on - dt.timedelta(days=plan.lead_days) <= today:
            if not WorkOrder.objects.filter(plan=plan, plan_due_on=plan.next_due_on).exists():
                order = work_order_report(
                    reporter=None,
                    title=plan.title,
                    room=plan.room,
                    description=plan.description,
                    location_note="" if plan.room_id else _("Whole campus"),
                    reporter_name=_("Preventive plan"),
                    source=Source.PREVENTIVE,
                    severity=plan.severity,
                )
                order.plan = plan
                order.plan_due_on = plan.next_due_on
                order.triaged_at = timezone.now()
                if plan.assignee_id:
                    order.assignee = plan.assignee
                    order.status = Status.ASSIGNED
                order.save()
                opened.append(order)
            plan.next_due_on = plan_next_due(frequency=plan.frequency, after=plan.next_due_on)
        plan.save(update_fields=["next_due_on"])
    return opened


# --- escalation ---------------------------------------------------------------------------------

# (mark column, condition) of each escalation step; every step is one UPDATE … RETURNING.
_RUNNING_SQL = "status IN ('reported', 'assigned', 'in_progress')"
ESCALATION_STEPS = {
    "due_soon": ("due_soon_notified_at",
                 f"{_RUNNING_SQL} AND vendor_name = '' AND assignee_id IS NOT NULL AND due_at > %(now)s AND due_at <= %(soon)s"),
    "overdue": ("overdue_escalated_at", f"{_RUNNING_SQL} AND due_at <= %(now)s"),
    "vendor_due_soon": ("vendor_reminded_at",
                        f"{_RUNNING_SQL} AND vendor_name <> '' AND vendor_due_at > %(now)s AND vendor_due_at <= %(soon)s"),
    "vendor_late": ("vendor_escalated_at", f"{_RUNNING_SQL} AND vendor_name <> '' AND vendor_due_at <= %(now)s"),
}


# The columns of a marked order (a row of `marked`): the digests read the first five, the webhook all.
MARKED_COLUMNS = ("id", "reference", "title", "assignee_id", "vendor_name", "status", "severity", "source",
                  "reported_at", "due_at", "completed_at")


def _mark_set_based(now: dt.datetime, soon: dt.datetime) -> dict[str, list[tuple]]:
    table = WorkOrder._meta.db_table
    marked: dict[str, list[tuple]] = {}
    with connection.cursor() as cursor:
        for step, (column, condition) in ESCALATION_STEPS.items():
            cursor.execute(
                f"UPDATE {table} SET {column} = %(now)s WHERE {column} IS NULL AND {condition} "  # noqa: S608
                f"RETURNING {', '.join(MARKED_COLUMNS)}",
                {"now": now, "soon": soon},
            )
            marked[step] = sorted(cursor.fetchall())
    return marked


def _mark_naive(now: dt.datetime, soon: dt.datetime) -> dict[str, list[tuple]]:
    """The per-order loop the set-based run replaces (kept for the benchmark and the equivalence test)."""
    marked: dict[str, list[tuple]] = {step: [] for step in ESCALATION_STEPS}
    for order in WorkOrder.objects.filter(status__in=RUNNING_STATUSES):
        row = tuple(getattr(order, column) for column in MARKED_COLUMNS)
        changed = []
        if (order.due_soon_notified_at is None and not order.vendor_name and order.assignee_id
                and now < order.due_at <= soon):
            order.due_soon_notified_at = now
            marked["due_soon"].append(row)
            changed.append("due_soon_notified_at")
        if order.overdue_escalated_at is None and order.due_at <= now:
            order.overdue_escalated_at = now
            marked["overdue"].append(row)
            changed.append("overdue_escalated_at")
        if order.vendor_name and order.vendor_due_at:
            if order.vendor_reminded_at is None and now < order.vendor_due_at <= soon:
                order.vendor_reminded_at = now
                marked["vendor_due_soon"].append(row)
                changed.append("vendor_reminded_at")
            if order.vendor_escalated_at is None and order.vendor_due_at <= now:
                order.vendor_escalated_at = now
                marked["vendor_late"].append(row)
                changed.append("vendor_escalated_at")
        if changed:
            order.save(update_fields=changed)
    return {step: sorted(rows) for step, rows in marked.items()}


def _digest_key(step: str, rows: Iterable[tuple], now: dt.datetime) -> str:
    ids = ",".join(str(r[0]) for r in rows)
    digest = hashlib.sha1(ids.encode()).hexdigest()[:16]  # noqa: S324 - a dedupe key, not security
    return f"repairs:{step}:{connection.schema_name}:{digest}"


def _lines(rows: Sequence[tuple], limit: int = 20) -> str:
    text = "\n".join(f"{r[1]} {r[2]}" + (f"（{r[4]}）" if r[4] else "") for r in rows[:limit])
    if len(rows) > limit:
        text += "\n" + _("… and %(n)s more") % {"n": len(rows) - limit}
    return text


def _titles() -> dict[str, str]:
    return {
        "due_soon": _("%(n)s of your work orders are due soon"),
        "overdue": _("%(n)s work orders are overdue"),
        "vendor_due_soon": _("%(n)s vendor repairs are due soon: chase the suppliers (催修)"),
        "vendor_late": _("%(n)s vendor repairs are late"),
    }


def _email(notifications) -> None:
    if not getattr(django_settings, "EMAIL_ENABLED", False):
        return
    messages = [(n.title, n.body, django_settings.DEFAULT_FROM_EMAIL, [n.recipient.email])
                for n in notifications if n.recipient.email]
    if messages:
        send_mass_mail(messages, fail_silently=True)


@transaction.atomic
def escalation_run(*, now: dt.datetime | None = None, naive: bool = False) -> dict[str, list[int]]:
    """Due soon → the assignee; overdue and late vendors → the logistics director; once per order and due time.

    Set-based: one UPDATE … RETURNING per step marks the orders, so a second run finds nothing new.
    Notifications are digests (one per recipient and step), deduplicated by key as well.
    """
    now = now or timezone.now()
    preset = RepairSettings.current()
    soon = now + dt.timedelta(hours=preset.due_soon_hours)
    marked = (_mark_naive if naive else _mark_set_based)(now, soon)
    titles = _titles()
    sent = []
    by_assignee: dict[int, list[tuple]] = defaultdict(list)
    for row in marked["due_soon"]:
        by_assignee[row[3]].append(row)
    users = {u.pk: u for u in User.objects.filter(pk__in=list(by_assignee))}
    for user_id, rows in by_assignee.items():
        if user_id in users:
            sent += _notify(kind="repairs.due_soon", title=titles["due_soon"] % {"n": len(rows)}, body=_lines(rows),
                           url="/repairs/mine/", users=[users[user_id]], dedupe_key=_digest_key("due_soon", rows, now))
    robot_lines = []
    for step in ("overdue", "vendor_due_soon", "vendor_late"):
        rows = marked[step]
        if not rows:
            continue
        title = titles[step] % {"n": len(rows)}
        sent += _notify(kind=f"repairs.{step}", title=title, body=_lines(rows), url="/repairs/?overdue=1",
                       roles=[Role.LOGISTICS_DIRECTOR], dedupe_key=_digest_key(step, rows, now))
        robot_lines.append(f"{title}\n{_lines(rows)}")
    if robot_lines:
        robot_message_queue(text="\n\n".join(robot_lines),
                            dedupe_key=_digest_key("robot", [r for s in marked.values() for r in s], now),
                            preset=preset)
    _overdue_emit(marked["overdue"], now)
    return {step: [r[0] for r in rows] for step, rows in marked.items()}


def _overdue_emit(rows: Sequence[tuple], now: dt.datetime) -> None:
    """repair_order.overdue for each newly overdue order: one subscriptions query for the run, not one per order."""
    if not rows:
        return
    school = _webhook_school()
    if school is None:
        return
    payloads = [_payload(dict(zip(MARKED_COLUMNS, row, strict=True)), overdueAt=now) for row in rows]
    event_emit_many(school=school, event="repair_order.overdue", payloads=payloads)


# --- group robot --------------------------------------------------------------------------------


def robot_message_queue(*, text: str, dedupe_key: str, preset: RepairSettings | None = None) -> RobotMessage | None:
    """Queue a message to the school's group robot (once per key); posted by a Celery task after commit."""
    preset = preset or RepairSettings.current()
    if not preset.robot_kind or not preset.robot_url:
        return None
    message, created = RobotMessage.objects.get_or_create(
        dedupe_key=dedupe_key[:200], defaults={"kind": preset.robot_kind, "url": preset.robot_url, "text": text},
    )
    if created:
        from .tasks import robot_message_post_task

        transaction.on_commit(lambda: robot_message_post_task.delay(message_id=message.pk))
    return message


def robot_payload(*, kind: str, text: str) -> dict:
    """The JSON body DingTalk's and WeCom's group robots both accept for a text message."""
    if kind == RobotKind.WECOM:
        return {"msgtype": "text", "text": {"content": text}}
    return {"msgtype": "text", "text": {"content": text}, "at": {"isAtAll": False}}


def robot_message_post(*, message_id: int, timeout: float = 5.0) -> bool:
    """Post one queued robot message; idempotent (a sent message is not posted again).

    It goes to the school's robot as set now (a robot removed since is a failure, a new one gets it), through
    the notification centre's robot stack: the same host check, DingTalk's 加签 when a secret is set, and the
    outbound guard (core/outbound).
    """
    from tenants.notifications import DeliveryError, robot_send

    from .choices import RobotStatus

    with transaction.atomic():
        message = RobotMessage.objects.select_for_update().get(pk=message_id)
        if message.status == RobotStatus.SENT:
            return True
        message.attempts += 1
        preset = RepairSettings.current()
        try:
            if not preset.robot_kind or not preset.robot_url:
                raise DeliveryError("robot disconnected")
            message.kind, message.url = preset.robot_kind, preset.robot_url
            robot_send(provider=preset.robot_kind, webhook_url=preset.robot_url, secret=preset.robot_secret,
                       payload=robot_payload(kind=preset.robot_kind, text=message.text), timeout=timeout)
        except (DeliveryError, ValidationError, ValueError) as exc:  # recorded, retried by the task
            message.status = RobotStatus.FAILED
            message.last_error = str(exc)[:300]
            message.save(update_fields=["status", "attempts", "last_error", "kind", "url"])
            return False
        message.status = RobotStatus.SENT
        message.sent_at = timezone.now()
        message.last_error = ""
        message.save(update_fields=["status", "attempts", "last_error", "sent_at", "kind", "url"])
        return True


@transaction.atomic
def maintenance_plan_create(*, actor: User, **fields) -> MaintenancePlan:
    """Add a recurring preventive maintenance plan."""
    if not is_triager(actor):
        raise PermissionDenied(_("Only the logistics director plans preventive maintenance."))
    plan = MaintenancePlan(**fields)
    plan.full_clean()
    plan.save()
    return plan


def asset_by_number(asset_number: str):
    """The asset a QR label names, or None."""
    from assets.models import Asset

    return Asset.objects.select_related("room", "room__building").filter(asset_number=asset_number).first()
