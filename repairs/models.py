"""Repair work orders (报修单) with their SLA clock, vendor routing (催修), work records and plans."""

from __future__ import annotations

import datetime as dt

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tenants.audit import partner_field, partner_label, tracked
from tenants.fields import user_fk

from .choices import (
    OPEN_STATUSES,
    RUNNING_STATUSES,
    ClockEventKind,
    Frequency,
    PhotoKind,
    RobotKind,
    RobotStatus,
    Severity,
    Source,
    Status,
)


class RepairSettings(models.Model):
    """The school's SLA presets and notification channel (one row per school)."""

    minor_due_time = models.TimeField(_("minor repairs due by (same day)"), default=dt.time(23, 59))
    major_due_days = models.PositiveIntegerField(
        _("major repairs due after (days)"), default=3, validators=[MinValueValidator(1), MaxValueValidator(60)]
    )
    vendor_due_days = models.PositiveIntegerField(
        _("vendors due after (days)"), default=7, validators=[MinValueValidator(1), MaxValueValidator(90)]
    )
    due_soon_hours = models.PositiveIntegerField(
        _("warn the assignee this many hours before due"), default=4,
        validators=[MinValueValidator(1), MaxValueValidator(72)],
    )
    public_reports_per_hour = models.PositiveIntegerField(
        _("public reports allowed per address and hour"), default=5,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
    )
    robot_kind = models.CharField(_("group robot"), max_length=10, choices=RobotKind.choices, blank=True, default="")
    robot_url = models.URLField(_("group robot webhook URL"), max_length=500, blank=True)
    robot_secret = models.CharField(_("group robot signing secret (DingTalk)"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("repair settings")
        verbose_name_plural = _("repair settings")

    def __str__(self) -> str:
        return str(_("Repair settings"))

    @classmethod
    def current(cls) -> RepairSettings:
        return cls.objects.order_by("pk").first() or cls.objects.create()


class ReferenceCounter(models.Model):
    """The last reference number handed out on one day (BX-YYYYMMDD-NNNN)."""

    day = models.DateField(unique=True)
    last = models.PositiveIntegerField(default=0)


@tracked()
class MaintenancePlan(models.Model):
    """A recurring preventive job (水电检修, 杀白蚁, 除草, 换灯泡/水龙头) that opens work orders on schedule."""

    title = models.CharField(_("title"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices, default=Severity.MINOR)
    room = models.ForeignKey(
        "schools.Room", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("room")
    )
    assignee = user_fk(
        on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("assignee"),
    )
    frequency = models.CharField(_("frequency"), max_length=12, choices=Frequency.choices)
    next_due_on = models.DateField(_("next due on"))
    lead_days = models.PositiveIntegerField(_("open the order this many days ahead"), default=3)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("maintenance plan")
        verbose_name_plural = _("maintenance plans")
        ordering = ["next_due_on", "title"]

    def __str__(self) -> str:
        return self.title


# The escalation marks are bookkeeping of the beat task (the notifications record what was sent):
# left out of the row history so a run over a backlog writes no history rows.
# The follow-up link's hash is a credential, not a fact about the repair: kept out of the history too.
@tracked(exclude=["due_soon_notified_at", "overdue_escalated_at", "vendor_reminded_at", "vendor_escalated_at",
                  "follow_token_hash"])
class WorkOrder(models.Model):
    """A repair work order: what is broken where, who fixes it, and the SLA clock."""

    reference = models.CharField(pgettext_lazy("work order", "reference"), max_length=20, unique=True)
    source = models.CharField(_("source"), max_length=12, choices=Source.choices, default=Source.WEB)
    room = models.ForeignKey(
        "schools.Room", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("room")
    )
    asset = models.ForeignKey(
        "assets.Asset", on_delete=models.PROTECT, null=True, blank=True, related_name="work_orders",
        verbose_name=_("asset"),
    )
    title = models.CharField(_("what is broken"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    location_note = models.CharField(_("location details"), max_length=100, blank=True)
    reporter = user_fk(
        on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("reporter"),
    )
    reporter_name = models.CharField(_("reporter's name"), max_length=50, blank=True)
    reporter_phone = models.CharField(_("reporter's phone"), max_length=20, blank=True)
    # SHA-256 of the private follow-up link given to an anonymous reporter (the link itself is never stored).
    follow_token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.REPORTED)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices, default=Severity.MINOR)
    triaged_at = models.DateTimeField(_("triaged at"), null=True, blank=True)
    assignee = user_fk(
        on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("assignee"),
    )
    vendor_name = models.CharField(_("vendor"), max_length=100, blank=True)
    supplier = models.ForeignKey(
        "assets.Supplier", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("supplier (warranty)"),
    )
    vendor_due_at = models.DateTimeField(_("vendor due at"), null=True, blank=True)
    reported_at = models.DateTimeField(_("reported at"), default=timezone.now)
    due_at = models.DateTimeField(_("due at"))
    paused_at = models.DateTimeField(_("paused at"), null=True, blank=True)
    pause_reason = models.CharField(_("pause reason"), max_length=200, blank=True)
    paused_seconds = models.PositiveIntegerField(_("time paused (s)"), default=0)
    started_at = models.DateTimeField(pgettext_lazy("work order", "started at"), null=True, blank=True)
    completed_at = models.DateTimeField(pgettext_lazy("work order", "completed at"), null=True, blank=True)
    closing_note = models.TextField(_("closing note"), blank=True)
    labour_minutes = models.PositiveIntegerField(_("labour (minutes)"), default=0)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    # 催修: the reporter's reminders from the private follow-up link (at most one every two hours).
    urged_at = models.DateTimeField(_("last urged at"), null=True, blank=True)
    urge_count = models.PositiveSmallIntegerField(_("times urged"), default=0)
    rating = models.PositiveSmallIntegerField(
        _("rating"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    reopen_count = models.PositiveIntegerField(_("times reopened"), default=0)
    plan = models.ForeignKey(
        MaintenancePlan, on_delete=models.SET_NULL, null=True, blank=True, related_name="orders",
        verbose_name=_("maintenance plan"),
    )
    plan_due_on = models.DateField(_("plan due on"), null=True, blank=True)
    # Escalation marks: set by one UPDATE per run, cleared when the due time moves.
    due_soon_notified_at = models.DateTimeField(null=True, blank=True, editable=False)
    overdue_escalated_at = models.DateTimeField(null=True, blank=True, editable=False)
    vendor_reminded_at = models.DateTimeField(null=True, blank=True, editable=False)
    vendor_escalated_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("work order")
        verbose_name_plural = _("work orders")
        ordering = ["-reported_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "plan_due_on"], condition=models.Q(plan__isnull=False), name="workorder_once_per_plan_due"
            ),
            models.CheckConstraint(
                name="workorder_rating_1_to_5",
                condition=models.Q(rating__isnull=True) | models.Q(rating__gte=1, rating__lte=5),
            ),
        ]
        indexes = [
            models.Index(fields=["status", "due_at"]),
            models.Index(fields=["status", "vendor_due_at"]),
            models.Index(fields=["reported_at"]),
            models.Index(fields=["assignee", "status"]),
            # What each escalation step still has to look at: rows leave the index once marked,
            # so a beat run reads only the pending rows, however long the school's history.
            models.Index(fields=["due_at"], name="workorder_due_soon_pending",
                         condition=models.Q(status__in=RUNNING_STATUSES, due_soon_notified_at__isnull=True)),
            models.Index(fields=["due_at"], name="workorder_overdue_pending",
                         condition=models.Q(status__in=RUNNING_STATUSES, overdue_escalated_at__isnull=True)),
            models.Index(fields=["vendor_due_at"], name="workorder_vendor_soon_pending",
                         condition=models.Q(status__in=RUNNING_STATUSES, vendor_reminded_at__isnull=True)),
            models.Index(fields=["vendor_due_at"], name="workorder_vendor_late_pending",
                         condition=models.Q(status__in=RUNNING_STATUSES, vendor_escalated_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_overdue(self) -> bool:
        now = timezone.now()
        if self.status == Status.PAUSED:
            return False
        if self.is_open:
            return self.due_at < now
        return bool(self.completed_at and self.completed_at > self.due_at)

    @property
    def is_vendor_bound(self) -> bool:
        return bool(self.vendor_name)

    @property
    def where(self) -> str:
        parts = [str(self.room) if self.room_id else "", str(self.asset) if self.asset_id else "", self.location_note]
        return " ".join(p for p in parts if p)




class ClockEvent(models.Model):
    """One change of an order's SLA clock: started, paused (with why), resumed, due moved, stopped."""

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="clock_events")
    kind = models.CharField(_("what"), max_length=12, choices=ClockEventKind.choices)
    at = models.DateTimeField(_("when"), default=timezone.now)
    actor = user_fk(
        on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("who"),
    )
    partner_name = partner_field()
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    old_due_at = models.DateTimeField(_("due before"), null=True, blank=True)
    new_due_at = models.DateTimeField(_("due after"), null=True, blank=True)

    class Meta:
        verbose_name = _("clock event")
        verbose_name_plural = _("clock events")
        ordering = ["at", "id"]

    @property
    def by(self) -> str:
        """Who changed the clock: a person, or a partner (物业公司 (partner)); reads `actor` (select it)."""
        if self.partner_name:
            return partner_label(self.partner_name)
        return self.actor.display_name if self.actor_id else ""


@tracked()
class WorkOrderNote(models.Model):
    """A note on an order by the worker, the director or the reporter."""

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="notes")
    author = user_fk(
        on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("author"),
    )
    partner_name = partner_field()
    text = models.TextField(_("note"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("note")
        verbose_name_plural = _("notes")
        ordering = ["created_at", "id"]

    @property
    def by(self) -> str:
        """Who wrote the note: a person, or a partner (物业公司 (partner)); reads `author` (select it)."""
        if self.partner_name:
            return partner_label(self.partner_name)
        return self.author.display_name if self.author_id else ""


def _photo_path(instance, filename: str) -> str:
    ext = filename.rsplit(".", 1)[-1].lower()[:5]
    return f"repairs/{timezone.now():%Y/%m}/{instance.order_id}-{timezone.now():%H%M%S%f}.{ext}"


class WorkOrderPhoto(models.Model):
    """A photo of the fault, or of the work before and after (served only through a checked view)."""

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="photos")
    kind = models.CharField(_("kind"), max_length=8, choices=PhotoKind.choices, default=PhotoKind.REPORT)
    image = models.FileField(_("photo"), upload_to=_photo_path)
    content_kind = models.CharField(max_length=8)
    uploaded_by = user_fk(
        on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        ordering = ["created_at", "id"]


@tracked()
class PartUsage(models.Model):
    """Parts used on an order (taken from consumables stock when the item is a stocked one)."""

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="parts")
    item = models.ForeignKey(
        "assets.ConsumableItem", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("stocked item"),
    )
    name = models.CharField(_("part"), max_length=100)
    quantity = models.DecimalField(_("quantity"), max_digits=10, decimal_places=2, validators=[MinValueValidator(0)])
    unit = models.CharField(_("unit"), max_length=10, blank=True)
    added_by = user_fk(
        on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("part used")
        verbose_name_plural = _("parts used")
        ordering = ["created_at", "id"]


class RobotMessage(models.Model):
    """A message for the school's DingTalk/WeCom group robot, posted once by a Celery task."""

    dedupe_key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=10, choices=RobotKind.choices)
    url = models.URLField(max_length=500)
    text = models.TextField()
    status = models.CharField(max_length=8, choices=RobotStatus.choices, default=RobotStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
