"""Filters and ordering of the assets lists (issue 22, part 2): what the web lists filter (assets/views.py and
forms.AssetFilterForm: q, kind, condition, category code, room, department, status, dates)."""

from __future__ import annotations

import strawberry_django
from django.db.models import F, Q
from strawberry import auto, relay

from api.filters import DateRange, by_global_id, date_range, search
from assets import models

from .enums import (
    AssetCondition,
    AssetKind,
    DisposalMethod,
    DisposalStatus,
    ProcurementForm,
    PurchaseRequestStatus,
    RequisitionStatus,
    StockMovementKind,
    StocktakeStatus,
    TransferStatus,
)

ROOMS = ("RoomType", "AssetsRoomType")
DEPARTMENTS = ("DepartmentType", "AssetsDepartmentType")


@strawberry_django.filter_type(models.Asset)
class AssetFilter:
    kind: AssetKind | None = strawberry_django.filter_field()
    condition: AssetCondition | None = strawberry_django.filter_field()
    procurement_form: ProcurementForm | None = strawberry_django.filter_field()

    @strawberry_django.filter_field(description="Of this category or below it (GB/T 14885 code, e.g. A0201).")
    def category_code(self, value: str, prefix: str) -> Q:
        code = value.strip()
        return Q(**{f"{prefix}category__code__startswith": code.rstrip("0") or code})

    @strawberry_django.filter_field(description="In this room (its global id).")
    def room(self, value: relay.GlobalID, prefix: str) -> Q:
        return by_global_id("room_id", value, prefix, ROOMS)

    @strawberry_django.filter_field(description="Of this department (its global id).")
    def department(self, value: relay.GlobalID, prefix: str) -> Q:
        return by_global_id("department_id", value, prefix, DEPARTMENTS)

    @strawberry_django.filter_field(description="Booked on these dates.")
    def booked_on(self, value: DateRange, prefix: str) -> Q:
        return date_range("booked_on", value, prefix)

    @strawberry_django.filter_field(description="Text search, as the ledger's (number, name, serial number).")
    def q(self, value: str, prefix: str) -> Q:
        text = value.strip()
        if not text:
            return Q()
        return (
            Q(**{f"{prefix}asset_number__startswith": text})
            | Q(**{f"{prefix}name__icontains": text})
            | Q(**{f"{prefix}serial_number": text})
        )


@strawberry_django.order_type(models.Asset)
class AssetOrder:
    asset_number: auto
    name: auto
    booked_on: auto
    unit_price: auto


@strawberry_django.filter_type(models.Category)
class CategoryFilter:
    is_special_equipment: bool | None = strawberry_django.filter_field()

    @strawberry_django.filter_field(description="Text search in the code and the name.")
    def q(self, value: str, prefix: str) -> Q:
        return search(("code", "name"), value, prefix)


@strawberry_django.order_type(models.Category)
class CategoryOrder:
    code: auto
    name: auto


@strawberry_django.filter_type(models.ConsumableItem)
class ConsumableItemFilter:
    @strawberry_django.filter_field(description="At or below its reorder level.")
    def low(self, value: bool, prefix: str) -> Q:
        condition = Q(**{f"{prefix}on_hand__lte": F(f"{prefix}reorder_level")})
        return condition if value else ~condition

    @strawberry_django.filter_field(description="Text search in the name and the spec.")
    def q(self, value: str, prefix: str) -> Q:
        return search(("name", "spec"), value, prefix)


@strawberry_django.order_type(models.ConsumableItem)
class ConsumableItemOrder:
    name: auto
    on_hand: auto


@strawberry_django.filter_type(models.StockMovement)
class StockMovementFilter:
    kind: StockMovementKind | None = strawberry_django.filter_field()

    @strawberry_django.filter_field(description="Recorded on these dates.")
    def created_at(self, value: DateRange, prefix: str) -> Q:
        return date_range("created_at", value, prefix, datetime=True)


@strawberry_django.order_type(models.StockMovement)
class StockMovementOrder:
    created_at: auto


