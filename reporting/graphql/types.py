"""GraphQL types of the bureau's reporting (plain types: rows come from the public read-models)."""

from __future__ import annotations

import datetime as dt

import strawberry
from strawberry.scalars import JSON

from .enums import AwardKind, AwardLevel


@strawberry.type
class TermType:
    id: strawberry.ID
    name: str
    start: dt.date
    end: dt.date


@strawberry.type
class MetricDefinitionType:
    key: str
    label: str
    unit: str
    formula: str
    module: str
    higher_is_better: bool


@strawberry.type
class SchoolMetricsType:
    school_id: strawberry.ID
    school_name: str
    rank: int | None
    values: JSON = strawberry.field(description="Metric key → value (percent as a ratio 0..1).")
    previous_values: JSON = strawberry.field(description="The same school's values in the previous term.")
    computed_at: dt.datetime | None


@strawberry.type
class ComparisonType:
    term: TermType
    total_count: int
    rows: list[SchoolMetricsType]
    district_average: JSON = strawberry.field(description="Metric key → average over the bureau's schools.")
    district_total: JSON = strawberry.field(description="Metric key → sum over the bureau's schools.")


@strawberry.type
class RankingRowType:
    rank: int | None
    school_id: strawberry.ID
    school_name: str
    value: float | None
    previous_value: float | None
    difference_from_average: float | None


@strawberry.type
class RankingType:
    metric: MetricDefinitionType
    term: TermType
    district_average: float | None
    rows: list[RankingRowType]


@strawberry.type
class CampaignProgressType:
    school_id: strawberry.ID
    school_name: str
    opened: bool
    items_total: int
    items_checked: int
    hazards_found: int
    completed_at: str | None


@strawberry.type
class CampaignType:
    id: strawberry.ID
    title: str
    due_on: dt.date
    issued_at: dt.datetime
    items: JSON
    schools_count: int
    completed_count: int
    hazards_found: int
    progress: list[CampaignProgressType]


@strawberry.type
class AwardCriterionType:
    metric: str
    op: str
    value: float


@strawberry.type
class AwardProgrammeType:
    id: strawberry.ID
    name: str
    kind: AwardKind
    level: AwardLevel
    criteria: list[AwardCriterionType]
    evidence_required: list[str]


@strawberry.type
class AwardRecordType:
    school_id: strawberry.ID
    school_name: str
    title: str
    level: AwardLevel
    granted_on: dt.date


@strawberry.type
class MirroredRecordType:
    school_id: strawberry.ID
    school_name: str
    kind: str
    ref: str
    title: str
    status: str
    occurred_on: dt.date | None
    data: JSON


@strawberry.type
class MirroredRecordPageType:
    total_count: int
    rows: list[MirroredRecordType]


@strawberry.type
class SchoolDrilldownType:
    school_id: strawberry.ID
    school_name: str
    term: TermType
    values: JSON = strawberry.field(description="Computed now, inside the school's schema.")
    mirrors: JSON = strawberry.field(description="Mirrored lists read now, inside the school's schema.")


@strawberry.type
class AwardReadinessType:
    school_id: strawberry.ID
    school_name: str
    score: int | None = strawberry.field(description="Share of criteria met, 0–100; null when the programme has none.")
    criteria_met: int
    criteria_unknown: int = strawberry.field(description="Criteria with no figure yet: unknown, never counted as met.")
    criteria_total: int
