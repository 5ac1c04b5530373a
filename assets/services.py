"""Writes: every business action on a school's property, one transaction each."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

import pghistory
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from api.choices import Event
from api.webhooks import event_emit
from schools.models import Department, Room
from tenants.access import bureau_roles, school_roles
from tenants.models import Bureau, School, User
from tenants.notifications import notify
from tenants.services import school_metrics_request_refresh

from .choices import (
    ApprovalLevel,
    AssetKind,
    Condition,
    Decision,
    DisposalMethod,
    DisposalStatus,
    Finding,
    MovementKind,
    PurchaseStatus,
    RequisitionStatus,
    Resolution,
    StocktakeStatus,
    TransferStatus,
)
from .models import (
    Acceptance,
    AcceptanceLine,
    AcceptanceMember,
    Asset,
    AssetDraft,
    AssetNumberCounter,
    Category,
    ConsumableItem,
    Disposal,
    Loan,
    LoanRequest,
    PurchaseApproval,
    PurchaseLine,
    PurchaseRequest,
    Requisition,
    StockMovement,
    Stocktake,
    StocktakeResolution,
    StocktakeScan,
    StocktakeSignature,
    Supplier,
    Transfer,
)
from .roles import APPROVERS, BUREAU_APPROVERS, MANAGERS, PRINCIPALS

if TYPE_CHECKING:
    from api.models import PartnerClient

DEFAULT_FIXED_THRESHOLD = Decimal("1000.00")
DEFAULT_SPECIAL_THRESHOLD = Decimal("1500.00")
DEFAULT_PROCUREMENT_LIMIT = Decimal("50000.00")


# ---------------------------------------------------------------- context


def current_school() -> School | None:
    tenant = getattr(connection, "tenant", None)
    return tenant if isinstance(tenant, School) else None


def current_bureau() -> Bureau | None:
    school = current_school()
    return school.bureau if school is not None else None


def _require_school_role(user: User, roles) -> None:
    if not (school_roles(user, current_school()) & set(roles)):
        raise PermissionDenied(_("Your role here does not allow this."))


def _is_bureau_approver(user: User) -> bool:
    return bool(bureau_roles(user, current_bureau()) & BUREAU_APPROVERS)


def _notify_bureau(*, title: str, path: str, dedupe_key: str) -> None:
    """Tell the bureau's approvers that something of this school waits for them (they act on its host)."""
    from tenants.models import Membership

    school = current_school()
    if school is None:
        return
    approvers = [
        m.user
        for m in Membership.objects.active().filter(bureau=school.bureau, role__in=BUREAU_APPROVERS).select_related("user")
    ]
    if approvers:
        notify(kind="assets.bureau_approval", title=f"{school.name}：{title}", url=school.url(path), users=approvers,
               school=school, dedupe_key=dedupe_key)


def _refresh() -> None:
    school_metrics_request_refresh()


# ---------------------------------------------------------------- categories and kinds




def kind_threshold(category: Category) -> tuple[str, Decimal]:
    """The rule and the unit price from which an asset of the category is a fixed asset (the bureau's value)."""
    from core.rules import rule_limit

    code = "assets.special_threshold" if category.is_special_equipment else "assets.fixed_threshold"
    limit = rule_limit(code, bureau=current_bureau())
    if limit is None:
        limit = DEFAULT_SPECIAL_THRESHOLD if category.is_special_equipment else DEFAULT_FIXED_THRESHOLD
    return code, Decimal(limit)


def category_is_durable(category: Category) -> bool:
    """Lasts over a year (assets.categories.is_durable: life 0 of a not-depreciated class is durable)."""
    from .categories import is_durable

    return is_durable(code=category.code, life=category.service_life_years)


def asset_kind_for(*, category: Category, unit_price: Decimal) -> str:
    """固定资产 when it lasts over a year and the unit price reaches the bureau's threshold; else 低值易耗品 / 消耗品."""
    if not category_is_durable(category):
        return AssetKind.CONSUMABLE
    _code, threshold = kind_threshold(category)
    return AssetKind.FIXED if Decimal(unit_price or 0) >= threshold else AssetKind.LOW_VALUE


def asset_kind_check(*, category: Category, unit_price: Decimal, kind: str, field_name: str = "kind") -> None:
    """Refuse a kind given by hand that the thresholds forbid: a ¥10 pen as fixed, a ¥5,000 durable as low-value."""
    from core.rules import rule_error

    if kind not in AssetKind.values:
        raise ValidationError({field_name: _("Unknown kind.")})
    price = Decimal(unit_price or 0)
    code, threshold = kind_threshold(category)
    durable = category_is_durable(category)
    if kind == AssetKind.FIXED and not durable:
        raise rule_error(code, _("%(category)s does not last over a year, so it cannot be a fixed asset.")
                         % {"category": category}, field_name=field_name)
    if kind == AssetKind.FIXED and price < threshold:
        raise rule_error(code, _("a unit price of ¥%(price)s is below the fixed asset threshold of ¥%(threshold)s; "
                                 "book it as a low-value durable or a consumable.")
                         % {"price": price, "threshold": threshold}, field_name=field_name)
    if kind != AssetKind.FIXED and durable and price >= threshold:
        raise rule_error(code, _("a durable item of ¥%(price)s reaches the fixed asset threshold of ¥%(threshold)s; "
                                 "book it as a fixed asset.")
                         % {"price": price, "threshold": threshold}, field_name=field_name)


@transaction.atomic
def category_table_import(*, rows: Sequence[dict], actor: User) -> int:
    """Import (create or update) category rows of the full GB/T 14885-2022 table.

    Codes must be of the 2022 form (A + eight digits, rule assets.category_code) and sit under their
    structural parent; a row that leaves the parent empty gets it from the code. All-digit codes (the
    2010 edition, or a bureau's own table) are refused.
    """
    from core.rules import rule_error

    from .categories import category_rows_upsert, code_shape_ok, is_gbt_2022_code, structural_parent

    _require_school_role(actor, MANAGERS)
    errors = []
    rows = [dict(row) for row in rows]
    codes = {str(r.get("code") or "").strip() for r in rows}
    for index, row in enumerate(rows, start=2):
        code = str(row.get("code") or "").strip()
        if not code_shape_ok(code):
            detail = _("row %(row)s: %(code)s is not a GB/T 14885-2022 code (A and eight digits, e.g. A02010105).")
            errors.append(rule_error("assets.category_code", detail % {"row": index, "code": code or "—"}).messages[0])
        if not str(row.get("name") or "").strip():
            errors.append(_("Row %(row)s: the name is missing.") % {"row": index})
        parent = str(row.get("parent") or "").strip()
        if is_gbt_2022_code(code):
            expected = structural_parent(code)
            if not parent:
                parent = row["parent"] = expected
            elif parent != expected:
                errors.append(_("Row %(row)s: code %(code)s belongs under %(expected)s, not %(parent)s.")
                              % {"row": index, "code": code, "expected": expected or "—", "parent": parent})
        if parent and parent not in codes and not Category.objects.filter(code=parent).exists():
            errors.append(_("Row %(row)s: unknown parent code %(code)s.") % {"row": index, "code": parent})
        try:
            int(row.get("service_life_years") or 0)
        except (TypeError, ValueError):
            errors.append(_("Row %(row)s: the service life must be a whole number of years.") % {"row": index})
    if errors:
        raise ValidationError(errors)
    return category_rows_upsert(rows, model=Category)


