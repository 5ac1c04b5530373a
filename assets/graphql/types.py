"""GraphQL types of the assets module (read scope assets:read)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import strawberry
import strawberry_django
from strawberry import relay
from strawberry.types import Info

from api.types import SchoolScopedType
from schools import models as school_models
from tenants import models as tenant_models

from .. import models
from ..selectors import STOCKTAKE_PREFETCH, asset_under_warranty, stocktake_prefetch_one
from .enums import (
    ApprovalDecision,
    ApprovalLevel,
    AssetCondition,
    AssetKind,
    AssetUse,
    DisposalMethod,
    DisposalStatus,
    ProcurementForm,
    PurchaseRequestStatus,
    RequisitionStatus,
    StockMovementKind,
    StocktakeStatus,
    TransferStatus,
)

DEPRECIATION_FIELDS = ["original_value", "booked_on", "kind", "service_life_years", "category_id"]


class AssetsScoped(SchoolScopedType):
    read_scope = "assets:read"


@strawberry_django.type(school_models.Building, fields=["id", "name"])
class AssetsBuildingType(AssetsScoped):
    """A building (as the assets module shows it)."""


@strawberry_django.type(school_models.Room, fields=["id", "number", "name", "floor"])
class AssetsRoomType(AssetsScoped):
    """A room where assets stand (as the assets module shows it)."""

    building: AssetsBuildingType


@strawberry_django.type(school_models.Department, fields=["id", "name"])
class AssetsDepartmentType(AssetsScoped):
    """A department managing assets."""


@strawberry_django.type(tenant_models.User, fields=["id", "name", "username"])
class AssetsPersonType:
    """A person using or handling assets (name only)."""

    @classmethod
    def get_queryset(cls, queryset, info, **kwargs):
        from tenants.graphql.types import members_of_place

        return queryset.filter(pk__in=members_of_place(info))


@strawberry_django.type(models.Category, fields=["id", "code", "name", "service_life_years", "is_special_equipment"])
class CategoryType(AssetsScoped):
    """A GB/T 14885-2022 category."""


@strawberry_django.type(models.Supplier, fields=["id", "name", "contact"])
class SupplierType(AssetsScoped):
    """A supplier."""


@strawberry_django.type(
    models.Asset,
    fields=[
        "id", "asset_number", "name", "kind", "brand", "model", "spec", "serial_number", "unit_price", "quantity",
        "unit", "original_value", "booked_on", "invoice_number", "funding_source", "procurement_form",
        "warranty_end", "use", "condition", "disposed_on",
    ],
)
class AssetType(AssetsScoped, relay.Node):
    """An asset card."""

    kind: AssetKind
    procurement_form: ProcurementForm
    use: AssetUse
    condition: AssetCondition

    category: CategoryType
    room: AssetsRoomType | None
    department: AssetsDepartmentType | None
    user: AssetsPersonType | None
    supplier: SupplierType | None

    @strawberry_django.field(only=DEPRECIATION_FIELDS, select_related=["category"])
    def accumulated_depreciation(self) -> Decimal:
        return self.accumulated_depreciation()

    @strawberry_django.field(only=DEPRECIATION_FIELDS, select_related=["category"])
    def net_value(self) -> Decimal:
        return self.net_value()

    @strawberry_django.field(only=["warranty_end"])
    def under_warranty(self) -> bool:
        return asset_under_warranty(self)


@strawberry_django.type(
    models.ConsumableItem, fields=["id", "name", "spec", "unit", "unit_price", "on_hand", "reorder_level"]
)
class ConsumableItemType(AssetsScoped, relay.Node):
    """A consumable kept in stock."""

    @strawberry_django.field(only=["on_hand", "reorder_level"])
    def is_low(self) -> bool:
        return self.is_low


@strawberry_django.type(
    models.StockMovement, fields=["id", "kind", "quantity", "balance_after", "unit_price", "reason", "reference", "created_at"]
)
class StockMovementType(AssetsScoped, relay.Node):
    """One line of the stock ledger."""

    kind: StockMovementKind

    item: ConsumableItemType
    actor: AssetsPersonType


@strawberry_django.type(
    models.PurchaseLine,
    fields=["id", "name", "kind", "spec", "quantity", "unit", "estimated_unit_price", "accepted_quantity", "rejected_quantity"],
)
class PurchaseLineType(AssetsScoped):
    """A line of a purchase request."""

    kind: AssetKind

    category: CategoryType


@strawberry_django.type(models.PurchaseApproval, fields=["id", "level", "decision", "comment", "decided_at"])
class PurchaseApprovalType(AssetsScoped):
    """A decision on a purchase request."""

    level: ApprovalLevel
    decision: ApprovalDecision

    decided_by: AssetsPersonType


@strawberry_django.type(
    models.AcceptanceLine, fields=["id", "accepted_quantity", "rejected_quantity", "unit_price", "note"]
)
class AcceptanceLineType(AssetsScoped):
    """Per line of the request: how many one acceptance accepted and rejected, at what actual unit price."""

    line: PurchaseLineType


@strawberry_django.type(
    models.PurchaseRequest,
    # No "id" here: relay.Node's global id, the one node(id:) and the webhook payloads use.
    fields=["number", "title", "reason", "channel", "status", "estimated_total", "needs_bureau_approval",
            "created_at", "submitted_at"],
)
class PurchaseRequestType(AssetsScoped, relay.Node):
    """A purchase request and its approval chain."""

    channel: ProcurementForm
    status: PurchaseRequestStatus

    department: AssetsDepartmentType
    requested_by: AssetsPersonType | None = strawberry_django.field(
        description="The person who asked; null when a partner sent the request (see requestedByPartner)."
    )
    requested_by_partner: str = strawberry_django.field(
        description="The partner (e.g. a procurement platform) that sent the request through the API; empty otherwise."
    )
    lines: list[PurchaseLineType]
    approvals: list[PurchaseApprovalType]
    acceptances: list[AcceptanceType]


@strawberry_django.type(models.Acceptance, fields=["accepted_on", "invoice_number", "notes", "created_at"])
class AcceptanceType(AssetsScoped, relay.Node):
    """An acceptance check (验收) of delivered goods against a purchase request."""

    request: PurchaseRequestType = strawberry_django.field(description="The purchase request it accepts against.")
    room: AssetsRoomType | None
    lines: list[AcceptanceLineType]

    @strawberry_django.field(prefetch_related=["lines"], description="Accepted quantity × actual unit price, summed.")
    def accepted_total(self) -> Decimal:
        return sum((row.unit_price * row.accepted_quantity for row in self.lines.all()), Decimal("0.00"))


@strawberry_django.type(models.Requisition, fields=["id", "quantity", "reason", "status", "created_at", "received_at"])
class RequisitionType(AssetsScoped, relay.Node):
    """A requisition of a consumable."""

    status: RequisitionStatus

    item: ConsumableItemType
    requester: AssetsPersonType


@strawberry_django.type(models.Loan, fields=["id", "purpose", "lent_on", "due_on", "returned_on", "return_condition"])
class LoanType(AssetsScoped, relay.Node):
    """A loan of an asset."""

    asset: AssetType
    borrower: AssetsPersonType

    @strawberry_django.field(only=["returned_on", "due_on"])
    def is_overdue(self) -> bool:
        return self.is_overdue


@strawberry_django.type(models.LoanRequest, fields=["id", "purpose", "due_on", "status", "created_at"])
class LoanRequestType(AssetsScoped, relay.Node):
    """A member of staff's request to borrow an asset."""

    status: TransferStatus

    asset: AssetType
    requester: AssetsPersonType


