"""SchoolsQuery and SchoolsMutation: reads through selectors, writes through services.

Partners read with schools:read. With schools:write a partner (the property company's service desk) logs
what it does for the school: feedback it receives, items found and handed back, convenience services; its
name is kept on each row. The school's profile, buildings, rooms and projects are the school's own: for
people only, so a token is refused (PEOPLE_ONLY) before any service runs.
"""

from __future__ import annotations

from collections.abc import Iterable

import strawberry
import strawberry_django
from django.core.exceptions import ObjectDoesNotExist
from django.utils import timezone
from strawberry import relay
from strawberry.types import Info
from strawberry_django.relay import ListConnectionWithTotalCount

from api.filters import filtered
from api.permissions import (
    PARTNER_MUTATION,
    current_partner_name,
    current_user,
    require_school_reader,
    require_school_role,
)
from schools import models, selectors, services
from schools.roles import EDITOR_ROLES, MEMBER_ROLES, SERVICE_ROLES

from . import filters as F
from .enums import (
    BuildingSafetyGrade,
    CapitalProjectKind,
    CapitalProjectStage,
    ConvenienceServiceKind,
    FeedbackChannel,
    FeedbackState,
    LostItemState,
    OnCampusUnitKind,
    RoomPurpose,
)
from .inputs import (
    BuildingAppraiseInput,
    BuildingInput,
    CapitalProjectInput,
    ContractInput,
    ConvenienceServiceInput,
    DepartmentInput,
    FeedbackCallbackInput,
    FeedbackInput,
    LostItemInput,
    LostItemReturnInput,
    MilestoneInput,
    OnCampusUnitInput,
    RoomInput,
)
from .types import (
    BuildingAppraisalType,
    BuildingType,
    CapitalProjectType,
    ContractType,
    ConvenienceServiceType,
    DepartmentType,
    FeedbackType,
    LostItemType,
    MilestoneType,
    OnCampusUnitType,
    RoomType,
    ServiceCountType,
)

READ = "schools:read"
PARTNER_WRITE = "schools:write"
# The school's profile, buildings, rooms and projects: every such write refuses a token, whatever its scopes.
PEOPLE_ONLY = None


def _pk(gid: relay.GlobalID | None, type_name: str) -> int | None:
    """The primary key behind a global id of the expected type (anything else is not found)."""
    if gid is None:
        return None
    if gid.type_name != type_name or not str(gid.node_id).isdigit():
        raise ObjectDoesNotExist
    return int(gid.node_id)


def _get(model, gid: relay.GlobalID, type_name: str):
    return model.objects.get(pk=_pk(gid, type_name))


# Optional enum inputs whose column stores "" for "not set" (null in the contract, api/enums.py).
BLANK_CHOICES = {"handling", "procurement_channel"}


def _values(data) -> dict:
    """An input's fields, shallow (strawberry.asdict would turn global ids into dicts)."""
    values = {name: getattr(data, name) for name in data.__dataclass_fields__}
    return {name: "" if value is None and name in BLANK_CHOICES else value for name, value in values.items()}


def _reader(info: Info):
    require_school_reader(info, READ)
    return current_user(info)