@transaction.atomic
def supplier_create(*, name: str, contact: str = "", phone: str = "") -> Supplier:
    """Register a supplier."""
    supplier = Supplier(name=name, contact=contact, phone=phone)
    supplier.full_clean()
    supplier.save()
    return supplier


@transaction.atomic
def asset_kinds_reclassify(*, source: str) -> list:
    """Re-read every card's kind by the register's rules; correct the ones booked wrongly, each with a report row.

    The custodian sees the rows (assets:reclassifications) and confirms them; nothing else about the card changes.
    """
    from .models import Reclassification

    made = []
    for asset in Asset.objects.select_related("category").select_for_update(of=("self",)).order_by("pk"):
        kind = asset_kind_for(category=asset.category, unit_price=asset.unit_price)
        if kind == asset.kind or (kind == AssetKind.CONSUMABLE and asset.kind == AssetKind.LOW_VALUE):
            continue
        code, threshold = kind_threshold(asset.category)
        reason = _("%(category)s, unit price ¥%(price)s, fixed asset threshold ¥%(threshold)s") % {
            "category": asset.category, "price": asset.unit_price, "threshold": threshold}
        made.append(Reclassification(asset=asset, old_kind=asset.kind, new_kind=kind, rule=code,
                                     unit_price=asset.unit_price, reason=reason[:300], source=source))
        with pghistory.context(reason=str(reason)):
            Asset.objects.filter(pk=asset.pk).update(kind=kind)
    Reclassification.objects.bulk_create(made)
    if made:
        _refresh()
    return made


@transaction.atomic
def reclassifications_confirm(*, actor: User, ids: Sequence[int] | None = None) -> int:
    """The custodian confirms the re-classification report (all pending rows, or the ones named)."""
    from .models import Reclassification

    _require_school_role(actor, MANAGERS)
    pending = Reclassification.objects.filter(confirmed_at__isnull=True)
    if ids is not None:
        pending = pending.filter(pk__in=list(ids))
    return pending.update(confirmed_by=actor, confirmed_at=timezone.now())


# ---------------------------------------------------------------- asset cards


def asset_numbers_allocate(*, count: int, year: int | None = None) -> list[str]:
    """Reserve `count` consecutive asset numbers of the year (YYYY + 6 digits)."""
    year = year or timezone.localdate().year
    AssetNumberCounter.objects.get_or_create(year=year)
    counter = AssetNumberCounter.objects.select_for_update().get(year=year)
    start = counter.last + 1
    counter.last += count
    counter.save(update_fields=["last"])
    return [f"{year}{n:06d}" for n in range(start, start + count)]


ASSET_FIELDS = (
    "name", "category", "kind", "brand", "model", "spec", "serial_number", "unit_price", "quantity", "unit",
    "original_value", "booked_on", "invoice_number", "funding_source", "procurement_form", "supplier",
    "warranty_end", "department", "user", "use", "room", "condition", "service_life_years", "notes",
)


@transaction.atomic
def asset_create(*, actor: User, asset_number: str = "", **fields) -> Asset:
    """Book a new asset card; the number is generated when not given, the kind from the thresholds."""
    unknown = set(fields) - set(ASSET_FIELDS) - {"purchase_line"}
    if unknown:
        raise TypeError(f"unknown asset fields {sorted(unknown)}")
    asset = Asset(**fields)
    if not asset.asset_number:
        asset.asset_number = asset_number or asset_numbers_allocate(count=1)[0]
    if not fields.get("original_value"):
        asset.original_value = (asset.unit_price or Decimal("0")) * (asset.quantity or 1)
    if not fields.get("kind") and asset.category_id:
        asset.kind = asset_kind_for(category=asset.category, unit_price=asset.unit_price)
    elif asset.category_id:
        asset_kind_check(category=asset.category, unit_price=asset.unit_price, kind=asset.kind)
    asset.full_clean()
    asset.save()
    _refresh()
    return asset


@transaction.atomic
def asset_update(*, asset: Asset, actor: User, **fields) -> Asset:
    """Correct an asset card's fields (each change is kept in its history)."""
    for key, value in fields.items():
        if key not in ASSET_FIELDS:
            raise TypeError(f"unknown asset field {key}")
        setattr(asset, key, value)
    if {"kind", "unit_price", "category"} & set(fields) and asset.category_id:
        asset_kind_check(category=asset.category, unit_price=asset.unit_price, kind=asset.kind)
    asset.full_clean()
    asset.save()
    _refresh()
    return asset


@transaction.atomic
def asset_condition_set(*, asset: Asset, condition: str, actor: User, reason: str) -> Asset:
    """Set an asset's condition (in use, idle, lent, under repair, disposed, lost), with the reason in its history."""
    if condition not in Condition.values:
        raise ValidationError({"condition": _("Unknown condition.")})
    asset = Asset.objects.select_for_update().get(pk=asset.pk)
    if asset.condition == Condition.DISPOSED and condition != Condition.DISPOSED:
        raise ValidationError({"condition": _("A disposed asset cannot be put back in service.")})
    with pghistory.context(reason=reason, actor=actor.pk):
        asset.condition = condition
        if condition == Condition.DISPOSED and asset.disposed_on is None:
            asset.disposed_on = timezone.localdate()
        asset.save(update_fields=["condition", "disposed_on"])
    _refresh()
    return asset


# ---------------------------------------------------------------- consumables


@transaction.atomic
def consumable_item_create(
    *, name: str, unit: str, actor: User, spec: str = "", category: Category | None = None,
    unit_price: Decimal = Decimal("0"), reorder_level: int = 0, room: Room | None = None,
) -> ConsumableItem:
    """Add a consumable to the stock list (on hand starts at zero)."""
    item = ConsumableItem(
        name=name, spec=spec, unit=unit, category=category, unit_price=unit_price, reorder_level=reorder_level, room=room
    )
    item.full_clean()
    item.save()
    return item


def _movement(*, item: ConsumableItem, kind: str, quantity: int, actor: User, reason: str, reference: str,
              unit_price: Decimal | None = None) -> StockMovement:
    locked = ConsumableItem.objects.select_for_update().get(pk=item.pk)
    balance = locked.on_hand + quantity
    if balance < 0:
        raise ValidationError(
            {"quantity": _("Only %(on_hand)s %(unit)s of %(item)s in stock; cannot issue %(quantity)s.")
             % {"on_hand": locked.on_hand, "unit": locked.unit, "item": locked, "quantity": -quantity}}
        )
    movement = StockMovement(
        item=locked, kind=kind, quantity=quantity, balance_after=balance, actor=actor, reason=reason,
        reference=reference, unit_price=locked.unit_price if unit_price is None else unit_price,
    )
    movement.full_clean()
    movement.save()
    ConsumableItem.objects.filter(pk=locked.pk).update(on_hand=F("on_hand") + quantity)
    item.on_hand = balance
    _refresh()
    return movement


