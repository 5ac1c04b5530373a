"""Asset cards, categories, consumable stock and the lifecycle ledgers of a school's property."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tenants.audit import tracked
from tenants.fields import user_fk

from .choices import (
    AcceptanceStage,
    ApprovalLevel,
    AssetKind,
    AssetUse,
    Condition,
    Decision,
    DisposalMethod,
    DisposalStatus,
    Finding,
    MovementKind,
    ProcurementForm,
    PurchaseStatus,
    RequisitionStatus,
    Resolution,
    StocktakeStatus,
    TransferStatus,
)

ZERO = Decimal("0.00")
CENT = Decimal("0.01")


def money(**kwargs) -> models.DecimalField:
    return models.DecimalField(max_digits=14, decimal_places=2, validators=[MinValueValidator(ZERO)], **kwargs)


@tracked()
class Category(models.Model):
    """A GB/T 14885-2022 asset category with its default service life (0 = not depreciated)."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children", verbose_name=_("parent")
    )
    service_life_years = models.PositiveSmallIntegerField(_("service life (years)"), default=0)
    is_special_equipment = models.BooleanField(_("special equipment"), default=False)

    class Meta:
        verbose_name = pgettext_lazy("asset", "category")
        verbose_name_plural = _("categories")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def clean(self):
        """A code of the GB/T 14885-2022 shape (rule assets.category_code): A, then four levels of two digits."""
        from core.rules import rule_error

        from .categories import code_shape_ok

        super().clean()
        if self.code and not code_shape_ok(self.code):
            raise rule_error("assets.category_code", _("%(code)s is not a GB/T 14885-2022 code (A and eight digits, "
                                                      "e.g. A02010105).") % {"code": self.code}, field_name="code")


