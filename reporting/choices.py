from django.db import models
from django.utils.translation import gettext_lazy as _


class AwardLevel(models.TextChoices):
    DISTRICT = "district", _("District level")
    CITY = "city", _("City level")
    PROVINCE = "province", _("Province level")


class AwardKind(models.TextChoices):
    SAFE_CAMPUS = "safe_campus", _("Safe campus")
    GREEN = "green", _("Green school")
    GARDEN = "garden", _("Garden-style school")
    CUSTOM = "custom", _("Other")


class ApplicationStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    GRANTED = "granted", _("Granted")
    REJECTED = "rejected", _("Rejected")
