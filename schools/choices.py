from django.db import models
from django.utils.translation import gettext_lazy as _


class SafetyGrade(models.TextChoices):
    A = "A", _("Grade A")
    B = "B", _("Grade B")
    C = "C", _("Grade C")
    D = "D", _("Grade D")


class Handling(models.TextChoices):
    OBSERVE = "observe", _("Continue use under observation")
    TREAT = "treat", _("Use after treatment")
    STOP = "stop", _("Stop using")
    DEMOLISH = "demolish", _("Demolish entirely")


class RoomPurpose(models.TextChoices):
    CLASSROOM = "classroom", _("Classroom")
    OFFICE = "office", _("Office")
    FUNCTION_HALL = "function_hall", _("Function hall")
    LAB = "lab", _("Laboratory")
    COMPUTER_ROOM = "computer_room", _("Computer room")
    STORE = "store", _("Store room")
    DORMITORY = "dormitory", _("Dormitory")
    CANTEEN = "canteen", _("Canteen")
    GUARD_ROOM = "guard_room", _("Guard room")
    OTHER = "other", _("Other")


class UnitKind(models.TextChoices):
    KINDERGARTEN = "kindergarten", _("Kindergarten")
    TRAINING_SCHOOL = "training_school", _("Training school")
    CANTEEN = "canteen", _("Canteen operator")
    SHOP = "shop", _("Shop")
    OTHER = "other", _("Other")
