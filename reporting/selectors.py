"""Reads of reporting. Every cross-school read uses the public read-models, never a loop over schemas;
every selector takes the acting user and returns only the schools that user may see."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db.models import Avg, FloatField, QuerySet, Sum, Window
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Rank

from tenants import metrics as protocol
from tenants.access import bureaus_for, can_read_school
from tenants.models import Bureau, School

from . import catalogue
from .models import (
    AwardApplication,
    AwardProgramme,
    AwardRecord,
    Campaign,
    CampaignTarget,
    MirroredRecord,
    SchoolMetrics,
    Term,
)

CAMPAIGN_MIRROR_KIND = "campaign_rounds"


def bureau_for(*, user, bureau_id: int | None = None) -> Bureau:
    """The bureau whose console the user opens (the first one they belong to, unless one is named)."""
    bureaus = bureaus_for(user)
    bureau = bureaus.filter(pk=bureau_id).first() if bureau_id else bureaus.order_by("pk").first()
    if bureau is None:
        raise PermissionDenied
    return bureau


def _may_open(user, bureau: Bureau) -> bool:
    """Whether the user may open this bureau's console (remembered on the user object: one request)."""
    cache = getattr(user, "_reporting_bureaus", None)
    if cache is None:
        cache = user._reporting_bureaus = {}
    if bureau.pk not in cache:
        cache[bureau.pk] = bureaus_for(user).filter(pk=bureau.pk).exists()
    return cache[bureau.pk]


def schools_of(*, user, bureau: Bureau) -> QuerySet[School]:
    if not _may_open(user, bureau):
        raise PermissionDenied
    return School.objects.filter(bureau=bureau).exclude(schema_name="public")


def school_of(*, user, bureau: Bureau, school_id) -> School:
    school = schools_of(user=user, bureau=bureau).filter(pk=school_id).select_related("bureau").first()
    if school is None:
        raise PermissionDenied
    return school


def terms_of(*, user, bureau: Bureau) -> QuerySet[Term]:
    schools_of(user=user, bureau=bureau)
    return Term.objects.filter(bureau=bureau).order_by("-start")


def _metric_expr(key: str):
    return Cast(KT(f"values__{key}"), FloatField())


@dataclass
class Comparison:
    term: Term
    rows: list[dict]
    averages: dict[str, float | None]
    totals: dict[str, float | None]
    metrics: list[protocol.Metric] = field(default_factory=list)
    sort: str = ""
    page: object = None


def comparison_for(
    *, user, bureau: Bureau, term: Term, sort: str = "", query: str = "", previous: Term | None = None,
    page_number=None, per_page: int = 50, metric_filter: tuple[str, float | None, float | None] | None = None,
    schools: QuerySet[School] | None = None,
) -> Comparison:
    """The bureau's comparison table for a term: one row per school with its metrics, rank and the
    previous term's values, the district averages and totals — all from SchoolMetrics in SQL."""
    metrics = protocol.all_metrics()
    keys = [m.key for m in metrics]
    # `schools` narrows further (a partner's grant); it never widens past the user's bureau.
    schools = schools_of(user=user, bureau=bureau) if schools is None else schools.filter(bureau=bureau)
    if query:
        schools = schools.filter(name__icontains=query)
    rows_qs = SchoolMetrics.objects.filter(term=term, school__in=schools)
    # Averages over the whole district (not the filtered rows): "each school against the district average".
    averages, totals = district_aggregates(bureau=bureau, term=term, keys=keys)
    sort_key = sort.lstrip("-")
    descending = sort.startswith("-")
    annotations = {}
    metric = next((m for m in metrics if m.key == sort_key), None)
    if metric is not None:
        expr = _metric_expr(sort_key)
        best_first = expr.desc(nulls_last=True) if metric.higher_is_better else expr.asc(nulls_last=True)
        annotations["rank"] = Window(Rank(), order_by=best_first)
        order = expr.desc(nulls_last=True) if descending else expr.asc(nulls_last=True)
        rows_qs = rows_qs.annotate(**annotations).order_by(order, "school__name")
    else:
        sort = "-name" if sort == "-name" else "name"
        rows_qs = rows_qs.order_by("-school__name" if sort == "-name" else "school__name")
    rows_qs = rows_qs.values("school_id", "school__name", "school__student_count", "values", "computed_at",
                             *annotations.keys())
    if metric_filter and metric_filter[0] in keys:
        key, low, high = metric_filter
        rows_qs = rows_qs.annotate(_filter_value=_metric_expr(key))
        if low is not None:
            rows_qs = rows_qs.filter(_filter_value__gte=low)
        if high is not None:
            rows_qs = rows_qs.filter(_filter_value__lte=high)
    page = None
    if page_number is not None:
        from django.core.paginator import Paginator

        page = Paginator(rows_qs, per_page).get_page(page_number)
        rows = list(page.object_list)
    else:
        rows = list(rows_qs)
    if previous is not None and rows:
        before = dict(
            SchoolMetrics.objects.filter(term=previous, school_id__in=[r["school_id"] for r in rows]).values_list(
                "school_id", "values"
            )
        )
    else:
        before = {}
    for row in rows:
        row["previous"] = before.get(row["school_id"], {})
    return Comparison(term=term, rows=rows, averages=averages, totals=totals, metrics=metrics, sort=sort, page=page)