@transaction.atomic
def consumable_receive(
    *, item: ConsumableItem, quantity: int, actor: User, reason: str, reference: str = "",
    unit_price: Decimal | None = None,
) -> StockMovement:
    """Put stock in (入库)."""
    if quantity <= 0:
        raise ValidationError({"quantity": _("The quantity must be positive.")})
    if unit_price is not None and unit_price != item.unit_price:
        ConsumableItem.objects.filter(pk=item.pk).update(unit_price=unit_price)
        item.unit_price = unit_price
    return _movement(item=item, kind=MovementKind.IN, quantity=quantity, actor=actor, reason=reason,
                     reference=reference, unit_price=unit_price)


@transaction.atomic
def consumable_issue(*, item: ConsumableItem, quantity: int, actor: User, reason: str, reference: str = "") -> StockMovement:
    """Take stock out (出库); refuses to issue more than is on hand."""
    if quantity <= 0:
        raise ValidationError({"quantity": _("The quantity must be positive.")})
    return _movement(item=item, kind=MovementKind.OUT, quantity=-quantity, actor=actor, reason=reason, reference=reference)


@transaction.atomic
def consumable_adjust(*, item: ConsumableItem, counted: int, actor: User, reason: str) -> StockMovement | None:
    """Bring the books to a physical count (an adjustment line with the difference)."""
    locked = ConsumableItem.objects.select_for_update().get(pk=item.pk)
    delta = counted - locked.on_hand
    if delta == 0:
        return None
    return _movement(item=locked, kind=MovementKind.ADJUST, quantity=delta, actor=actor, reason=reason, reference="")


def consumables_low_stock_notify(*, today: dt.date | None = None, lead_days: int = 14) -> int:
    """Tell the custodians which items will run out soon at the actual rate of use; once a day per item."""
    from .selectors import consumables_running_low

    today = today or timezone.localdate()
    count = 0
    for item, rate in consumables_running_low(lead_days=lead_days, on=today):
        if item.low_stock_notified_on == today:
            continue
        days_left = (Decimal(item.on_hand) / rate).quantize(Decimal("1")) if rate > 0 else None
        notify(
            kind="assets.low_stock",
            title=_("Low stock: %(item)s, %(n)s %(unit)s left") % {"item": item, "n": item.on_hand, "unit": item.unit},
            body=_("About %(days)s days left at the current rate of use.") % {"days": days_left} if days_left is not None else "",
            url=f"/assets/consumables/{item.pk}/", roles=list(MANAGERS), dedupe_key=f"low-stock-{item.pk}-{today}",
        )
        ConsumableItem.objects.filter(pk=item.pk).update(low_stock_notified_on=today)
        count += 1
    return count


# ---------------------------------------------------------------- requisitions


@transaction.atomic
def requisition_create(
    *, item: ConsumableItem, quantity: int, requester: User, reason: str, department: Department | None = None
) -> Requisition:
    """A member of staff asks for a consumable (领用申请)."""
    requisition = Requisition(item=item, quantity=quantity, requester=requester, reason=reason, department=department)
    requisition.full_clean()
    requisition.save()
    notify(
        kind="assets.requisition", title=_("Requisition to approve: %(item)s × %(n)s") % {"item": item, "n": quantity},
        url=f"/assets/requisitions/{requisition.pk}/", roles=list(APPROVERS), dedupe_key=f"requisition-{requisition.pk}",
    )
    return requisition


@transaction.atomic
def requisition_decide(*, requisition: Requisition, actor: User, approve: bool) -> Requisition:
    """Approve or reject a pending requisition."""
    _require_school_role(actor, APPROVERS)
    requisition = Requisition.objects.select_for_update().get(pk=requisition.pk)
    if requisition.status != RequisitionStatus.PENDING:
        raise ValidationError(_("This requisition has already been decided."))
    requisition.status = RequisitionStatus.APPROVED if approve else RequisitionStatus.REJECTED
    requisition.approved_by = actor
    requisition.save(update_fields=["status", "approved_by"])
    return requisition


@transaction.atomic
def requisition_issue(*, requisition: Requisition, actor: User) -> Requisition:
    """The custodian hands the approved goods out; the stock goes down."""
    _require_school_role(actor, MANAGERS)
    requisition = Requisition.objects.select_for_update().get(pk=requisition.pk)
    if requisition.status != RequisitionStatus.APPROVED:
        raise ValidationError(_("Only an approved requisition can be issued."))
    requisition.movement = consumable_issue(
        item=requisition.item, quantity=requisition.quantity, actor=actor,
        reason=_("Requisition by %(who)s") % {"who": requisition.requester}, reference=f"LY{requisition.pk}",
    )
    requisition.status = RequisitionStatus.ISSUED
    requisition.save(update_fields=["movement", "status"])
    return requisition


@transaction.atomic
def requisition_confirm(*, requisition: Requisition, actor: User) -> Requisition:
    """The receiver confirms they got the goods."""
    requisition = Requisition.objects.select_for_update().get(pk=requisition.pk)
    if requisition.requester_id != actor.pk:
        raise PermissionDenied(_("Only the person who asked can confirm receipt."))
    if requisition.status != RequisitionStatus.ISSUED:
        raise ValidationError(_("Nothing has been issued on this requisition yet."))
    requisition.status = RequisitionStatus.RECEIVED
    requisition.received_at = timezone.now()
    requisition.save(update_fields=["status", "received_at"])
    return requisition


# ---------------------------------------------------------------- procurement


@dataclass
class LineInput:
    name: str
    category: Category
    quantity: int
    estimated_unit_price: Decimal
    unit: str = "台"
    spec: str = ""
    kind: str = ""
    consumable_item: ConsumableItem | None = None


def _check_lines(lines: Sequence[LineInput]) -> None:
    """Every line asks for at least one item at a price that is a real, non-negative amount."""
    errors = []
    for number, line in enumerate(lines, start=1):
        if line.quantity is None or line.quantity < 1:
            errors.append(_("Line %(n)s: the quantity must be at least 1.") % {"n": number})
        price = line.estimated_unit_price
        if price is None or not Decimal(price).is_finite() or Decimal(price) < 0:
            errors.append(_("Line %(n)s: the estimated unit price cannot be negative.") % {"n": number})
    if errors:
        raise ValidationError({"lines": errors})


def _next_number(prefix: str, model) -> str:
    today = timezone.localdate()
    stem = f"{prefix}{today:%Y%m}"
    count = model.objects.filter(number__startswith=stem).count()
    return f"{stem}{count + 1:04d}"


