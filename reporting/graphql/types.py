"""GraphQL types of the bureau's reporting (plain types: rows come from the public read-models)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

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
    label: str = strawberry.field(description="What the standard requires, in its words.")
    source: str = strawberry.field(description="The document the criterion comes from.")
    clause: str = strawberry.field(description="The article or clause of that document.")
    points: int | None = strawberry.field(description="Points, where the standard (or the bureau's 细则) scores them.")
    note: str = strawberry.field(description="What is the bureau's local choice rather than the document's words.")
    checked: bool = strawberry.field(description="False while the clause awaits checking against the original.")


@strawberry.type(description="What a school attached for one criterion of its application.")
class AwardEvidenceType:
    criterion: int = strawberry.field(description="The criterion's position in the programme's criteria (0-based).")
    metric: str
    note: str
    link: str | None = strawberry.field(description="The school's records backing it, on the school's host.")
    file_url: str | None = strawberry.field(description="Its file, for signed-in bureau staff.")


@strawberry.type(description="A school's application for an award, with the evidence per criterion.")
class AwardApplicationType:
    id: strawberry.ID
    programme_id: strawberry.ID
    school_id: strawberry.ID
    school_name: str
    status: str
    readiness: int
    score: int | None
    applied_at: dt.datetime
    evidence: list[AwardEvidenceType]


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
    points_met: int | None = strawberry.field(default=None, description="Points earned, where the criteria score points.")
    points_total: int | None = None


@strawberry.type(description="A figure the term summary quotes: the board's metric and how the text writes it.")
class SummaryFigureType:
    key: str
    label: str
    unit: str
    value: float | None = strawberry.field(description="Percent as a ratio 0..1; null when there is no figure.")
    display: str = strawberry.field(description="As the summary's table writes it (69%, 1,234.50元); — when none.")
    section: str = strawberry.field(description="The part of the summary it belongs to (一、项目建设 …).")


@strawberry.type(description="One row of a summary table: its cells, left to right.")
class SummaryRowType:
    cells: list[str]


@strawberry.type(description="One part of the summary: its heading, paragraphs and table (header row first).")
class SummarySectionType:
    heading: str = strawberry.field(description="Empty for the opening paragraph before the first part.")
    paragraphs: list[str]
    table: list[SummaryRowType]


@strawberry.type(description="Where a signed-in person downloads the summary; DOCX and PDF are made by a job.")
class SummaryDownloadsType:
    docx: str
    pdf: str
    xlsx: str


@strawberry.type(description="The term work summary (工作总结) of a school, or of the bureau's schools together.")
class TermSummaryType:
    term: TermType
    bureau_name: str
    school_id: strawberry.ID | None = strawberry.field(description="Null for the bureau's summary of its schools.")
    school_name: str | None
    title: str
    text: str = strawberry.field(description="The text as saved by a person, else as written from the figures.")
    is_saved: bool = strawberry.field(description="True when a person edited and saved the text.")
    updated_at: dt.datetime | None
    figures: list[SummaryFigureType] = strawberry.field(
        description="Every figure of the four parts; the bureau's counts added up and its rates pooled."
    )
    sections: list[SummarySectionType]
    downloads: SummaryDownloadsType


@strawberry.type(description="The campus figures of a school's profile that award criteria read.")
class CampusFiguresType:
    site_area: Decimal | None = strawberry.field(description="占地面积, m².")
    green_area: Decimal | None = strawberry.field(description="绿地面积, m².")
    green_cover_rate: Decimal | None = strawberry.field(description="绿化覆盖率, percent 0–100, as surveyed.")
    green_space_rate: float | None = strawberry.field(description="绿地率, green area ÷ site area (0..1).")
    site_area_per_pupil: float | None = strawberry.field(description="生均占地面积, m².")