@strawberry_django.type(models.Transfer, fields=["id", "reason", "status", "created_at", "decided_at"])
class TransferType(AssetsScoped, relay.Node):
    """A transfer of custody."""

    status: TransferStatus

    asset: AssetType
    to_department: AssetsDepartmentType | None
    to_room: AssetsRoomType | None
    to_user: AssetsPersonType | None


@strawberry_django.type(
    models.Disposal, fields=["id", "method", "reason", "justification", "is_early", "proceeds", "status", "created_at"]
)
class DisposalType(AssetsScoped, relay.Node):
    """A disposal of an asset."""

    method: DisposalMethod
    status: DisposalStatus

    asset: AssetType


@strawberry.type
class DiscrepancyType:
    code: str
    asset_number: str | None
    asset_name: str | None
    booked_room: str | None
    scanned_room: str | None
    resolution: str | None


@strawberry.type(description="An asset of a stocktake's rooms out on loan (借出): neither in place nor missing.")
class StocktakeLoanRowType:
    code: str
    asset_number: str
    asset_name: str
    booked_room: str | None
    scanned_room: str | None = strawberry.field(description="Where its label was scanned; null when it was away.")
    borrower: str | None = strawberry.field(description="Who has it (the borrower's name), from its loan.")
    lent_on: dt.date | None
    due_on: dt.date | None
    is_overdue: bool


@strawberry.type(description="An asset of a stocktake's rooms away at its repair (维修中), not scanned: neither "
                             "missing nor proposed for disposal.")
class StocktakeRepairRowType:
    code: str
    asset_number: str
    asset_name: str
    booked_room: str | None
    work_order_reference: str | None = strawberry.field(
        description="The open work order's reference (workOrder(reference:) reads it); null when the card says "
                    "under repair without an order, e.g. a loan returned damaged."
    )


@strawberry_django.type(models.StocktakeSignature, fields=["id", "signed_at"])
class StocktakeSignatureType(AssetsScoped):
    """A counter's signature under a finished stocktake's result."""

    signer: AssetsPersonType


