"""Base for every model type: only the rows the caller may see."""

from __future__ import annotations

from strawberry.types import Info

from .permissions import current_school, require_school_reader


class SchoolScopedType:
    """A type of a school's own rows (in its schema): visible to those who may read the school.

    The schema itself isolates schools; this refuses callers who are not readers of this one.
    Subclasses set `read_scope` (the partner scope that reads them, e.g. "assets:read") and may
    narrow further with `visible_rows(queryset, info)`.
    """

    read_scope: str | None = None

    @classmethod
    def get_queryset(cls, queryset, info: Info, **kwargs):
        if current_school(info) is None:
            return queryset.none()
        require_school_reader(info, cls.read_scope)
        return cls.visible_rows(queryset, info)

    @classmethod
    def visible_rows(cls, queryset, info: Info):
        return queryset
