from __future__ import annotations

from typing import Annotated

import strawberry
import strawberry_django
from strawberry import relay
from strawberry.types import Info

from tenants import models
from tenants.access import bureaus_for, schools_for

from .enums import RobotProvider, SchoolStatus


def members_of_place(info: Info):
    """Ids of the people (current or former members) of this host's school, or of the caller's bureaus."""
    tenant = getattr(info.context.request, "tenant", None)
    memberships = models.Membership.objects.all()
    if isinstance(tenant, models.School):
        memberships = memberships.filter(school_id=tenant.pk)
    else:
        memberships = memberships.filter(bureau__in=bureaus_for(info.context.request.user))
    return memberships.values("user_id")


@strawberry_django.type(models.School, fields=["name", "slug", "status", "student_count", "staff_count", "address",
                                               "site_area", "green_area", "green_cover_rate"])
class SchoolType(relay.Node):
    """A school the caller may read."""

    status: SchoolStatus

    @strawberry_django.field(only=["site_area", "green_area"],
                             description="绿地率: green space area ÷ site area (0..1); null until both are entered.")
    def green_space_rate(self) -> float | None:
        return self.green_space_rate

    @strawberry_django.field(only=["site_area", "student_count"],
                             description="生均占地面积 in m²; null without the site area or any pupil.")
    def site_area_per_pupil(self) -> float | None:
        return self.site_area_per_pupil

    @strawberry_django.field
    def host(self) -> str:
        return self.host

    @strawberry_django.field(only=["bureau_id"])
    def bureau_name(self, info: Info) -> str:
        return self.bureau.name

    bureau: Annotated[BureauType, strawberry.lazy("tenants.graphql.types")]

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        return queryset.filter(pk__in=schools_for(info.context.request.user).values("pk"))


@strawberry_django.type(models.Bureau, fields=["name", "code", "region"])
class BureauType(relay.Node):
    """A district education bureau."""

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        return queryset.filter(pk__in=bureaus_for(info.context.request.user).values("pk"))

    @strawberry_django.connection(strawberry_django.relay.ListConnectionWithTotalCount[SchoolType])
    def schools(self, info: Info) -> list[SchoolType]:
        return models.School.objects.filter(bureau=self).filter(
            pk__in=schools_for(info.context.request.user).values("pk")
        ).order_by("slug")


@strawberry_django.type(models.Membership, fields=["role", "post"])
class MembershipType:
    """Where the viewer may act, and as what."""

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        return queryset.filter(user_id=info.context.request.user.pk, is_active=True)

    @strawberry.field
    def school_name(self) -> str | None:
        return self.school.name if self.school_id else None

    @strawberry.field
    def school_slug(self) -> str | None:
        return self.school.slug if self.school_id else None

    @strawberry.field
    def bureau_name(self) -> str | None:
        return self.bureau.name if self.bureau_id else None


@strawberry.type
class ViewerType:
    """The signed-in person."""

    username: str
    name: str
    memberships: list[MembershipType]


# --- people and the notification centre ----------------------------------------------------------


@strawberry.type
class RoleHeldType:
    """A role a person holds here, with their post."""

    role: str
    role_label: str
    post: str


@strawberry_django.type(models.User, fields=["name", "username", "is_active"])
class PersonType:
    """A person of this school (or bureau): their roles here; the phone only for roles that need it."""

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        return queryset.filter(pk__in=members_of_place(info))

    @strawberry_django.field(only=["id"])
    def person_id(self) -> strawberry.ID:
        return strawberry.ID(str(self.pk))

    @strawberry_django.field(only=["phone"])
    def phone(self, info: Info) -> str | None:
        return self.phone if getattr(info.context.request, "_houqin_show_phone", False) else None

    @strawberry_django.field(only=["password"])
    def has_password(self) -> bool:
        return self.has_usable_password()

    @strawberry_django.field
    def roles(self) -> list[RoleHeldType]:
        held = getattr(self, "here", None)
        if held is None:
            held = []
        return [RoleHeldType(role=m.role, role_label=str(m.get_role_display()), post=m.post) for m in held]


@strawberry.type
class RolePermissionType:
    """One line of the role matrix: an action and the roles that may do it."""

    key: str
    label: str
    roles: list[str]


@strawberry_django.type(models.Notification, fields=["kind", "title", "body", "url", "created_at", "read_at"])
class NotificationType(relay.Node):
    """An in-app notification of the signed-in person."""

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        return queryset.filter(recipient_id=info.context.request.user.pk)

    # The school's name in the same query, so a page of notifications costs no query per row.
    @strawberry_django.field(only=["school_id", "school__name"], select_related=["school"])
    def school_name(self) -> str | None:
        return self.school.name if self.school_id else None


@strawberry.type
class NotificationPreferenceType:
    kind: str
    label: str
    channel: str


@strawberry.type
class InvitationLinkType:
    """A one-time link shown on this screen, to print or pass on: only for an account this place made that has
    never signed in and belongs nowhere else (personLink, invitationLink), or to the platform operator."""

    name: str
    login: str
    url: str
    expires_at: str
    person: PersonType | None = strawberry.field(
        default=None,
        description="The member the link is for (personLink); null for an invitation, which tells nothing "
                    "about the account behind the phone.",
    )


@strawberry.type
class InvitationSentType:
    """An invitation waiting for its owner, told the same way whether or not the phone had an account: by the
    name and phone the inviter typed, with what it offers. Its link went to the owner's own phone (and e-mail)
    only; the person becomes a member when they accept."""

    invitation_id: strawberry.ID
    name: str
    login: str
    roles: list[str]
    post: str
    expires_at: str
    url: str | None = strawberry.field(
        default=None, deprecation_reason="Always null: the link goes to the person's own phone and e-mail. "
                                         "invitationLink shows it for an account this place made that has "
                                         "never signed in.")
    person: PersonType | None = strawberry.field(
        default=None, deprecation_reason="Always null: an invitation tells nothing about the account behind "
                                         "the phone.")


@strawberry.type
class InvitationToJoinType:
    """An invitation to join a school or bureau, waiting for me (the invited account) to accept or decline."""

    invitation_id: strawberry.ID
    school_name: str | None
    bureau_name: str | None
    roles: list[str]
    post: str
    invited_by: str
    expires_at: str


@strawberry.type
class OpenTaskType:
    module: str
    label: str
    url: str


@strawberry.type
class DeactivationType:
    """What ending a person's access did, and the open work to reassign."""

    memberships_ended: int
    user_deactivated: bool = strawberry.field(
        description="Always false: a school or bureau ends its own memberships, never the account (its owner's).")
    sessions_ended: int
    open_tasks: list[OpenTaskType]


@strawberry_django.type(models.RobotChannel, fields=["name", "provider", "kinds", "is_active", "created_at"])
class RobotChannelType:
    """A group robot of this school (its webhook address and secret are never returned)."""

    provider: RobotProvider

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        tenant = getattr(info.context.request, "tenant", None)
        return queryset.filter(school_id=tenant.pk) if isinstance(tenant, models.School) else queryset.none()

    @strawberry_django.field(only=["id"])
    def robot_id(self) -> strawberry.ID:
        return strawberry.ID(str(self.pk))

    @strawberry_django.field(only=["webhook_url"])
    def webhook_host(self) -> str:
        from urllib.parse import urlsplit

        return urlsplit(self.webhook_url).hostname or ""
