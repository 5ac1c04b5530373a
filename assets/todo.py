"""Assets' part of 我的待办: approvals waiting for my role, acceptances to record, goods to hand out or receive."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from core.todo import TodoItem, TodoSection, section_from
from tenants.access import school_roles
from tenants.roles import Role

from .choices import DisposalStatus, PurchaseStatus, RequisitionStatus, TransferStatus
from .roles import APPROVERS, MANAGERS, PRINCIPALS
from .selectors import (
    asset_draft_list_for,
    disposal_list_for,
    loan_request_list_for,
    purchase_list_for,
    requisition_list_for,
    stocktakes_to_sign_for,
    transfer_list_for,
)
from .services import current_school


def _purchase(kind: str):
    def build(purchase) -> TodoItem:
        return TodoItem(
            kind=kind,
            title=f"{purchase.number} {purchase.title}",
            url=reverse("assets:purchase_detail", args=[purchase.pk]),
            since=purchase.submitted_at or purchase.created_at,
            detail=purchase.get_status_display(),
        )

    return build


def _requisition(kind: str):
    def build(requisition) -> TodoItem:
        return TodoItem(
            kind=kind,
            title=f"{requisition.item} × {requisition.quantity}",
            url=reverse("assets:requisition_detail", args=[requisition.pk]),
            since=requisition.created_at,
            detail=str(requisition.requester),
        )

    return build


def _loan_request(request) -> TodoItem:
    return TodoItem(
        kind="assets.loan_request",
        title=str(request.asset),
        url=reverse("assets:loan_list"),
        since=request.created_at,
        detail=str(request.requester),
    )


def _transfer(transfer) -> TodoItem:
    return TodoItem(
        kind="assets.transfer",
        title=str(transfer.asset),
        url=reverse("assets:transfer_list"),
        since=transfer.created_at,
        detail=str(transfer.requested_by),
    )


def _disposal(disposal) -> TodoItem:
    return TodoItem(
        kind="assets.disposal",
        title=str(disposal.asset),
        url=reverse("assets:disposal_list"),
        since=disposal.created_at,
        detail=disposal.get_method_display(),
    )


def _draft(draft) -> TodoItem:
    return TodoItem(
        kind="assets.stocktake_draft",
        title=str(draft),
        url=reverse("assets:stocktake_draft", args=[draft.pk]),
        since=draft.created_at,
        detail=str(draft.stocktake),
    )


def _to_sign(stocktake) -> TodoItem:
    return TodoItem(
        kind="assets.stocktake_sign",
        title=stocktake.name,
        url=reverse("assets:stocktake_detail", args=[stocktake.pk]),
        since=stocktake.finished_at,
    )


def _rule_sections(*, user, limit: int) -> list[TodoSection]:
    """The register's duties of the custodians: the overdue annual stocktake, re-classifications to confirm."""
    import datetime as dt

    from django.utils import timezone

    from .metrics import FULL_STOCKTAKE_DAYS, full_stocktake_overdue, last_full_stocktake_on
    from .reclassifications import reclassification_list_for

    sections = [
        section_from(
            key="assets.reclassification_confirm",
            label=_("Re-classifications to confirm"),
            queryset=reclassification_list_for(user=user, pending=True),
            limit=limit,
            item=lambda r: TodoItem(kind="assets.reclassification_confirm", title=f"{r.asset} {r.get_new_kind_display()}",
                                    url=reverse("assets:reclassifications"), since=r.created_at,
                                    detail=f"{r.get_old_kind_display()} → {r.get_new_kind_display()}"),
            more_url=reverse("assets:reclassifications"),
            order=29,
            icon="arrow-repeat",
        )
    ]
    if full_stocktake_overdue():
        last = last_full_stocktake_on()
        due = last + dt.timedelta(days=FULL_STOCKTAKE_DAYS) if last else timezone.localdate()
        item = TodoItem(kind="assets.annual_stocktake", title=_("Annual full stocktake of every room (清查盘点)"),
                        url=reverse("assets:stocktake_list"), since=last, deadline=due,
                        detail=_("Last full stocktake: %(day)s") % {"day": last or _("never")})
        sections.append(TodoSection(key="assets.annual_stocktake", label=_("Overdue stocktake"),
                                    items=[item] if limit > 0 else [], total=1, more_url=reverse("assets:stocktake_list"),
                                    order=28, icon="qr-code-scan"))
    return sections


