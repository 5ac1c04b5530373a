"""Bureau console pages (base-domain host). Cross-school pages read the public read-models only;
the drill-down alone enters one school's schema, for that one request."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from core.progress import progress
from frontend.excel import percent, xlsx_response
from frontend.lists import paginate, wants_export
from jobs.background import document_in_background, export_in_background
from tenants.access import bureau_roles, bureau_view, is_platform_operator

from . import catalogue, charts, selectors, services, summary
from .choices import ApplicationStatus, CampaignArea
from .forms import (
    AwardProgrammeForm,
    AwardReviewForm,
    CampaignForm,
    TermForm,
    WorkSummaryForm,
)
from .models import Term, WorkSummary

# Metrics shown in the console by default, when the modules define them (the rest are one click away).
KEY_METRICS = [
    "hazards_found", "hazards_rectified", "hazard_rectification_rate", "hazards_overdue", "major_hazards_open",
    "drills_held", "repairs_received", "repairs_completion_rate", "repairs_sla_minor", "repairs_intact_rate",
    "buildings_grade_d", "feedback_callback_rate", "assets_fixed_count", "assets_fixed_value",
]
MAX_COLUMNS = 8


def _bureau_and_term(request):
    bureau = selectors.bureau_for(user=request.user, bureau_id=_int(request.GET.get("bureau")))
    terms = list(selectors.terms_of(user=request.user, bureau=bureau))
    term = next((t for t in terms if str(t.pk) == request.GET.get("term")), None)
    if term is None:
        term = services.term_current(bureau=bureau)
        if term not in terms:
            terms.insert(0, term)
    return bureau, term, terms


def _port(request) -> str:
    port = request.get_port()
    return "" if port in ("80", "443") else f":{port}"


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _float(value):
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


def _columns(request, metrics) -> list:
    chosen = request.GET.getlist("m")
    by_key = {m.key: m for m in metrics}
    picked = [by_key[k] for k in chosen if k in by_key]
    if not picked:
        picked = [by_key[k] for k in KEY_METRICS if k in by_key] or list(metrics)
    return picked[:MAX_COLUMNS] if not chosen else picked


def _may_manage(user, bureau) -> bool:
    return is_platform_operator(user) or bool(bureau_roles(user, bureau) & services.BUREAU_MANAGER_ROLES)


def _cell(metric, value):
    """A metric's value for a spreadsheet, rounded as the page shows it: percentages to 0.1 % (with a
    percent format), money to the fen, every other figure (an average of counts too) to one decimal."""
    value = catalogue.number(value)
    if value is None:
        return None
    if metric.unit == "percent":
        return percent(value)
    if metric.unit == "yuan":
        return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    value = float(Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))
    return int(value) if value.is_integer() else value


def _export_header(metric) -> str:
    unit = "" if metric.unit == "percent" else catalogue.unit_label(metric)  # the cells carry the % sign
    return f"{metric.label}（{unit}）" if unit else str(metric.label)


@bureau_view
def console(request):
    """All the bureau's schools with their key metrics for a term: sort, filter, compare, chart, export."""
    bureau, term, terms = _bureau_and_term(request)
    previous = services.term_previous(term)
    sort = request.GET.get("sort", "name")
    query = request.GET.get("q", "").strip()
    filter_key = request.GET.get("f", "")
    metric_filter = (filter_key, _float(request.GET.get("min")), _float(request.GET.get("max"))) if filter_key else None
    export = wants_export(request)
    comparison = selectors.comparison_for(
        user=request.user, bureau=bureau, term=term, sort=sort, query=query, previous=previous,
        page_number=None if export else request.GET.get("page", 1), metric_filter=metric_filter,
    )
    if export:
        title = f"{bureau.name} · {term.name} · {_('School comparison')}"
        if (started := export_in_background(request, rows=len(comparison.rows), title=title)) is not None:
            return started
        metrics = comparison.metrics
        headers = [_("School"), _("Students")] + [_export_header(m) for m in metrics]
        rows = [[r["school__name"], r["school__student_count"]] + [_cell(m, r["values"].get(m.key)) for m in metrics]
                for r in comparison.rows]
        rows.append([pgettext("district figure", "District"), ""] + [_cell(m, comparison.averages.get(m.key)) for m in metrics])
        return xlsx_response(filename=f"{bureau.name}-{term.name}-学校指标", headers=headers, rows=rows,
                             title=_("School comparison"), school=bureau, term=term.name)
    columns = _columns(request, comparison.metrics)
    chart_key = request.GET.get("chart") or (sort.lstrip("-") if sort.lstrip("-") in {m.key for m in columns} else "")
    chart_metric = next((m for m in comparison.metrics if m.key == chart_key), columns[0] if columns else None)
    table = []
    for row in comparison.rows:
        cells = []
        for metric in columns:
            value = row["values"].get(metric.key)
            before = row["previous"].get(metric.key)
            average = comparison.averages.get(metric.key)
            cells.append({
                "text": catalogue.display(metric, value),
                "trend": _trend(metric, value, before),
                "below": _worse_than(metric, value, average),
            })
        table.append({"row": row, "cells": cells})
    chart = _chart_data(request, bureau, comparison, chart_metric) if chart_metric else None
    context = {
        "bureau": bureau, "term": term, "terms": terms, "previous": previous, "query": query, "sort": sort,
        "columns": columns, "metrics": comparison.metrics, "table": table, "page_obj": comparison.page,
        "averages": [catalogue.display(m, comparison.averages.get(m.key)) for m in columns],
        "chart": chart, "chart_metric": chart_metric, "filter_key": filter_key,
        "filter_min": request.GET.get("min", ""), "filter_max": request.GET.get("max", ""),
        "chosen": request.GET.getlist("m"),
    }
    context["live"] = _live(request, context["bureau"])
    return render(request, "reporting/console.html", context)


