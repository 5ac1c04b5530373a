"""The repairs enums of the contract, one per TextChoices (api/enums.py)."""

from __future__ import annotations

from api.enums import choices_enum
from repairs import choices

WorkOrderSeverity = choices_enum(choices.Severity, "WorkOrderSeverity", "How big a repair is (its SLA).")
WorkOrderStatus = choices_enum(choices.Status, "WorkOrderStatus", "Where a work order is in its life.")
WorkOrderSource = choices_enum(choices.Source, "WorkOrderSource", "Where a work order was reported.")
ClockEventKind = choices_enum(choices.ClockEventKind, "ClockEventKind", "A change of an order's SLA clock.")
