"""The schools enums of the contract, one per TextChoices (api/enums.py)."""

from __future__ import annotations

from enum import StrEnum

import strawberry

from api.enums import choices_enum
from schools import choices

BuildingSafetyGrade = choices_enum(
    choices.SafetyGrade, "BuildingSafetyGrade", "A building's appraised safety grade."
)
BuildingHandling = choices_enum(
    choices.Handling, "BuildingHandling", "How a building of its grade is handled."
)
RoomPurpose = choices_enum(choices.RoomPurpose, "RoomPurpose", "What a room is used for.")
OnCampusUnitKind = choices_enum(choices.UnitKind, "OnCampusUnitKind", "What an on-campus unit is.")
CapitalProjectKind = choices_enum(choices.ProjectKind, "CapitalProjectKind", "What a capital project builds.")
FundingSource = choices_enum(choices.FundingSource, "FundingSource", "Where a project's money comes from.")
ProcurementChannel = choices_enum(choices.ProcurementChannel, "ProcurementChannel", "How a project procures.")
CapitalProjectStage = choices_enum(choices.ProjectStage, "CapitalProjectStage", "Where a capital project is.")
ProjectDocumentKind = choices_enum(choices.DocumentKind, "ProjectDocumentKind", "What a project document is.")
FeedbackChannel = choices_enum(choices.FeedbackChannel, "FeedbackChannel", "How feedback reached the school.")
FeedbackCategory = choices_enum(choices.FeedbackCategory, "FeedbackCategory", "Suggestion, complaint, …")
ConvenienceServiceKind = choices_enum(
    choices.ServiceKind, "ConvenienceServiceKind", "What a convenience service was."
)


@strawberry.enum(description="Where feedback is: waiting for its callback, late (24 h), or called back.")
class FeedbackState(StrEnum):
    OPEN = "open"
    OVERDUE = "overdue"
    DONE = "done"


@strawberry.enum(description="A found item still kept, or handed back.")
class LostItemState(StrEnum):
    KEPT = "kept"
    RETURNED = "returned"
