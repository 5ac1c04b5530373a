"""GraphQL enums made from the models' TextChoices (issue 22, part 1).

One GraphQL enum per TextChoices class, named for the contract (`WorkOrderStatus`, `HazardGrade`), its values the
members' names (`IN_PROGRESS`, GitHub's and Saleor's style), each described by its English label. The enum *is*
the TextChoices class: an argument arrives as `Status.IN_PROGRESS`, which is the string "in_progress", so
selectors, services and querysets take it unchanged, and a model's stored string is answered as its member.
A value outside the enum is a validation error (GRAPHQL_VALIDATION_FAILED) before anything runs.
"""

from __future__ import annotations

import strawberry
from django.db import models
from django.utils import translation


def choices_enum(choices: type[models.TextChoices], name: str, description: str | None = None):
    """Register `choices` as the GraphQL enum `name` (once; the class is returned as it is)."""
    existing = getattr(choices, "__strawberry_definition__", None)
    if existing is not None:
        if existing.name != name:
            raise ValueError(f"{choices.__name__} is already the GraphQL enum {existing.name}, not {name}")
        return choices
    strawberry.enum(choices, name=name, description=description)
    with translation.override("en"):
        labels = {member.value: str(member.label) for member in choices}
    for value in choices.__strawberry_definition__.values:
        value.description = labels.get(value.value)
    return choices


def blank_to_none(value: str | None):
    """A choice column left blank ("") is null in the contract: "" is no member of the enum."""
    return value or None
