from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class AssetKind(models.TextChoices):
    FIXED = "fixed", _("Fixed asset")
    LOW_VALUE = "low_value", _("Low-value durable")
    CONSUMABLE = "consumable", _("Consumable")


class Condition(models.TextChoices):
    IN_USE = "in_use", _("In use")
    IDLE = "idle", _("Idle")
    LENT = "lent", _("Lent")
    UNDER_REPAIR = "under_repair", _("Under repair")
    DISPOSED = "disposed", _("Disposed")
    LOST = "lost", _("Lost")


class ProcurementForm(models.TextChoices):
    GOVERNMENT = "government", _("Government procurement")
    DECENTRALISED = "decentralised", _("Decentralised procurement")
    SELF = "self", _("Self-purchase")
    DONATION = "donation", _("Donation")


class AssetUse(models.TextChoices):
    TEACHING = "teaching", _("Teaching")
    ADMINISTRATION = "administration", _("Administration")
    LOGISTICS = "logistics", _("Logistics")
    OTHER = "other", _("Other")


class MovementKind(models.TextChoices):
    IN = "in", _("Stock in")
    OUT = "out", _("Issue")
    ADJUST = "adjust", _("Adjustment")


class PurchaseStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Awaiting school approval")
    BUREAU_PENDING = "bureau_pending", _("Awaiting bureau approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    PARTLY_ACCEPTED = "partly_accepted", _("Partly accepted")
    ACCEPTED = "accepted", _("Accepted")


class ApprovalLevel(models.TextChoices):
    SCHOOL = "school", _("School")
    BUREAU = "bureau", _("Bureau")


class Decision(models.TextChoices):
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class RequisitionStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting approval")
    APPROVED = "approved", _("Approved, to be issued")
    ISSUED = "issued", _("Issued, awaiting receipt")
    RECEIVED = "received", _("Received")
    REJECTED = "rejected", _("Rejected")


class TransferStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting confirmation")
    CONFIRMED = "confirmed", _("Confirmed")
    REJECTED = "rejected", _("Rejected")


class DisposalMethod(models.TextChoices):
    REALLOCATE = "reallocate", _("Reallocation")
    DONATE = "donate", _("Donation")
    SELL = "sell", _("Sale")
    WRITE_OFF = "write_off", _("Write-off (loss)")
    SCRAP = "scrap", _("Scrapping")


class DisposalStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting approval")
    APPROVED = "approved", _("Approved and done")
    REJECTED = "rejected", _("Rejected")


class StocktakeStatus(models.TextChoices):
    COUNTING = "counting", _("Counting")
    FINISHED = "finished", _("Finished")


class Resolution(models.TextChoices):
    MARK_LOST = "mark_lost", _("Marked lost")
    MOVE_ROOM = "move_room", _("Room corrected")
    RESTORE = "restore", _("Found again, restored")
    REGISTER = "register", _("Registered as a new card")
    IGNORE = "ignore", _("No action")
    # Set when counting is finished: a found item gets a draft card, a missing asset a disposal proposal,
    # an asset out on loan is recorded with its loan, one under repair with its work order (never 盘亏).
    DRAFT = "draft", _("Draft card to complete")
    PROPOSE_DISPOSAL = "dispose", _("Disposal proposed")
    LENT = "lent", pgettext_lazy("stocktake", "On loan")
    # Away at its repair when counting finished: recorded with its work order, neither missing nor proposed.
    REPAIR = "repair", _("Under repair")


class Finding(models.TextChoices):
    OK = "ok", _("In place")
    SURPLUS = "surplus", _("Surplus (not on the books)")
    MISPLACED = "misplaced", _("Misplaced")
    LENT = "lent", pgettext_lazy("stocktake", "On loan")


class AcceptanceStage(models.TextChoices):
    """Stages of a staged acceptance of complex goods (财库〔2016〕205号: 出厂、到货、安装调试、配套服务检验)."""

    SINGLE = "", _("One-off acceptance")
    FACTORY = "factory", _("Factory inspection")
    ARRIVAL = "arrival", _("Arrival inspection")
    INSTALLATION = "installation", _("Installation and commissioning")
    SERVICE = "service", _("Supporting services")