def _trend(metric, value, before) -> str:
    value, before = catalogue.number(value), catalogue.number(before)
    if value is None or before is None or value == before:
        return ""
    better = (value > before) == metric.higher_is_better
    return "up-good" if value > before and better else "up-bad" if value > before else "down-good" if better else "down-bad"


def _worse_than(metric, value, average) -> bool:
    value, average = catalogue.number(value), catalogue.number(average)
    if value is None or average is None:
        return False
    return value < average if metric.higher_is_better else value > average


def _chart_data(request, bureau, comparison, metric) -> dict:
    scale = 100 if metric.unit == "percent" else 1
    bars = [(r["school__name"], catalogue.number(r["values"].get(metric.key))) for r in comparison.rows]
    average = comparison.averages.get(metric.key)
    trend = selectors.trend_for(user=request.user, bureau=bureau, keys=[metric.key])
    return {
        "title": str(metric.label),
        "unit": "%" if metric.unit == "percent" else catalogue.unit_label(metric),
        "schools": [name for name, _value in bars],
        "values": [None if v is None else round(v * scale, 2) for _name, v in bars],
        "average": None if average is None else round(average * scale, 2),
        "average_label": pgettext("district figure", "District"),
        "terms": trend["terms"],
        "trend": [None if v is None else round(v * scale, 2) for v in trend["series"][metric.key]],
    }


