"""AssetsQuery and AssetsMutation: reads need assets:read; writes need the right role.

Partner tokens (assets:write) draft and submit purchase requests only (the procurement platform); every other
write is for the school's people and refuses a token (PEOPLE_ONLY) before any service runs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import strawberry
import strawberry_django
from strawberry import relay
from strawberry.types import Info
from strawberry_django.relay import ListConnectionWithTotalCount

from api.errors import Code, HouqinGraphQLError
from api.filters import filtered
from api.permissions import (
    PARTNER_MUTATION,
    current_partner,
    current_school,
    current_user,
    refuse_partners,
    require_school_reader,
    require_school_role,
    require_school_writable,
)
from schools.models import Department, Room
from tenants.models import User
from tenants.selectors import PersonNotFound, member_get_for

from .. import selectors, services
from ..choices import AssetKind
from ..models import (
    Asset,
    Category,
    ConsumableItem,
    Disposal,
    LoanRequest,
    PurchaseLine,
    PurchaseRequest,
    Requisition,
    Stocktake,
    Transfer,
)
from ..roles import APPROVERS, MANAGERS, STAFF
from . import filters as F
from .enums import AssetCondition, PurchaseRequestStatus
from .inputs import AcceptanceInput, AssetInput, DisposalInput, LoanInput, PurchaseRequestInput, TransferInput
from .types import (
    AcceptanceType,
    AssetType,
    CategoryType,
    ConsumableItemType,
    DisposalType,
    LoanRequestType,
    LoanType,
    PurchaseRequestType,
    RequisitionType,
    StockMovementType,
    StocktakeType,
    TotalRowType,
    TransferType,
)

READ = "assets:read"
# The procurement platform's writes: purchase requests, recorded under the partner's name.
WRITE = "assets:write"
# Every other write: people only (cards, stock, requisitions, loans, transfers, disposals, stocktakes).
PEOPLE_ONLY = None


def _pk(value) -> int:
    """A plain id or a relay global id."""
    text = str(value)
    if text.isdigit():
        return int(text)
    try:
        return int(relay.GlobalID.from_id(text).node_id)
    except Exception as exc:  # malformed id
        from django.core.exceptions import ValidationError

        raise ValidationError({"id": "Malformed id."}) from exc


def _asset(info: Info, asset_number: str) -> Asset:
    return selectors.asset_get_for(user=current_user(info), asset_number=asset_number)


def _reader(info: Info) -> tuple[User | None, bool]:
    """(the reading person, reading as a partner?) once the resolver has checked the caller."""
    if current_partner(info) is not None:
        return None, True
    return current_user(info), False


def _purchase(info: Info, value) -> PurchaseRequest:
    """A purchase request of this school by plain or global id (a partner's too), or NOT_FOUND."""
    user, as_partner = _reader(info)
    request = selectors.purchase_list_for(user=user, as_partner=as_partner).filter(pk=_pk(value)).first()
    if request is None:
        raise HouqinGraphQLError("No purchase request with this id here.", Code.NOT_FOUND)
    return request


@strawberry.type
class AssetsQuery:
    @strawberry_django.field(description="One asset card, by its asset number.")
    def asset(self, info: Info, asset_number: str) -> AssetType:
        require_school_reader(info, READ)
        return _asset(info, asset_number)  # type: ignore[return-value]

    @strawberry_django.connection(ListConnectionWithTotalCount[AssetType], description="Asset cards, newest first.")
    @filtered(F.AssetFilter, F.AssetOrder)
    def asset_list(
        self, info: Info, q: str | None = None, kind: AssetKind | None = None, condition: AssetCondition | None = None,
        category_code: str | None = None,
    ) -> Iterable[AssetType]:
        require_school_reader(info, READ)
        # The optimizer plans the joins from the selection; the selector's own select_related would clash.
        return selectors.asset_list_for(  # type: ignore[return-value]
            user=current_user(info), q=q or "", kind=kind or "", condition=condition or "", category=category_code or ""
        ).select_related(None)

    @strawberry_django.connection(ListConnectionWithTotalCount[CategoryType])
    @filtered(F.CategoryFilter, F.CategoryOrder)
    def category_list(self, info: Info, code_prefix: str | None = None) -> Iterable[CategoryType]:
        require_school_reader(info, READ)
        qs = Category.objects.all()
        return qs.filter(code__startswith=code_prefix) if code_prefix else qs  # type: ignore[return-value]

    @strawberry_django.connection(ListConnectionWithTotalCount[ConsumableItemType])
    @filtered(F.ConsumableItemFilter, F.ConsumableItemOrder)
    def consumable_item_list(self, info: Info, low_only: bool = False) -> Iterable[ConsumableItemType]:
        require_school_reader(info, READ)
        return selectors.consumable_list_for(user=current_user(info), low_only=low_only).select_related(None)  # type: ignore[return-value]

    @strawberry_django.connection(ListConnectionWithTotalCount[StockMovementType])
    @filtered(F.StockMovementFilter, F.StockMovementOrder)
    def stock_movement_list(self, info: Info, item_id: strawberry.ID | None = None) -> Iterable[StockMovementType]:
        require_school_reader(info, READ)
        qs = selectors.movement_list_for(user=current_user(info)).select_related(None)
        return qs.filter(item_id=_pk(item_id)) if item_id else qs  # type: ignore[return-value]

    @strawberry_django.connection(ListConnectionWithTotalCount[PurchaseRequestType],
                                  description="Purchase requests, newest first (partners with assets:read).")
    @filtered(F.PurchaseRequestFilter, F.PurchaseRequestOrder)
    def purchase_request_list(self, info: Info, status: PurchaseRequestStatus | None = None) -> Iterable[PurchaseRequestType]:
        require_school_reader(info, READ)
        user, as_partner = _reader(info)
        return selectors.purchase_list_for(  # type: ignore[return-value]
            user=user, status=status or "", as_partner=as_partner
        ).select_related(None)

    @strawberry_django.field(description="One purchase request, by its number (e.g. CG2026110001).")
    def purchase_request(self, info: Info, number: str) -> PurchaseRequestType:
        require_school_reader(info, READ)
        user, as_partner = _reader(info)
        return selectors.purchase_get_for(user=user, number=number, as_partner=as_partner)  # type: ignore[return-value]

    @strawberry_django.connection(ListConnectionWithTotalCount[AcceptanceType],
                                  description="Acceptance records (验收), newest first; of one purchase request if given.")
    @filtered(F.AcceptanceFilter, F.AcceptanceOrder)
    def acceptance_list(self, info: Info, purchase_request_id: strawberry.ID | None = None) -> Iterable[AcceptanceType]:
        require_school_reader(info, READ)
        user, as_partner = _reader(info)
        request = _purchase(info, purchase_request_id) if purchase_request_id else None
        return selectors.acceptance_list_for(  # type: ignore[return-value]
            user=user, request=request, as_partner=as_partner
        ).select_related(None)

    @strawberry_django.connection(ListConnectionWithTotalCount[RequisitionType])
    @filtered(F.RequisitionFilter, F.RequisitionOrder)
    def requisition_list(self, info: Info) -> Iterable[RequisitionType]:
        require_school_reader(info, READ)
        return selectors.requisition_list_for(user=current_user(info)).select_related(None)  # type: ignore[return-value]

    @strawberry_django.connection(ListConnectionWithTotalCount[LoanType])
    @filtered(F.LoanFilter, F.LoanOrder)
    def loan_list(self, info: Info, open_only: bool = False, overdue_only: bool = False) -> Iterable[LoanType]:
        require_school_reader(info, READ)
        return selectors.loan_list_for(  # type: ignore[return-value]
            user=current_user(info), open_only=open_only, overdue_only=overdue_only
        ).select_related(None)

    @strawberry_django.connection(ListConnectionWithTotalCount[LoanRequestType])
    @filtered(F.LoanRequestFilter, F.LoanRequestOrder)
    def loan_request_list(self, info: Info) -> Iterable[LoanRequestType]:
        require_school_reader(info, READ)
        return selectors.loan_request_list_for(user=current_user(info)).select_related(None)  # type: ignore[return-value]

    @strawberry_django.connection(ListConnectionWithTotalCount[TransferType])
    @filtered(F.TransferFilter, F.TransferOrder)
    def transfer_list(self, info: Info) -> Iterable[TransferType]:
        require_school_reader(info, READ)
        return selectors.transfer_list_for(user=current_user(info)).select_related(None)  # type: ignore[return-value]

    @strawberry_django.connection(ListConnectionWithTotalCount[DisposalType])
    @filtered(F.DisposalFilter, F.DisposalOrder)
    def disposal_list(self, info: Info) -> Iterable[DisposalType]:
        require_school_reader(info, READ)
        return selectors.disposal_list_for(user=current_user(info)).select_related(None)  # type: ignore[return-value]

    @strawberry_django.connection(ListConnectionWithTotalCount[StocktakeType])
    @filtered(F.StocktakeFilter, F.StocktakeOrder)
    def stocktake_list(self, info: Info) -> Iterable[StocktakeType]:
        require_school_reader(info, READ)
        return Stocktake.objects.order_by("-planned_on", "-id")  # type: ignore[return-value]

    @strawberry.field(description="Count and original value of in-service assets by kind.")
    def asset_totals(self, info: Info) -> list[TotalRowType]:
        require_school_reader(info, READ)
        totals = selectors.asset_totals(user=current_user(info))["by_kind"]
        return [
            TotalRowType(key=key, label=str(AssetKind(key).label), count=row["count"], value=row["value"])
            for key, row in sorted(totals.items())
        ]


def _room(value) -> Room | None:
    return Room.objects.get(pk=_pk(value)) if value else None


def _department(value) -> Department | None:
    return Department.objects.get(pk=_pk(value)) if value else None


DEPARTMENT_TYPES = ("DepartmentType", "AssetsDepartmentType")


def _department_here(value) -> Department:
    """A department of this school by plain or global id; a clear input error otherwise (nothing is created)."""
    from django.core.exceptions import ValidationError
    from django.utils.translation import gettext as _

    text = str(value or "").strip()
    pk = None
    if text.isdigit():
        pk = int(text)
    else:
        try:
            global_id = relay.GlobalID.from_id(text)
            if global_id.type_name in DEPARTMENT_TYPES and str(global_id.node_id).isdigit():
                pk = int(global_id.node_id)
        except Exception:  # noqa: BLE001 - a malformed id is the caller's input
            pk = None
    department = Department.objects.filter(pk=pk).first() if pk is not None else None
    if department is None:
        raise ValidationError({"department_id": _("No department with this id in this school.")})
    return department


def _actor(info: Info):
    """(the acting person, or None; the partner client, or None) of a write the resolver has allowed."""
    partner = current_partner(info)
    if partner is not None:
        return None, partner.client
    return current_user(info), None


def _person(info: Info, value, *, field: str) -> User:
    """A person of this school by plain or global id: NOT_FOUND alike for another school's account and a made-up id."""
    try:
        return member_get_for(actor=current_user(info), school=current_school(info), user_id=_pk(value))
    except PersonNotFound as exc:
        raise HouqinGraphQLError(str(exc), Code.NOT_FOUND, field=field) from exc


def _person_or_none(info: Info, value, *, field: str) -> User | None:
    return _person(info, value, field=field) if value else None


def _category(code: str) -> Category:
    from django.core.exceptions import ValidationError
    from django.utils.translation import gettext as _

    category = Category.objects.filter(code=code).first()
    if category is None:
        raise ValidationError({"category_code": _("Unknown category code %(code)s.") % {"code": code}})
    return category


@strawberry.type
class AssetsMutation:
    @strawberry.mutation(description="Book an asset card (custodian, logistics director).")
    def asset_create(self, info: Info, data: AssetInput) -> AssetType:
        require_school_role(info, MANAGERS, scope=PEOPLE_ONLY)
        fields = {
            "name": data.name, "category": _category(data.category_code), "unit_price": data.unit_price,
            "quantity": data.quantity, "unit": data.unit, "brand": data.brand, "model": data.model, "spec": data.spec,
            "serial_number": data.serial_number, "invoice_number": data.invoice_number,
            "funding_source": data.funding_source, "procurement_form": data.procurement_form,
            "warranty_end": data.warranty_end, "use": data.use, "room": _room(data.room_id),
            "department": _department(data.department_id),
        }
        if data.booked_on:
            fields["booked_on"] = data.booked_on
        return services.asset_create(actor=current_user(info), asset_number=data.asset_number, **fields)  # type: ignore[return-value]

    @strawberry.mutation(description="Set an asset's condition, with the reason kept in its history.")
    def asset_condition_set(self, info: Info, asset_number: str, condition: AssetCondition, reason: str) -> AssetType:
        require_school_role(info, MANAGERS, scope=PEOPLE_ONLY)
        return services.asset_condition_set(  # type: ignore[return-value]
            asset=_asset(info, asset_number), condition=condition, actor=current_user(info), reason=reason
        )

    @strawberry.mutation(description="Put consumables into stock.")
    def consumable_receive(self, info: Info, item_id: strawberry.ID, quantity: int, reason: str,
                           reference: str = "") -> StockMovementType:
        require_school_role(info, MANAGERS, scope=PEOPLE_ONLY)
        item = ConsumableItem.objects.get(pk=_pk(item_id))
        return services.consumable_receive(  # type: ignore[return-value]
            item=item, quantity=quantity, actor=current_user(info), reason=reason, reference=reference
        )

    @strawberry.mutation(description="Issue consumables from stock; refused beyond what is on hand.")
    def consumable_issue(self, info: Info, item_id: strawberry.ID, quantity: int, reason: str,
                         reference: str = "") -> StockMovementType:
        require_school_role(info, MANAGERS, scope=PEOPLE_ONLY)
        item = ConsumableItem.objects.get(pk=_pk(item_id))
        return services.consumable_issue(  # type: ignore[return-value]
            item=item, quantity=quantity, actor=current_user(info), reason=reason, reference=reference
        )

    @strawberry.mutation(description="Ask for consumables (any member of staff).")
    def requisition_create(self, info: Info, item_id: strawberry.ID, quantity: int, reason: str) -> RequisitionType:
        require_school_role(info, STAFF, scope=PEOPLE_ONLY)
        item = ConsumableItem.objects.get(pk=_pk(item_id))
        return services.requisition_create(  # type: ignore[return-value]
            item=item, quantity=quantity, requester=current_user(info), reason=reason
        )

    @strawberry.mutation(description="Approve/reject (principal), issue (custodian) or confirm receipt (requester).")
    def requisition_act(self, info: Info, id: strawberry.ID, action: str) -> RequisitionType:
        require_school_role(info, STAFF, scope=PEOPLE_ONLY)
        requisition = Requisition.objects.get(pk=_pk(id))
        user = current_user(info)
        if action in ("approve", "reject"):
            require_school_role(info, APPROVERS, scope=PEOPLE_ONLY)
            return services.requisition_decide(requisition=requisition, actor=user, approve=action == "approve")  # type: ignore[return-value]
        if action == "issue":
            return services.requisition_issue(requisition=requisition, actor=user)  # type: ignore[return-value]
        if action == "confirm":
            return services.requisition_confirm(requisition=requisition, actor=user)  # type: ignore[return-value]
        from django.core.exceptions import ValidationError

        raise ValidationError({"action": "Unknown action."})

    @strawberry.mutation(description="Draft a purchase request with its lines (staff; partners with assets:write).",
                         metadata=PARTNER_MUTATION)
    def purchase_request_create(self, info: Info, data: PurchaseRequestInput) -> PurchaseRequestType:
        require_school_role(info, STAFF, scope=WRITE)
        user, partner = _actor(info)
        lines = [
            services.LineInput(name=line.name, category=_category(line.category_code), quantity=line.quantity,
                               estimated_unit_price=line.estimated_unit_price, unit=line.unit, spec=line.spec)
            for line in data.lines
        ]
        return services.purchase_request_create(  # type: ignore[return-value]
            actor=user, partner=partner, department=_department_here(data.department_id), title=data.title,
            reason=data.reason, channel=data.channel, lines=lines, funding_source=data.funding_source,
        )

    @strawberry.mutation(description="Submit a draft purchase request for approval (a partner: the ones it sent).",
                         metadata=PARTNER_MUTATION)
    def purchase_request_submit(self, info: Info, id: strawberry.ID) -> PurchaseRequestType:
        require_school_role(info, STAFF, scope=WRITE)
        user, partner = _actor(info)
        return services.purchase_request_submit(  # type: ignore[return-value]
            request=_purchase(info, id), actor=user, partner=partner
        )

    @strawberry.mutation(description="Decide a purchase request: the principal, then the bureau above its limit.")
    def purchase_request_decide(self, info: Info, id: strawberry.ID, approve: bool, comment: str = "") -> PurchaseRequestType:
        # Approving is for the principal and the bureau, never for a token.
        refuse_partners(info)
        # Bureau approvers act here through the school's host; the service checks who may decide which level.
        require_school_writable(info)
        request = PurchaseRequest.objects.get(pk=_pk(id))
        return services.purchase_request_decide(  # type: ignore[return-value]
            request=request, actor=current_user(info), approve=approve, comment=comment
        )

    @strawberry.mutation(description="Record an acceptance (验收) and book what passed.")
    def acceptance_record(self, info: Info, data: AcceptanceInput) -> PurchaseRequestType:
        # The acceptance group checks the goods in person; partners read the records (acceptanceList).
        require_school_role(info, MANAGERS, scope=PEOPLE_ONLY)
        request = PurchaseRequest.objects.get(pk=_pk(data.purchase_request_id))
        lines = [
            services.AcceptedLine(line=PurchaseLine.objects.get(pk=_pk(x.line_id), request=request), accepted=x.accepted,
                                  rejected=x.rejected, unit_price=x.unit_price, note=x.note)
            for x in data.lines
        ]
        services.acceptance_record(
            request=request, actor=current_user(info),
            members=[_person(info, m, field="memberIds") for m in data.member_ids],
            actual_user=_person(info, data.actual_user_id, field="actualUserId"), lines=lines,
            invoice_number=data.invoice_number,
            room=_room(data.room_id), accepted_on=data.accepted_on, plan=data.plan, stage=data.stage, agent=data.agent,
            buyer_confirmation=data.buyer_confirmation,
        )
        return PurchaseRequest.objects.get(pk=request.pk)  # type: ignore[return-value]

    @strawberry.mutation(description="Lend an asset.")
    def loan_create(self, info: Info, data: LoanInput) -> LoanType:
        require_school_role(info, MANAGERS, scope=PEOPLE_ONLY)
        return services.loan_create(  # type: ignore[return-value]
            asset=_asset(info, data.asset_number), borrower=_person(info, data.borrower_id, field="borrowerId"),
            actor=current_user(info),
            due_on=data.due_on, purpose=data.purpose,
        )

    @strawberry.mutation(description="Ask to borrow an asset (any member of staff).")
    def loan_request_create(self, info: Info, asset_number: str, due_on: dt.date, purpose: str) -> LoanRequestType:
        require_school_role(info, STAFF, scope=PEOPLE_ONLY)
        return services.loan_request_create(  # type: ignore[return-value]
            asset=_asset(info, asset_number), requester=current_user(info), purpose=purpose, due_on=due_on
        )

    @strawberry.mutation(description="Lend the asset to the requester, or turn the request down (custodian).")
    def loan_request_decide(self, info: Info, id: strawberry.ID, approve: bool) -> LoanRequestType:
        require_school_role(info, MANAGERS, scope=PEOPLE_ONLY)
        return services.loan_request_decide(  # type: ignore[return-value]
            request=LoanRequest.objects.get(pk=_pk(id)), actor=current_user(info), approve=approve
        )

    @strawberry.mutation(description="Take a lent asset back.")
    def loan_return(self, info: Info, asset_number: str, condition_note: str = "", damaged: bool = False) -> LoanType:
        require_school_role(info, MANAGERS, scope=PEOPLE_ONLY)
        return services.loan_return(  # type: ignore[return-value]
            asset=_asset(info, asset_number), actor=current_user(info), condition_note=condition_note, damaged=damaged
        )

    @strawberry.mutation(description="Ask to move an asset to another department, room or user.")
    def transfer_request(self, info: Info, data: TransferInput) -> TransferType:
        require_school_role(info, STAFF, scope=PEOPLE_ONLY)
        return services.transfer_request(  # type: ignore[return-value]
            asset=_asset(info, data.asset_number), actor=current_user(info), reason=data.reason,
            to_department=_department(data.to_department_id), to_room=_room(data.to_room_id),
            to_user=_person_or_none(info, data.to_user_id, field="toUserId"),
        )

    @strawberry.mutation(description="Confirm or reject a transfer (logistics office).")
    def transfer_decide(self, info: Info, id: strawberry.ID, confirm: bool) -> TransferType:
        require_school_role(info, MANAGERS, scope=PEOPLE_ONLY)
        return services.transfer_decide(  # type: ignore[return-value]
            transfer=Transfer.objects.get(pk=_pk(id)), actor=current_user(info), confirm=confirm
        )

    @strawberry.mutation(description="Propose a disposal (调剂/捐赠/变卖/报损/报废).")
    def disposal_request(self, info: Info, data: DisposalInput) -> DisposalType:
        require_school_role(info, MANAGERS, scope=PEOPLE_ONLY)
        return services.disposal_request(  # type: ignore[return-value]
            asset=_asset(info, data.asset_number), actor=current_user(info), method=data.method, reason=data.reason,
            justification=data.justification, proceeds=data.proceeds,
        )

    @strawberry.mutation(description="Decide a disposal: the principal, or the bureau for early scrapping.")
    def disposal_decide(self, info: Info, id: strawberry.ID, approve: bool) -> DisposalType:
        refuse_partners(info)
        # The bureau decides early scrapping through the school's host; the service checks who decides.
        require_school_writable(info)
        return services.disposal_decide(  # type: ignore[return-value]
            disposal=Disposal.objects.get(pk=_pk(id)), actor=current_user(info), approve=approve
        )

    @strawberry.mutation(description="Plan a stocktake of rooms.")
    def stocktake_create(self, info: Info, name: str, room_ids: list[strawberry.ID]) -> StocktakeType:
        require_school_role(info, MANAGERS, scope=PEOPLE_ONLY)
        rooms = list(Room.objects.filter(pk__in=[_pk(r) for r in room_ids]))
        return services.stocktake_create(actor=current_user(info), name=name, rooms=rooms)  # type: ignore[return-value]

    @strawberry.mutation(description="Record a scanned label in a room.")
    def stocktake_scan(self, info: Info, stocktake_id: strawberry.ID, room_id: strawberry.ID, code: str) -> StocktakeType:
        require_school_role(info, MANAGERS | {"teacher"}, scope=PEOPLE_ONLY)
        stocktake = Stocktake.objects.get(pk=_pk(stocktake_id))
        room = stocktake.rooms.get(pk=_pk(room_id))
        services.stocktake_scan(stocktake=stocktake, room=room, code=code, actor=current_user(info))
        return stocktake  # type: ignore[return-value]

    @strawberry.mutation(description="Finish counting.")
    def stocktake_finish(self, info: Info, id: strawberry.ID) -> StocktakeType:
        require_school_role(info, MANAGERS, scope=PEOPLE_ONLY)
        return services.stocktake_finish(stocktake=Stocktake.objects.get(pk=_pk(id)), actor=current_user(info))  # type: ignore[return-value]

    @strawberry.mutation(description="Act on one discrepancy of a stocktake.")
    def stocktake_resolve(self, info: Info, id: strawberry.ID, code: str, action: str, note: str = "") -> StocktakeType:
        require_school_role(info, MANAGERS, scope=PEOPLE_ONLY)
        stocktake = Stocktake.objects.get(pk=_pk(id))
        services.stocktake_resolve(stocktake=stocktake, code=code, action=action, actor=current_user(info), note=note)
        return stocktake  # type: ignore[return-value]