@tracked()
class Supplier(models.Model):
    """A company that sells to the school."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    contact = models.CharField(_("contact"), max_length=50, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("supplier")
        verbose_name_plural = _("suppliers")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AssetNumberCounter(models.Model):
    """The last asset number issued per year (asset numbers are YYYY + 6 digits)."""

    year = models.PositiveIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)


@tracked()
class Asset(models.Model):
    """An asset card (资产卡片): one item of property, its value, custody and condition."""

    asset_number = models.CharField(_("asset number"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=100)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="assets", verbose_name=pgettext_lazy("asset", "category"))
    kind = models.CharField(_("kind"), max_length=12, choices=AssetKind.choices, default=AssetKind.FIXED)
    brand = models.CharField(_("brand"), max_length=50, blank=True)
    model = models.CharField(_("model"), max_length=50, blank=True)
    spec = models.CharField(_("specification"), max_length=100, blank=True)
    serial_number = models.CharField(_("serial number"), max_length=60, blank=True)
    unit_price = money(verbose_name=_("unit price"), default=ZERO)
    quantity = models.PositiveIntegerField(_("quantity"), default=1, validators=[MinValueValidator(1)])
    unit = models.CharField(_("unit"), max_length=10, default="台")
    original_value = money(verbose_name=_("original value"), default=ZERO)
    booked_on = models.DateField(_("booked on"), default=timezone.localdate)
    invoice_number = models.CharField(_("invoice number"), max_length=40, blank=True)
    funding_source = models.CharField(_("funding source"), max_length=50, blank=True)
    procurement_form = models.CharField(
        _("procurement form"), max_length=16, choices=ProcurementForm.choices, default=ProcurementForm.DECENTRALISED
    )
    supplier = models.ForeignKey(
        Supplier, on_delete=models.PROTECT, null=True, blank=True, related_name="assets", verbose_name=_("supplier")
    )
    warranty_end = models.DateField(_("warranty end"), null=True, blank=True)
    department = models.ForeignKey(
        "schools.Department", on_delete=models.PROTECT, null=True, blank=True, related_name="assets",
        verbose_name=_("managing department"),
    )
    user = user_fk(
        on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=pgettext_lazy("asset", "user")
    )
    use = models.CharField(_("use"), max_length=16, choices=AssetUse.choices, default=AssetUse.TEACHING)
    room = models.ForeignKey(
        "schools.Room", on_delete=models.PROTECT, null=True, blank=True, related_name="assets", verbose_name=pgettext_lazy("asset", "room")
    )
    condition = models.CharField(_("condition"), max_length=14, choices=Condition.choices, default=Condition.IN_USE)
    service_life_years = models.PositiveSmallIntegerField(
        _("service life (years)"), null=True, blank=True, help_text=_("Empty: the category's service life.")
    )
    purchase_line = models.ForeignKey(
        "PurchaseLine", on_delete=models.SET_NULL, null=True, blank=True, related_name="assets",
        verbose_name=_("purchase line"),
    )
    notes = models.TextField(_("notes"), blank=True)
    disposed_on = models.DateField(_("disposed on"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("asset")
        verbose_name_plural = _("assets")
        ordering = ["-booked_on", "-id"]
        indexes = [
            models.Index(fields=["condition", "kind"]),
            models.Index(fields=["room", "condition"]),
            models.Index(fields=["-booked_on", "-id"]),
            models.Index(fields=["category"]),
        ]
        constraints = [
            models.CheckConstraint(name="asset_value_not_negative", condition=Q(original_value__gte=0) & Q(unit_price__gte=0)),
        ]

    def __str__(self) -> str:
        return f"{self.asset_number} {self.name}"

    @property
    def life_years(self) -> int:
        if self.service_life_years is not None:
            return self.service_life_years
        return self.category.service_life_years if self.category_id else 0

    def months_in_service(self, on: dt.date | None = None) -> int:
        on = on or timezone.localdate()
        if on < self.booked_on:
            return 0
        # 政府会计准则第3号: depreciation starts in the month the asset is booked.
        return (on.year - self.booked_on.year) * 12 + (on.month - self.booked_on.month) + 1

    def accumulated_depreciation(self, on: dt.date | None = None) -> Decimal:
        """Straight line over the service life, no residual value; only fixed assets depreciate."""
        life_months = self.life_years * 12
        if self.kind != AssetKind.FIXED or life_months <= 0:
            return ZERO
        months = min(self.months_in_service(on), life_months)
        return (self.original_value * months / life_months).quantize(CENT, rounding=ROUND_HALF_UP)

    def net_value(self, on: dt.date | None = None) -> Decimal:
        return self.original_value - self.accumulated_depreciation(on)

    def minimum_life_end(self) -> dt.date | None:
        """The day the minimum service life is reached; None when the kind sets no minimum (life 0)."""
        life = self.life_years
        if life <= 0:
            return None
        try:
            return self.booked_on.replace(year=self.booked_on.year + life)
        except ValueError:  # 29 February
            return self.booked_on.replace(year=self.booked_on.year + life, day=28)

    def minimum_life_reached(self, on: dt.date | None = None) -> bool:
        end = self.minimum_life_end()
        return end is None or (on or timezone.localdate()) >= end

    def service_age(self, on: dt.date | None = None) -> tuple[int, int]:
        """Whole years and months since the asset was booked."""
        on = on or timezone.localdate()
        months = (on.year - self.booked_on.year) * 12 + (on.month - self.booked_on.month)
        if on.day < self.booked_on.day:
            months -= 1
        months = max(months, 0)
        return months // 12, months % 12


@tracked()
class ConsumableItem(models.Model):
    """A consumable kept in stock (消耗品): paper, masks, disinfectant …"""

    name = models.CharField(_("name"), max_length=100)
    spec = models.CharField(_("specification"), max_length=100, blank=True)
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, null=True, blank=True, related_name="consumables", verbose_name=pgettext_lazy("asset", "category")
    )
    unit = models.CharField(_("unit"), max_length=10, default="个")
    unit_price = money(verbose_name=_("unit price"), default=ZERO)
    on_hand = models.IntegerField(_("on hand"), default=0)
    reorder_level = models.PositiveIntegerField(_("reorder level"), default=0)
    room = models.ForeignKey(
        "schools.Room", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("store room")
    )
    low_stock_notified_on = models.DateField(_("low stock notified on"), null=True, blank=True)

    class Meta:
        verbose_name = _("consumable item")
        verbose_name_plural = _("consumable items")
        ordering = ["name", "spec"]
        constraints = [
            models.UniqueConstraint(fields=["name", "spec"], name="consumable_name_spec_unique"),
            models.CheckConstraint(name="consumable_on_hand_not_negative", condition=Q(on_hand__gte=0)),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.spec}".strip()

    @property
    def is_low(self) -> bool:
        return self.on_hand <= self.reorder_level


@tracked()
class StockMovement(models.Model):
    """One line of the stock ledger: quantity in (+) or out (−), and the balance after it."""

    item = models.ForeignKey(ConsumableItem, on_delete=models.PROTECT, related_name="movements", verbose_name=_("item"))
    kind = models.CharField(_("kind"), max_length=8, choices=MovementKind.choices)
    quantity = models.IntegerField(_("quantity"))
    balance_after = models.IntegerField(_("balance after"), validators=[MinValueValidator(0)])
    unit_price = money(verbose_name=_("unit price"), default=ZERO)
    actor = user_fk(on_delete=models.PROTECT, related_name="+", verbose_name=_("by"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    reference = models.CharField(pgettext_lazy("stock movement", "reference"), max_length=60, blank=True)
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["item", "kind", "created_at"])]
        constraints = [models.CheckConstraint(name="movement_quantity_not_zero", condition=~Q(quantity=0))]

    def __str__(self) -> str:
        return f"{self.item} {self.quantity:+d}"


@tracked()
class PurchaseRequest(models.Model):
    """A purchase request (采购申请): lines, estimated amounts, approval chain by amount."""

    number = models.CharField(_("number"), max_length=20, unique=True)
    title = models.CharField(_("title"), max_length=100)
    department = models.ForeignKey(
        "schools.Department", on_delete=models.PROTECT, related_name="+", verbose_name=_("department")
    )
    # A person of the school, or (empty) a partner platform that sent the request through the API.
    requested_by = user_fk(
        on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("requested by")
    )
    # The partner's name as it was when it asked (kept for the ledger even if the client is renamed or removed),
    # and its client id (api.PartnerClient lives in the public schema: no foreign key across schemas).
    requested_by_partner = models.CharField(_("requested by partner"), max_length=100, blank=True)
    requested_by_client_id = models.PositiveIntegerField(_("partner client id"), null=True, blank=True, editable=False)
    reason = models.TextField(_("reason"))
    channel = models.CharField(
        _("procurement channel"), max_length=16, choices=ProcurementForm.choices, default=ProcurementForm.DECENTRALISED
    )
    funding_source = models.CharField(_("funding source"), max_length=50, blank=True)
    supplier = models.ForeignKey(
        Supplier, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("supplier")
    )
    status = models.CharField(_("status"), max_length=16, choices=PurchaseStatus.choices, default=PurchaseStatus.DRAFT)
    estimated_total = money(verbose_name=_("estimated total"), default=ZERO)
    # Technically complex goods are accepted in stages; they are booked at installation and commissioning only.
    staged_acceptance = models.BooleanField(_("complex goods: staged acceptance"), default=False)
    needs_bureau_approval = models.BooleanField(_("needs bureau approval"), default=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("purchase request")
        verbose_name_plural = _("purchase requests")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="purchase_has_requester",
                condition=Q(requested_by__isnull=False) | ~Q(requested_by_partner=""),
            )
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def requester_name(self) -> str:
        """Who asked, for the ledger: the person, or the partner that sent the request through the API."""
        if self.requested_by_id is not None:
            return str(self.requested_by)
        return _("%(partner)s (partner API)") % {"partner": self.requested_by_partner}


@tracked()
class PurchaseLine(models.Model):
    """One line of a purchase request and what acceptance made of it."""

    request = models.ForeignKey(PurchaseRequest, on_delete=models.CASCADE, related_name="lines", verbose_name=_("request"))
    name = models.CharField(_("name"), max_length=100)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="+", verbose_name=pgettext_lazy("asset", "category"))
    kind = models.CharField(_("kind"), max_length=12, choices=AssetKind.choices)
    spec = models.CharField(_("specification"), max_length=100, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    unit = models.CharField(_("unit"), max_length=10, default="台")
    estimated_unit_price = money(verbose_name=_("estimated unit price"))
    accepted_quantity = models.PositiveIntegerField(_("accepted"), default=0)
    rejected_quantity = models.PositiveIntegerField(_("rejected"), default=0)
    consumable_item = models.ForeignKey(
        ConsumableItem, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("stock item")
    )

    class Meta:
        verbose_name = _("purchase line")
        verbose_name_plural = _("purchase lines")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                name="line_not_over_accepted",
                condition=Q(accepted_quantity__lte=models.F("quantity") - models.F("rejected_quantity")),
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} × {self.quantity}"

    @property
    def estimated_amount(self) -> Decimal:
        return self.estimated_unit_price * self.quantity

    @property
    def open_quantity(self) -> int:
        return self.quantity - self.accepted_quantity - self.rejected_quantity


@tracked()
class PurchaseApproval(models.Model):
    """A decision on a purchase request, by the school or (above the bureau's limit) by the bureau."""

    request = models.ForeignKey(
        PurchaseRequest, on_delete=models.CASCADE, related_name="approvals", verbose_name=_("request")
    )
    level = models.CharField(pgettext_lazy("approval", "level"), max_length=8, choices=ApprovalLevel.choices)
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices)
    decided_by = user_fk(on_delete=models.PROTECT, related_name="+", verbose_name=_("decided by"))
    comment = models.CharField(_("comment"), max_length=200, blank=True)
    decided_at = models.DateTimeField(_("decided at"), default=timezone.now)

    class Meta:
        verbose_name = _("purchase approval")
        verbose_name_plural = _("purchase approvals")
        ordering = ["decided_at", "id"]
        constraints = [models.UniqueConstraint(fields=["request", "level"], name="one_decision_per_level")]


