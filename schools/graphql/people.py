"""GraphQL of the staff roster: the roster (people:read) and the staff sheet import (people only)."""

from __future__ import annotations

import base64
import binascii

import strawberry
import strawberry_django
from strawberry.types import Info

from api.errors import Code, HouqinGraphQLError
from api.filters import filtered
from api.permissions import current_partner, require_school_role
from api.types import SchoolScopedType
from schools.graphql import filters as F
from tenants.access import school_roles
from tenants.roles import PHONE_VISIBLE_ROLES, SCHOOL_ADMIN_ROLES

from ..models import StaffMember
from ..people_services import staff_import


@strawberry_django.type(StaffMember, fields=["name", "post", "is_active", "joined_on", "left_on"])
class StaffMemberType(SchoolScopedType):
    """A person on the school's staff roster; the phone only for roles that need it."""

    read_scope = "people:read"

    @strawberry_django.field(only=["phone"])
    def phone(self, info: Info) -> str | None:
        request = info.context.request
        if current_partner(info) is not None:
            return None
        return self.phone if school_roles(request.user, request.tenant) & PHONE_VISIBLE_ROLES else None

    @strawberry_django.field(only=["department_id"], select_related=["department"])
    def department_name(self) -> str | None:
        return self.department.name if self.department_id else None

    @strawberry_django.field(only=["user_id"])
    def person_id(self) -> strawberry.ID | None:
        return strawberry.ID(str(self.user_id)) if self.user_id else None


@strawberry.type
class StaffImportErrorType:
    row: int
    column: str
    message: str


@strawberry.type
class StaffInvitationType:
    """An invitation the import sent, by the name and phone the sheet typed (the same whether or not the phone
    had an account); its link went to the person's own phone and e-mail only."""

    name: str
    login: str
    url: str | None = strawberry.field(
        default=None, deprecation_reason="Always null: the link goes to the person's own phone and e-mail "
                                         "(invitationLink shows it for an account this school made that has "
                                         "never signed in).")


@strawberry.type
class StaffImportResultType:
    """All rows imported, or none (then `errors` says why, row by row)."""

    ok: bool
    invited: int = strawberry.field(description="People new to this school: a new account, or an invitation "
                                                "its owner accepts when the phone has one already.")
    created: int = strawberry.field(deprecation_reason="Use invited (the import no longer tells new accounts "
                                                       "from existing ones).")
    linked: int = strawberry.field(deprecation_reason="Always 0: an existing account is invited, never linked.")
    updated: int
    unchanged: int
    errors: list[StaffImportErrorType]
    invitations: list[StaffInvitationType]
    job_id: strawberry.ID | None = strawberry.field(
        default=None, description="A sheet longer than JOBS_IMPORT_INLINE_ROWS is imported by a background job: its "
                                  "id; the counts and errors are then on the job's page (progressUrl), not here.")
    progress_url: str | None = strawberry.field(
        default=None, description="The job's progress page, for the person who imported (signed in on this host).")


@strawberry.type
class StaffQuery:
    @strawberry_django.connection(
        strawberry_django.relay.ListConnectionWithTotalCount[StaffMemberType],
        description="The school's staff roster (current staff, or those who left).",
    )
    @filtered(F.StaffMemberFilter, F.StaffMemberOrder)
    def staff_list(self, info: Info, search: str | None = None, left: bool = False) -> list[StaffMemberType]:
        qs = StaffMember.objects.filter(is_active=not left)
        if search:
            qs = qs.filter(name__icontains=search)
        return qs.order_by("name", "pk")  # type: ignore[return-value]


@strawberry.type
class StaffMutation:
    @strawberry.mutation(description="Import the staff sheet (.xlsx, base64): all rows or none.")
    def staff_import(self, info: Info, content_base64: str) -> StaffImportResultType:
        # Importing staff creates people with roles: the school's administrators only, never a token.
        require_school_role(info, SCHOOL_ADMIN_ROLES, scope=None)
        try:
            content = base64.b64decode(content_base64, validate=True)
        except (binascii.Error, ValueError):
            raise HouqinGraphQLError("contentBase64 is not valid base64.", Code.BAD_USER_INPUT) from None
        from django.urls import reverse

        from core.spreadsheets import SpreadsheetRefused

        from ..jobs import staff_import_job_start

        request = info.context.request
        try:
            job = staff_import_job_start(request, content=content, name="staff.xlsx")
        except SpreadsheetRefused as refused:
            raise HouqinGraphQLError(refused.messages[0], Code.UPLOAD_REFUSED, reason=refused.reason) from None
        if job is not None:  # a long sheet: the import runs in the background, with its progress page
            return StaffImportResultType(
                ok=True, invited=0, created=0, linked=0, updated=0, unchanged=0, errors=[], invitations=[],
                job_id=strawberry.ID(str(job.pk)), progress_url=request.build_absolute_uri(reverse("jobs:detail", kwargs={"job_id": job.pk})))
        result = staff_import(content=content, by=request.user)
        if result.refused is not None:  # size, type, a zip bomb, DTD, rows/columns/cell caps: the file as a whole
            raise HouqinGraphQLError(result.refused.messages[0], Code.UPLOAD_REFUSED, reason=result.refused.reason)
        return StaffImportResultType(
            ok=result.ok, invited=result.invited, created=result.invited, linked=0, updated=result.updated,
            unchanged=result.unchanged,
            errors=[StaffImportErrorType(row=e.row, column=str(e.column), message=str(e.message)) for e in result.errors],
            invitations=[StaffInvitationType(name=i.invited_name, login=i.invited_phone) for i in result.invitations],
        )