def district_aggregates(*, bureau: Bureau, term: Term, keys: list[str]) -> tuple[dict, dict]:
    """Average and sum of every metric over the bureau's schools for a term: one pass over the rows
    (jsonb_each), remembered until a row of the district changes."""
    if not keys:
        return {}, {}
    from django.core.cache import cache
    from django.db import connection
    from django.db.models import Count, Max

    district = SchoolMetrics.objects.filter(term=term, school__bureau=bureau)
    stamp = district.aggregate(n=Count("pk"), last=Max("computed_at"))
    last = stamp["last"].timestamp() if stamp["last"] else 0
    cache_key = f"reporting:district:{bureau.pk}:{term.pk}:{stamp['n']}:{last}"
    found = cache.get(cache_key)
    if found is None:
        with connection.cursor() as cursor:
            cursor.execute(
                """SELECT kv.key, AVG((kv.value #>> '{}')::float8), SUM((kv.value #>> '{}')::float8)
                   FROM reporting_schoolmetrics sm
                   JOIN tenants_school s ON s.id = sm.school_id
                   CROSS JOIN LATERAL jsonb_each(sm."values") kv
                   WHERE sm.term_id = %s AND s.bureau_id = %s AND jsonb_typeof(kv.value) = 'number'
                   GROUP BY kv.key""",
                [term.pk, bureau.pk],
            )
            found = {key: (avg, total) for key, avg, total in cursor.fetchall()}
        cache.set(cache_key, found, 300)
    averages = {k: found[k][0] if k in found else None for k in keys}
    totals = {k: found[k][1] if k in found else None for k in keys}
    metrics = catalogue.metric_map()
    for key in keys:
        parts = getattr(metrics.get(key), "pooled", None)
        if parts:
            averages[key] = _pooled(*(found.get(part, (None, None))[1] for part in parts))
    return averages, totals


def _pooled(numerator, denominator) -> float | None:
    """Σ numerators ÷ Σ denominators: the district's rate (41 rectified of 68 found is 60%)."""
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def district_figure_rule(metric: protocol.Metric) -> str:
    """How the district's figure of a metric is made, as the console and the glossary say it."""
    from django.utils.translation import gettext as _

    if metric.pooled:
        labels = {m.key: m.label for m in catalogue.metric_map().values()}
        numerator, denominator = (labels.get(k, k) for k in metric.pooled)
        return _("District: Σ %(numerator)s ÷ Σ %(denominator)s over the schools") % {
            "numerator": numerator, "denominator": denominator}
    if metric.unit in ("count", "yuan", "m2"):
        return _("District: mean per school (the total is shown beside it)")
    return _("District: mean of the schools' figures")


def trend_for(*, user, bureau: Bureau, keys: list[str], school: School | None = None, terms: int = 6) -> dict:
    """District averages (or one school's values) of some metrics over the last terms, oldest first."""
    recent = list(terms_of(user=user, bureau=bureau)[:terms])[::-1]
    result: dict = {"terms": [t.name for t in recent], "series": {k: [] for k in keys}}
    if school is not None:
        by_term = dict(SchoolMetrics.objects.filter(school=school, term__in=recent).values_list("term_id", "values"))
        for term in recent:
            for key in keys:
                result["series"][key].append(catalogue.number(by_term.get(term.pk, {}).get(key)))
        return result
    metrics = catalogue.metric_map()
    pooled = {k: metrics[k].pooled for k in keys if k in metrics and metrics[k].pooled}
    parts = {part for pair in pooled.values() for part in pair}
    rows = (
        SchoolMetrics.objects.filter(term__in=recent, school__bureau=bureau)
        .values("term_id")
        .annotate(**{f"avg_{k}": Avg(_metric_expr(k)) for k in keys if k not in pooled},
                  **{f"sum_{k}": Sum(_metric_expr(k)) for k in parts})
    )
    by_term = {r["term_id"]: r for r in rows}
    for term in recent:
        row = by_term.get(term.pk, {})
        for key in keys:
            if key in pooled:
                value = _pooled(*(row.get(f"sum_{part}") for part in pooled[key]))
            else:
                value = row.get(f"avg_{key}")
            result["series"][key].append(round(value, 4) if value is not None else None)
    return result


