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


class ProjectKind(models.TextChoices):
    REINFORCEMENT = "reinforcement", _("Reinforcement and renovation")
    CAMPUS_CULTURE = "campus_culture", _("Campus culture")
    LAND = "land", _("Land revitalisation")
    EQUIPMENT = "equipment", _("Equipment")
    OTHER = "other", _("Other")


class FundingSource(models.TextChoices):
    FISCAL = "fiscal", _("Public funds")
    SELF = "self", _("Self-raised")
    SOCIAL = "social", _("Social funds")
    PARTNERSHIP = "partnership", _("School–business partnership")


class ProcurementChannel(models.TextChoices):
    GOVERNMENT = "government", _("Government procurement")
    SELF = "self", _("Own procurement")


class ProjectStage(models.TextChoices):
    PROPOSAL = "proposal", _("Proposal")
    FEASIBILITY = "feasibility", _("Feasibility study")
    APPROVAL = "approval", _("Approval")
    PROCUREMENT = "procurement", _("Procurement")
    DESIGN = "design", _("Design and drawing review")
    CONSTRUCTION = "construction", _("Construction")
    ACCEPTANCE = "acceptance", _("Acceptance")
    CLOSED = "closed", _("Closed")


STAGE_ORDER = [stage.value for stage in ProjectStage]
# Stages in which a reinforcement project still counts as "active" (a C/D building is being handled).
ACTIVE_STAGES = frozenset(STAGE_ORDER[:-1])


class DocumentKind(models.TextChoices):
    PROPOSAL = "proposal", _("Proposal or request")
    STUDY = "study", _("Study or report")
    APPROVAL = "approval", _("Approval document")
    DESIGN = "design", _("Design or drawing")
    CONTRACT = "contract", _("Contract scan")
    ACCEPTANCE = "acceptance", _("Acceptance record")
    PHOTO = "photo", _("Photo")
    OTHER = "other", _("Other")


class FeedbackChannel(models.TextChoices):
    BOX = "box", _("Suggestion box")
    PHONE = "phone", _("Complaint phone")
    FACE = "face", _("Face-to-face")
    FORUM = "forum", _("Student forum")
    FORM = "form", _("Opinion form")
    ONLINE = "online", _("Online")


class FeedbackCategory(models.TextChoices):
    SUGGESTION = "suggestion", _("Suggestion")
    COMPLAINT = "complaint", _("Complaint")
    PRAISE = "praise", _("Praise")
    REPAIR = "repair", _("Repair request")
    OTHER = "other", _("Other")


class ServiceKind(models.TextChoices):
    UNLOCK = "unlock", _("Unlocking")
    WINDOW = "window", _("Opening a door through the window")
    HOSPITAL = "hospital", _("Taking a sick student to hospital")
    PUMP = "pump", _("Tyre pump lending")
    TRANSPORT = "transport", _("Arranging transport")
    OTHER = "other", _("Other")
