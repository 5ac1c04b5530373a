from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


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
    REJECTED = "rejected", pgettext_lazy("award application", "Rejected")


class CampaignArea(models.TextChoices):
    """Areas of a checklist item: the codes safety's inspection rounds accept."""

    BUILDINGS = "buildings", _("School buildings")
    FIRE = "fire", _("Fire safety")
    ELECTRICITY = "electricity", _("Electricity")
    FOOD = "food", _("Food")
    TRAFFIC = "traffic", _("Traffic")
    SURROUNDINGS = "surroundings", _("Surroundings")
    EQUIPMENT = "equipment", _("Equipment")
    OTHER = "other", _("Other")


# Words people write for an area (校舍｜…) → its code.
AREA_WORDS = [
    ("buildings", ("校舍", "教学楼", "楼", "房")),
    ("fire", ("消防", "火", "灭火")),
    ("electricity", ("用电", "电", "线路")),
    ("food", ("食堂", "食品", "餐", "饮")),
    ("traffic", ("交通", "校车", "路队", "道路")),
    ("surroundings", ("周边", "围墙", "场地", "校门", "环境", "挡土墙")),
    ("equipment", ("设备", "设施", "器材", "监控")),
]


def area_code(text: str) -> str:
    """The area code for what a person wrote ("校舍", "buildings", "消防" …); "other" when unknown."""
    text = (text or "").strip()
    if text in CampaignArea.values:
        return text
    for code, words in AREA_WORDS:
        if any(word in text for word in words):
            return code
    return CampaignArea.OTHER