def school_metrics_live(*, user, school: School, term: Term) -> dict:
    """Drill-down: the school's metrics computed now, inside its schema, for this one request."""
    if not can_read_school(user, school):
        raise PermissionDenied
    from .services import school_metrics_compute

    return school_metrics_compute(school=school, term=term)


def school_mirrors_live(*, user, school: School) -> dict[str, list[dict]]:
    if not can_read_school(user, school):
        raise PermissionDenied
    from .services import school_mirrors_compute

    return school_mirrors_compute(school=school)


def mirrored_for(*, user, bureau: Bureau, kind: str = "", query: str = "") -> QuerySet[MirroredRecord]:
    qs = MirroredRecord.objects.filter(school__in=schools_of(user=user, bureau=bureau)).select_related("school")
    if kind:
        qs = qs.filter(kind=kind)
    else:
        qs = qs.exclude(kind=CAMPAIGN_MIRROR_KIND)
    if query:
        qs = qs.filter(title__icontains=query)
    return qs.order_by("kind", "-occurred_on", "school__name", "pk")


def mirrored_kinds(*, user, bureau: Bureau) -> list[str]:
    return list(
        MirroredRecord.objects.filter(school__bureau=bureau)
        .exclude(kind=CAMPAIGN_MIRROR_KIND)
        .order_by("kind")
        .values_list("kind", flat=True)
        .distinct()
    )


# ---------------------------------------------------------------- campaigns


def campaigns_for(*, user, bureau: Bureau) -> QuerySet[Campaign]:
    schools_of(user=user, bureau=bureau)
    return Campaign.objects.filter(bureau=bureau).select_related("issued_by")


def campaign_progress(*, user, campaign: Campaign, check: bool = True) -> list[dict]:
    """Each target school's round: items checked, hazards found, completion — from the safety mirror.

    `check=False` when the caller's schools were already decided (a partner's grant, in GraphQL).
    """
    return campaigns_progress(user=user, campaigns=[campaign], check=check)[campaign.pk]


def campaigns_progress(*, user, campaigns: list[Campaign], check: bool = True) -> dict[int, list[dict]]:
    """campaign_progress of many campaigns (campaign id → rows) in two queries, however many campaigns."""
    if check:
        for bureau_id in {c.bureau_id for c in campaigns}:
            schools_of(user=user, bureau=Bureau(pk=bureau_id))
    by_campaign: dict[int, list] = {c.pk: [] for c in campaigns}
    targets = CampaignTarget.objects.filter(campaign__in=[c.pk for c in campaigns]).select_related("school")
    for target in targets.order_by("school__name", "pk"):
        by_campaign[target.campaign_id].append(target)
    refs = {c.mirror_ref: c.pk for c in campaigns}
    mirrors = {
        (refs[m.ref], m.school_id): m
        for m in MirroredRecord.objects.filter(kind=CAMPAIGN_MIRROR_KIND, ref__in=list(refs),
                                               school_id__in={t.school_id for ts in by_campaign.values() for t in ts})
    }
    return {c.pk: [_progress_row(c, t, mirrors.get((c.pk, t.school_id))) for t in by_campaign[c.pk]]
            for c in campaigns}


def _progress_row(campaign: Campaign, target: CampaignTarget, mirror: MirroredRecord | None) -> dict:
    data = mirror.data if mirror else {}
    total = data.get("items_total") or len(campaign.items)
    checked = data.get("items_checked") or 0
    return {
        "school": target.school,
        "opened": target.opened_at is not None or mirror is not None,
        "items_total": total,
        "items_checked": checked,
        "percent": catalogue.percent(checked / total) if total else 0,
        "hazards_found": data.get("hazards_found") or 0,
        "completed_at": catalogue.local_time(data.get("completed_at")),
        "status": catalogue.mirror_status(mirror.kind, mirror.status) if mirror else "",
    }


def campaign_summary(rows: list[dict]) -> dict:
    done = sum(1 for r in rows if r["completed_at"])
    return {
        "schools": len(rows),
        "completed": done,
        "hazards": sum(r["hazards_found"] for r in rows),
        "percent": catalogue.percent(done / len(rows)) if rows else 0,
    }


# ---------------------------------------------------------------- awards


def _meets(value, op: str, threshold: float) -> bool | None:
    """Whether the value meets the threshold; None when there is no value (unknown is never met)."""
    value = catalogue.number(value)
    if value is None:
        return None
    if op == "<=":
        return value <= threshold
    if op == "==":
        return value == threshold
    return value >= threshold


