"""我的待办: what waits for one person in the current school, gathered from the modules that own it.

Each module registers one provider in its AppConfig.ready (`todo_provider_register`), a function
`(*, user, limit) -> list[TodoSection]` in `<app>/todo.py` that reads through that module's own
selectors. The page and the GraphQL field call `todo_for`, so neither imports any module's models.
A section carries at most `limit` items and the total, with the link to the filtered list for the rest.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.module_loading import import_string

# Items per section on the page and in the API; the rest is "and N more" with a link to the list.
SECTION_LIMIT = 10


@dataclass(frozen=True)
class TodoItem:
    """One thing waiting for the person: what, since when, by when, and the page that opens it."""

    kind: str
    title: str
    url: str
    since: dt.datetime | dt.date | None = None
    deadline: dt.datetime | dt.date | None = None
    detail: str = ""

    @property
    def overdue(self) -> bool:
        if self.deadline is None:
            return False
        if isinstance(self.deadline, dt.datetime):
            return self.deadline < timezone.now()
        return self.deadline < timezone.localdate()

    @property
    def deadline_is_time(self) -> bool:
        """A repair's SLA is a moment (小修不过夜); a hazard's deadline is a day."""
        return isinstance(self.deadline, dt.datetime)

    @property
    def since_date(self) -> dt.date | None:
        return _as_date(self.since)

    @property
    def deadline_date(self) -> dt.date | None:
        return _as_date(self.deadline)


def _as_date(value) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


@dataclass
class TodoSection:
    """Items of one kind (e.g. hazards to rectify), at most SECTION_LIMIT of them, and how many in all."""

    key: str
    label: str
    items: list[TodoItem]
    total: int
    more_url: str = ""
    order: int = 100
    icon: str = "check2-square"
    extra: dict = field(default_factory=dict)

    @property
    def more(self) -> int:
        return max(0, self.total - len(self.items))


Provider = Callable[..., list[TodoSection]]
# Module name -> the provider's dotted path ("safety.todo.todo_items_for"), or the function itself.
_PROVIDERS: dict[str, str | Provider] = {}


def todo_provider_register(name: str, provider: str | Provider) -> None:
    """Let a module add its sections to everyone's to-do list (call from AppConfig.ready)."""
    _PROVIDERS[name] = provider


def _provider(name: str) -> Provider:
    provider = _PROVIDERS[name]
    if isinstance(provider, str):
        provider = _PROVIDERS[name] = import_string(provider)
    return provider


def todo_for(*, user, limit: int = SECTION_LIMIT) -> list[TodoSection]:
    """The signed-in person's to-do sections in the current school, non-empty ones only, in a fixed order."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    sections: list[TodoSection] = []
    for name in sorted(_PROVIDERS):
        sections.extend(s for s in _provider(name)(user=user, limit=limit) if s.total)
    return sorted(sections, key=lambda s: (s.order, s.key))


def todo_count(*, user) -> int:
    """How many things wait for the person (every section's total)."""
    return sum(section.total for section in todo_for(user=user, limit=0))


def section_from(
    *,
    key: str,
    label,
    queryset,
    limit: int,
    item: Callable[[object], TodoItem],
    more_url: str = "",
    order: int = 100,
    icon: str = "check2-square",
) -> TodoSection:
    """A section of a queryset: one count, and (when there is something and a limit) one bounded read."""
    total = queryset.count()
    items = [item(row) for row in queryset[:limit]] if total and limit > 0 else []
    return TodoSection(
        key=key, label=str(label), items=items, total=total, more_url=more_url, order=order, icon=icon
    )
