"""Shared helpers for list pages: pagination, sorting and the Excel export of the same rows."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.core.paginator import Paginator
from django.db.models import QuerySet

PAGE_SIZE = 25


def paginate(request, queryset, *, per_page: int = PAGE_SIZE):
    """The requested page of a queryset; an out-of-range or junk page number gives the last/first."""
    paginator = Paginator(queryset, per_page)
    return paginator.get_page(request.GET.get("page"))


def sort_queryset(request, queryset: QuerySet, *, allowed: Sequence[str], default: str) -> tuple[QuerySet, str]:
    """Order by ?sort=field or ?sort=-field when the field is allowed."""
    sort = request.GET.get("sort", default)
    if sort.lstrip("-") not in allowed:
        sort = default
    return queryset.order_by(sort, "pk"), sort


def wants_export(request) -> bool:
    return request.GET.get("export") == "xlsx"


def rows_of(items: Iterable, columns: Sequence[tuple[str, callable]]) -> tuple[list[str], Iterable[list]]:
    headers = [str(title) for title, _ in columns]
    return headers, ([getter(item) for _, getter in columns] for item in items)
