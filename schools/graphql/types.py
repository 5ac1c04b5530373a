"""GraphQL types of the school core: only readers of the current school see them."""

from __future__ import annotations

import strawberry
import strawberry_django
from django.db.models import Exists, OuterRef
from django.urls import reverse
from strawberry import relay
from strawberry.types import Info

from api.enums import blank_to_none
from api.types import SchoolScopedType
from schools import models
from schools.selectors import WEAK_GRADES, active_reinforcement_projects

from .enums import (
    BuildingHandling,
    BuildingSafetyGrade,
    CapitalProjectKind,
    CapitalProjectStage,
    ConvenienceServiceKind,
    FeedbackCategory,
    FeedbackChannel,
    FundingSource,
    OnCampusUnitKind,
    ProcurementChannel,
    ProjectDocumentKind,
    RoomPurpose,
)


class _Scoped(SchoolScopedType):
    read_scope = "schools:read"


@strawberry_django.type(models.Department, fields=["name", "sort_order", "is_active"])
class DepartmentType(_Scoped, relay.Node):
    """A department of the school."""


@strawberry_django.type(
    models.BuildingAppraisal, fields=["grade", "appraised_on", "appraised_by", "notes", "recorded_at"]
)
class BuildingAppraisalType(_Scoped, relay.Node):
    """One safety appraisal (JGJ 125) of a building."""

    grade: BuildingSafetyGrade
    @strawberry_django.field(only=["handling"])
    def handling(self) -> BuildingHandling | None:
        return blank_to_none(self.handling)


@strawberry_django.type(
    models.Building,
    fields=["name", "year_built", "floors", "floor_area", "structure", "use", "appraised_on",
            "appraised_by", "notes"],
)
class BuildingType(_Scoped, relay.Node):
    """A school building with its current safety grade."""

    @strawberry_django.field(only=["safety_grade"])
    def safety_grade(self) -> BuildingSafetyGrade | None:
        return blank_to_none(self.safety_grade)

    @strawberry_django.field(only=["handling"])
    def handling(self) -> BuildingHandling | None:
        return blank_to_none(self.handling)

    appraisals: list[BuildingAppraisalType] = strawberry_django.field()
    rooms: list[RoomType] = strawberry_django.field()

    @classmethod
    def visible_rows(cls, queryset, info: Info):
        active = active_reinforcement_projects().filter(buildings=OuterRef("pk"))
        return queryset.annotate(has_active_project=Exists(active))

    @strawberry_django.field(only=["safety_grade"], description="Graded C or D with no active reinforcement project.")
    def needs_reinforcement_project(self) -> bool:
        if self.safety_grade not in WEAK_GRADES:
            return False
        has = getattr(self, "has_active_project", None)
        if has is None:
            has = active_reinforcement_projects().filter(buildings=self).exists()
        return not has


@strawberry_django.type(models.Room, fields=["floor", "number", "name", "purpose", "area"])
class RoomType(_Scoped, relay.Node):
    """A room of a building."""

    purpose: RoomPurpose

    building: BuildingType = strawberry_django.field()
    department: DepartmentType | None = strawberry_django.field()


@strawberry_django.type(
    models.OnCampusUnit, fields=["name", "kind", "contact_name", "lease_start", "lease_end", "headcount"]
)
class OnCampusUnitType(_Scoped, relay.Node):
    """A unit renting space on campus."""

    kind: OnCampusUnitKind


@strawberry_django.type(models.Milestone, fields=["title", "planned_on", "done_on", "notes"])
class MilestoneType(_Scoped, relay.Node):
    """A milestone of a capital project."""

    @strawberry_django.field(only=["done_on", "planned_on"])
    def is_overdue(self) -> bool:
        return self.is_overdue()


@strawberry_django.type(models.Contract, fields=["party", "subject", "amount", "signed_on"])
class ContractType(_Scoped, relay.Node):
    """A contract signed for a project."""


@strawberry_django.type(models.ProjectDocument, fields=["kind", "title", "size", "uploaded_at"])
class ProjectDocumentType(_Scoped, relay.Node):
    """A document of a project; `download_path` is served only to readers of the school."""

    kind: ProjectDocumentKind

    @strawberry_django.field(only=["project_id"])
    def download_path(self) -> str:
        return reverse("schools:document_download", args=[self.project_id, self.pk], urlconf="config.urls_school")


@strawberry_django.type(
    models.CapitalProject,
    fields=["title", "kind", "description", "budget", "funding_source", "stage",
            "approval_number", "approval_date", "drawing_review_passed_on", "construction_started_on",
            "accepted_on", "planned_start", "planned_end", "created_at"],
)
class CapitalProjectType(_Scoped, relay.Node):
    """A capital project and where it stands in the stage pipeline."""

    kind: CapitalProjectKind
    funding_source: FundingSource
    @strawberry_django.field(only=["procurement_channel"])
    def procurement_channel(self) -> ProcurementChannel | None:
        return blank_to_none(self.procurement_channel)

    stage: CapitalProjectStage

    buildings: list[BuildingType] = strawberry_django.field()
    milestones: list[MilestoneType] = strawberry_django.field()
    contracts: list[ContractType] = strawberry_django.field()
    documents: list[ProjectDocumentType] = strawberry_django.field()


@strawberry_django.type(
    models.Feedback,
    fields=["channel", "category", "received_at", "content", "reporter_name", "callback_due_at", "callback_at",
            "outcome", "satisfaction", "partner_name"],
)
class FeedbackType(_Scoped, relay.Node):
    """An opinion or complaint; `is_overdue` when its 24 h callback is late."""

    channel: FeedbackChannel
    category: FeedbackCategory

    @strawberry_django.field(only=["callback_at", "callback_due_at"])
    def is_overdue(self) -> bool:
        return self.is_overdue()


@strawberry_django.type(
    models.LostItem,
    fields=["item", "quantity", "amount", "found_at", "found_place", "finder", "kept_at", "claimant",
            "identified_by", "returned_at", "partner_name", "returned_by_partner"],
)
class LostItemType(_Scoped, relay.Node):
    """An item found on campus."""


@strawberry_django.type(models.ConvenienceService, fields=["kind", "done_on", "count", "beneficiary", "handled_by", "notes",
                                                            "partner_name"])
class ConvenienceServiceType(_Scoped, relay.Node):
    """A convenience service given to teachers or students."""

    kind: ConvenienceServiceKind


@strawberry.type
class ServiceCountType:
    kind: str
    total: int