@strawberry.type
class SchoolsQuery:
    @strawberry.field(description="A building by id.")
    def building(self, info: Info, id: relay.GlobalID) -> BuildingType | None:
        _reader(info)
        return selectors.building_queryset().filter(pk=_pk(id, "BuildingType")).first()

    @strawberry_django.connection(ListConnectionWithTotalCount[BuildingType], description="Buildings of the school.")
    @filtered(F.BuildingFilter, F.BuildingOrder)
    def building_list(
        self, info: Info, q: str | None = None, safety_grade: BuildingSafetyGrade | None = None,
        needs_reinforcement_project: bool | None = None,
    ) -> Iterable[models.Building]:
        user = _reader(info)
        return selectors.building_list_for(user=user, q=q or "", grade=safety_grade or "",
                                           flagged=bool(needs_reinforcement_project))

    @strawberry_django.connection(ListConnectionWithTotalCount[BuildingAppraisalType])
    @filtered(F.BuildingAppraisalFilter, F.BuildingAppraisalOrder)
    def building_appraisal_list(self, info: Info, building_id: relay.GlobalID | None = None) -> Iterable[models.BuildingAppraisal]:
        _reader(info)
        qs = models.BuildingAppraisal.objects.order_by("-appraised_on", "-pk")
        return qs.filter(building_id=_pk(building_id, "BuildingType")) if building_id else qs

    @strawberry.field
    def room(self, info: Info, id: relay.GlobalID) -> RoomType | None:
        _reader(info)
        return models.Room.objects.filter(pk=_pk(id, "RoomType")).first()

    @strawberry_django.connection(ListConnectionWithTotalCount[RoomType])
    @filtered(F.RoomFilter, F.RoomOrder)
    def room_list(
        self, info: Info, q: str | None = None, building_id: relay.GlobalID | None = None, purpose: RoomPurpose | None = None
    ) -> Iterable[models.Room]:
        user = _reader(info)
        building = str(_pk(building_id, "BuildingType")) if building_id else ""
        return selectors.room_list_for(user=user, q=q or "", building=building, purpose=purpose or "")

    @strawberry.field
    def department(self, info: Info, id: relay.GlobalID) -> DepartmentType | None:
        _reader(info)
        return models.Department.objects.filter(pk=_pk(id, "DepartmentType")).first()

    @strawberry_django.connection(ListConnectionWithTotalCount[DepartmentType])
    @filtered(F.DepartmentFilter, F.DepartmentOrder)
    def department_list(self, info: Info, q: str | None = None) -> Iterable[models.Department]:
        user = _reader(info)
        return selectors.department_list_for(user=user, q=q or "")

    @strawberry.field
    def on_campus_unit(self, info: Info, id: relay.GlobalID) -> OnCampusUnitType | None:
        _reader(info)
        return models.OnCampusUnit.objects.filter(pk=_pk(id, "OnCampusUnitType")).first()

    @strawberry_django.connection(ListConnectionWithTotalCount[OnCampusUnitType])
    @filtered(F.OnCampusUnitFilter, F.OnCampusUnitOrder)
    def on_campus_unit_list(self, info: Info, q: str | None = None, kind: OnCampusUnitKind | None = None) -> Iterable[models.OnCampusUnit]:
        user = _reader(info)
        return selectors.unit_list_for(user=user, q=q or "", kind=kind or "")

    @strawberry.field
    def capital_project(self, info: Info, id: relay.GlobalID) -> CapitalProjectType | None:
        _reader(info)
        return models.CapitalProject.objects.filter(pk=_pk(id, "CapitalProjectType")).first()

    @strawberry_django.connection(ListConnectionWithTotalCount[CapitalProjectType])
    @filtered(F.CapitalProjectFilter, F.CapitalProjectOrder)
    def capital_project_list(
        self, info: Info, q: str | None = None, kind: CapitalProjectKind | None = None,
        stage: CapitalProjectStage | None = None,
    ) -> Iterable[models.CapitalProject]:
        user = _reader(info)
        return selectors.project_list_for(user=user, q=q or "", kind=kind or "", stage=stage or "")

    @strawberry.field
    def feedback(self, info: Info, id: relay.GlobalID) -> FeedbackType | None:
        _reader(info)
        return models.Feedback.objects.filter(pk=_pk(id, "FeedbackType")).first()

    @strawberry_django.connection(ListConnectionWithTotalCount[FeedbackType])
    @filtered(F.FeedbackFilter, F.FeedbackOrder)
    def feedback_list(
        self, info: Info, q: str | None = None, channel: FeedbackChannel | None = None,
        status: FeedbackState | None = None,
    ) -> Iterable[models.Feedback]:
        user = _reader(info)
        return selectors.feedback_list_for(user=user, q=q or "", channel=channel or "", status=status or "")

    @strawberry.field
    def lost_item(self, info: Info, id: relay.GlobalID) -> LostItemType | None:
        _reader(info)
        return models.LostItem.objects.filter(pk=_pk(id, "LostItemType")).first()

    @strawberry_django.connection(ListConnectionWithTotalCount[LostItemType])
    @filtered(F.LostItemFilter, F.LostItemOrder)
    def lost_item_list(
        self, info: Info, q: str | None = None,
        status: LostItemState | None = None,
    ) -> Iterable[models.LostItem]:
        user = _reader(info)
        return selectors.lost_item_list_for(user=user, q=q or "", status=status or "")

    @strawberry_django.connection(ListConnectionWithTotalCount[ConvenienceServiceType])
    @filtered(F.ConvenienceServiceFilter, F.ConvenienceServiceOrder)
    def convenience_service_list(self, info: Info, kind: ConvenienceServiceKind | None = None) -> Iterable[models.ConvenienceService]:
        user = _reader(info)
        return selectors.convenience_list_for(user=user, kind=kind or "")

    @strawberry.field(description="Times each kind of convenience service was given in the current term.")
    def convenience_service_counts(self, info: Info) -> list[ServiceCountType]:
        user = _reader(info)
        start, end = selectors.term_of(timezone.localdate())
        counts = selectors.convenience_counts(user=user, start=start, end=end)
        return [ServiceCountType(kind=k, total=v) for k, v in sorted(counts.items())]


