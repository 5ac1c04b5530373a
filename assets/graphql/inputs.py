from __future__ import annotations

import datetime as dt
from decimal import Decimal

import strawberry

from .enums import AssetUse, DisposalMethod, ProcurementForm


@strawberry.input
class AssetInput:
    name: str
    category_code: str
    unit_price: Decimal
    quantity: int = 1
    unit: str = "台"
    booked_on: dt.date | None = None
    brand: str = ""
    model: str = ""
    spec: str = ""
    serial_number: str = ""
    invoice_number: str = ""
    funding_source: str = ""
    procurement_form: ProcurementForm = ProcurementForm.DECENTRALISED
    warranty_end: dt.date | None = None
    use: AssetUse = AssetUse.TEACHING
    room_id: strawberry.ID | None = None
    department_id: strawberry.ID | None = None
    asset_number: str = ""


@strawberry.input
class PurchaseLineInput:
    name: str
    category_code: str
    quantity: int
    estimated_unit_price: Decimal
    unit: str = "台"
    spec: str = ""


@strawberry.input
class PurchaseRequestInput:
    title: str
    department_id: strawberry.ID
    reason: str
    channel: ProcurementForm
    lines: list[PurchaseLineInput]
    funding_source: str = ""


@strawberry.input
class AcceptedLineInput:
    line_id: strawberry.ID
    accepted: int
    rejected: int = 0
    unit_price: Decimal | None = None
    note: str = ""


@strawberry.input
class AcceptanceInput:
    purchase_request_id: strawberry.ID
    member_ids: list[strawberry.ID]
    actual_user_id: strawberry.ID
    lines: list[AcceptedLineInput]
    invoice_number: str = ""
    room_id: strawberry.ID | None = None
    accepted_on: dt.date | None = None
    plan: str = strawberry.field(default="", description="The written acceptance plan (财库〔2016〕205号).")
    stage: str = strawberry.field(default="", description="factory, arrival, installation or service for complex "
                                                        "goods accepted in stages; empty for a one-off acceptance.")
    agent: str = strawberry.field(default="", description="The procurement agent that accepted, if one did.")
    buyer_confirmation: str = strawberry.field(default="", description="The school's written confirmation of an "
                                                                     "agent's acceptance.")


@strawberry.input
class LoanInput:
    asset_number: str
    borrower_id: strawberry.ID
    due_on: dt.date
    purpose: str = ""


@strawberry.input
class TransferInput:
    asset_number: str
    reason: str
    to_department_id: strawberry.ID | None = None
    to_room_id: strawberry.ID | None = None
    to_user_id: strawberry.ID | None = None


@strawberry.input
class DisposalInput:
    asset_number: str
    method: DisposalMethod
    reason: str
    justification: str = ""
    proceeds: Decimal = Decimal("0")