@tracked()
class Acceptance(models.Model):
    """An acceptance check (验收) of delivered goods against a purchase request."""

    request = models.ForeignKey(
        PurchaseRequest, on_delete=models.PROTECT, related_name="acceptances", verbose_name=_("request")
    )
    accepted_on = models.DateField(_("accepted on"), default=timezone.localdate)
    recorded_by = user_fk(on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by"))
    invoice_number = models.CharField(_("invoice number"), max_length=40, blank=True)
    room = models.ForeignKey(
        "schools.Room", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("delivered to room")
    )
    # 财库〔2016〕205号: the written acceptance plan, the stage of a staged acceptance of complex goods, and when a
    # procurement agent did the acceptance, the buyer's written confirmation of its result.
    plan = models.TextField(_("acceptance plan"), blank=True)
    stage = models.CharField(_("acceptance stage"), max_length=14, choices=AcceptanceStage.choices, blank=True,
                             default=AcceptanceStage.SINGLE)
    agent = models.CharField(_("procurement agent that accepted"), max_length=100, blank=True)
    buyer_confirmation = models.TextField(_("buyer's written confirmation"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("acceptance")
        verbose_name_plural = _("acceptances")
        ordering = ["-accepted_on", "-id"]


@tracked()
class AcceptanceMember(models.Model):
    """A member of the acceptance group; the actual user of the goods must be one of them."""

    acceptance = models.ForeignKey(Acceptance, on_delete=models.CASCADE, related_name="members")
    user = user_fk(on_delete=models.PROTECT, related_name="+", verbose_name=_("member"))
    is_actual_user = models.BooleanField(_("actual user"), default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["acceptance", "user"], name="acceptance_member_once")]


@tracked()
class AcceptanceLine(models.Model):
    """Per line of the request: how many were accepted and how many rejected this time."""

    acceptance = models.ForeignKey(Acceptance, on_delete=models.CASCADE, related_name="lines")
    line = models.ForeignKey(PurchaseLine, on_delete=models.PROTECT, related_name="acceptance_lines")
    accepted_quantity = models.PositiveIntegerField(_("accepted"), default=0)
    rejected_quantity = models.PositiveIntegerField(_("rejected"), default=0)
    unit_price = money(verbose_name=_("actual unit price"))
    note = models.CharField(_("note"), max_length=200, blank=True)


@tracked()
class Requisition(models.Model):
    """A requisition (领用) of a consumable: approved, issued, and confirmed by the receiver."""

    item = models.ForeignKey(ConsumableItem, on_delete=models.PROTECT, related_name="requisitions", verbose_name=_("item"))
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    requester = user_fk(on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by"))
    department = models.ForeignKey(
        "schools.Department", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("department"),
    )
    reason = models.CharField(_("reason"), max_length=200)
    status = models.CharField(
        _("status"), max_length=10, choices=RequisitionStatus.choices, default=RequisitionStatus.PENDING
    )
    approved_by = user_fk(
        on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("approved by")
    )
    movement = models.OneToOneField(
        StockMovement, on_delete=models.PROTECT, null=True, blank=True, related_name="requisition"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)

    class Meta:
        verbose_name = _("requisition")
        verbose_name_plural = _("requisitions")
        ordering = ["-created_at", "-id"]


@tracked()
class Loan(models.Model):
    """A loan (借用) of an asset to a person, with its due date, return and condition."""

    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="loans", verbose_name=_("asset"))
    borrower = user_fk(on_delete=models.PROTECT, related_name="+", verbose_name=_("borrower"))
    lent_by = user_fk(on_delete=models.PROTECT, related_name="+", verbose_name=_("lent by"))
    purpose = models.CharField(_("purpose"), max_length=200, blank=True)
    lent_on = models.DateField(_("lent on"), default=timezone.localdate)
    due_on = models.DateField(pgettext_lazy("loan", "due on"))
    returned_on = models.DateField(_("returned on"), null=True, blank=True)
    return_condition = models.CharField(_("condition on return"), max_length=200, blank=True)
    received_by = user_fk(
        on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("received by")
    )
    overdue_notified_on = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name = _("loan")
        verbose_name_plural = _("loans")
        ordering = ["-lent_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["asset"], condition=Q(returned_on__isnull=True), name="one_open_loan_per_asset"),
            models.CheckConstraint(name="loan_due_after_lent", condition=Q(due_on__gte=models.F("lent_on"))),
        ]

    @property
    def is_overdue(self) -> bool:
        return self.returned_on is None and self.due_on < timezone.localdate()


@tracked()
class LoanRequest(models.Model):
    """A member of staff asks to borrow an asset; the custodian lends it (or says why not)."""

    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="loan_requests", verbose_name=_("asset"))
    requester = user_fk(on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by"))
    purpose = models.CharField(_("purpose"), max_length=200)
    due_on = models.DateField(pgettext_lazy("loan", "due on"))
    status = models.CharField(_("status"), max_length=10, choices=TransferStatus.choices, default=TransferStatus.PENDING)
    decided_by = user_fk(
        on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("decided by")
    )
    loan = models.OneToOneField(Loan, on_delete=models.PROTECT, null=True, blank=True, related_name="request")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("loan request")
        verbose_name_plural = _("loan requests")
        ordering = ["-created_at", "-id"]


@tracked()
class Transfer(models.Model):
    """A transfer of custody between departments, rooms or users, confirmed by the logistics office."""

    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="transfers", verbose_name=_("asset"))
    from_department = models.ForeignKey(
        "schools.Department", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("from department"),
    )
    from_room = models.ForeignKey(
        "schools.Room", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("from room")
    )
    from_user = user_fk(
        on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("from user")
    )
    to_department = models.ForeignKey(
        "schools.Department", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("to department"),
    )
    to_room = models.ForeignKey(
        "schools.Room", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("to room")
    )
    to_user = user_fk(
        on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("to user")
    )
    reason = models.CharField(_("reason"), max_length=200)
    requested_by = user_fk(on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by"))
    status = models.CharField(_("status"), max_length=10, choices=TransferStatus.choices, default=TransferStatus.PENDING)
    confirmed_by = user_fk(
        on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("confirmed by")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")
        ordering = ["-created_at", "-id"]


@tracked()
class Disposal(models.Model):
    """A disposal (调剂/捐赠/变卖/报损/报废); early scrapping needs a justification and higher approval."""

    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="disposals", verbose_name=_("asset"))
    method = models.CharField(_("method"), max_length=12, choices=DisposalMethod.choices)
    reason = models.CharField(_("reason"), max_length=200)
    justification = models.TextField(_("justification for early disposal"), blank=True)
    is_early = models.BooleanField(_("before minimum service life"), default=False)
    proceeds = money(verbose_name=_("proceeds"), default=ZERO)
    status = models.CharField(_("status"), max_length=10, choices=DisposalStatus.choices, default=DisposalStatus.PENDING)
    requested_by = user_fk(on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by"))
    decided_by = user_fk(
        on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("decided by")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("disposal")
        verbose_name_plural = _("disposals")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["asset"], condition=~Q(status=DisposalStatus.REJECTED), name="one_live_disposal_per_asset"
            )
        ]


@tracked()
class Stocktake(models.Model):
    """A stocktake (盘点) plan: which rooms are counted, by scanning each asset's QR label."""

    name = models.CharField(_("name"), max_length=100)
    planned_on = models.DateField(_("planned on"), default=timezone.localdate)
    rooms = models.ManyToManyField("schools.Room", related_name="+", verbose_name=pgettext_lazy("stocktake", "rooms"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=StocktakeStatus.choices, default=StocktakeStatus.COUNTING)
    created_by = user_fk(on_delete=models.PROTECT, related_name="+", verbose_name=_("created by"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("stocktake")
        verbose_name_plural = _("stocktakes")
        ordering = ["-planned_on", "-id"]

    def __str__(self) -> str:
        return self.name


@tracked()
class StocktakeScan(models.Model):
    """One label scanned in one room during a stocktake (an unknown code is kept as 盘盈)."""

    stocktake = models.ForeignKey(Stocktake, on_delete=models.CASCADE, related_name="scans")
    room = models.ForeignKey("schools.Room", on_delete=models.PROTECT, related_name="+", verbose_name=_("room"))
    code = models.CharField(_("scanned code"), max_length=60)
    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    finding = models.CharField(_("finding"), max_length=10, choices=Finding.choices, default=Finding.OK)
    booked_room = models.ForeignKey(
        "schools.Room", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("booked room")
    )
    # What the counter saw, for an item not on the books (it becomes the draft card's name).
    description = models.CharField(_("description"), max_length=200, blank=True)
    # The loan open when an asset out on loan was scanned: who has it and until when, as it was then.
    loan = models.ForeignKey("Loan", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    scanned_by = user_fk(on_delete=models.PROTECT, related_name="+")
    scanned_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["stocktake", "code"], name="scan_once_per_stocktake")]


@tracked()
class StocktakeResolution(models.Model):
    """What was done about one discrepancy of a stocktake."""

    stocktake = models.ForeignKey(Stocktake, on_delete=models.CASCADE, related_name="resolutions")
    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    code = models.CharField(_("code"), max_length=60)
    action = models.CharField(_("action"), max_length=10, choices=Resolution.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)
    # The loan of an asset that was out when counting finished, and the disposal proposed for a missing one.
    loan = models.ForeignKey("Loan", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    disposal = models.ForeignKey("Disposal", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    # The open work order of an asset away at its repair when counting finished (its reference: repairs owns the
    # orders and imports assets, so no foreign key points back at it).
    work_order_reference = models.CharField(pgettext_lazy("work order", "reference"), max_length=20, blank=True)
    actor = user_fk(on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["stocktake", "code"], name="resolve_once_per_code")]


@tracked()
class AssetDraft(models.Model):
    """A card to complete for an item a stocktake found that is not on the books (盘盈): booked once completed."""

    stocktake = models.ForeignKey(Stocktake, on_delete=models.CASCADE, related_name="drafts", verbose_name=_("stocktake"))
    code = models.CharField(_("scanned code"), max_length=60)
    description = models.CharField(_("description"), max_length=200, blank=True)
    room = models.ForeignKey("schools.Room", on_delete=models.PROTECT, related_name="+", verbose_name=_("room"))
    created_by = user_fk(on_delete=models.PROTECT, related_name="+", verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    asset = models.OneToOneField(
        Asset, on_delete=models.PROTECT, null=True, blank=True, related_name="stocktake_draft", verbose_name=_("asset")
    )
    completed_by = user_fk(on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("draft asset card")
        verbose_name_plural = _("draft asset cards")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["stocktake", "code"], name="one_draft_per_found_item")]

    def __str__(self) -> str:
        return self.description or self.code


@tracked()
class StocktakeSignature(models.Model):
    """A counter's signature under a finished stocktake's result."""

    stocktake = models.ForeignKey(Stocktake, on_delete=models.CASCADE, related_name="signatures")
    signer = user_fk(on_delete=models.PROTECT, related_name="+", verbose_name=_("signed by"))
    signed_at = models.DateTimeField(_("signed at"), default=timezone.now)

    class Meta:
        ordering = ["signed_at", "id"]
        constraints = [models.UniqueConstraint(fields=["stocktake", "signer"], name="sign_once_per_stocktake")]


class Reclassification(models.Model):
    """One card whose kind was corrected to the register's rules: the re-classification report the custodian confirms.

    Written by the data migration that re-read every card after the kind rules were fixed (a library book of ¥5,000
    with life 0 had been booked as a consumable), and by `asset_kinds_reclassify` when the thresholds change.
    """

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="reclassifications",
                              verbose_name=_("asset"))
    old_kind = models.CharField(_("booked as"), max_length=12, choices=AssetKind.choices)
    new_kind = models.CharField(_("re-classified as"), max_length=12, choices=AssetKind.choices)
    rule = models.CharField(_("rule"), max_length=80)
    unit_price = money(verbose_name=_("unit price"), default=ZERO)
    reason = models.CharField(_("reason"), max_length=300)
    source = models.CharField(_("source"), max_length=60)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    confirmed_by = user_fk(on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                           verbose_name=_("confirmed by"))
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("re-classification")
        verbose_name_plural = _("re-classifications")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["confirmed_at", "created_at"])]

    def __str__(self) -> str:
        return f"{self.asset_id}: {self.old_kind} → {self.new_kind}"
