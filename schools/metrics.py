"""Figures the school core reports per term, and the lists the bureau reads across schools."""

from __future__ import annotations

from django.db.models import Count, F, Q, Sum
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from tenants.metrics import Metric, Period

from .choices import ProjectStage, SafetyGrade
from .models import Building, CapitalProject, ConvenienceService, Feedback, LostItem
from .selectors import WEAK_GRADES, active_reinforcement_projects


def _grade_count(grade: str):
    """Buildings of this grade; None (unknown, not "none") while no building of the school has been appraised."""

    def compute(period: Period) -> int | None:
        rows = Building.objects.filter(safety_grade__in=SafetyGrade.values).values("safety_grade").annotate(n=Count("pk"))
        counts = {row["safety_grade"]: row["n"] for row in rows}
        if not counts:
            return None
        return counts.get(grade, 0)

    return compute


def _weak_without_project(period: Period) -> int:
    return Building.objects.filter(safety_grade__in=WEAK_GRADES).exclude(
        pk__in=active_reinforcement_projects().values("buildings")
    ).count()


def _stage_count(stage: str):
    return lambda period: CapitalProject.objects.filter(stage=stage).count()


def _received(period: Period):
    start, end = period.datetime_range()
    return Feedback.objects.filter(received_at__gte=start, received_at__lt=end)


def _feedback_received(period: Period) -> int:
    return _received(period).count()


def _callbacks_in_time(period: Period) -> int:
    return _received(period).filter(callback_at__isnull=False, callback_at__lte=F("callback_due_at")).count()


def _callback_rate(period: Period) -> float | None:
    received = _feedback_received(period)
    return _callbacks_in_time(period) / received if received else None


def _lost_found(period: Period) -> int:
    start, end = period.datetime_range()
    return LostItem.objects.filter(found_at__gte=start, found_at__lt=end).aggregate(n=Sum("quantity"))["n"] or 0


def _lost_returned(period: Period) -> int:
    start, end = period.datetime_range()
    rows = LostItem.objects.filter(returned_at__gte=start, returned_at__lt=end)
    return rows.aggregate(n=Sum("quantity"))["n"] or 0


def _convenience(period: Period) -> int:
    return ConvenienceService.objects.filter(done_on__range=period.range).aggregate(n=Sum("count"))["n"] or 0


def buildings_d_in_use_count() -> int | None:
    """D-grade buildings not stopped or demolished (rule schools.d_building_stop_use); None before any appraisal."""
    from .services import D_GRADE_HANDLING

    if not Building.objects.filter(safety_grade__in=SafetyGrade.values).exists():
        return None
    return Building.objects.filter(safety_grade=SafetyGrade.D).exclude(handling__in=D_GRADE_HANDLING).count()


def buildings_unsecured_count() -> int | None:
    """B/C/D buildings without recorded safety measures, and C/D ones without warning signs (schools.weak_building_measures)."""
    if not Building.objects.filter(safety_grade__in=SafetyGrade.values).exists():
        return None
    no_measures = Q(safety_grade__in=("B", "C", "D"), safety_measures="")
    no_signs = Q(safety_grade__in=WEAK_GRADES, warning_signs=False)
    return Building.objects.filter(no_measures | no_signs).count()


METRICS = [
    *[
        Metric(key=f"buildings_grade_{grade.lower()}", label=format_lazy(_("Buildings graded {grade}"), grade=grade),
               unit="count", formula=_("Buildings whose current safety grade (JGJ 125) is this grade"),
               compute=_grade_count(grade), higher_is_better=grade in ("A", "B"))
        for grade in SafetyGrade.values
    ],
    Metric(key="buildings_d_in_use", label=_("D-grade buildings still in use"), unit="count", higher_is_better=False,
           formula=_("D-grade buildings whose handling is neither stop using nor demolish (JGJ 125-2016)"),
           compute=lambda period: buildings_d_in_use_count()),
    Metric(key="buildings_unsecured", label=_("B/C/D buildings without measures or warning signs"), unit="count",
           higher_is_better=False,
           formula=_("B/C/D-grade buildings with no safety measures recorded, and C/D-grade ones without warning signs"),
           compute=lambda period: buildings_unsecured_count()),
    Metric(key="weak_buildings_without_project", label=_("C/D buildings without a reinforcement project"),
           unit="count", formula=_("C- or D-grade buildings not linked to an active reinforcement project"),
           compute=_weak_without_project, higher_is_better=False),
    *[
        Metric(key=f"projects_{stage}", label=format_lazy(_("Projects at stage: {stage}"), stage=label), unit="count",
               formula=_("Capital projects currently at this stage"), compute=_stage_count(stage))
        for stage, label in ProjectStage.choices
    ],
    Metric(key="feedback_received", label=_("Feedback received"), unit="count",
           formula=_("Opinions and complaints received in the term, any channel"), compute=_feedback_received),
    Metric(key="feedback_callbacks_in_time", label=_("Callbacks within 24 h"), unit="count",
           formula=_("Feedback of the term called back within 24 hours of receipt"), compute=_callbacks_in_time),
    Metric(key="feedback_callback_rate", label=_("Callback rate within 24 h"), unit="percent",
           formula=_("Callbacks within 24 h ÷ feedback received"), compute=_callback_rate,
           pooled=("feedback_callbacks_in_time", "feedback_received")),
    Metric(key="lost_items_found", label=_("Lost items found"), unit="count",
           formula=_("Items found on campus in the term (by quantity)"), compute=_lost_found),
    Metric(key="lost_items_returned", label=_("Lost items returned"), unit="count",
           formula=_("Found items handed back to their owners in the term (by quantity)"), compute=_lost_returned),
    Metric(key="convenience_services", label=_("Convenience services"), unit="count",
           formula=_("Times a convenience service was given in the term (unlocking, hospital trips, pump …)"),
           compute=_convenience),
]


