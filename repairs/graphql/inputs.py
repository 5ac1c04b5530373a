from __future__ import annotations

import strawberry

from .enums import WorkOrderSeverity


@strawberry.input(description="Report a fault (room or place required).")
class WorkOrderReportInput:
    title: str
    room_id: int | None = None
    asset_number: str | None = None
    location_note: str = ""
    description: str = ""


@strawberry.input(description="Grade an order and assign it to a maintenance worker or a vendor.")
class WorkOrderTriageInput:
    reference: str
    severity: WorkOrderSeverity
    assignee_username: str | None = None
    vendor_name: str = ""


@strawberry.input
class WorkOrderCompleteInput:
    reference: str
    closing_note: str
    labour_minutes: int = 0


@strawberry.input
class WorkOrderConfirmInput:
    reference: str
    rating: int
    comment: str = ""