def todo_items_for(*, user, limit: int) -> list[TodoSection]:
    """Assets' sections of the person's to-do list, each only for the roles that act on it."""
    roles = school_roles(user, current_school())
    if not roles:
        return []
    purchases = reverse("assets:purchase_list")
    requisitions = reverse("assets:requisition_list")
    sections: list[TodoSection] = []
    if roles & PRINCIPALS:
        sections.append(
            section_from(
                key="assets.purchase_approve",
                label=_("Purchase requests to approve"),
                queryset=purchase_list_for(user=user, status=PurchaseStatus.SUBMITTED).order_by(
                    "submitted_at", "pk"
                ),
                limit=limit,
                item=_purchase("assets.purchase_approve"),
                more_url=f"{purchases}?status={PurchaseStatus.SUBMITTED}",
                order=30,
                icon="cart-check",
            )
        )
    if roles & APPROVERS:
        sections.append(
            section_from(
                key="assets.requisition_approve",
                label=_("Requisitions to approve"),
                queryset=requisition_list_for(user=user)
                .filter(status=RequisitionStatus.PENDING)
                .order_by("created_at", "pk"),
                limit=limit,
                item=_requisition("assets.requisition_approve"),
                more_url=requisitions,
                order=31,
                icon="basket",
            )
        )
    if roles & PRINCIPALS:
        # An early scrapping is the bureau's to decide, not the principal's (disposal_decide).
        sections.append(
            section_from(
                key="assets.disposal_approve",
                label=_("Disposals to approve"),
                queryset=disposal_list_for(user=user)
                .filter(status=DisposalStatus.PENDING, is_early=False)
                .order_by("created_at", "pk"),
                limit=limit,
                item=_disposal,
                more_url=reverse("assets:disposal_list"),
                order=32,
                icon="trash",
            )
        )
    if roles & MANAGERS:
        sections += _rule_sections(user=user, limit=limit)
        accept = [PurchaseStatus.APPROVED, PurchaseStatus.PARTLY_ACCEPTED]
        sections += [
            section_from(
                key="assets.acceptance",
                label=_("Acceptances to record"),
                queryset=purchase_list_for(user=user)
                .filter(status__in=accept)
                .order_by("submitted_at", "pk"),
                limit=limit,
                item=_purchase("assets.acceptance"),
                more_url=f"{purchases}?status={PurchaseStatus.APPROVED}",
                order=33,
                icon="clipboard-check",
            ),
            section_from(
                key="assets.requisition_issue",
                label=_("Requisitions to issue"),
                queryset=requisition_list_for(user=user)
                .filter(status=RequisitionStatus.APPROVED)
                .order_by("created_at", "pk"),
                limit=limit,
                item=_requisition("assets.requisition_issue"),
                more_url=requisitions,
                order=34,
                icon="box-arrow-right",
            ),
            section_from(
                key="assets.loan_request",
                label=_("Loan requests to decide"),
                queryset=loan_request_list_for(user=user)
                .filter(status=TransferStatus.PENDING)
                .order_by("created_at", "pk"),
                limit=limit,
                item=_loan_request,
                more_url=reverse("assets:loan_list"),
                order=35,
                icon="arrow-left-right",
            ),
            section_from(
                key="assets.transfer",
                label=_("Transfers to confirm"),
                queryset=transfer_list_for(user=user)
                .filter(status=TransferStatus.PENDING)
                .order_by("created_at", "pk"),
                limit=limit,
                item=_transfer,
                more_url=reverse("assets:transfer_list"),
                order=36,
                icon="shuffle",
            ),
        ]
    if roles & MANAGERS:
        sections.append(
            section_from(
                key="assets.stocktake_draft",
                label=_("Found items to book"),
                queryset=asset_draft_list_for(user=user, open_only=True).order_by("created_at", "pk"),
                limit=limit,
                item=_draft,
                more_url=reverse("assets:stocktake_list"),
                order=38,
                icon="plus-square",
            )
        )
    if roles & (MANAGERS | {Role.TEACHER}):  # those who may count (stocktake_scan)
        sections.append(
            section_from(
                key="assets.stocktake_sign",
                label=_("Stocktakes to sign"),
                queryset=stocktakes_to_sign_for(user=user).order_by("finished_at", "pk"),
                limit=limit,
                item=_to_sign,
                more_url=reverse("assets:stocktake_list"),
                order=39,
                icon="pen",
            )
        )
    sections.append(
        section_from(
            key="assets.requisition_receive",
            label=_("Issued goods to confirm receipt of"),
            queryset=requisition_list_for(user=user, mine=True)
            .filter(status=RequisitionStatus.ISSUED)
            .order_by("created_at", "pk"),
            limit=limit,
            item=_requisition("assets.requisition_receive"),
            more_url=requisitions,
            order=37,
            icon="box-arrow-in-down",
        )
    )
    return sections