def award_readiness(*, programme: AwardProgramme, values: dict) -> dict:
    """Which criteria the school meets now, and a 0–100 readiness score (share of criteria met)."""
    metrics = catalogue.metric_map()
    checks = []
    for criterion in programme.criteria:
        metric = metrics.get(criterion["metric"])
        value = values.get(criterion["metric"])
        threshold = criterion["value"]
        checks.append({
            "index": len(checks),
            "metric": criterion["metric"],
            "label": criterion.get("label") or (metric.label if metric else criterion["metric"]),
            "metric_label": metric.label if metric else criterion["metric"],
            "op": criterion["op"],
            "threshold": catalogue.display(metric, threshold),
            "value": catalogue.display(metric, value),
            "met": _meets(value, criterion["op"], threshold),
            "points": criterion.get("points"),
            "source": criterion.get("source", ""),
            "clause": criterion.get("clause", ""),
            "note": criterion.get("note", ""),
            "checked": criterion.get("checked", True),
        })
    met = sum(1 for c in checks if c["met"])
    unknown = sum(1 for c in checks if c["met"] is None)
    points_total = sum(c["points"] or 0 for c in checks)
    points_met = sum(c["points"] or 0 for c in checks if c["met"])
    # A programme without criteria cannot be judged: no score rather than a free 100. Where the standard scores
    # points, the score is the share of its points earned; otherwise the share of criteria met.
    if not checks:
        score = None
    elif points_total:
        score = catalogue.percent(points_met / points_total)
    else:
        score = catalogue.percent(met / len(checks))
    return {"score": score, "checks": checks, "met": met, "unknown": unknown, "total": len(checks),
            "points_met": points_met if points_total else None, "points_total": points_total or None}


def programmes_for(*, user, bureau: Bureau) -> QuerySet[AwardProgramme]:
    schools_of(user=user, bureau=bureau)
    return AwardProgramme.objects.filter(bureau=bureau)


def programmes_for_school(*, user, school: School) -> QuerySet[AwardProgramme]:
    if not can_read_school(user, school):
        raise PermissionDenied
    return AwardProgramme.objects.filter(bureau_id=school.bureau_id)


def readiness_table(*, user, bureau: Bureau, programme: AwardProgramme, term: Term) -> list[dict]:
    """Every school's readiness for one programme, from the stored metrics of the term."""
    rows = []
    values = dict(
        SchoolMetrics.objects.filter(term=term, school__bureau=bureau).values_list("school_id", "values")
    )
    for school in schools_of(user=user, bureau=bureau).order_by("name"):
        readiness = award_readiness(programme=programme, values=values.get(school.pk, {}))
        rows.append({"school": school, **readiness})
    rows.sort(key=lambda r: (r["score"] is None, -(r["score"] or 0), r["school"].name))
    return rows


def applications_for(*, user, bureau: Bureau, status: str = "") -> QuerySet[AwardApplication]:
    qs = AwardApplication.objects.filter(
        programme__bureau=bureau, school__in=schools_of(user=user, bureau=bureau)
    ).select_related("programme", "school", "applied_by")
    return qs.filter(status=status) if status else qs


def application_of(*, user, bureau: Bureau, application_id) -> AwardApplication:
    application = applications_for(user=user, bureau=bureau).filter(pk=application_id).first()
    if application is None:
        raise PermissionDenied
    return application


def records_for_school(*, user, school: School) -> QuerySet[AwardRecord]:
    if not can_read_school(user, school):
        raise PermissionDenied
    return AwardRecord.objects.filter(school=school)


def records_for(*, user, bureau: Bureau) -> QuerySet[AwardRecord]:
    return AwardRecord.objects.filter(school__in=schools_of(user=user, bureau=bureau)).select_related("school")


def applications_for_school(*, user, school: School) -> QuerySet[AwardApplication]:
    if not can_read_school(user, school):
        raise PermissionDenied
    return AwardApplication.objects.filter(school=school).select_related("programme")


def values_for(*, user, school: School, term: Term) -> dict:
    if not can_read_school(user, school):
        raise PermissionDenied
    row = SchoolMetrics.objects.filter(school=school, term=term).first()
    return row.values if row else {}


def freshness_for(*, user, bureau: Bureau) -> dict:
    """When the bureau's read-models last changed: the stamp the pages poll, and the time they show.

    Two aggregates over the bureau's rows (indexed by school), cheap enough to ask every few seconds.
    """
    from django.db.models import Count, Max

    schools_of(user=user, bureau=bureau)
    metrics = SchoolMetrics.objects.filter(school__bureau=bureau).aggregate(n=Count("pk"), last=Max("computed_at"))
    mirrors = MirroredRecord.objects.filter(school__bureau=bureau).aggregate(n=Count("pk"), last=Max("updated_at"))
    moments = [m for m in (metrics["last"], mirrors["last"]) if m is not None]
    last = max(moments) if moments else None
    stamp = f"{metrics['n']}:{metrics['last'] and metrics['last'].timestamp()}:{mirrors['n']}:" \
            f"{mirrors['last'] and mirrors['last'].timestamp()}"
    return {"stamp": stamp, "as_of": last}
