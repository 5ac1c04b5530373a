"""The tenants enums of the contract, one per TextChoices (api/enums.py)."""

from __future__ import annotations

from api.enums import choices_enum
from tenants import models

SchoolStatus = choices_enum(models.SchoolStatus, "SchoolStatus", "Active, or suspended (reads only).")
RobotProvider = choices_enum(models.RobotProvider, "RobotProvider", "The chat robot a channel posts to.")