@bureau_view
def rankings(request):
    """One metric: every school's rank, its value against the district average and its previous term."""
    bureau, term, terms = _bureau_and_term(request)
    previous = services.term_previous(term)
    metrics = catalogue.metric_map()
    key = request.GET.get("metric") or next((k for k in KEY_METRICS if k in metrics), next(iter(metrics), ""))
    metric = metrics.get(key)
    rows = []
    average = None
    if metric is not None:
        comparison = selectors.comparison_for(
            user=request.user, bureau=bureau, term=term, sort=("-" if metric.higher_is_better else "") + key,
            previous=previous,
        )
        average = comparison.averages.get(key)
        for row in comparison.rows:
            value = catalogue.number(row["values"].get(key))
            before = catalogue.number(row["previous"].get(key))
            rows.append({
                "rank": row["rank"] if value is not None else None, "school": row["school__name"],
                "school_id": row["school_id"], "value": value, "before": before,
                "vs_average": None if value is None or average is None else value - average,
                "change": None if value is None or before is None else value - before,
            })
    if wants_export(request) and metric is not None:
        headers = [_("Rank"), _("School"), _export_header(metric), pgettext("district figure", "District"),
                   _("Difference from the district"), _("Previous term"), _("Change")]
        data = [[r["rank"], r["school"], _cell(metric, r["value"]), _cell(metric, average),
                 _cell(metric, r["vs_average"]), _cell(metric, r["before"]), _cell(metric, r["change"])] for r in rows]
        return xlsx_response(filename=f"{bureau.name}-{term.name}-{metric.label}排名", headers=headers, rows=data,
                             title=_("%(metric)s ranking") % {"metric": metric.label}, school=bureau, term=term.name)
    for row in rows:
        for name in ("value", "before"):
            row[f"{name}_text"] = catalogue.display(metric, row[name])
        row["vs_text"] = _signed(metric, row["vs_average"])
        row["change_text"] = _signed(metric, row["change"])
        row["below"] = _worse_than(metric, row["value"], average)
    context = {"bureau": bureau, "term": term, "terms": terms, "previous": previous, "metric": metric,
               "chart": charts.ranking_chart(metric=metric, rows=rows, average=average) if metric else None,
               "metrics": list(metrics.values()), "rows": rows, "average": catalogue.display(metric, average),
               "district_rule": selectors.district_figure_rule(metric) if metric else ""}
    context["live"] = _live(request, context["bureau"])
    return render(request, "reporting/rankings.html", context)


def _signed(metric, value) -> str:
    if value is None:
        return "—"
    text = catalogue.display(metric, abs(value))
    return ("+" if value > 0 else "−" if value < 0 else "") + text


@bureau_view
def school_detail(request, school_id: int):
    """Drill-down into one school: figures computed now inside its schema, beside the stored row."""
    bureau, term, terms = _bureau_and_term(request)
    school = selectors.school_of(user=request.user, bureau=bureau, school_id=school_id)
    live = selectors.school_metrics_live(user=request.user, school=school, term=term)
    stored = selectors.values_for(user=request.user, school=school, term=term)
    previous = services.term_previous(term)
    before = selectors.values_for(user=request.user, school=school, term=previous) if previous else {}
    comparison = selectors.comparison_for(user=request.user, bureau=bureau, term=term, page_number=1, per_page=1)
    groups = []
    for module, metrics in catalogue.metrics_by_module():
        rows = [{
            "metric": m, "live": catalogue.display(m, live.get(m.key)), "stored": catalogue.display(m, stored.get(m.key)),
            "before": catalogue.display(m, before.get(m.key)),
            "average": catalogue.display(m, comparison.averages.get(m.key)),
            "below": _worse_than(m, live.get(m.key), comparison.averages.get(m.key)),
            # A percentage already reads 69%: the unit column stays empty rather than say "69% %".
            "unit": "" if m.unit == "percent" else catalogue.unit_label(m),
        } for m in metrics]
        groups.append({"label": catalogue.MODULE_LABELS.get(module, module), "rows": rows})
    if wants_export(request):
        headers = [_("Metric"), _("This term (live)"), pgettext("district figure", "District"), _("Previous term"),
                   _("Unit")]
        data = [[str(m.label), _cell(m, live.get(m.key)), _cell(m, comparison.averages.get(m.key)),
                 _cell(m, before.get(m.key)), catalogue.unit_label(m)]
                for _module, metrics in catalogue.metrics_by_module() for m in metrics]
        return xlsx_response(filename=f"{school.name}-{term.name}", headers=headers, rows=data,
                             title=_("School metrics"), school=school, term=term.name)
    mirrors = selectors.school_mirrors_live(user=request.user, school=school)
    keys = [k for k in KEY_METRICS if k in catalogue.metric_map()][:4]
    trend = selectors.trend_for(user=request.user, bureau=bureau, keys=keys, school=school)
    metric_map = catalogue.metric_map()
    chart = {"terms": trend["terms"], "series": [
        {"name": str(metric_map[k].label),
         "data": [None if v is None else round(v * (100 if metric_map[k].unit == "percent" else 1), 2)
                  for v in trend["series"][k]]} for k in keys]}
    context = {
        "bureau": bureau, "term": term, "terms": terms, "school": school, "groups": groups,
        "mirrors": {catalogue.mirror_label(kind): [{**r, "status": catalogue.mirror_status(kind, r["status"])}
                                                   for r in rows]
                    for kind, rows in mirrors.items() if kind != selectors.CAMPAIGN_MIRROR_KIND},
        "records": selectors.records_for_school(user=request.user, school=school), "chart": chart,
    }
    return render(request, "reporting/school_detail.html", context)