@strawberry_django.type(models.AssetDraft, fields=["id", "code", "description", "created_at", "completed_at"])
class AssetDraftType(AssetsScoped):
    """A card to complete for an item a stocktake found that is not on the books (盘盈); `asset` once booked.

    Visible to the school's custodians and logistics director (who complete them, as on the pages) and to
    partners reading assets; other staff see none.
    """

    room: AssetsRoomType
    asset: AssetType | None
    completed_by: AssetsPersonType | None

    @classmethod
    def visible_rows(cls, queryset, info: Info):
        from api.permissions import current_partner
        from tenants.access import school_roles

        from ..roles import MANAGERS

        request = info.context.request
        if current_partner(info) is None and not school_roles(request.user, getattr(request, "tenant", None)) & MANAGERS:
            return queryset.none()
        return queryset


# One callable per lookup: the optimizer merges the hints of the three fields and changes them in place,
# so each request gets fresh Prefetch objects.
_DISCREPANCY_PREFETCH = [lambda info, lookup=lookup: stocktake_prefetch_one(lookup) for lookup in STOCKTAKE_PREFETCH]


@strawberry_django.type(models.Stocktake, fields=["id", "name", "planned_on", "status", "finished_at"])
class StocktakeType(AssetsScoped, relay.Node):
    """A stocktake and its discrepancy lists, the assets away on loan or at repair, the counters' signatures and
    the draft cards of what it found."""

    status: StocktakeStatus

    signatures: list[StocktakeSignatureType] = strawberry_django.field(
        description="The counters' signatures under the finished result, in the order they signed."
    )
    drafts: list[AssetDraftType] = strawberry_django.field(
        description="Draft cards made when counting finished for items found without a card (盘盈)."
    )

    # The scans, resolutions and counted rooms' assets of the whole page at once (no query per stocktake).
    @strawberry_django.field(prefetch_related=_DISCREPANCY_PREFETCH)
    def surplus(self, info: Info) -> list[DiscrepancyType]:
        return _rows(self, info, "surplus")

    @strawberry_django.field(prefetch_related=_DISCREPANCY_PREFETCH)
    def missing(self, info: Info) -> list[DiscrepancyType]:
        return _rows(self, info, "missing")

    @strawberry_django.field(prefetch_related=_DISCREPANCY_PREFETCH)
    def misplaced(self, info: Info) -> list[DiscrepancyType]:
        return _rows(self, info, "misplaced")

    @strawberry_django.field(prefetch_related=_DISCREPANCY_PREFETCH,
                             description="Assets out on loan (借出) with borrower and due date, not 账实相符 nor 盘亏.")
    def lent(self, info: Info) -> list[StocktakeLoanRowType]:
        rows = []
        for r in _found(self, info)["lent"]:
            loan = r.get("loan")
            rows.append(StocktakeLoanRowType(
                code=r["code"], asset_number=r["asset"].asset_number, asset_name=r["asset"].name,
                booked_room=_room_text(r.get("booked_room")), scanned_room=_room_text(r.get("scanned_room")),
                borrower=loan.borrower.name or loan.borrower.username if loan else None,
                lent_on=loan.lent_on if loan else None, due_on=loan.due_on if loan else None,
                is_overdue=bool(loan and loan.is_overdue),
            ))
        return rows

    @strawberry_django.field(prefetch_related=_DISCREPANCY_PREFETCH,
                             description="Assets away at their repair (维修中) with the work order, not 盘亏.")
    def under_repair(self, info: Info) -> list[StocktakeRepairRowType]:
        return [
            StocktakeRepairRowType(
                code=r["code"], asset_number=r["asset"].asset_number, asset_name=r["asset"].name,
                booked_room=_room_text(r.get("booked_room")), work_order_reference=r["work_order_reference"] or None,
            )
            for r in _found(self, info)["repair"]
        ]


def _room_text(room) -> str | None:
    return str(room) if room else None


def _found(stocktake, info) -> dict:
    from ..selectors import stocktake_discrepancies

    cache = getattr(stocktake, "_discrepancies", None)
    if cache is None:
        cache = stocktake._discrepancies = stocktake_discrepancies(stocktake=stocktake, user=info.context.request.user)
    return cache


def _rows(stocktake, info, kind: str) -> list[DiscrepancyType]:
    return [
        DiscrepancyType(
            code=r["code"], asset_number=r["asset"].asset_number if r.get("asset") else None,
            asset_name=r["asset"].name if r.get("asset") else None,
            booked_room=_room_text(r.get("booked_room")), scanned_room=_room_text(r.get("scanned_room")),
            resolution=r.get("resolution"),
        )
        for r in _found(stocktake, info)[kind]
    ]


@strawberry.type
class TotalRowType:
    key: str
    label: str
    count: int
    value: Decimal
