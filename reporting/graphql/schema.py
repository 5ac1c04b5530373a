"""Bureau-host GraphQL: metrics per school and term, comparisons, rankings, campaigns, awards, mirrored
lists and drill-down. People see their bureau's schools; partners the schools of their grant, with
the scope reporting:read."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import strawberry
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from strawberry.types import Info

from api.errors import Code, HouqinGraphQLError
from api.permissions import current_partner, current_school, refuse_partners, require_authenticated
from tenants.models import Bureau, School

from .. import catalogue, selectors, services
from ..models import AwardRecord, Campaign, MirroredRecord, SchoolMetrics, Term
from .types import (
    AwardApplicationType,
    AwardCriterionType,
    AwardEvidenceType,
    AwardProgrammeType,
    AwardReadinessType,
    AwardRecordType,
    CampaignProgressType,
    CampaignType,
    CampusFiguresType,
    ComparisonType,
    MetricDefinitionType,
    MirroredRecordPageType,
    MirroredRecordType,
    RankingRowType,
    RankingType,
    SchoolDrilldownType,
    SchoolMetricsType,
    SummaryDownloadsType,
    SummaryFigureType,
    SummaryRowType,
    SummarySectionType,
    TermSummaryType,
    TermType,
)

READ_SCOPE = "reporting:read"
MAX_PAGE = 100


@dataclass
class Caller:
    user: object
    bureau: Bureau
    schools: QuerySet[School]
    is_partner: bool


def _caller(info: Info, bureau_code: str | None = None) -> Caller:
    """Who asks, on the bureau host, and which schools they may see."""
    user = require_authenticated(info)
    if current_school(info) is not None:
        raise HouqinGraphQLError("This field is served on the bureau host only.", Code.WRONG_HOST)
    partner = current_partner(info)
    if partner is not None:
        if not partner.has_scope(READ_SCOPE):
            raise HouqinGraphQLError(f"This token lacks the scope {READ_SCOPE}.", Code.FORBIDDEN)
        granted = partner.schools() if callable(getattr(partner, "schools", None)) else School.objects.none()
        bureaus = Bureau.objects.filter(pk__in=granted.values("bureau_id"))
        if bureau_code:
            bureaus = bureaus.filter(code=bureau_code)
        bureau = bureaus.order_by("pk").first()
        if bureau is None:
            raise HouqinGraphQLError("This token is not granted any school of this bureau.", Code.FORBIDDEN)
        return Caller(user=user, bureau=bureau, schools=granted.filter(bureau=bureau), is_partner=True)
    from tenants.access import bureaus_for

    bureaus = bureaus_for(user)
    if bureau_code:
        bureaus = bureaus.filter(code=bureau_code)
    bureau = bureaus.order_by("pk").first()
    if bureau is None:
        raise HouqinGraphQLError("You are not a member of this bureau.", Code.FORBIDDEN)
    return Caller(user=user, bureau=bureau, schools=selectors.schools_of(user=user, bureau=bureau), is_partner=False)


def _term(caller: Caller, term_id) -> Term:
    if term_id:
        term = Term.objects.filter(bureau=caller.bureau, pk=term_id).first()
        if term is None:
            raise HouqinGraphQLError("No such term.", Code.NOT_FOUND)
        return term
    return services.term_current(bureau=caller.bureau)


def _term_type(term: Term) -> TermType:
    return TermType(id=strawberry.ID(str(term.pk)), name=term.name, start=term.start, end=term.end)


def _metric_type(metric, module: str) -> MetricDefinitionType:
    return MetricDefinitionType(key=metric.key, label=str(metric.label), unit=metric.unit, formula=str(metric.formula),
                                module=module, higher_is_better=metric.higher_is_better)


def _page(first: int) -> int:
    if first > MAX_PAGE or first < 1:
        raise HouqinGraphQLError(f"Ask for 1 to {MAX_PAGE} rows.", Code.PAGE_SIZE_LIMIT)
    return first


def _school(caller: Caller, school_id) -> School:
    school = caller.schools.filter(pk=school_id).select_related("bureau").first()
    if school is None:
        raise HouqinGraphQLError("You may not read this school.", Code.FORBIDDEN)
    return school


def _term_summary(info: Info, *, bureau: Bureau, term: Term, school: School | None, schools, base: str,
                  query: dict) -> TermSummaryType:
    from urllib.parse import urlencode

    from .. import summary
    from ..models import WorkSummary

    saved = WorkSummary.objects.filter(bureau=bureau, school=school, term=term).first()
    if saved is not None:
        title, text = saved.title, saved.body
    elif school is not None:
        title, text = summary.school_summary(school=school, term=term)
    else:
        title, text = summary.bureau_summary(bureau=bureau, term=term, schools=schools)
    values = summary.summary_values(term=term, school=school, schools=schools)
    request = info.context.request

    def link(fmt: str) -> str:
        return request.build_absolute_uri(f"{base}?{urlencode({**query, 'format': fmt})}")

    return TermSummaryType(
        term=_term_type(term), bureau_name=bureau.name,
        school_id=strawberry.ID(str(school.pk)) if school is not None else None,
        school_name=school.name if school is not None else None,
        title=title, text=text, is_saved=saved is not None, updated_at=saved.updated_at if saved else None,
        figures=[SummaryFigureType(key=f.key, label=f.label, unit=f.unit, value=f.value, display=f.display,
                                   section=f.section) for f in summary.summary_figures(values)],
        sections=[SummarySectionType(heading=s.heading, paragraphs=s.paragraphs, table=[SummaryRowType(cells=list(row)) for row in s.table])
                  for s in summary.summary_sections(text)],
        downloads=SummaryDownloadsType(docx=link("docx"), pdf=link("pdf"), xlsx=link("xlsx")),
    )


@strawberry.type
class TermSummaryQuery:
    @strawberry.field(description=(
        "The term work summary (工作总结). On a school's host: that school's own, for its administrators and "
        "safety officer (schoolId, if given, must be this school). On the bureau host: one visible school's "
        "(schoolId), or the bureau's summary of its visible schools (rates pooled). Term: the current one by default."
    ))
    def term_summary(self, info: Info, term_id: strawberry.ID | None = None, school_id: strawberry.ID | None = None,
                     bureau_code: str | None = None) -> TermSummaryType:
        from django.conf import settings
        from django.urls import reverse

        from tenants.access import school_roles

        here = current_school(info)
        if here is None:
            caller = _caller(info, bureau_code)
            term = _term(caller, term_id)
            school = _school(caller, school_id) if school_id else None
            query = {"bureau": caller.bureau.pk, "term": term.pk, **({"school": school.pk} if school else {})}
            return _term_summary(info, bureau=caller.bureau, term=term, school=school, schools=caller.schools,
                                 base=reverse("reporting:summary", urlconf=settings.PUBLIC_SCHEMA_URLCONF),
                                 query=query)
        user = require_authenticated(info)
        refuse_partners(info)
        if not school_roles(user, here) & services.SCHOOL_REPORTER_ROLES:
            raise HouqinGraphQLError("Your role here does not allow this.", Code.FORBIDDEN)
        if school_id and str(school_id) != str(here.pk):
            raise HouqinGraphQLError("You may not read this school.", Code.FORBIDDEN)
        if term_id:
            term = Term.objects.filter(bureau_id=here.bureau_id, pk=term_id).first()
            if term is None:
                raise HouqinGraphQLError("No such term.", Code.NOT_FOUND)
        else:
            term = services.term_current(bureau=here.bureau)
        return _term_summary(info, bureau=here.bureau, term=term, school=here, schools=None,
                             base=reverse("reporting_school:summary", urlconf=settings.ROOT_URLCONF),
                             query={"term": term.pk})


@strawberry.type
class ReportingQuery(TermSummaryQuery):
    @strawberry.field(description="The bureau's terms, newest first.")
    def reporting_terms(self, info: Info, bureau_code: str | None = None) -> list[TermType]:
        caller = _caller(info, bureau_code)
        return [_term_type(t) for t in Term.objects.filter(bureau=caller.bureau).order_by("-start")]

    @strawberry.field(description="Every metric: key, name, unit and formula.")
    def metric_definitions(self, info: Info) -> list[MetricDefinitionType]:
        require_authenticated(info)
        return [_metric_type(m, module) for module, metrics in catalogue.metrics_by_module() for m in metrics]

    @strawberry.field(description="The comparison table: each school's metrics for a term, ranked by `sort`.")
    def school_metrics_list(
        self, info: Info, term_id: strawberry.ID | None = None, sort: str = "name", query: str = "",
        first: int = 50, page: int = 1, bureau_code: str | None = None,
    ) -> ComparisonType:
        caller = _caller(info, bureau_code)
        term = _term(caller, term_id)
        comparison = selectors.comparison_for(
            user=caller.user, bureau=caller.bureau, term=term, sort=sort, query=query,
            previous=services.term_previous(term), page_number=page, per_page=_page(first), schools=caller.schools,
        )
        rows = [SchoolMetricsType(
            school_id=strawberry.ID(str(r["school_id"])), school_name=r["school__name"], rank=r.get("rank"),
            values=r["values"], previous_values=r["previous"], computed_at=r["computed_at"],
        ) for r in comparison.rows]
        return ComparisonType(term=_term_type(term), total_count=comparison.page.paginator.count, rows=rows,
                              district_average=comparison.averages, district_total=comparison.totals)

    @strawberry.field(description="Schools ranked by one metric, against the district average and the previous term.")
    def ranking(self, info: Info, metric: str, term_id: strawberry.ID | None = None,
                bureau_code: str | None = None) -> RankingType:
        caller = _caller(info, bureau_code)
        term = _term(caller, term_id)
        definitions = {m.key: (m, module) for module, ms in catalogue.metrics_by_module() for m in ms}
        if metric not in definitions:
            raise HouqinGraphQLError("Unknown metric.", Code.BAD_USER_INPUT)
        definition, module = definitions[metric]
        comparison = selectors.comparison_for(
            user=caller.user, bureau=caller.bureau, term=term,
            sort=("-" if definition.higher_is_better else "") + metric, previous=services.term_previous(term),
            schools=caller.schools,
        )
        average = comparison.averages.get(metric)
        rows = []
        for r in comparison.rows:
            value = catalogue.number(r["values"].get(metric))
            rows.append(RankingRowType(
                rank=r["rank"] if value is not None else None, school_id=strawberry.ID(str(r["school_id"])),
                school_name=r["school__name"], value=value,
                previous_value=catalogue.number(r["previous"].get(metric)),
                difference_from_average=None if value is None or average is None else value - average,
            ))
        return RankingType(metric=_metric_type(definition, module), term=_term_type(term), district_average=average,
                           rows=rows)

    @strawberry.field(description="The bureau's inspection campaigns and each school's progress.")
    def campaign_list(self, info: Info, bureau_code: str | None = None) -> list[CampaignType]:
        caller = _caller(info, bureau_code)
        allowed = set(caller.schools.values_list("pk", flat=True))
        result = []
        campaigns = list(Campaign.objects.filter(bureau=caller.bureau)[:MAX_PAGE])
        progress_of = selectors.campaigns_progress(user=caller.user, campaigns=campaigns, check=False)
        for campaign in campaigns:
            progress = [r for r in progress_of[campaign.pk] if r["school"].pk in allowed]
            summary = selectors.campaign_summary(progress)
            result.append(CampaignType(
                id=strawberry.ID(str(campaign.pk)), title=campaign.title, due_on=campaign.due_on,
                issued_at=campaign.issued_at, items=campaign.items, schools_count=summary["schools"],
                completed_count=summary["completed"], hazards_found=summary["hazards"],
                progress=[CampaignProgressType(
                    school_id=strawberry.ID(str(r["school"].pk)), school_name=r["school"].name, opened=r["opened"],
                    items_total=r["items_total"], items_checked=r["items_checked"],
                    hazards_found=r["hazards_found"], completed_at=r["completed_at"],
                ) for r in progress],
            ))
        return result

    @strawberry.field(description="Award programmes of the bureau.")
    def award_programme_list(self, info: Info, bureau_code: str | None = None) -> list[AwardProgrammeType]:
        caller = _caller(info, bureau_code)
        return [AwardProgrammeType(
            id=strawberry.ID(str(p.pk)), name=p.name, kind=p.kind, level=p.level,
            criteria=[_criterion_type(c) for c in p.criteria], evidence_required=list(p.evidence_required),
        ) for p in caller.bureau.award_programmes.all()]

    @strawberry.field(description="Each visible school's readiness (0–100) for an award programme, from a term's metrics.")
    def award_readiness(self, info: Info, programme_id: strawberry.ID, term_id: strawberry.ID | None = None,
                        bureau_code: str | None = None) -> list[AwardReadinessType]:
        caller = _caller(info, bureau_code)
        programme = caller.bureau.award_programmes.filter(pk=programme_id).first()
        if programme is None:
            raise HouqinGraphQLError("No such award programme.", Code.NOT_FOUND)
        term = _term(caller, term_id)
        values = dict(SchoolMetrics.objects.filter(term=term, school__in=caller.schools).values_list(
            "school_id", "values"))
        rows = []
        for school in caller.schools.order_by("name"):
            readiness = selectors.award_readiness(programme=programme, values=values.get(school.pk, {}))
            rows.append(AwardReadinessType(
                school_id=strawberry.ID(str(school.pk)), school_name=school.name, score=readiness["score"],
                criteria_met=readiness["met"], criteria_unknown=readiness["unknown"], criteria_total=readiness["total"],
                points_met=readiness["points_met"], points_total=readiness["points_total"]))
        return sorted(rows, key=lambda r: (-(r.score or 0), r.school_name))

    @strawberry.field(description="Applications of the visible schools to the bureau's awards, with the evidence each "
                                  "school attached per criterion. People of the bureau only.")
    def award_application_list(self, info: Info, programme_id: strawberry.ID | None = None,
                               bureau_code: str | None = None) -> list[AwardApplicationType]:
        from django.urls import reverse

        refuse_partners(info)
        caller = _caller(info, bureau_code)
        applications = selectors.applications_for(user=caller.user, bureau=caller.bureau).prefetch_related(
            "criterion_evidence")
        if programme_id:
            applications = applications.filter(programme_id=programme_id)
        request = info.context.request
        rows = []
        for a in applications[:MAX_PAGE]:
            evidence = [AwardEvidenceType(
                criterion=e.criterion, metric=e.metric, note=e.note,
                link=f"{request.scheme}://{a.school.host}{e.link}" if e.link else None,
                file_url=request.build_absolute_uri(reverse(
                    "reporting:criterion_evidence_file", args=[a.pk, e.pk],
                    urlconf=settings.PUBLIC_SCHEMA_URLCONF)) + f"?bureau={caller.bureau.pk}" if e.file else None,
            ) for e in a.criterion_evidence.all()]
            rows.append(AwardApplicationType(
                id=strawberry.ID(str(a.pk)), programme_id=strawberry.ID(str(a.programme_id)),
                school_id=strawberry.ID(str(a.school_id)), school_name=a.school.name, status=a.status,
                readiness=a.readiness, score=a.score, applied_at=a.applied_at, evidence=evidence))
        return rows

    @strawberry.field(description="Titles the visible schools hold.")
    def award_record_list(self, info: Info, bureau_code: str | None = None) -> list[AwardRecordType]:
        caller = _caller(info, bureau_code)
        return [AwardRecordType(
            school_id=strawberry.ID(str(r.school_id)), school_name=r.school.name, title=r.title, level=r.level,
            granted_on=r.granted_on,
        ) for r in AwardRecord.objects.filter(school__in=caller.schools).select_related("school")]

    @strawberry.field(description="Mirrored lists across schools: major_hazards, weak_buildings, capital_projects, "
                                  "overdue_repairs, campaign_rounds.")
    def mirrored_record_list(self, info: Info, kind: str | None = None, first: int = 50, offset: int = 0,
                             bureau_code: str | None = None) -> MirroredRecordPageType:
        caller = _caller(info, bureau_code)
        qs = MirroredRecord.objects.filter(school__in=caller.schools).select_related("school").order_by(
            "kind", "-occurred_on", "pk")
        if kind:
            qs = qs.filter(kind=kind)
        first = _page(first)
        offset = max(0, offset)
        return MirroredRecordPageType(total_count=qs.count(), rows=[MirroredRecordType(
            school_id=strawberry.ID(str(r.school_id)), school_name=r.school.name, kind=r.kind, ref=r.ref,
            title=r.title, status=r.status, occurred_on=r.occurred_on, data=r.data,
        ) for r in qs[offset:offset + first]])

    @strawberry.field(description="One school's metrics computed now inside its schema, and its lists.")
    def school_drilldown(self, info: Info, school_id: strawberry.ID, term_id: strawberry.ID | None = None,
                         bureau_code: str | None = None) -> SchoolDrilldownType:
        caller = _caller(info, bureau_code)
        school = _school(caller, school_id)
        term = _term(caller, term_id)
        values = services.school_metrics_compute(school=school, term=term)
        mirrors = services.school_mirrors_compute(school=school)
        return SchoolDrilldownType(
            school_id=strawberry.ID(str(school.pk)), school_name=school.name, term=_term_type(term), values=values,
            mirrors={k: [{**row, "occurred_on": _iso(row.get("occurred_on")), "data": services._jsonable(
                row.get("data") or {})} for row in rows] for k, rows in mirrors.items()},
        )


def _criterion_type(c: dict) -> AwardCriterionType:
    return AwardCriterionType(
        metric=c["metric"], op=c["op"], value=c["value"], label=c.get("label", ""), source=c.get("source", ""),
        clause=c.get("clause", ""), points=c.get("points"), note=c.get("note", ""), checked=c.get("checked", True))


def _iso(value):
    return value.isoformat() if isinstance(value, dt.date) else value


@strawberry.input
class CampaignItemInput:
    area: str = ""
    text: str


@strawberry.input
class CampaignIssueInput:
    title: str
    due_on: dt.date
    items: list[CampaignItemInput]
    school_ids: list[strawberry.ID] | None = None


@strawberry.type
class ReportingMutation:
    @strawberry.mutation(description="Enter the campus figures award criteria read (绿地率, 绿化覆盖率, 生均占地面积), on "
                                     "the school's host, by its administrators. A figure left out is cleared.")
    def school_campus_update(self, info: Info, site_area: Decimal | None = None, green_area: Decimal | None = None,
                             green_cover_rate: Decimal | None = None) -> CampusFiguresType:
        from api.permissions import require_school_role
        from tenants.roles import SCHOOL_ADMIN_ROLES

        school = require_school_role(info, SCHOOL_ADMIN_ROLES, scope=None)  # people only, never a token
        try:
            school = services.school_campus_update(user=info.context.request.user, school=school, site_area=site_area,
                                                   green_area=green_area, green_cover_rate=green_cover_rate)
        except PermissionDenied as exc:
            raise HouqinGraphQLError("Your role here does not allow this.", Code.FORBIDDEN) from exc
        return CampusFiguresType(site_area=school.site_area, green_area=school.green_area,
                                 green_cover_rate=school.green_cover_rate, green_space_rate=school.green_space_rate,
                                 site_area_per_pupil=school.site_area_per_pupil)

    @strawberry.mutation(description="Issue an inspection campaign to some or all of the bureau's schools.")
    def campaign_issue(self, info: Info, input: CampaignIssueInput) -> CampaignType:
        refuse_partners(info)  # the bureau issues campaigns; a token never does, on whatever host
        caller = _caller(info)
        schools = list(caller.schools.filter(pk__in=input.school_ids)) if input.school_ids else None
        if input.school_ids and len(schools) != len(set(input.school_ids)):
            raise HouqinGraphQLError("You may not send a campaign to that school.", Code.FORBIDDEN)
        try:
            campaign = services.campaign_issue(
                user=caller.user, bureau=caller.bureau, title=input.title, due_on=input.due_on,
                items=[{"area": i.area, "text": i.text} for i in input.items], schools=schools,
            )
        except PermissionDenied as exc:
            raise HouqinGraphQLError("Your role does not allow this.", Code.FORBIDDEN) from exc
        except ValidationError:
            raise
        return CampaignType(
            id=strawberry.ID(str(campaign.pk)), title=campaign.title, due_on=campaign.due_on,
            issued_at=campaign.issued_at, items=campaign.items, schools_count=campaign.targets.count(),
            completed_count=0, hazards_found=0, progress=[],
        )
