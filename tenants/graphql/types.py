from __future__ import annotations

from typing import Annotated

import strawberry
import strawberry_django
from strawberry import relay
from strawberry.types import Info

from tenants import models
from tenants.access import bureaus_for, schools_for


@strawberry_django.type(models.School, fields=["name", "slug", "status", "student_count", "staff_count", "address"])
class SchoolType(relay.Node):
    """A school the caller may read."""

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
