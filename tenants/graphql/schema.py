from __future__ import annotations

import strawberry
from strawberry.types import Info

from api.errors import Code, HouqinGraphQLError
from api.permissions import current_school, require_authenticated, require_school_reader
from tenants.access import bureaus_for
from tenants.models import Membership
from tenants.notifications import notification_mark_read

from .types import BureauType, SchoolType, ViewerType


@strawberry.type
class TenantsQuery:
    @strawberry.field(description="The signed-in person and where they may act.")
    def viewer(self, info: Info) -> ViewerType:
        user = require_authenticated(info)
        memberships = Membership.objects.active().filter(user=user).select_related("school", "bureau")
        return ViewerType(
            username=user.username,
            name=user.display_name,
            memberships=list(memberships),  # type: ignore[misc]
        )

    @strawberry.field(description="The school of this host (school hosts only).")
    def school(self, info: Info) -> SchoolType:
        return require_school_reader(info)  # type: ignore[return-value]

    @strawberry.field(description="The caller's bureau (bureau host only).")
    def bureau(self, info: Info, code: str | None = None) -> BureauType:
        user = require_authenticated(info)
        if current_school(info) is not None:
            raise HouqinGraphQLError("This field is served on the bureau host only.", Code.WRONG_HOST)
        bureaus = bureaus_for(user)
        if code:
            bureaus = bureaus.filter(code=code)
        bureau = bureaus.order_by("name").first()
        if bureau is None:
            raise HouqinGraphQLError("You are not a member of this bureau.", Code.FORBIDDEN)
        return bureau  # type: ignore[return-value]


@strawberry.type
class TenantsMutation:
    @strawberry.mutation(description="Mark my notifications read (all of them when no ids are given).")
    def notification_mark_read(self, info: Info, ids: list[strawberry.ID] | None = None) -> int:
        user = require_authenticated(info)
        parsed = None if ids is None else [int(i) for i in ids if str(i).isdigit()]
        return notification_mark_read(user=user, notification_ids=parsed)