@strawberry_django.filter_type(models.PurchaseRequest)
class PurchaseRequestFilter:
    status: PurchaseRequestStatus | None = strawberry_django.filter_field()
    channel: ProcurementForm | None = strawberry_django.filter_field()
    needs_bureau_approval: bool | None = strawberry_django.filter_field()

    @strawberry_django.filter_field(description="Of this department (its global id).")
    def department(self, value: relay.GlobalID, prefix: str) -> Q:
        return by_global_id("department_id", value, prefix, DEPARTMENTS)

    @strawberry_django.filter_field(description="Created on these dates.")
    def created_at(self, value: DateRange, prefix: str) -> Q:
        return date_range("created_at", value, prefix, datetime=True)

    @strawberry_django.filter_field(description="Text search in the number and the title.")
    def q(self, value: str, prefix: str) -> Q:
        return search(("number", "title"), value, prefix)


@strawberry_django.order_type(models.PurchaseRequest)
class PurchaseRequestOrder:
    number: auto
    created_at: auto
    submitted_at: auto


@strawberry_django.filter_type(models.Acceptance)
class AcceptanceFilter:
    @strawberry_django.filter_field(description="Accepted on these dates.")
    def accepted_on(self, value: DateRange, prefix: str) -> Q:
        return date_range("accepted_on", value, prefix)


@strawberry_django.order_type(models.Acceptance)
class AcceptanceOrder:
    accepted_on: auto
    created_at: auto


@strawberry_django.filter_type(models.Requisition)
class RequisitionFilter:
    status: RequisitionStatus | None = strawberry_django.filter_field()

    @strawberry_django.filter_field(description="Asked on these dates.")
    def created_at(self, value: DateRange, prefix: str) -> Q:
        return date_range("created_at", value, prefix, datetime=True)


@strawberry_django.order_type(models.Requisition)
class RequisitionOrder:
    created_at: auto


@strawberry_django.filter_type(models.Loan)
class LoanFilter:
    @strawberry_django.filter_field(description="Not yet returned.")
    def open(self, value: bool, prefix: str) -> Q:
        return Q(**{f"{prefix}returned_on__isnull": value})

    @strawberry_django.filter_field(description="Lent on these dates.")
    def lent_on(self, value: DateRange, prefix: str) -> Q:
        return date_range("lent_on", value, prefix)

    @strawberry_django.filter_field(description="Due back on these dates.")
    def due_on(self, value: DateRange, prefix: str) -> Q:
        return date_range("due_on", value, prefix)


@strawberry_django.order_type(models.Loan)
class LoanOrder:
    lent_on: auto
    due_on: auto


@strawberry_django.filter_type(models.LoanRequest)
class LoanRequestFilter:
    status: TransferStatus | None = strawberry_django.filter_field()


@strawberry_django.order_type(models.LoanRequest)
class LoanRequestOrder:
    created_at: auto
    due_on: auto


@strawberry_django.filter_type(models.Transfer)
class TransferFilter:
    status: TransferStatus | None = strawberry_django.filter_field()

    @strawberry_django.filter_field(description="Asked on these dates.")
    def created_at(self, value: DateRange, prefix: str) -> Q:
        return date_range("created_at", value, prefix, datetime=True)


@strawberry_django.order_type(models.Transfer)
class TransferOrder:
    created_at: auto
    decided_at: auto


@strawberry_django.filter_type(models.Disposal)
class DisposalFilter:
    status: DisposalStatus | None = strawberry_django.filter_field()
    method: DisposalMethod | None = strawberry_django.filter_field()
    is_early: bool | None = strawberry_django.filter_field()


@strawberry_django.order_type(models.Disposal)
class DisposalOrder:
    created_at: auto
    decided_at: auto


@strawberry_django.filter_type(models.Stocktake)
class StocktakeFilter:
    status: StocktakeStatus | None = strawberry_django.filter_field()

    @strawberry_django.filter_field(description="Planned on these dates.")
    def planned_on(self, value: DateRange, prefix: str) -> Q:
        return date_range("planned_on", value, prefix)


@strawberry_django.order_type(models.Stocktake)
class StocktakeOrder:
    planned_on: auto
    name: auto
