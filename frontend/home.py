"""The school home's 我的待办 card: how many things wait for me, and the first few."""

from __future__ import annotations

from core.todo import todo_for
from tenants.access import school_roles

# Items the home card shows before "my to-do" takes over.
HOME_ITEMS = 5


def home_cards(request, school) -> list[dict]:
    if not school_roles(request.user, school):
        return []  # a bureau reader has no desk in this school
    sections = todo_for(user=request.user, limit=HOME_ITEMS)
    items = [item for section in sections for item in section.items][:HOME_ITEMS]
    return [
        {
            "template": "frontend/cards/todo.html",
            "order": 0,
            "context": {
                "total": sum(section.total for section in sections),
                "items": items,
                "sections": sections,
            },
        }
    ]
