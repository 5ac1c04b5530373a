"""The reporting enums of the contract, one per TextChoices (api/enums.py)."""

from __future__ import annotations

from api.enums import choices_enum
from reporting import choices

AwardKind = choices_enum(choices.AwardKind, "AwardKind", "What an award programme recognises.")
AwardLevel = choices_enum(choices.AwardLevel, "AwardLevel", "The level of an award.")
