"""How many items each plain list field of the schema may hold: the cost estimate multiplies by it, and the
field's resolver is cut to it, so the estimate is an upper bound of what the executor can return.

A connection holds at most one page (`first`/`last` ≤ GRAPHQL_MAX_PAGE_SIZE) and api/limits.py multiplies by
it. A plain list field (`rooms` of a building, `lines` of a purchase request) has no page: counted once, it let
`buildingList(first: 100) { … rooms { building { rooms { … } } } }` return 41,170 objects (issue 17). Every list
field is declared in `_bounds()` by its GraphQL name; `install(schema)` wraps each one's resolver so it never
returns more, and writes the bound into the field's description (the contract shows it). A list field missing
from the table is cut to DEFAULT_BOUND, and tests/attacks/test_graphql_cost.py fails until it is declared.

A bound is a number, PAGE (the list is one page of the `first` argument of the field above it, or of its own),
or SCHOOLS (one item per school the caller may read: a bureau's ranking of 1,000 schools is not cut).
"""

from __future__ import annotations

import inspect
from itertools import islice

from django.conf import settings
from django.db.models import QuerySet
from strawberry import relay

from graphql import (
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    default_field_resolver,
)

PAGE = "page"
SCHOOLS = "schools"
DEFAULT_BOUND = 100


def _bounds() -> dict[str, int | str]:
    from assets.choices import ApprovalLevel, AssetKind
    from core.todo import SECTION_LIMIT
    from safety.choices import AgreementKind
    from safety.services import GROUPS
    from schools.choices import ServiceKind
    from schools.people_services import MAX_ROWS
    from tenants.roles import BUREAU_PERMISSIONS, SCHOOL_PERMISSIONS, Role

    from .choices import Scope

    roles = len(Role)
    return {
        # schools: a building's rooms and appraisals in full are roomList(buildingId:) / buildingAppraisalList
        "BuildingType.rooms": 300,
        "BuildingType.appraisals": 100,
        "CapitalProjectType.buildings": 50,
        "CapitalProjectType.milestones": 100,
        "CapitalProjectType.contracts": 100,
        "CapitalProjectType.documents": 200,
        "Query.convenienceServiceCounts": len(ServiceKind),  # one row per kind
        "StaffImportResultType.errors": 1_000,  # the first thousand problems of a refused sheet
        "StaffImportResultType.invitations": MAX_ROWS,  # one per row of the sheet at most
        # assets
        "PurchaseRequestType.lines": 50,
        "PurchaseRequestType.approvals": len(ApprovalLevel),  # one decision per level (a database constraint)
        "PurchaseRequestType.acceptances": 8,
        "AcceptanceType.lines": 50,  # one per line of the request
        "StocktakeType.surplus": 2_000,
        "StocktakeType.missing": 2_000,
        "StocktakeType.misplaced": 2_000,
        # Smaller than the discrepancy lists, so that one stocktake with all of its lists stays under the objects
        # limit: assets of the counted rooms out on loan or at repair at once, items found without a card.
        "StocktakeType.lent": 500,
        "StocktakeType.underRepair": 500,
        "StocktakeType.drafts": 500,
        "StocktakeType.signatures": 100,  # one per counter (those who scanned and the custodians)
        "Query.assetTotals": len(AssetKind),  # one row per kind
        # safety
        "ChecklistTemplateType.items": 200,
        "InspectionRoundType.items": 200,
        "HealthCheckType.absences": 100,  # pupils of one class
        "AgreementCampaignType.groups": len(GROUPS),
        "SafetyBoardType.coverage": len(AgreementKind),  # one row per kind
        # repairs
        "Query.workOrderClock": 200,
        "Query.myWorkOrders": 500,
        # people and the notification centre
        "ViewerType.memberships": 1_000,
        "PersonType.roles": roles,
        "RolePermissionType.roles": roles,
        "Query.roleMatrix": max(len(SCHOOL_PERMISSIONS), len(BUREAU_PERMISSIONS)),
        "Query.robotChannelList": 50,
        "Query.notificationPreferences": 100,
        "DeactivationType.openTasks": 200,
        "Query.invitationList": 100,  # my open invitations to join
        "InvitationToJoinType.roles": roles,
        "Query.invitationPendingList": MAX_ROWS,  # a school's waiting invitations: a staff sheet at most
        "InvitationSentType.roles": roles,
        # reporting (the bureau host)
        "ComparisonType.rows": PAGE,  # schoolMetricsList(first:)
        "MirroredRecordPageType.rows": PAGE,  # mirroredRecordList(first:)
        "RankingType.rows": SCHOOLS,
        "CampaignType.progress": SCHOOLS,
        "AwardProgrammeType.criteria": 50,
        "AwardProgrammeType.evidenceRequired": 50,
        "Query.reportingTerms": 100,
        "Query.metricDefinitions": 200,
        # the term summary: one figure per metric (as metricDefinitions), its parts and their tables
        "TermSummaryType.figures": 200,
        "TermSummaryType.sections": 20,
        "SummarySectionType.paragraphs": 200,
        "SummarySectionType.table": 100,  # one row per figure of the part (the figures are at most 200 in all)
        "SummaryRowType.cells": 6,  # indicator and value; a person's edited table may add a column or two
        "Query.campaignList": 100,  # the resolver reads at most MAX_PAGE campaigns
        "Query.rules": 500,  # the rule register (code, not rows)
        "RuleType.appliesTo": 10,  # the school kinds a rule binds (SchoolKind + boarding)
        "Query.ruleStanding": SCHOOLS,  # one row per school for the rule asked
        "Query.schoolRuleStanding": 500,  # one row per rule
        "Query.awardProgrammeList": 100,
        "Query.awardApplicationList": 100,  # the resolver reads at most MAX_PAGE applications
        "AwardApplicationType.evidence": 50,  # one per criterion (AwardProgrammeType.criteria)
        "Query.awardReadiness": SCHOOLS,
        "Query.awardRecordList": 1_000,
        # 我的待办 (core/todo.py): each module's few sections, each cut to SECTION_LIMIT items
        "TodoListType.sections": 30,
        "TodoSectionType.items": SECTION_LIMIT,
        # partners
        "PartnerViewerType.scopes": len(Scope),
        "PartnerViewerType.schools": SCHOOLS,
        "Query.webhookDeliveryList": PAGE,  # its own first (≤ 100)
    }