@bureau_view
def glossary(request):
    """Every metric's name, unit and formula, as defined by the module it comes from."""
    groups = [
        {"label": catalogue.MODULE_LABELS.get(module, module),
         "metrics": [{"metric": m, "unit": catalogue.unit_label(m) or _("count"),
                      "district": selectors.district_figure_rule(m)} for m in metrics]}
        for module, metrics in catalogue.metrics_by_module()
    ]
    if wants_export(request):
        headers = [_("Module"), _("Key"), _("Metric"), _("Unit"), _("Formula"), _("District figure"),
                   _("Higher is better")]
        rows = [[g["label"], m["metric"].key, m["metric"].label, m["unit"], m["metric"].formula, m["district"],
                 m["metric"].higher_is_better] for g in groups for m in g["metrics"]]
        return xlsx_response(filename="指标说明", headers=headers, rows=rows, title=_("Metrics glossary"))
    return render(request, "reporting/glossary.html", {"groups": groups})


def _live(request, bureau) -> dict:
    """What a page needs to redraw itself when the read-models change: the stamp and the poll's address."""
    fresh = selectors.freshness_for(user=request.user, bureau=bureau)
    return {**fresh, "url": f"{reverse('reporting:live')}?bureau={bureau.pk}"}


@bureau_view
def live(request):
    """The read-models' stamp, polled by the console's pages to redraw themselves when a school's figures change."""
    bureau = selectors.bureau_for(user=request.user, bureau_id=_int(request.GET.get("bureau")))
    fresh = selectors.freshness_for(user=request.user, bureau=bureau)
    return JsonResponse({"stamp": fresh["stamp"], "as_of": fresh["as_of"].isoformat() if fresh["as_of"] else None})


@bureau_view
def records(request):
    """Mirrored lists across the bureau's schools (major hazards, C/D buildings, projects, overdue repairs)."""
    bureau = selectors.bureau_for(user=request.user, bureau_id=_int(request.GET.get("bureau")))
    kind = request.GET.get("kind", "")
    query = request.GET.get("q", "").strip()
    rows = selectors.mirrored_for(user=request.user, bureau=bureau, kind=kind, query=query)
    if wants_export(request):
        headers = [_("Kind"), _("School"), _("Title"), _("Status"), _("Date")]
        data = ([catalogue.mirror_label(r.kind), r.school.name, r.title, catalogue.mirror_status(r.kind, r.status),
                 r.occurred_on] for r in rows)
        return xlsx_response(filename=f"{bureau.name}-清单", headers=headers, rows=data, school=bureau,
                             title=catalogue.mirror_label(kind) if kind else _("Lists across schools"))
    page_obj = paginate(request, rows)
    for row in page_obj:
        row.kind_label = catalogue.mirror_label(row.kind)
        row.status_label = catalogue.mirror_status(row.kind, row.status)
    context = {"bureau": bureau, "page_obj": page_obj, "kind": kind, "query": query,
               "kinds": [(k, catalogue.mirror_label(k)) for k in selectors.mirrored_kinds(user=request.user,
                                                                                         bureau=bureau)]}
    context["live"] = _live(request, context["bureau"])
    return render(request, "reporting/records.html", context)


