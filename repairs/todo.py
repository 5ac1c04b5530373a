"""Repairs' part of 我的待办: orders assigned to me, orders to dispatch, repairs I reported to confirm."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from core.todo import TodoItem, TodoSection, section_from
from tenants.access import school_roles

from .choices import Status
from .selectors import _school, work_order_list_for, work_order_mine_for, work_order_reported_by
from .services import TRIAGE_ROLES


def _item(kind: str, *, deadline: bool = True):
    def build(order) -> TodoItem:
        return TodoItem(
            kind=kind,
            title=f"{order.reference} {order.title}",
            url=reverse("repairs:detail", args=[order.pk]),
            since=order.completed_at if kind == "repairs.confirm" else order.reported_at,
            deadline=order.due_at if deadline else None,
            detail=order.get_status_display(),
        )

    return build


def todo_items_for(*, user, limit: int) -> list[TodoSection]:
    """Repairs' sections of the person's to-do list."""
    roles = school_roles(user, _school())
    if not roles:
        return []
    mine = reverse("repairs:mine")
    sections = [
        section_from(
            key="repairs.mine",
            label=_("Work orders assigned to me"),
            queryset=work_order_mine_for(user=user),
            limit=limit,
            item=_item("repairs.work"),
            more_url=mine,
            order=20,
            icon="tools",
        ),
    ]
    if roles & TRIAGE_ROLES:
        waiting = work_order_list_for(user=user, filters={"status": Status.REPORTED}).order_by("due_at", "pk")
        sections.append(
            section_from(
                key="repairs.triage",
                label=_("Reported repairs to dispatch"),
                queryset=waiting,
                limit=limit,
                item=_item("repairs.triage"),
                more_url=f"{reverse('repairs:list')}?status={Status.REPORTED}",
                order=21,
                icon="signpost-split",
            )
        )
    sections.append(
        section_from(
            key="repairs.confirm",
            label=_("Repairs I reported to confirm"),
            queryset=work_order_reported_by(user=user)
            .filter(status=Status.COMPLETED)
            .order_by("completed_at", "pk"),
            limit=limit,
            item=_item("repairs.confirm", deadline=False),
            more_url=mine,
            order=22,
            icon="hand-thumbs-up",
        )
    )
    return sections