@transaction.atomic
def purchase_request_create(
    *, actor: User | None, department: Department, title: str, reason: str, channel: str, lines: Sequence[LineInput],
    funding_source: str = "", supplier: Supplier | None = None, partner: PartnerClient | None = None,
    staged_acceptance: bool = False,
) -> PurchaseRequest:
    """Draft a purchase request with its lines, asked by a person of the school or by a partner platform.

    `partner`: the client of a token the API already checked for this school's grant and assets:write;
    the request then records the partner (its name shows in the ledger) instead of a person.
    """
    if partner is None and actor is None:
        raise PermissionDenied(_("Your role here does not allow this."))
    if not lines:
        raise ValidationError({"lines": _("Add at least one line.")})
    _check_lines(lines)
    request = PurchaseRequest(
        number=_next_number("CG", PurchaseRequest), title=title, department=department,
        requested_by=actor if partner is None else None,
        requested_by_partner=partner.name[:100] if partner is not None else "",
        requested_by_client_id=partner.pk if partner is not None else None,
        reason=reason, channel=channel, funding_source=funding_source, supplier=supplier,
        staged_acceptance=staged_acceptance,
    )
    request.full_clean()
    request.save()
    total = Decimal("0")
    for data in lines:
        # The kind planned from the estimate; acceptance books by the accepted price (_accepted_kind).
        if data.kind:
            asset_kind_check(category=data.category, unit_price=data.estimated_unit_price, kind=data.kind,
                             field_name="lines")
        line = PurchaseLine(
            request=request, name=data.name, category=data.category, quantity=data.quantity, unit=data.unit,
            spec=data.spec, estimated_unit_price=data.estimated_unit_price, consumable_item=data.consumable_item,
            kind=data.kind or asset_kind_for(category=data.category, unit_price=data.estimated_unit_price),
        )
        line.full_clean()
        line.save()
        total += line.estimated_amount
    request.estimated_total = total
    request.save(update_fields=["estimated_total"])
    return request


@transaction.atomic
def purchase_request_submit(
    *, request: PurchaseRequest, actor: User | None, partner: PartnerClient | None = None
) -> PurchaseRequest:
    """Send a draft for approval; above the bureau's limit it will also need the bureau.

    The requester or a manager submits; a partner (`partner`, checked by the API) submits only what it sent.
    """
    request = PurchaseRequest.objects.select_for_update().get(pk=request.pk)
    if partner is not None:
        if request.requested_by_client_id != partner.pk:
            raise PermissionDenied(_("A partner may submit only the purchase requests it sent."))
    elif actor is None or (
        request.requested_by_id != actor.pk and not (school_roles(actor, current_school()) & MANAGERS)
    ):
        raise PermissionDenied(_("Your role here does not allow this."))
    if request.status != PurchaseStatus.DRAFT:
        raise ValidationError(_("Only a draft can be submitted."))
    bureau = current_bureau()
    limit = bureau.procurement_approval_limit if bureau else DEFAULT_PROCUREMENT_LIMIT
    request.needs_bureau_approval = request.estimated_total > limit
    request.status = PurchaseStatus.SUBMITTED
    request.submitted_at = timezone.now()
    request.save(update_fields=["needs_bureau_approval", "status", "submitted_at"])
    notify(
        kind="assets.purchase", title=_("Purchase request to approve: %(title)s") % {"title": request.title},
        url=f"/assets/purchases/{request.pk}/", roles=list(PRINCIPALS), dedupe_key=f"purchase-submit-{request.pk}",
    )
    return request


@transaction.atomic
def purchase_request_decide(*, request: PurchaseRequest, actor: User, approve: bool, comment: str = "") -> PurchaseRequest:
    """The principal decides, then (above the limit) a bureau approver from the school's bureau."""
    request = PurchaseRequest.objects.select_for_update().get(pk=request.pk)
    if request.status == PurchaseStatus.SUBMITTED:
        _require_school_role(actor, PRINCIPALS)
        level = ApprovalLevel.SCHOOL
    elif request.status == PurchaseStatus.BUREAU_PENDING:
        if not _is_bureau_approver(actor):
            raise PermissionDenied(_("Only the bureau can approve purchases above its limit."))
        level = ApprovalLevel.BUREAU
    else:
        raise ValidationError(_("This request is not awaiting a decision."))
    if not approve and not comment.strip():
        raise ValidationError({"comment": _("Say why the request is rejected.")})
    approval = PurchaseApproval.objects.create(
        request=request, level=level, decision=Decision.APPROVED if approve else Decision.REJECTED,
        decided_by=actor, comment=comment,
    )
    if not approve:
        request.status = PurchaseStatus.REJECTED
    elif level == ApprovalLevel.SCHOOL and request.needs_bureau_approval:
        request.status = PurchaseStatus.BUREAU_PENDING
    else:
        request.status = PurchaseStatus.APPROVED
    request.save(update_fields=["status"])
    if request.status == PurchaseStatus.BUREAU_PENDING:
        _notify_bureau(title=_("Purchase request to approve: %(title)s") % {"title": request.title},
                       path=f"/assets/purchases/{request.pk}/", dedupe_key=f"purchase-bureau-{request.pk}")
    # A partner's request has no person behind it: the school's managers follow it up instead.
    requester = {"users": [request.requested_by]} if request.requested_by_id else {"roles": list(MANAGERS)}
    notify(
        kind="assets.purchase", title=_("Purchase request %(number)s: %(status)s")
        % {"number": request.number, "status": request.get_status_display()},
        url=f"/assets/purchases/{request.pk}/", dedupe_key=f"purchase-{request.pk}-{request.status}", **requester,
    )
    if request.status == PurchaseStatus.APPROVED:
        # In this transaction: the delivery rows vanish with a rollback and are sent only after commit.
        _emit(Event.PURCHASE_REQUEST_APPROVED, purchase_request_event_data(request, approved_at=approval.decided_at))
    return request


# ---------------------------------------------------------------- webhook events


def _global_id(type_name: str, pk: int) -> str:
    """The GraphQL global id of a row as partners see it: base64 of "<TypeName>:<pk>" (strawberry relay)."""
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def _amount(value: Decimal) -> str:
    """Money in an event: a string with two decimals, never a float."""
    return str(Decimal(value).quantize(Decimal("0.01")))


def _emit(event: str, payload: dict) -> None:
    school = current_school()
    if school is not None:
        event_emit(school=school, event=event, payload=payload)


def purchase_request_event_data(request: PurchaseRequest, *, approved_at: dt.datetime | None = None) -> dict:
    """The `data` of a purchase_request.* webhook event (documented in graphql/README.md)."""
    lines = [
        {"name": line.name, "spec": line.spec, "quantity": line.quantity, "unit": line.unit,
         "estimatedUnitPrice": _amount(line.estimated_unit_price), "estimatedAmount": _amount(line.estimated_amount)}
        for line in request.lines.order_by("pk")
    ]
    return {
        "id": _global_id("PurchaseRequestType", request.pk),
        "number": request.number,
        "title": request.title,
        "status": request.status,
        "department": str(request.department),
        "requestedBy": request.requester_name,
        "requestedByPartner": request.requested_by_partner,
        "channel": request.channel,
        "estimatedTotal": _amount(request.estimated_total),
        "needsBureauApproval": request.needs_bureau_approval,
        "createdAt": request.created_at.isoformat(),
        "submittedAt": request.submitted_at.isoformat() if request.submitted_at else None,
        "approvedAt": approved_at.isoformat() if approved_at else None,
        "lines": lines,
    }


def acceptance_event_data(acceptance: Acceptance) -> dict:
    """The `data` of an acceptance.recorded webhook event (documented in graphql/README.md)."""
    request = acceptance.request
    lines = [
        {"lineId": str(row.line_id), "name": row.line.name, "accepted": row.accepted_quantity,
         "rejected": row.rejected_quantity, "unitPrice": _amount(row.unit_price),
         "amount": _amount(row.unit_price * row.accepted_quantity)}
        for row in acceptance.lines.select_related("line").order_by("pk")
    ]
    return {
        "id": _global_id("AcceptanceType", acceptance.pk),
        "purchaseRequest": {
            "id": _global_id("PurchaseRequestType", request.pk), "number": request.number, "title": request.title,
            "status": request.status,
        },
        "acceptedOn": acceptance.accepted_on.isoformat(),
        "invoiceNumber": acceptance.invoice_number,
        "acceptedTotal": _amount(sum((Decimal(line["amount"]) for line in lines), Decimal("0"))),
        "lines": lines,
        "recordedAt": acceptance.created_at.isoformat(),
    }