def weak_building_rows() -> list[dict]:
    """C/D-grade buildings, with whether an active reinforcement project covers them."""
    covered = set(active_reinforcement_projects().values_list("buildings", flat=True))
    return [
        {
            "ref": f"building:{b.pk}", "title": b.name, "status": b.safety_grade, "occurred_on": b.appraised_on,
            "data": {"grade": b.safety_grade, "handling": b.handling, "appraised_by": b.appraised_by,
                     "floor_area": str(b.floor_area), "year_built": b.year_built,
                     "has_active_project": b.pk in covered},
        }
        for b in Building.objects.filter(safety_grade__in=WEAK_GRADES).order_by("name")
    ]


def capital_project_rows() -> list[dict]:
    """Every capital project with its stage, budget and overdue milestones."""
    today = timezone.localdate()
    projects = CapitalProject.objects.annotate(
        overdue=Count("milestones", filter=Q(milestones__done_on__isnull=True, milestones__planned_on__lt=today))
    ).prefetch_related("buildings").order_by("pk")
    return [
        {
            "ref": f"project:{p.pk}", "title": p.title, "status": p.stage,
            "occurred_on": p.approval_date or timezone.localdate(p.created_at),
            "data": {"kind": p.kind, "budget": str(p.budget), "funding_source": p.funding_source,
                     "procurement_channel": p.procurement_channel, "approval_number": p.approval_number,
                     "buildings": [b.name for b in p.buildings.all()], "overdue_milestones": p.overdue},
        }
        for p in projects
    ]


MIRRORS = {"weak_buildings": weak_building_rows, "capital_projects": capital_project_rows}
MIRROR_STATUSES = {"weak_buildings": SafetyGrade, "capital_projects": ProjectStage}


# ---------------------------------------------------------------- the campus figures of the school's profile
# What 绿色学校 and 花园式学校 criteria read (绿地率, 绿化覆盖率) and 生均占地面积: entered on the school's
# profile (tenants.School), the same for every term; None while not entered, so a criterion on them is unknown.


def _school():
    from django.db import connection

    from tenants.models import School

    tenant = getattr(connection, "tenant", None)
    return School.objects.filter(pk=tenant.pk).first() if isinstance(tenant, School) else None


def _green_space_rate(period: Period) -> float | None:
    school = _school()
    return school.green_space_rate if school else None


def _green_cover_rate(period: Period) -> float | None:
    school = _school()
    return float(school.green_cover_rate) / 100 if school and school.green_cover_rate is not None else None


def _site_area_per_pupil(period: Period) -> float | None:
    school = _school()
    return school.site_area_per_pupil if school else None


METRICS += [
    Metric(key="campus_green_space_rate", label=_("Green space rate"), unit="percent",
           formula=_("Green space area ÷ site area, as entered on the school's profile (绿地率)"),
           compute=_green_space_rate),
    Metric(key="campus_green_cover_rate", label=_("Green cover rate"), unit="percent",
           formula=_("Vegetation cover (tree crowns included) ÷ site area, as surveyed and entered on the school's "
                     "profile (绿化覆盖率)"),
           compute=_green_cover_rate),
    Metric(key="campus_site_area_per_pupil", label=_("Site area per pupil"), unit="m2",
           formula=_("Site area on the school's profile ÷ pupils enrolled (生均占地面积)"),
           compute=_site_area_per_pupil),
]
