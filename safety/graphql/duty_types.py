"""GraphQL of the ledgers the safety rules added (issue 23): fire inspections and accompanied meals.

Pick-up records (接送) are not offered here: the collectors are the families' personal data, read on the
school's own pages by those who hand pupils over (safety.roles.HANDOVER).
"""

from __future__ import annotations

import datetime as dt

import strawberry
import strawberry_django
from django.db.models import Q
from strawberry import auto, relay

from api.enums import choices_enum
from api.filters import DateRange, date_range, search
from api.types import SchoolScopedType
from safety import choices, models

Meal = choices_enum(choices.Meal, "Meal", "Which meal a leader ate with the pupils.")
PatrolKind = choices_enum(choices.PatrolKind, "PatrolKind", "A security patrol of the key areas or a fire patrol.")

Q_HELP = "Words the record's text contains."


class _Safety(SchoolScopedType):
    read_scope = "safety:read"


@strawberry_django.filter_type(models.FireInspection)
class FireInspectionFilter:
    @strawberry_django.filter_field(description="Inspected on these dates.")
    def inspected_on(self, value: DateRange, prefix: str) -> Q:
        return date_range("inspected_on", value, prefix)

    @strawberry_django.filter_field(description=Q_HELP)
    def q(self, value: str, prefix: str) -> Q:
        return search(("area", "findings", "head_name"), value, prefix)


@strawberry_django.order_type(models.FireInspection)
class FireInspectionOrder:
    inspected_on: auto


@strawberry_django.filter_type(models.MealAccompaniment)
class MealAccompanimentFilter:
    meal: Meal | None = strawberry_django.filter_field()

    @strawberry_django.filter_field(description="On these dates.")
    def on(self, value: DateRange, prefix: str) -> Q:
        return date_range("on", value, prefix)


@strawberry_django.order_type(models.MealAccompaniment)
class MealAccompanimentOrder:
    on: auto


@strawberry_django.type(models.FireInspection, filters=FireInspectionFilter, ordering=FireInspectionOrder,
                        fields=["inspected_on", "area", "findings", "inspector_name", "head_name", "head_signed_at"])
class FireInspectionType(_Safety, relay.Node):
    """A fire inspection (防火检查), signed by the inspector and the inspected department's head (公安部令第61号 第二十六条)."""

    @strawberry_django.field(only=["department_id"], select_related=["department"])
    def department_name(self) -> str | None:
        return self.department.name if self.department_id else None


@strawberry_django.type(models.MealAccompaniment, filters=MealAccompanimentFilter, ordering=MealAccompanimentOrder,
                        fields=["on", "leader_name", "place", "findings"])
class MealAccompanimentType(_Safety, relay.Node):
    """A school leader's meal with the pupils (陪餐) and what they found."""

    meal: Meal


@strawberry.input
class FireInspectionInput:
    inspected_on: dt.date
    area: str
    head_name: str = strawberry.field(description="The inspected department's head, who signs the record.")
    findings: str = ""
    department_id: strawberry.ID | None = None


@strawberry.input
class MealAccompanimentInput:
    on: dt.date
    meal: Meal
    place: str = ""
    findings: str = ""