@dataclass
class AcceptedLine:
    line: PurchaseLine
    accepted: int
    rejected: int = 0
    unit_price: Decimal | None = None
    note: str = ""


@transaction.atomic
def acceptance_record(
    *, request: PurchaseRequest, actor: User, members: Sequence[User], actual_user: User,
    lines: Sequence[AcceptedLine], accepted_on: dt.date | None = None, invoice_number: str = "",
    room: Room | None = None, notes: str = "", plan: str = "", stage: str = "", agent: str = "",
    buyer_confirmation: str = "",
) -> Acceptance:
    """Record an acceptance check (验收) and book what passed: one card per fixed-asset unit, stock for consumables.

    财库〔2016〕205号 (rules assets.acceptance_*): the group names its members; an acceptance done by a procurement
    agent needs the buyer's written confirmation; complex goods (request.staged_acceptance) are accepted in stages
    and booked only at installation and commissioning, after their arrival inspection.
    """
    from core.rules import rule_error

    from .choices import AcceptanceStage

    _require_school_role(actor, MANAGERS)
    request = PurchaseRequest.objects.select_for_update().get(pk=request.pk)
    if request.status not in (PurchaseStatus.APPROVED, PurchaseStatus.PARTLY_ACCEPTED):
        raise ValidationError(_("Only an approved request can be accepted."))
    if not members:
        raise rule_error("assets.acceptance_group", _("name the members of the acceptance group."), field_name="members")
    member_ids = {m.pk for m in members} | {actual_user.pk}
    if len(member_ids) < 2:
        raise ValidationError({"members": _("An acceptance needs at least two members.")})
    agent, buyer_confirmation = (agent or "").strip(), (buyer_confirmation or "").strip()
    if agent and not buyer_confirmation:
        raise rule_error("assets.agent_acceptance_confirmed",
                         _("%(agent)s accepted on the school's behalf: enter the school's written confirmation of "
                           "the result.") % {"agent": agent}, field_name="buyer_confirmation")
    stage = stage or AcceptanceStage.SINGLE
    if stage not in AcceptanceStage.values:
        raise ValidationError({"stage": _("Unknown acceptance stage.")})
    books = any(item.accepted for item in lines)
    if request.staged_acceptance:
        if stage == AcceptanceStage.SINGLE:
            raise rule_error("assets.staged_acceptance", _("complex goods are accepted in stages: choose the stage."),
                             field_name="stage")
        if books and stage != AcceptanceStage.INSTALLATION:
            raise rule_error("assets.staged_acceptance", _("complex goods are booked at installation and "
                                                           "commissioning, not at %(stage)s.")
                             % {"stage": AcceptanceStage(stage).label}, field_name="stage")
        if stage == AcceptanceStage.INSTALLATION and not request.acceptances.filter(
                stage=AcceptanceStage.ARRIVAL).exists():
            raise rule_error("assets.staged_acceptance", _("record the arrival inspection first."), field_name="stage")
    elif not any(item.accepted or item.rejected for item in lines):
        raise ValidationError({"lines": _("Enter the quantity accepted or rejected on at least one line.")})
    acceptance = Acceptance(
        request=request, recorded_by=actor, accepted_on=accepted_on or timezone.localdate(),
        invoice_number=invoice_number, room=room, notes=notes, plan=(plan or "").strip(), stage=stage, agent=agent,
        buyer_confirmation=buyer_confirmation,
    )
    acceptance.full_clean()
    acceptance.save()
    for user_id in sorted(member_ids):
        AcceptanceMember.objects.create(acceptance=acceptance, user_id=user_id, is_actual_user=user_id == actual_user.pk)
    for item in lines:
        line = PurchaseLine.objects.select_for_update().get(pk=item.line.pk)
        if line.request_id != request.pk:
            raise ValidationError({"lines": _("A line of another request was given.")})
        if item.accepted < 0 or item.rejected < 0:
            raise ValidationError({"lines": _("Quantities cannot be negative.")})
        if item.accepted + item.rejected > line.open_quantity:
            raise ValidationError(
                {"lines": _("%(name)s: %(n)s ordered, %(open)s still open; cannot accept or reject %(m)s.")
                 % {"name": line.name, "n": line.quantity, "open": line.open_quantity, "m": item.accepted + item.rejected}}
            )
        unit_price = item.unit_price if item.unit_price is not None else line.estimated_unit_price
        AcceptanceLine.objects.create(
            acceptance=acceptance, line=line, accepted_quantity=item.accepted, rejected_quantity=item.rejected,
            unit_price=unit_price, note=item.note,
        )
        line.accepted_quantity += item.accepted
        line.rejected_quantity += item.rejected
        line.save(update_fields=["accepted_quantity", "rejected_quantity"])
        if item.accepted:
            _inbound(line=line, quantity=item.accepted, unit_price=unit_price, acceptance=acceptance,
                     actual_user=actual_user, actor=actor)
    open_left = sum(line.open_quantity for line in request.lines.all())
    request.status = PurchaseStatus.PARTLY_ACCEPTED if open_left else PurchaseStatus.ACCEPTED
    request.save(update_fields=["status"])
    acceptance.request = request
    _emit(Event.ACCEPTANCE_RECORDED, acceptance_event_data(acceptance))
    _refresh()
    return acceptance


def _accepted_kind(line: PurchaseLine, unit_price: Decimal) -> str:
    """The kind the goods are booked as: the accepted unit price decides across the fixed asset threshold.

    A line planned as a consumable of a consumable category stays one; any other line is fixed from the
    threshold up and not fixed below it, whatever the estimate said.
    """
    derived = asset_kind_for(category=line.category, unit_price=unit_price)
    if line.kind == AssetKind.CONSUMABLE and derived != AssetKind.FIXED:
        return AssetKind.CONSUMABLE
    if derived == AssetKind.CONSUMABLE and line.kind == AssetKind.LOW_VALUE:
        return AssetKind.LOW_VALUE
    return derived