def _editor(info: Info):
    require_school_role(info, EDITOR_ROLES, scope=PEOPLE_ONLY)
    return current_user(info)


def _actor(user):
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def _writer(info: Info, roles) -> dict:
    """The actor of a service-desk write: a person with one of `roles`, or a partner with schools:write."""
    require_school_role(info, roles, scope=PARTNER_WRITE)
    name = current_partner_name(info)
    return {"actor": None, "partner_name": name} if name else {"actor": _actor(current_user(info))}


@strawberry.type
class SchoolsMutation:
    @strawberry.mutation(description="Create a building (principal or logistics director).")
    def building_create(self, info: Info, data: BuildingInput) -> BuildingType:
        user = _editor(info)
        return services.building_save(actor=_actor(user), **_values(data))

    @strawberry.mutation(description="Change a building's description.")
    def building_update(self, info: Info, id: relay.GlobalID, data: BuildingInput) -> BuildingType:
        user = _editor(info)
        building = _get(models.Building, id, "BuildingType")
        return services.building_save(actor=_actor(user), building=building, **_values(data))

    @strawberry.mutation(description="Record a safety appraisal; it becomes the building's current grade.")
    def building_appraise(self, info: Info, data: BuildingAppraiseInput) -> BuildingAppraisalType:
        user = _editor(info)
        values = _values(data)
        building = _get(models.Building, values.pop("building_id"), "BuildingType")
        return services.building_appraise(actor=_actor(user), building=building, **values)

    @strawberry.mutation
    def room_create(self, info: Info, data: RoomInput) -> RoomType:
        user = _editor(info)
        values = _values(data)
        values["building"] = _get(models.Building, values.pop("building_id"), "BuildingType")
        dep = values.pop("department_id")
        values["department"] = _get(models.Department, dep, "DepartmentType") if dep else None
        return services.room_save(actor=_actor(user), **values)

    @strawberry.mutation
    def department_create(self, info: Info, data: DepartmentInput) -> DepartmentType:
        user = _editor(info)
        return services.department_save(actor=_actor(user), **_values(data))

    @strawberry.mutation
    def on_campus_unit_create(self, info: Info, data: OnCampusUnitInput) -> OnCampusUnitType:
        user = _editor(info)
        return services.unit_save(actor=_actor(user), **_values(data))

    @strawberry.mutation(description="Create a capital project at the proposal stage.")
    def capital_project_create(self, info: Info, data: CapitalProjectInput) -> CapitalProjectType:
        user = _editor(info)
        values = _values(data)
        ids = values.pop("building_ids") or []
        buildings = [_get(models.Building, gid, "BuildingType") for gid in ids]
        return services.project_save(actor=_actor(user), buildings=buildings, **values)

    @strawberry.mutation(description="Change a project's details (not its stage).")
    def capital_project_update(self, info: Info, id: relay.GlobalID, data: CapitalProjectInput) -> CapitalProjectType:
        user = _editor(info)
        project = _get(models.CapitalProject, id, "CapitalProjectType")
        values = _values(data)
        ids = values.pop("building_ids")
        buildings = None if ids is None else [_get(models.Building, gid, "BuildingType") for gid in ids]
        return services.project_save(actor=_actor(user), project=project, buildings=buildings, **values)

    @strawberry.mutation(description="Move a project to the next stage (its required record must exist).")
    def capital_project_advance(self, info: Info, id: relay.GlobalID, to_stage: str, note: str = "") -> CapitalProjectType:
        user = _editor(info)
        project = _get(models.CapitalProject, id, "CapitalProjectType")
        return services.project_advance(actor=_actor(user), project=project, to_stage=to_stage, note=note)

    @strawberry.mutation
    def milestone_create(self, info: Info, data: MilestoneInput) -> MilestoneType:
        user = _editor(info)
        values = _values(data)
        project = _get(models.CapitalProject, values.pop("project_id"), "CapitalProjectType")
        return services.milestone_save(actor=_actor(user), project=project, **values)

    @strawberry.mutation
    def contract_create(self, info: Info, data: ContractInput) -> ContractType:
        user = _editor(info)
        values = _values(data)
        project = _get(models.CapitalProject, values.pop("project_id"), "CapitalProjectType")
        return services.contract_add(actor=_actor(user), project=project, **values)

    @strawberry.mutation(description="Submit an opinion or complaint (any member of the school; a partner with "
                                     "schools:write passes on what its service desk received).",
                         metadata=PARTNER_MUTATION)
    def feedback_submit(self, info: Info, data: FeedbackInput) -> FeedbackType:
        return services.feedback_submit(**_writer(info, MEMBER_ROLES), **_values(data))

    @strawberry.mutation(description="Record the callback of a feedback.")
    def feedback_callback(self, info: Info, data: FeedbackCallbackInput) -> FeedbackType:
        require_school_role(info, SERVICE_ROLES, scope=PEOPLE_ONLY)
        values = _values(data)
        feedback = _get(models.Feedback, values.pop("feedback_id"), "FeedbackType")
        return services.feedback_callback(actor=_actor(current_user(info)), feedback=feedback, **values)

    @strawberry.mutation(description="Report an item found on campus (any member of the school, or a partner with "
                                     "schools:write).", metadata=PARTNER_MUTATION)
    def lost_item_report(self, info: Info, data: LostItemInput) -> LostItemType:
        return services.lost_item_report(**_writer(info, MEMBER_ROLES), **_values(data))

    @strawberry.mutation(description="Hand a found item back to its owner (or a partner with schools:write).",
                         metadata=PARTNER_MUTATION)
    def lost_item_return(self, info: Info, data: LostItemReturnInput) -> LostItemType:
        writer = _writer(info, SERVICE_ROLES)
        values = _values(data)
        lost = _get(models.LostItem, values.pop("lost_item_id"), "LostItemType")
        return services.lost_item_return(**writer, lost=lost, **values)

    @strawberry.mutation(description="Log a convenience service (or a partner with schools:write logs its own).",
                         metadata=PARTNER_MUTATION)
    def convenience_service_log(self, info: Info, data: ConvenienceServiceInput) -> ConvenienceServiceType:
        return services.convenience_service_log(**_writer(info, SERVICE_ROLES), **_values(data))