_TABLE: dict[str, int | str] | None = None


def list_bounds() -> dict[str, int | str]:
    """The table of `_bounds()`, built once (it reads choices of the apps)."""
    global _TABLE
    if _TABLE is None:
        _TABLE = _bounds()
    return _TABLE


def is_list(graphql_type) -> bool:
    if isinstance(graphql_type, GraphQLNonNull):
        graphql_type = graphql_type.of_type
    return isinstance(graphql_type, GraphQLList)


def is_connection(graphql_type) -> bool:
    """A relay connection type of the schema (its `edges` are one page)."""
    definition = (getattr(graphql_type, "extensions", None) or {}).get("strawberry-definition")
    origin = getattr(definition, "origin", None)
    return isinstance(origin, type) and issubclass(origin, relay.Connection)


def declared(parent_type, field_name: str) -> int | str | None:
    """The declared bound of a list field, PAGE for a connection's edges, None when not declared."""
    if is_connection(parent_type):
        return PAGE
    return list_bounds().get(f"{parent_type.name}.{field_name}")


def bound_of(parent_type, field_name: str) -> int | str:
    found = declared(parent_type, field_name)
    return DEFAULT_BOUND if found is None else found


def visible_schools(request) -> int:
    """How many schools the caller may read (once per request): the size of a SCHOOLS list."""
    if request is None:
        return 0
    cached = getattr(request, "_houqin_visible_schools", None)
    if cached is not None:
        return cached
    from tenants.access import schools_for

    partner = getattr(request, "partner", None)
    user = getattr(request, "user", None)
    if partner is not None and callable(getattr(partner, "schools", None)):
        count = partner.schools().count()
    elif user is not None and user.is_authenticated:
        count = schools_for(user).exclude(schema_name="public").count()
    else:
        count = 0
    request._houqin_visible_schools = count
    return count


def size(bound: int | str, request) -> int:
    """The most items a list with this bound returns (PAGE: the page cap; the estimate uses `first`)."""
    if bound == PAGE:
        return settings.GRAPHQL_MAX_PAGE_SIZE
    if bound == SCHOOLS:
        return visible_schools(request)
    return int(bound)


def cut(result, limit: int):
    """At most `limit` items of a resolver's result (a queryset is sliced in SQL when not yet fetched)."""
    if result is None:
        return None
    if isinstance(result, QuerySet):
        return result[:limit]
    if isinstance(result, (list, tuple)):
        return result[:limit]
    if hasattr(result, "all") and callable(result.all):  # a related manager
        return result.all()[:limit]
    return list(islice(result, limit))


def _capped(resolve, key: str):
    def resolver(source, info, **kwargs):
        request = getattr(info.context, "request", None)
        limit = size(list_bounds().get(key, DEFAULT_BOUND), request)
        result = resolve(source, info, **kwargs)
        if inspect.isawaitable(result):
            async def later():
                return cut(await result, limit)

            return later()
        return cut(result, limit)

    resolver.houqin_bound = key
    return resolver


def _describe(field: GraphQLField, bound: int | str) -> None:
    if bound == PAGE:
        note = "At most one page (first) of items."
    elif bound == SCHOOLS:
        note = "One item per school the caller may read."
    else:
        note = f"At most {bound} items."
    if note not in (field.description or ""):
        field.description = f"{field.description.rstrip()} {note}" if field.description else note


def install(schema: GraphQLSchema) -> None:
    """Cut every plain list field of the schema to its bound (connections are paged by strawberry)."""
    for graphql_type in schema.type_map.values():
        if graphql_type.name.startswith("__") or is_connection(graphql_type):
            continue
        if not isinstance(graphql_type, (GraphQLObjectType, GraphQLInterfaceType)):
            continue
        for name, field in graphql_type.fields.items():
            if not is_list(field.type):
                continue
            bound = bound_of(graphql_type, name)
            _describe(field, bound)
            if isinstance(graphql_type, GraphQLObjectType) and not hasattr(field.resolve, "houqin_bound"):
                field.resolve = _capped(field.resolve or default_field_resolver, f"{graphql_type.name}.{name}")