def _inbound(*, line: PurchaseLine, quantity: int, unit_price: Decimal, acceptance: Acceptance,
             actual_user: User, actor: User) -> None:
    request = acceptance.request
    kind = _accepted_kind(line, unit_price)
    if kind != line.kind and not line.accepted_quantity - quantity:
        # The first acceptance of the line: the line now says what it was booked as.
        line.kind = kind
        line.save(update_fields=["kind"])
    if kind == AssetKind.CONSUMABLE:
        item = line.consumable_item
        if item is None:
            item, _created = ConsumableItem.objects.get_or_create(
                name=line.name, spec=line.spec,
                defaults={"unit": line.unit, "unit_price": unit_price, "category": line.category},
            )
            line.consumable_item = item
            line.save(update_fields=["consumable_item"])
        consumable_receive(item=item, quantity=quantity, actor=actor, unit_price=unit_price,
                           reason=_("Acceptance of %(number)s") % {"number": request.number}, reference=request.number)
        return
    common = {
        "name": line.name, "category": line.category, "kind": kind, "spec": line.spec, "unit": line.unit,
        "unit_price": unit_price, "booked_on": acceptance.accepted_on, "invoice_number": acceptance.invoice_number,
        "funding_source": request.funding_source, "procurement_form": request.channel, "supplier": request.supplier,
        "department": request.department, "user": actual_user, "room": acceptance.room, "purchase_line": line,
    }
    if kind == AssetKind.FIXED:
        numbers = asset_numbers_allocate(count=quantity)
        cards = [Asset(asset_number=n, quantity=1, original_value=unit_price, **common) for n in numbers]
        for card in cards:
            card.full_clean(validate_unique=False)
        Asset.objects.bulk_create(cards)
    else:
        asset_create(actor=actor, quantity=quantity, original_value=unit_price * quantity, **common)


# ---------------------------------------------------------------- loans


@transaction.atomic
def loan_create(*, asset: Asset, borrower: User, actor: User, due_on: dt.date, purpose: str = "") -> Loan:
    """Lend an asset (借用); only an asset in use or idle can be lent."""
    _require_school_role(actor, MANAGERS)
    asset = Asset.objects.select_for_update().get(pk=asset.pk)
    if asset.condition not in (Condition.IN_USE, Condition.IDLE):
        raise ValidationError(
            {"asset": _("%(asset)s is %(condition)s and cannot be lent.")
             % {"asset": asset, "condition": asset.get_condition_display()}}
        )
    loan = Loan(asset=asset, borrower=borrower, lent_by=actor, due_on=due_on, purpose=purpose,
                lent_on=timezone.localdate())
    loan.full_clean()
    loan.save()
    loan.asset = asset_condition_set(asset=asset, condition=Condition.LENT, actor=actor, reason=_("Lent"))
    return loan


@transaction.atomic
def loan_return(*, asset: Asset, actor: User, condition_note: str = "", damaged: bool = False) -> Loan:
    """Take a lent asset back and note its condition."""
    _require_school_role(actor, MANAGERS)
    loan = Loan.objects.select_for_update().filter(asset=asset, returned_on__isnull=True).first()
    if loan is None:
        raise ValidationError({"asset": _("%(asset)s is not on loan.") % {"asset": asset}})
    loan.returned_on = timezone.localdate()
    loan.return_condition = condition_note
    loan.received_by = actor
    loan.save(update_fields=["returned_on", "return_condition", "received_by"])
    loan.asset = asset_condition_set(
        asset=asset, condition=Condition.UNDER_REPAIR if damaged else Condition.IN_USE, actor=actor, reason=_("Returned")
    )
    return loan


@transaction.atomic
def loan_request_create(*, asset: Asset, requester: User, purpose: str, due_on: dt.date) -> LoanRequest:
    """A member of staff asks to borrow an asset."""
    asset = Asset.objects.get(pk=asset.pk)
    if asset.condition not in (Condition.IN_USE, Condition.IDLE):
        raise ValidationError(
            {"asset": _("%(asset)s is %(condition)s and cannot be lent.")
             % {"asset": asset, "condition": asset.get_condition_display()}}
        )
    if due_on < timezone.localdate():
        raise ValidationError({"due_on": _("The due date is in the past.")})
    request = LoanRequest(asset=asset, requester=requester, purpose=purpose, due_on=due_on)
    request.full_clean()
    request.save()
    notify(kind="assets.loan_request", title=_("Loan request: %(asset)s") % {"asset": asset}, url="/assets/loans/",
           roles=list(MANAGERS), dedupe_key=f"loan-request-{request.pk}")
    return request


@transaction.atomic
def loan_request_decide(*, request: LoanRequest, actor: User, approve: bool) -> LoanRequest:
    """The custodian lends the asset to the requester, or turns the request down."""
    _require_school_role(actor, MANAGERS)
    request = LoanRequest.objects.select_for_update().select_related("asset", "requester").get(pk=request.pk)
    if request.status != TransferStatus.PENDING:
        raise ValidationError(_("This request has already been decided."))
    if approve:
        request.loan = loan_create(asset=request.asset, borrower=request.requester, actor=actor,
                                   due_on=request.due_on, purpose=request.purpose)
    request.status = TransferStatus.CONFIRMED if approve else TransferStatus.REJECTED
    request.decided_by = actor
    request.save(update_fields=["loan", "status", "decided_by"])
    notify(kind="assets.loan_request", title=_("Your loan request for %(asset)s: %(status)s")
           % {"asset": request.asset, "status": request.get_status_display()},
           url=f"/assets/{request.asset_id}/", users=[request.requester], dedupe_key=f"loan-request-decided-{request.pk}")
    return request


def loans_overdue_notify(*, today: dt.date | None = None) -> int:
    """Remind borrowers and the custodian of overdue loans, once a day each; returns how many."""
    today = today or timezone.localdate()
    count = 0
    overdue = Loan.objects.filter(returned_on__isnull=True, due_on__lt=today).exclude(overdue_notified_on=today)
    for loan in overdue.select_related("asset", "borrower"):
        notify(
            kind="assets.loan_overdue",
            title=_("Overdue loan: %(asset)s was due on %(due)s") % {"asset": loan.asset, "due": loan.due_on},
            url=f"/assets/{loan.asset_id}/", users=[loan.borrower], roles=list(MANAGERS),
            dedupe_key=f"loan-overdue-{loan.pk}-{today}",
        )
        Loan.objects.filter(pk=loan.pk).update(overdue_notified_on=today)
        count += 1
    return count


# ---------------------------------------------------------------- transfers


@transaction.atomic
def transfer_request(
    *, asset: Asset, actor: User, reason: str, to_department: Department | None = None,
    to_room: Room | None = None, to_user: User | None = None,
) -> Transfer:
    """Ask to move an asset to another department, room or user."""
    if not (to_department or to_room or to_user):
        raise ValidationError(_("Say where the asset goes: a department, a room or a user."))
    if asset.condition in (Condition.DISPOSED, Condition.LOST):
        raise ValidationError({"asset": _("A disposed or lost asset cannot be transferred.")})
    transfer = Transfer(
        asset=asset, requested_by=actor, reason=reason, from_department=asset.department, from_room=asset.room,
        from_user=asset.user, to_department=to_department, to_room=to_room, to_user=to_user,
    )
    transfer.full_clean()
    transfer.save()
    return transfer


@transaction.atomic
def transfer_decide(*, transfer: Transfer, actor: User, confirm: bool) -> Transfer:
    """The logistics office confirms (and the card moves) or rejects a transfer."""
    _require_school_role(actor, MANAGERS)
    transfer = Transfer.objects.select_for_update().get(pk=transfer.pk)
    if transfer.status != TransferStatus.PENDING:
        raise ValidationError(_("This transfer has already been decided."))
    transfer.status = TransferStatus.CONFIRMED if confirm else TransferStatus.REJECTED
    transfer.confirmed_by = actor
    transfer.decided_at = timezone.now()
    transfer.save(update_fields=["status", "confirmed_by", "decided_at"])
    if confirm:
        asset = Asset.objects.select_for_update().get(pk=transfer.asset_id)
        fields = {}
        if transfer.to_department_id:
            fields["department"] = transfer.to_department
        if transfer.to_room_id:
            fields["room"] = transfer.to_room
        if transfer.to_user_id:
            fields["user"] = transfer.to_user
        with pghistory.context(reason=transfer.reason):
            asset_update(asset=asset, actor=actor, **fields)
    return transfer


