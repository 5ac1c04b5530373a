"""Safety's part of 我的待办: hazards I am responsible for, rectifications I verify, agreements I sign."""

from __future__ import annotations

from django.db.models import Case, IntegerField, Value, When
from django.urls import reverse
from django.utils.translation import gettext as _

from core.todo import TodoItem, TodoSection, section_from
from tenants.roles import Role

from . import roles as R
from .choices import HazardGrade, HazardStatus
from .selectors import agreement_list_for, hazard_list_for


def _hazard_title(hazard) -> str:
    where = hazard.location
    return f"{hazard.description[:60]}（{where}）" if where else hazard.description[:60]


def _responsible_item(hazard) -> TodoItem:
    rectified = hazard.status == HazardStatus.RECTIFIED
    return TodoItem(
        kind="safety.hazard_rectify",
        title=_hazard_title(hazard),
        url=reverse("safety:hazard_detail", args=[hazard.pk]),
        since=hazard.found_on,
        # Once rectified the clock has stopped: it waits for the verifier, not for me.
        deadline=None if rectified else hazard.deadline,
        detail=hazard.get_status_display() if rectified else hazard.get_grade_display(),
    )


def _verify_item(hazard) -> TodoItem:
    who = hazard.rectified_by.display_name if hazard.rectified_by_id else ""
    return TodoItem(
        kind="safety.hazard_verify",
        title=_hazard_title(hazard),
        url=reverse("safety:hazard_detail", args=[hazard.pk]),
        since=hazard.rectified_at,
        detail=_("Rectified by %(who)s") % {"who": who} if who else "",
    )


def _agreement_item(agreement) -> TodoItem:
    return TodoItem(
        kind="safety.agreement_sign",
        title=agreement.campaign.template.title,
        url=reverse("safety:agreement_detail", args=[agreement.pk]),
        since=agreement.campaign.issued_at,
        deadline=agreement.campaign.due_on,
    )


def hazards_responsible_for(*, user):
    """Hazards the person is responsible for (五定's 定人) and that are not closed, the open ones first."""
    return (
        hazard_list_for(user=user)
        .filter(responsible=user, status__in=[HazardStatus.OPEN, HazardStatus.RECTIFIED])
        .annotate(
            _rectified=Case(
                When(status=HazardStatus.RECTIFIED, then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            )
        )
        .order_by("_rectified", "deadline", "pk")
    )


def hazards_to_verify_for(*, user):
    """Rectifications waiting for this person's verification: a manager verifies general hazards, the principal
    major ones too, and nobody their own rectification (the rule hazard_verify enforces)."""
    roles = R.roles_of(user)
    if not roles & R.MANAGERS:
        return hazard_list_for(user=user).none()
    qs = hazard_list_for(user=user).filter(status=HazardStatus.RECTIFIED).exclude(rectified_by=user)
    if not roles & R.MAJOR_VERIFIER:
        qs = qs.exclude(grade=HazardGrade.MAJOR)
    return qs.select_related("rectified_by").order_by("rectified_at", "pk")


def duty_items() -> list[TodoItem]:
    """The term's evacuation drills and fire inspections not yet held, each due by the end of its month or
    quarter (overdue once that has passed): 教基一厅〔2014〕2号 and 公安部令第61号 第二十六条."""
    from .duties import drill_figures, fire_inspection_figures, month_end, quarter_end

    items = []
    drills = drill_figures()
    quarterly = drills["cadence"] == "quarter"
    for year, n in drills["missing"]:
        items.append(TodoItem(
            kind="safety.drill_due",
            title=_("Evacuation drill of %(period)s") % {
                "period": _("Q%(q)s %(year)s") % {"q": n, "year": year} if quarterly
                else _("%(year)s-%(month)02d") % {"year": year, "month": n}},
            url=reverse("safety:ledger_new", args=["drills"]),
            deadline=quarter_end(year, n) if quarterly else month_end(year, n),
            detail=_("One a quarter (kindergarten)") if quarterly else _("One a month"),
        ))
    for year, n in fire_inspection_figures()["missing"]:
        items.append(TodoItem(
            kind="safety.fire_inspection_due",
            title=_("Fire inspection of %(period)s") % {"period": _("Q%(q)s %(year)s") % {"q": n, "year": year}},
            url=reverse("safety:ledger_new", args=["fire_inspections"]),
            deadline=quarter_end(year, n),
            detail=_("At least one a quarter"),
        ))
    return sorted(items, key=lambda i: i.deadline)


def todo_items_for(*, user, limit: int) -> list[TodoSection]:
    """Safety's sections of the person's to-do list."""
    roles = R.roles_of(user)
    if not roles:
        return []
    hazards = reverse("safety:hazard_list")
    duties = []
    # The drills and fire inspections are the safety officer's to organise (安全专干).
    if Role.SAFETY_OFFICER in roles:
        items = duty_items()
        duties = [TodoSection(key="safety.duties", label=str(_("Drills and fire inspections due")),
                              items=items[:limit] if limit > 0 else [], total=len(items),
                              more_url=reverse("safety:board"), order=12, icon="alarm")]
    return duties + [
        section_from(
            key="safety.hazards_mine",
            label=_("Hazards I am responsible for"),
            queryset=hazards_responsible_for(user=user),
            limit=limit,
            item=_responsible_item,
            more_url=f"{hazards}?responsible=me",
            order=10,
            icon="exclamation-triangle",
        ),
        section_from(
            key="safety.hazards_verify",
            label=_("Rectifications to verify"),
            queryset=hazards_to_verify_for(user=user),
            limit=limit,
            item=_verify_item,
            more_url=f"{hazards}?status={HazardStatus.RECTIFIED}",
            order=11,
            icon="patch-check",
        ),
        section_from(
            key="safety.agreements_sign",
            label=_("Agreements to sign"),
            queryset=agreement_list_for(actor=user)
            .filter(user=user, signed_at__isnull=True)
            .select_related("campaign__template")
            .order_by("campaign__due_on", "pk"),
            limit=limit,
            item=_agreement_item,
            more_url=reverse("safety:my_agreements"),
            order=60,
            icon="pen",
        ),
    ]
