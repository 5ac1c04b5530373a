"""The safety enums of the contract, one per TextChoices (api/enums.py)."""

from __future__ import annotations

from api.enums import choices_enum
from safety import choices

InspectionKind = choices_enum(
    choices.RoundKind, "InspectionKind", "What kind of inspection round a checklist is for."
)
SafetyArea = choices_enum(choices.Area, "SafetyArea", "The area of a checklist line or a hazard's category.")
ChecklistResult = choices_enum(choices.ItemResult, "ChecklistResult", "The result of one checklist line.")
HazardGrade = choices_enum(choices.HazardGrade, "HazardGrade", "General or major hazard.")
HazardStatus = choices_enum(choices.HazardStatus, "HazardStatus", "Where a hazard is in its rectification.")
AgreementKind = choices_enum(choices.AgreementKind, "AgreementKind", "Which safety agreement.")
AgreementPartyKind = choices_enum(choices.PartyKind, "AgreementPartyKind", "Who signs an agreement.")
AgreementSignedVia = choices_enum(choices.SignedVia, "AgreementSignedVia", "Signed online or a paper scan.")
PatrolShift = choices_enum(choices.Shift, "PatrolShift", "The shift of a patrol or a guard.")
SecurityTeamKind = choices_enum(choices.TeamKind, "SecurityTeamKind", "Which security team.")
DrillKind = choices_enum(choices.DrillKind, "DrillKind", "What a drill or an emergency plan is for.")
EducationKind = choices_enum(choices.EducationKind, "EducationKind", "What kind of safety education.")
HealthCheckSession = choices_enum(
    choices.CheckSession, "HealthCheckSession", "Morning, noon or afternoon check."
)
CameraStatus = choices_enum(choices.CameraStatus, "CameraStatus", "Whether a camera works.")
SecurityEquipmentKind = choices_enum(
    choices.EquipmentKind, "SecurityEquipmentKind", "What piece of equipment."
)
