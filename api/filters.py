"""What every app's `graphql/filters.py` shares (issue 22, part 2): the text search and the date ranges.

Each list's `filters` input is a strawberry-django filter type of exactly the fields its web list filters
(status, grade, category, dates, `q`), so an unknown field is a validation error; its `ordering` input a
strawberry-django order type (`ordering: [{foundOn: DESC}]`). Lists with a resolver apply both with
`filter_and_order`; bare connections get them from their type (`filters=`, `ordering=`).
"""

from __future__ import annotations

import datetime as dt
import functools
import inspect
from collections.abc import Iterable

import strawberry
import strawberry_django
from django.db.models import Q, QuerySet
from strawberry.types import Info


@strawberry.input(description="A range of dates, both ends included; either may be left out.")
class DateRange:
    start: dt.date | None = None
    end: dt.date | None = None


def search(fields: Iterable[str], value: str, prefix: str) -> Q:
    """The web lists' search box: any of `fields` contains the text (case-insensitive); empty matches all."""
    text = (value or "").strip()
    condition = Q()
    if not text:
        return condition
    for name in fields:
        condition |= Q(**{f"{prefix}{name}__icontains": text})
    return condition


def date_range(field: str, value: DateRange | None, prefix: str, *, datetime: bool = False) -> Q:
    """`field` within the range (a datetime column compared by its local date, as the web lists do)."""
    condition = Q()
    if value is None:
        return condition
    lookup = f"{prefix}{field}__date" if datetime else f"{prefix}{field}"
    if value.start is not None:
        condition &= Q(**{f"{lookup}__gte": value.start})
    if value.end is not None:
        condition &= Q(**{f"{lookup}__lte": value.end})
    return condition


def filter_and_order(queryset: QuerySet, info: Info, filters=None, ordering=None) -> QuerySet:
    """Apply a list's `filters` and `ordering` inputs to what its resolver selected (ordering replaces the
    resolver's own order, which stays the tie-breaker's fallback when none is given)."""
    queryset = strawberry_django.filters.apply(filters, queryset, info)
    if ordering:
        queryset = strawberry_django.ordering.apply_ordering(type(ordering[0]), ordering, info, queryset)
        queryset = queryset.order_by(*queryset.query.order_by, "-pk")  # ties in a stable order
    return queryset


def by_global_id(field: str, value, prefix: str, type_names: Iterable[str]) -> Q:
    """`field` is the row a global id names, when the id is of one of `type_names` (else nothing matches)."""
    if value.type_name not in set(type_names) or not str(value.node_id).isdigit():
        return Q(pk__in=[])
    return Q(**{f"{prefix}{field}": int(value.node_id)})


def filtered(filter_type: type, order_type: type):
    """Give a list resolver the `filters` and `ordering` inputs of its type, applied to what it returns.

    strawberry-django adds both only to connections without a resolver; this adds them to the signature
    strawberry reads (keyword-only, after the resolver's own arguments) and applies them with
    `filter_and_order`, so every list reads the same whether it has a resolver or not.
    """

    def decorate(resolver):
        signature = inspect.signature(resolver)
        extra = [
            inspect.Parameter(
                "filters", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=filter_type | None
            ),
            inspect.Parameter(
                "ordering", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=list[order_type] | None
            ),
        ]

        @functools.wraps(resolver)
        def wrapper(*args, filters=None, ordering=None, **kwargs):
            info = kwargs.get("info") if "info" in kwargs else args[1]
            return filter_and_order(resolver(*args, **kwargs), info, filters, ordering)

        wrapper.__signature__ = signature.replace(parameters=[*signature.parameters.values(), *extra])
        return wrapper

    return decorate
