"""The assets enums of the contract, one per TextChoices (api/enums.py)."""

from __future__ import annotations

from api.enums import choices_enum
from assets import choices

AssetKind = choices_enum(choices.AssetKind, "AssetKind", "Fixed asset or low-value consumable.")
AssetCondition = choices_enum(choices.Condition, "AssetCondition", "The state an asset card is in.")
ProcurementForm = choices_enum(choices.ProcurementForm, "ProcurementForm", "How an asset was or is procured.")
AssetUse = choices_enum(choices.AssetUse, "AssetUse", "What an asset is used for.")
StockMovementKind = choices_enum(choices.MovementKind, "StockMovementKind", "In, out or adjusted.")
PurchaseRequestStatus = choices_enum(
    choices.PurchaseStatus, "PurchaseRequestStatus", "Where a purchase request is in its approval."
)
ApprovalLevel = choices_enum(choices.ApprovalLevel, "ApprovalLevel", "Who decides: the school or the bureau.")
ApprovalDecision = choices_enum(choices.Decision, "ApprovalDecision", "Approved or rejected.")
RequisitionStatus = choices_enum(choices.RequisitionStatus, "RequisitionStatus", "Where a requisition is.")
TransferStatus = choices_enum(choices.TransferStatus, "TransferStatus", "Where a transfer or loan is.")
DisposalMethod = choices_enum(choices.DisposalMethod, "DisposalMethod", "How an asset leaves the books.")
DisposalStatus = choices_enum(choices.DisposalStatus, "DisposalStatus", "Where a disposal is.")
StocktakeStatus = choices_enum(choices.StocktakeStatus, "StocktakeStatus", "Counting or finished.")