@bureau_view
def terms(request):
    bureau = selectors.bureau_for(user=request.user, bureau_id=_int(request.GET.get("bureau")))
    form = TermForm(request.POST or None)
    if request.method == "POST":
        if not _may_manage(request.user, bureau):
            raise PermissionDenied
        if form.is_valid():
            try:
                services.term_create(bureau=bureau, **form.cleaned_data)
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, _("Term added."))
                return redirect("reporting:terms")
    rows = selectors.terms_of(user=request.user, bureau=bureau)
    return render(request, "reporting/terms.html", {"bureau": bureau, "rows": rows, "form": form,
                                                    "may_manage": _may_manage(request.user, bureau)})


def _add_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, errors in error.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


# ---------------------------------------------------------------- campaigns


@bureau_view
def campaign_list(request):
    bureau = selectors.bureau_for(user=request.user, bureau_id=_int(request.GET.get("bureau")))
    campaigns = list(selectors.campaigns_for(user=request.user, bureau=bureau))
    progress = selectors.campaigns_progress(user=request.user, campaigns=campaigns)
    rows = [{"campaign": campaign, **selectors.campaign_summary(progress[campaign.pk])} for campaign in campaigns]
    if wants_export(request):
        headers = [_("Title"), _("Deadline"), _("Schools"), _("Completed"), _("Hazards found"), _("Issued at")]
        data = [[r["campaign"].title, r["campaign"].due_on, r["schools"], r["completed"], r["hazards"],
                 r["campaign"].issued_at] for r in rows]
        return xlsx_response(filename=f"{bureau.name}-检查活动", headers=headers, rows=data, school=bureau,
                             title=_("Inspection campaigns"))
    return render(request, "reporting/campaign_list.html",
                  {"bureau": bureau, "rows": rows, "may_manage": _may_manage(request.user, bureau)})


