"""Repairs in GraphQL: queries for readers (partners with repairs:read), mutations by role.

The property company (repairs:write) reports and works orders under its own name; confirming and reopening
are the reporter's, for people only (PEOPLE_ONLY refuses a token before any service runs).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated

import strawberry
import strawberry_django
from strawberry.types import Info

from api.errors import Code, HouqinGraphQLError
from api.filters import filter_and_order
from api.permissions import (
    PARTNER_MUTATION,
    current_partner,
    current_partner_name,
    current_school,
    require_school_reader,
    require_school_role,
)
from repairs import selectors, services
from repairs.choices import Source
from repairs.models import WorkOrder
from schools.models import Room
from tenants.models import User
from tenants.roles import SCHOOL_ROLES, Role
from tenants.selectors import PersonNotFound, member_get_for

from .enums import WorkOrderSeverity, WorkOrderStatus
from .filters import WorkOrderFilter, WorkOrderOrder
from .inputs import WorkOrderCompleteInput, WorkOrderConfirmInput, WorkOrderReportInput, WorkOrderTriageInput
from .types import ClockEventType, WorkOrderType

READ = "repairs:read"
WRITE = "repairs:write"
PEOPLE_ONLY = None
WORK_ROLES = (Role.MAINTENANCE_WORKER, Role.LOGISTICS_DIRECTOR)


def _actor(info: Info) -> tuple[User | None, bool]:
    """(the acting person, acting as a partner?)."""
    if current_partner(info) is not None:
        return None, True
    return info.context.request.user, False


def _partner(info: Info) -> dict:
    """The keyword arguments that name a partner on a repairs write (empty for a person)."""
    name = current_partner_name(info)
    return {"by_partner": True, "partner_name": name} if name else {}


def _order(info: Info, reference: str) -> WorkOrder:
    user, as_partner = _actor(info)
    order = selectors.work_order_list_for(user=user, as_partner=as_partner).filter(reference=reference.strip()).first()
    if order is None:
        raise HouqinGraphQLError("No work order with this reference.", Code.NOT_FOUND)
    return order


@strawberry.type
class RepairsQuery:
    @strawberry.field(description="One work order by its reference number.")
    def work_order(self, info: Info, reference: str) -> WorkOrderType:
        require_school_reader(info, READ)
        return _order(info, reference)  # type: ignore[return-value]

    @strawberry_django.connection(strawberry_django.relay.ListConnectionWithTotalCount[WorkOrderType],
                                  description="Work orders, newest first unless `ordering` says otherwise; "
                                              "`filters` as on the list page.")
    def work_order_list(
        self, info: Info,
        filters: WorkOrderFilter | None = None,
        ordering: list[WorkOrderOrder] | None = None,
        status: Annotated[WorkOrderStatus | None, strawberry.argument(
            deprecation_reason="Use filters: {status: …}; removed after 2027-06-30.")] = None,
        severity: Annotated[WorkOrderSeverity | None, strawberry.argument(
            deprecation_reason="Use filters: {severity: …}; removed after 2027-06-30.")] = None,
        overdue: Annotated[bool, strawberry.argument(
            deprecation_reason="Use filters: {overdue: true}; removed after 2027-06-30.")] = False,
        q: Annotated[str | None, strawberry.argument(
            deprecation_reason="Use filters: {q: …}; removed after 2027-06-30.")] = None,
        vendor_only: Annotated[bool, strawberry.argument(
            deprecation_reason="Use filters: {withVendor: true}; removed after 2027-06-30.")] = False,
    ) -> Iterable[WorkOrderType]:
        require_school_reader(info, READ)
        user, as_partner = _actor(info)
        legacy = {"status": status or "", "severity": severity or "", "overdue": "1" if overdue else "",
                  "q": q or "", "vendor": "1" if vendor_only else ""}
        orders = selectors.work_order_list_for(user=user, filters=legacy, as_partner=as_partner).order_by(
            "-reported_at", "-pk")
        return filter_and_order(orders, info, filters, ordering)  # type: ignore[return-value]

    @strawberry.field(description="The SLA clock of an order: pauses, resumes and due-time changes.")
    def work_order_clock(self, info: Info, reference: str) -> list[ClockEventType]:
        require_school_reader(info, READ)
        return list(_order(info, reference).clock_events.all())  # type: ignore[return-value]

    @strawberry.field(description="My open orders (maintenance workers).")
    def my_work_orders(self, info: Info) -> list[WorkOrderType]:
        require_school_reader(info, READ)
        user, as_partner = _actor(info)
        if as_partner:
            return []
        return list(selectors.work_order_mine_for(user=user))  # type: ignore[return-value]


@strawberry.type
class RepairsMutation:
    @strawberry.mutation(description="Report a fault (anyone in the school; partners with repairs:write).",
                         metadata=PARTNER_MUTATION)
    def work_order_report(self, info: Info, data: WorkOrderReportInput) -> WorkOrderType:
        require_school_role(info, SCHOOL_ROLES, WRITE)
        user, as_partner = _actor(info)
        room = Room.objects.filter(pk=data.room_id).first() if data.room_id else None
        if data.room_id and room is None:
            raise HouqinGraphQLError("No room with this id.", Code.NOT_FOUND)
        asset = services.asset_by_number(data.asset_number) if data.asset_number else None
        if data.asset_number and asset is None:
            raise HouqinGraphQLError("No asset with this number.", Code.NOT_FOUND)
        return services.work_order_report(  # type: ignore[return-value]
            reporter=user, title=data.title, room=room, asset=asset, description=data.description,
            location_note=data.location_note, source=Source.API if as_partner else Source.WEB, **_partner(info),
        )

    @strawberry.mutation(description="Grade and assign an order (logistics director; partners with repairs:write).",
                         metadata=PARTNER_MUTATION)
    def work_order_triage(self, info: Info, data: WorkOrderTriageInput) -> WorkOrderType:
        require_school_role(info, (Role.LOGISTICS_DIRECTOR,), WRITE)
        user, _ = _actor(info)
        order = _order(info, data.reference)
        assignee = None
        if data.assignee_username:
            # Only a person of this school, and the same answer for another school's account as for a made-up
            # name; the service then checks that the person is one of this school's maintenance workers.
            try:
                assignee = member_get_for(actor=user, school=current_school(info), username=data.assignee_username)
            except PersonNotFound as exc:
                raise HouqinGraphQLError(str(exc), Code.NOT_FOUND, field="assigneeUsername") from exc
        return services.work_order_triage(  # type: ignore[return-value]
            order=order, actor=user, severity=data.severity, assignee=assignee, vendor_name=data.vendor_name,
            **_partner(info),
        )

    @strawberry.mutation(description="Start work on an order (its worker or the logistics director).",
                         metadata=PARTNER_MUTATION)
    def work_order_start(self, info: Info, reference: str) -> WorkOrderType:
        require_school_role(info, WORK_ROLES, WRITE)
        user, _ = _actor(info)
        return services.work_order_start(order=_order(info, reference), actor=user,  # type: ignore[return-value]
                                         **_partner(info))

    @strawberry.mutation(description="Pause an order's SLA clock with a reason.", metadata=PARTNER_MUTATION)
    def work_order_pause(self, info: Info, reference: str, reason: str) -> WorkOrderType:
        require_school_role(info, WORK_ROLES, WRITE)
        user, _ = _actor(info)
        return services.work_order_pause(order=_order(info, reference), actor=user,  # type: ignore[return-value]
                                         reason=reason, **_partner(info))

    @strawberry.mutation(description="Resume a paused order's clock.", metadata=PARTNER_MUTATION)
    def work_order_resume(self, info: Info, reference: str) -> WorkOrderType:
        require_school_role(info, WORK_ROLES, WRITE)
        user, _ = _actor(info)
        return services.work_order_resume(order=_order(info, reference), actor=user,  # type: ignore[return-value]
                                          **_partner(info))

    @strawberry.mutation(description="Complete an order; a closing note is required.", metadata=PARTNER_MUTATION)
    def work_order_complete(self, info: Info, data: WorkOrderCompleteInput) -> WorkOrderType:
        require_school_role(info, WORK_ROLES, WRITE)
        user, _ = _actor(info)
        return services.work_order_complete(  # type: ignore[return-value]
            order=_order(info, data.reference), actor=user, closing_note=data.closing_note,
            labour_minutes=data.labour_minutes, **_partner(info),
        )

    @strawberry.mutation(description="The reporter confirms the repair and rates it 1–5.")
    def work_order_confirm(self, info: Info, data: WorkOrderConfirmInput) -> WorkOrderType:
        require_school_role(info, SCHOOL_ROLES, PEOPLE_ONLY)
        user, _partner = _actor(info)
        return services.work_order_confirm(order=_order(info, data.reference), actor=user,  # type: ignore[return-value]
                                           rating=data.rating, comment=data.comment)

    @strawberry.mutation(description="The reporter reopens a completed order that is not fixed.")
    def work_order_reopen(self, info: Info, reference: str, reason: str) -> WorkOrderType:
        require_school_role(info, SCHOOL_ROLES, PEOPLE_ONLY)
        user, _partner = _actor(info)
        return services.work_order_reopen(order=_order(info, reference), actor=user,  # type: ignore[return-value]
                                          reason=reason)

    @strawberry.mutation(description="Add a note to an order.", metadata=PARTNER_MUTATION)
    def work_order_note_add(self, info: Info, reference: str, text: str) -> bool:
        require_school_role(info, SCHOOL_ROLES, WRITE)
        user, _ = _actor(info)
        services.work_order_note_add(order=_order(info, reference), actor=user, text=text, **_partner(info))
        return True