# ---------------------------------------------------------------- disposal


def early_disposal_explanation(asset: Asset, *, on: dt.date | None = None) -> str:
    """Why scrapping this asset now is early: its minimum life, its age, and who approves."""
    years, months = asset.service_age(on)
    return _(
        "%(asset)s was booked on %(booked)s and has been in service %(years)d years %(months)d months; "
        "its minimum service life is %(life)d years (reached on %(end)s). Scrapping or writing it off "
        "earlier needs a written justification of at least 10 characters, and the district education "
        "bureau approves it, not the principal."
    ) % {"asset": asset, "booked": asset.booked_on.isoformat(), "years": years, "months": months,
         "life": asset.life_years, "end": asset.minimum_life_end().isoformat()}


@transaction.atomic
def disposal_request(
    *, asset: Asset, actor: User, method: str, reason: str, justification: str = "", proceeds: Decimal = Decimal("0")
) -> Disposal:
    """Propose a disposal; scrapping before the minimum service life needs a written justification."""
    _require_school_role(actor, MANAGERS)
    asset = Asset.objects.select_for_update().get(pk=asset.pk)
    if asset.condition == Condition.DISPOSED:
        raise ValidationError({"asset": _("%(asset)s has already been disposed of.") % {"asset": asset}})
    if asset.condition == Condition.LENT:
        raise ValidationError({"asset": _("%(asset)s is on loan; take it back first.") % {"asset": asset}})
    if Disposal.objects.filter(asset=asset, status=DisposalStatus.PENDING).exists():
        raise ValidationError({"asset": _("A disposal of %(asset)s is already awaiting approval.") % {"asset": asset}})
    early = method in (DisposalMethod.SCRAP, DisposalMethod.WRITE_OFF) and not asset.minimum_life_reached()
    if early and len(justification.strip()) < 10:
        raise ValidationError({"justification": early_disposal_explanation(asset)})
    disposal = Disposal(asset=asset, method=method, reason=reason, justification=justification, is_early=early,
                        proceeds=proceeds, requested_by=actor)
    disposal.full_clean()
    disposal.save()
    if early:
        _notify_bureau(title=_("Early scrapping to approve: %(asset)s") % {"asset": asset},
                       path="/assets/disposals/", dedupe_key=f"disposal-bureau-{disposal.pk}")
    else:
        notify(kind="assets.disposal", title=_("Disposal to approve: %(asset)s") % {"asset": asset},
               url="/assets/disposals/", roles=list(PRINCIPALS), dedupe_key=f"disposal-{disposal.pk}")
    return disposal


@transaction.atomic
def disposal_decide(*, disposal: Disposal, actor: User, approve: bool) -> Disposal:
    """The principal approves a disposal; an early scrapping needs the bureau's approval."""
    disposal = Disposal.objects.select_for_update().select_related("asset").get(pk=disposal.pk)
    if disposal.status != DisposalStatus.PENDING:
        raise ValidationError(_("This disposal has already been decided."))
    if disposal.is_early:
        if not _is_bureau_approver(actor):
            raise PermissionDenied(_("Scrapping before the minimum service life needs the bureau's approval."))
    else:
        _require_school_role(actor, PRINCIPALS)
    disposal.status = DisposalStatus.APPROVED if approve else DisposalStatus.REJECTED
    disposal.decided_by = actor
    disposal.decided_at = timezone.now()
    disposal.save(update_fields=["status", "decided_by", "decided_at"])
    if approve:
        asset_condition_set(asset=disposal.asset, condition=Condition.DISPOSED, actor=actor,
                            reason=disposal.get_method_display())
    return disposal


# ---------------------------------------------------------------- stocktake


@transaction.atomic
def stocktake_create(*, actor: User, name: str, rooms: Sequence[Room], planned_on: dt.date | None = None) -> Stocktake:
    """Plan a stocktake of the given rooms."""
    _require_school_role(actor, MANAGERS)
    if not rooms:
        raise ValidationError({"rooms": _("Choose at least one room.")})
    stocktake = Stocktake(name=name, created_by=actor, planned_on=planned_on or timezone.localdate())
    stocktake.full_clean()
    stocktake.save()
    stocktake.rooms.set(rooms)
    return stocktake


def scanned_code(text: str) -> str:
    """The asset number in what a scanner typed: a bare number, the label's URL (with or without its
    ?label= token), or an old repair-report URL."""
    text = text.strip()
    if "asset=" in text:
        text = text.split("asset=", 1)[1].split("&", 1)[0]
    text = text.split("?", 1)[0].split("#", 1)[0].rstrip("/")
    return text.rsplit("/", 1)[-1].strip()


UNLABELLED = "NOLABEL"


def _unlabelled_code(stocktake: Stocktake) -> str:
    """A code for a found item without a label: NOLABEL-1, NOLABEL-2, … within the stocktake."""
    taken = set(stocktake.scans.filter(code__startswith=f"{UNLABELLED}-").values_list("code", flat=True))
    n = len(taken) + 1
    while f"{UNLABELLED}-{n}" in taken:
        n += 1
    return f"{UNLABELLED}-{n}"


@transaction.atomic
def stocktake_scan(
    *, stocktake: Stocktake, room: Room, code: str, actor: User, allow_unknown: bool = True, description: str = ""
) -> StocktakeScan:
    """Record one scanned label in a room (a code scanned twice keeps the first scan, marked `counted_before`).

    A number on no card is an item found that is not on the books (盘盈) when `allow_unknown`; the counting
    page passes it only when the counter says so, so that a mistyped number is refused and changes nothing.
    An asset out on loan is recorded as lent, with its loan, never as in place.
    """
    _require_school_role(actor, MANAGERS | {"teacher"})
    if stocktake.status != StocktakeStatus.COUNTING:
        raise ValidationError(_("This stocktake is finished."))
    if not stocktake.rooms.filter(pk=room.pk).exists():
        raise ValidationError(_("%(room)s is not counted in this stocktake.") % {"room": room})
    code = scanned_code(code)
    description = description.strip()
    if not code and allow_unknown and description:
        code = _unlabelled_code(stocktake)
    if not code:
        raise ValidationError({"code": _("Scan or type an asset number.")})
    existing = StocktakeScan.objects.filter(stocktake=stocktake, code=code).select_related("asset", "room").first()
    if existing:
        existing.counted_before = True
        return existing
    asset = Asset.objects.filter(asset_number=code).first()
    if asset is None and not allow_unknown:
        raise ValidationError({"code": _(
            "No asset has the number %(code)s. Check the number; an item that is not on the books is recorded "
            "with “Not on the books”."
        ) % {"code": code}})
    loan = None
    if asset is None or asset.condition in (Condition.DISPOSED, Condition.LOST):
        finding = Finding.SURPLUS
    elif (loan := Loan.objects.filter(asset=asset, returned_on__isnull=True).first()) or asset.condition == Condition.LENT:
        finding = Finding.LENT
    elif asset.room_id != room.pk:
        finding = Finding.MISPLACED
    else:
        finding = Finding.OK
    scan = StocktakeScan(stocktake=stocktake, room=room, code=code, asset=asset, scanned_by=actor, finding=finding,
                         booked_room=asset.room if asset else None, loan=loan,
                         description=description if asset is None else "")
    scan.full_clean()
    scan.save()
    scan.counted_before = False
    return scan