@bureau_view
def campaign_new(request):
    bureau = selectors.bureau_for(user=request.user, bureau_id=_int(request.GET.get("bureau")))
    if not _may_manage(request.user, bureau):
        raise PermissionDenied
    schools = selectors.schools_of(user=request.user, bureau=bureau).order_by("name")
    form = CampaignForm(request.POST or None, schools=schools)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.campaign_issue(
                user=request.user, bureau=bureau, title=form.cleaned_data["title"], items=form.cleaned_data["items"],
                due_on=form.cleaned_data["due_on"], schools=list(form.cleaned_data["schools"]) or None,
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The campaign was issued to %(n)d schools.") % {"n": campaign.targets.count()})
            return redirect("reporting:campaign_detail", campaign_id=campaign.pk)
    return render(request, "reporting/form_page.html", {"form": form, "title": _("Issue an inspection campaign")})


@bureau_view
def campaign_detail(request, campaign_id: int):
    bureau = selectors.bureau_for(user=request.user, bureau_id=_int(request.GET.get("bureau")))
    campaign = selectors.campaigns_for(user=request.user, bureau=bureau).filter(pk=campaign_id).first()
    if campaign is None:
        raise PermissionDenied
    rows = selectors.campaign_progress(user=request.user, campaign=campaign)
    if wants_export(request):
        headers = [_("School"), _("Items checked"), _("Items"), _("Hazards found"), _("Completed at")]
        data = [[r["school"].name, r["items_checked"], r["items_total"], r["hazards_found"], r["completed_at"] or ""]
                for r in rows]
        return xlsx_response(filename=f"{campaign.title}-进度", headers=headers, rows=data, school=bureau,
                             title=f"{campaign.title} {_('Progress')}")
    items = [{"area": CampaignArea(i["area"]).label if i["area"] in CampaignArea.values else i["area"],
              "text": i["text"]} for i in campaign.items]
    return render(request, "reporting/campaign_detail.html",
                  {"live": _live(request, bureau), "campaign": campaign, "rows": rows, "summary": selectors.campaign_summary(rows), "items": items,
                   "chart": charts.campaign_chart(title=_("Progress"), rows=rows)})


# ---------------------------------------------------------------- awards


@bureau_view
def award_list(request):
    bureau, term, _terms = _bureau_and_term(request)
    programmes = list(selectors.programmes_for(user=request.user, bureau=bureau))
    applications = selectors.applications_for(user=request.user, bureau=bureau)
    records_qs = selectors.records_for(user=request.user, bureau=bureau)
    if wants_export(request):
        headers = [_("School"), _("Title"), _("Level"), _("Granted on")]
        data = ([r.school.name, r.title, r.get_level_display(), r.granted_on] for r in records_qs)
        return xlsx_response(filename=f"{bureau.name}-荣誉", headers=headers, rows=data, school=bureau,
                             title=_("Titles held by schools"))
    context = {"bureau": bureau, "term": term, "programmes": programmes,
               "pending": applications.filter(status=ApplicationStatus.SUBMITTED),
               "reviewed": applications.exclude(status=ApplicationStatus.SUBMITTED)[:20],
               "records": records_qs, "may_manage": _may_manage(request.user, bureau)}
    return render(request, "reporting/award_list.html", context)


@bureau_view
def award_new(request):
    bureau = selectors.bureau_for(user=request.user, bureau_id=_int(request.GET.get("bureau")))
    if not _may_manage(request.user, bureau):
        raise PermissionDenied
    form = AwardProgrammeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            programme = services.award_programme_create(
                user=request.user, bureau=bureau, name=data["name"], kind=data["kind"], level=data["level"],
                criteria=data["criteria"], evidence_required=data["evidence"], description=data["description"],
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            return redirect("reporting:award_detail", programme_id=programme.pk)
    return render(request, "reporting/form_page.html", {"form": form, "title": _("New award programme")})


@bureau_view
def award_detail(request, programme_id: int):
    """A programme: its criteria and every school's readiness from the term's metrics."""
    bureau, term, terms = _bureau_and_term(request)
    programme = selectors.programmes_for(user=request.user, bureau=bureau).filter(pk=programme_id).first()
    if programme is None:
        raise PermissionDenied
    rows = selectors.readiness_table(user=request.user, bureau=bureau, programme=programme, term=term)
    if wants_export(request):
        headers = [_("School"), _("Readiness score"), _("Criteria met")]
        data = [[r["school"].name, r["score"], f"{r['met']}/{r['total']}"] for r in rows]
        return xlsx_response(filename=f"{programme.name}-达标情况", headers=headers, rows=data, school=bureau,
                             title=f"{programme.name} {_('Readiness of the schools')}", term=term.name)
    metric_map = catalogue.metric_map()
    criteria = [{"label": c.get("label") or (metric_map[c["metric"]].label if c["metric"] in metric_map
                                           else c["metric"]),
                 "metric_label": metric_map[c["metric"]].label if c["metric"] in metric_map else c["metric"],
                 "op": c["op"], "value": catalogue.display(metric_map.get(c["metric"]), c["value"]),
                 "source": c.get("source", ""), "clause": c.get("clause", ""), "points": c.get("points"),
                 "note": c.get("note", ""), "checked": c.get("checked", True)}
                for c in programme.criteria]
    return render(request, "reporting/award_detail.html",
                  {"live": _live(request, bureau), "programme": programme, "rows": rows, "term": term, "terms": terms, "criteria": criteria,
                   "chart": charts.readiness_chart(title=_("Readiness of each school"), rows=rows)})


@bureau_view
def application_review(request, application_id: int):
    bureau = selectors.bureau_for(user=request.user, bureau_id=_int(request.GET.get("bureau")))
    application = selectors.application_of(user=request.user, bureau=bureau, application_id=application_id)
    form = AwardReviewForm(request.POST or None, initial={"score": application.readiness})
    if request.method == "POST":
        if not _may_manage(request.user, bureau):
            raise PermissionDenied
        if form.is_valid():
            try:
                services.award_review(user=request.user, application=application,
                                      grant=form.cleaned_data["decision"] == "grant",
                                      score=form.cleaned_data["score"], note=form.cleaned_data["note"])
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, _("The review was saved."))
                return redirect("reporting:awards")
    term = application.term
    readiness = selectors.award_readiness(
        programme=application.programme, values=selectors.values_for(user=request.user, school=application.school,
                                                                     term=term))
    attached = {e.criterion: e for e in application.criterion_evidence.all()}
    for check in readiness["checks"]:
        check["evidence"] = attached.get(check["index"])
    return render(request, "reporting/application_review.html",
                  {"application": application, "form": form, "readiness": readiness,
                   "school_site": f"{request.scheme}://{application.school.host}{_port(request)}",
                   "may_manage": _may_manage(request.user, bureau)})


# ---------------------------------------------------------------- work summaries


@bureau_view
def work_summary(request):
    """The term work summary of one school (?school=) or of the whole bureau: generate, edit, export."""
    bureau, term, terms = _bureau_and_term(request)
    schools = selectors.schools_of(user=request.user, bureau=bureau)
    school = selectors.school_of(user=request.user, bureau=bureau, school_id=request.GET["school"]) if (
        request.GET.get("school")) else None
    return _summary_page(request, bureau=bureau, term=term, terms=terms, school=school, schools=schools,
                         base=reverse("reporting:summary"))


def _summary_page(request, *, bureau, term: Term, terms, school, schools, base: str):
    fmt = request.GET.get("format")
    if fmt in ("docx", "pdf") and request.method == "GET":
        # Made by a background job that replays this request (seconds of layout, never inside a request).
        name = school.name if school is not None else bureau.name
        title = f"{name} · {term.name} · {_('Work summary')} ({fmt.upper()})"
        if (started := document_in_background(request, title=title)) is not None:
            return started
    saved = WorkSummary.objects.filter(bureau=bureau, school=school, term=term).first()
    regenerate = request.GET.get("regenerate") == "1"
    if school is not None:
        title, body = summary.school_summary(school=school, term=term)
    else:
        title, body = summary.bureau_summary(bureau=bureau, term=term, schools=schools)
    if saved and not regenerate:
        title, body = saved.title, saved.body
    form = WorkSummaryForm(request.POST or None, initial={"title": title, "body": body})
    if request.method == "POST" and form.is_valid():
        try:
            services.work_summary_save(user=request.user, bureau=bureau, term=term, school=school,
                                       title=form.cleaned_data["title"], body=form.cleaned_data["body"])
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The summary was saved."))
            return redirect(f"{base}?{request.GET.urlencode()}")
    if fmt == "xlsx" and request.method == "GET":
        # The summary's tables as a ledger sheet (a few dozen rows: answered at once).
        return xlsx_response(
            filename=title, title=title, school=school, term=term.name,
            headers=[pgettext("summary", "Part"), _("Metric"), pgettext("figure", "Value")],
            rows=summary.xlsx_rows(body),
        )
    if fmt in ("docx", "pdf"):
        progress(20, _("Laying out the document"))
        if fmt == "docx":
            content = summary.docx_bytes(title=title, body=body)
            kind = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        else:
            content = summary.pdf_bytes(title=title, body=body)
            kind = "application/pdf"
        response = HttpResponse(content, content_type=kind)
        response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(title)}.{fmt}"
        return response
    context = {"bureau": bureau, "term": term, "terms": terms, "school": school,
               "schools": schools.order_by("name") if schools is not None else None, "form": form, "saved": saved,
               "base": base}
    return render(request, "reporting/summary.html", context)


@bureau_view
def criterion_evidence_file(request, application_id: int, evidence_id: int):
    """The file a school attached to one criterion, read from the school's own media folder."""
    from .school_views import file_response

    bureau = selectors.bureau_for(user=request.user, bureau_id=_int(request.GET.get("bureau")))
    application = selectors.application_of(user=request.user, bureau=bureau, application_id=application_id)
    evidence = application.criterion_evidence.filter(pk=evidence_id).first()
    if evidence is None or not evidence.file:
        raise PermissionDenied
    return file_response(application, evidence.file)


@bureau_view
def evidence_file(request, application_id: int):
    """An application's evidence file, read from the school's own media folder."""
    from .school_views import file_response

    bureau = selectors.bureau_for(user=request.user, bureau_id=_int(request.GET.get("bureau")))
    application = selectors.application_of(user=request.user, bureau=bureau, application_id=application_id)
    if not application.evidence_file:
        raise PermissionDenied
    return file_response(application)
