from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Severity(models.TextChoices):
    MINOR = "minor", _("Minor repair")
    MAJOR = "major", _("Major repair")


class Status(models.TextChoices):
    REPORTED = "reported", _("Reported")
    ASSIGNED = "assigned", _("Assigned")
    IN_PROGRESS = "in_progress", _("In progress")
    PAUSED = "paused", _("Paused")
    COMPLETED = "completed", pgettext_lazy("work order status", "Completed")
    CONFIRMED = "confirmed", _("Confirmed")
    CANCELLED = "cancelled", _("Cancelled")


# Orders still on someone's desk (count against the intact rate).
OPEN_STATUSES = (Status.REPORTED, Status.ASSIGNED, Status.IN_PROGRESS, Status.PAUSED)
# Orders whose clock is running.
RUNNING_STATUSES = (Status.REPORTED, Status.ASSIGNED, Status.IN_PROGRESS)
DONE_STATUSES = (Status.COMPLETED, Status.CONFIRMED)


class Source(models.TextChoices):
    WEB = "web", _("Web (signed in)")
    PUBLIC = "public", _("QR label (public page)")
    PREVENTIVE = "preventive", _("Preventive plan")
    API = "api", _("Partner API")


class ClockEventKind(models.TextChoices):
    STARTED = "started", _("Clock started")
    PAUSED = "paused", _("Clock paused")
    RESUMED = "resumed", _("Clock resumed")
    DUE_CHANGED = "due_changed", _("Due time changed")
    VENDOR_DUE = "vendor_due", _("Vendor due time set")
    STOPPED = "stopped", _("Clock stopped (completed)")
    REOPENED = "reopened", _("Reopened")


class PhotoKind(models.TextChoices):
    REPORT = "report", _("Reported")
    BEFORE = "before", _("Before repair")
    AFTER = "after", _("After repair")


class RobotKind(models.TextChoices):
    NONE = "", _("None")
    DINGTALK = "dingtalk", _("DingTalk group robot")
    WECOM = "wecom", _("WeCom group robot")


class Frequency(models.TextChoices):
    WEEKLY = "weekly", _("Every week")
    MONTHLY = "monthly", _("Every month")
    QUARTERLY = "quarterly", _("Every quarter")
    TERMLY = "termly", _("Before each term")
    YEARLY = "yearly", _("Every year")


class RobotStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