@transaction.atomic
def stocktake_finish(*, stocktake: Stocktake, actor: User) -> Stocktake:
    """Close counting and reconcile the result into the cards.

    Each found item not on the books gets a draft card for the custodian to complete (盘盈), each booked asset
    not found a disposal proposal in the disposal flow (盘亏, approved there, never here), each asset out on
    loan is recorded with its loan and each one under repair with its work order (neither is 盘亏); what was
    already resolved by hand is left as it is.
    """
    _require_school_role(actor, MANAGERS)
    stocktake = Stocktake.objects.select_for_update().get(pk=stocktake.pk)
    if stocktake.status == StocktakeStatus.FINISHED:
        raise ValidationError(_("This stocktake is already finished."))
    stocktake.status = StocktakeStatus.FINISHED
    stocktake.finished_at = timezone.now()
    stocktake.save(update_fields=["status", "finished_at"])
    _stocktake_reconcile(stocktake=stocktake, actor=actor)
    _refresh()
    return stocktake


def _stocktake_reconcile(*, stocktake: Stocktake, actor: User) -> None:
    from .selectors import stocktake_lists

    found = stocktake_lists(stocktake)
    resolutions = []
    for row in found["surplus"]:
        if row["resolution"] or row["asset"] is not None:  # a disposed or lost asset found again: the custodian decides
            continue
        AssetDraft.objects.create(stocktake=stocktake, code=row["code"], description=row["description"],
                                  room=row["scanned_room"], created_by=actor)
        resolutions.append(StocktakeResolution(stocktake=stocktake, code=row["code"], action=Resolution.DRAFT, actor=actor))
    for row in found["lent"]:
        if not row["resolution"] and row["scanned_room"] is None:  # a scanned one keeps its loan on the scan
            resolutions.append(StocktakeResolution(stocktake=stocktake, asset=row["asset"], code=row["code"],
                                                   action=Resolution.LENT, loan=row["loan"], actor=actor))
    for row in found["repair"]:  # away at its repair: recorded with its order, never proposed for disposal
        if not row["resolution"]:
            resolutions.append(StocktakeResolution(stocktake=stocktake, asset=row["asset"], code=row["code"],
                                                   action=Resolution.REPAIR, actor=actor,
                                                   work_order_reference=row["work_order_reference"]))
    for row in found["missing"]:
        if row["resolution"]:
            continue
        asset = row["asset"]
        disposal = Disposal.objects.filter(asset=asset, status=DisposalStatus.PENDING).first()
        if disposal is None:
            facts = {"name": stocktake.name, "room": row["booked_room"] or "—",
                     "date": timezone.localdate(stocktake.finished_at).isoformat()}
            disposal = disposal_request(
                asset=asset, actor=actor, method=DisposalMethod.WRITE_OFF,
                reason=_("Missing at stocktake %(name)s") % facts,
                justification=_("Not found in %(room)s when %(name)s was counted; proposed when counting finished "
                                "on %(date)s.") % facts,
            )
        resolutions.append(StocktakeResolution(stocktake=stocktake, asset=asset, code=row["code"],
                                               action=Resolution.PROPOSE_DISPOSAL, disposal=disposal, actor=actor))
    for resolution in resolutions:
        resolution.full_clean()
        resolution.save()


@transaction.atomic
def stocktake_sign(*, stocktake: Stocktake, actor: User) -> StocktakeSignature:
    """A counter signs the finished stocktake's result (those who scanned, and the custodians who supervised)."""
    _require_school_role(actor, MANAGERS | {"teacher"})
    stocktake = Stocktake.objects.get(pk=stocktake.pk)
    if stocktake.status != StocktakeStatus.FINISHED:
        raise ValidationError(_("The result is signed once counting is finished."))
    counted = StocktakeScan.objects.filter(stocktake=stocktake, scanned_by=actor).exists()
    if not counted and not school_roles(actor, current_school()) & MANAGERS:
        raise PermissionDenied(_("Only those who counted sign this stocktake."))
    if StocktakeSignature.objects.filter(stocktake=stocktake, signer=actor).exists():
        raise ValidationError(_("You have already signed this stocktake."))
    signature = StocktakeSignature(stocktake=stocktake, signer=actor)
    signature.full_clean()
    signature.save()
    return signature


@transaction.atomic
def asset_draft_complete(*, draft: AssetDraft, actor: User, **fields) -> Asset:
    """Book the card of an item a stocktake found (盘盈), from its draft."""
    _require_school_role(actor, MANAGERS)
    draft = AssetDraft.objects.select_for_update().get(pk=draft.pk)
    if draft.asset_id:
        raise ValidationError(_("This draft card has already been completed."))
    asset = asset_create(actor=actor, **fields)
    draft.asset = asset
    draft.completed_by = actor
    draft.completed_at = timezone.now()
    draft.save(update_fields=["asset", "completed_by", "completed_at"])
    return asset


@transaction.atomic
def stocktake_resolve(*, stocktake: Stocktake, code: str, action: str, actor: User, note: str = "") -> StocktakeResolution:
    """Act on one discrepancy: mark lost, correct the room, restore a found asset, or note a new card."""
    from .selectors import stocktake_discrepancies

    _require_school_role(actor, MANAGERS)
    found = stocktake_discrepancies(stocktake=stocktake, user=actor)
    rows = {r["code"]: (kind, r) for kind in ("surplus", "missing", "misplaced") for r in found[kind]}
    if code not in rows:
        raise ValidationError({"code": _("%(code)s is not a discrepancy of this stocktake.") % {"code": code}})
    kind, row = rows[code]
    asset = row.get("asset")
    allowed = {
        "missing": {Resolution.MARK_LOST, Resolution.IGNORE},
        "misplaced": {Resolution.MOVE_ROOM, Resolution.IGNORE},
        "surplus": {Resolution.RESTORE, Resolution.REGISTER, Resolution.IGNORE},
    }[kind]
    if action not in allowed or (action == Resolution.RESTORE and asset is None):
        raise ValidationError({"action": _("This action does not fit this discrepancy.")})
    if action == Resolution.MARK_LOST:
        asset_condition_set(asset=asset, condition=Condition.LOST, actor=actor, reason=stocktake.name)
    elif action == Resolution.MOVE_ROOM:
        with pghistory.context(reason=stocktake.name):
            asset_update(asset=asset, actor=actor, room=row["scanned_room"])
    elif action == Resolution.RESTORE:
        asset = Asset.objects.get(pk=asset.pk)
        with pghistory.context(reason=stocktake.name):
            asset_update(asset=asset, actor=actor, room=row["scanned_room"], condition=Condition.IN_USE)
    resolution = StocktakeResolution(stocktake=stocktake, asset=asset, code=code, action=action, note=note, actor=actor)
    resolution.full_clean()
    resolution.save()
    return resolution
