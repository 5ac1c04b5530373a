"""`myTodo`: the signed-in person's 我的待办 in this school, the same sections and items as the page."""

from __future__ import annotations

import datetime as dt

import strawberry
from strawberry.types import Info

from api.permissions import refuse_partners, require_authenticated, require_school
from core.todo import SECTION_LIMIT, TodoItem, TodoSection, todo_for


@strawberry.type(
    name="TodoItemType", description="One thing waiting for the person, and the page that opens it."
)
class TodoItemType:
    kind: str = strawberry.field(description="What it is, e.g. safety.hazard_rectify, repairs.work.")
    title: str
    url: str = strawberry.field(description="A path on this school's host that the person may open.")
    detail: str
    since: dt.date | None = strawberry.field(description="The day it started waiting (school's time zone).")
    deadline: dt.date | None = strawberry.field(description="The day it is due, if it has a deadline.")
    deadline_at: dt.datetime | None = strawberry.field(
        description="The moment it is due, when the deadline is a time (a repair's SLA); null for a day."
    )
    overdue: bool


@strawberry.type(
    name="TodoSectionType", description="Items of one kind, at most the first few, and how many in all."
)
class TodoSectionType:
    key: str
    label: str
    total: int
    more_url: str = strawberry.field(description="The list that shows them all.")
    items: list[TodoItemType]


@strawberry.type(name="TodoListType")
class TodoListType:
    total: int
    sections: list[TodoSectionType]


def _item(item: TodoItem) -> TodoItemType:
    return TodoItemType(
        kind=item.kind,
        title=item.title,
        url=item.url,
        detail=item.detail,
        since=item.since_date,
        deadline=item.deadline_date,
        deadline_at=item.deadline if item.deadline_is_time else None,
        overdue=item.overdue,
    )


def _section(section: TodoSection) -> TodoSectionType:
    return TodoSectionType(
        key=section.key,
        label=section.label,
        total=section.total,
        more_url=section.more_url,
        items=[_item(i) for i in section.items],
    )


@strawberry.type
class TodoQuery:
    @strawberry.field(
        description=f"What waits for the signed-in person in this school (at most {SECTION_LIMIT} "
        "items a section; `total` counts them all). People only: a token is refused."
    )
    def my_todo(self, info: Info) -> TodoListType:
        refuse_partners(info)
        user = require_authenticated(info)
        require_school(info)
        sections = todo_for(user=user, limit=SECTION_LIMIT)
        return TodoListType(total=sum(s.total for s in sections), sections=[_section(s) for s in sections])
