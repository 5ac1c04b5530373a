from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class RoundKind(models.TextChoices):
    SELF_CHECK = "self_check", _("Department self-check")
    RECHECK = "recheck", _("Logistics re-check")
    SWEEP = "sweep", _("School-wide sweep")
    CAMPAIGN = "campaign", _("Bureau campaign")


class Area(models.TextChoices):
    BUILDINGS = "buildings", _("School buildings")
    FIRE = "fire", _("Fire safety")
    ELECTRICITY = "electricity", _("Electricity")
    FOOD = "food", _("Food")
    TRAFFIC = "traffic", _("Traffic")
    SURROUNDINGS = "surroundings", _("Surroundings")
    EQUIPMENT = "equipment", _("Equipment")
    OTHER = "other", _("Other")


class ItemResult(models.TextChoices):
    PENDING = "pending", _("Not checked")
    PASS = "pass", _("Passed")
    FAIL = "fail", pgettext_lazy("check result", "Failed")


class HazardGrade(models.TextChoices):
    GENERAL = "general", _("General")
    MAJOR = "major", _("Major")


class HazardStatus(models.TextChoices):
    OPEN = "open", _("Not yet rectified")
    RECTIFIED = "rectified", _("Rectified, awaiting verification")
    # 销号, the rules' word: a plain "Closed" is a project's 结项 in the shared catalogue.
    CLOSED = "closed", pgettext_lazy("hazard status", "Closed")


class PhotoStage(models.TextChoices):
    BEFORE = "before", _("As found")
    AFTER = "after", _("After rectification")


class AgreementKind(models.TextChoices):
    SAFETY = "safety", _("Safety work responsibility agreement")
    FIRE = "fire", _("Fire safety responsibility agreement")
    PARENT_NOTICE = "parent_notice", _("Notice to parents")
    ROUTE = "route", _("Student route safety agreement")


class PartyKind(models.TextChoices):
    TEACHER = "teacher", _("Teacher")
    DEPARTMENT = "department", _("Department")
    UNIT = "unit", _("On-campus unit")
    PARENT = "parent", _("Parent")


class SignedVia(models.TextChoices):
    ONLINE = "online", _("Signed online")
    SCAN = "scan", _("Paper copy scanned")


class Shift(models.TextChoices):
    MORNING = "morning", _("Morning")
    NOON = "noon", _("Noon")
    AFTERNOON = "afternoon", _("After school")
    NIGHT = "night", _("Night")


class TeamKind(models.TextChoices):
    GUARD = "guard", _("Gate guard")
    TEACHER = "teacher", _("Teachers' security team")


class DrillKind(models.TextChoices):
    FIRE = "fire", _("Fire")
    EARTHQUAKE = "earthquake", _("Earthquake")
    FLOOD = "flood", _("Flood")
    INTRUDER = "intruder", _("Intruder")
    # 应急疏散演练 in its own right (教基一厅〔2014〕2号): the one with the 2-minute target.
    EVACUATION = "evacuation", _("Emergency evacuation")
    OTHER = "other", _("Other")


class EducationKind(models.TextChoices):
    FLAG_SPEECH = "flag_speech", _("Speech under the national flag")
    RADIO = "radio", _("Red Scarf radio")
    CLASS_MEETING = "class_meeting", _("Theme class meeting")
    PARENT_LETTER = "parent_letter", _("Letter to parents")


class CheckSession(models.TextChoices):
    MORNING = "morning", _("Morning check")
    NOON = "noon", _("Noon check")


class CameraStatus(models.TextChoices):
    WORKING = "working", _("Working")
    FAULTY = "faulty", _("Faulty")
    OFFLINE = "offline", _("Offline")


class EquipmentKind(models.TextChoices):
    FORK = "fork", _("Restraint fork")
    BATON = "baton", _("Rubber baton")
    PEPPER_SPRAY = "pepper_spray", _("Pepper spray")
    SHIELD = "shield", _("Riot shield")
    HELMET = "helmet", _("Helmet")
    STAB_VEST = "stab_vest", _("Stab-proof vest")
    OTHER = "other", _("Other")


class PatrolKind(models.TextChoices):
    SECURITY = "security", _("Security patrol of key areas")
    # 防火巡查 (公安部令第61号 第二十五条): daily for fire-safety key units, at night for boarding schools and kindergartens.
    FIRE = "fire", _("Fire patrol")


class Meal(models.TextChoices):
    BREAKFAST = "breakfast", _("Breakfast")
    LUNCH = "lunch", _("Lunch")
    DINNER = "dinner", _("Dinner")


class Relation(models.TextChoices):
    FATHER = "father", _("Father")
    MOTHER = "mother", _("Mother")
    GRANDPARENT = "grandparent", _("Grandparent")
    OTHER_RELATIVE = "relative", _("Other relative")
    ENTRUSTED = "entrusted", _("Person entrusted by the guardian")
