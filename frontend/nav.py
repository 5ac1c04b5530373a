"""Navigation: each app lists its menu entries in `<app>/nav.py` as NAV_ITEMS.

An entry: {"label": lazy text, "url": url name, "host": "school" | "bureau",
"roles": set of roles or None (any member / any bureau member), "icon": bootstrap icon name,
"section": heading}. The menu shows only the entries the user's roles allow.
"""

from __future__ import annotations

import importlib
from functools import cache

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

# The shell's own entry, first in the menu: what waits for me in this school.
NAV_ITEMS = [
    {"label": _("My to-do"), "url": "todo", "host": "school", "roles": None, "icon": "check2-square", "section": ""},
]

NAV_APPS = ("frontend", "jobs", "tenants", "schools", "assets", "repairs", "safety", "reporting", "api")


@cache
def all_items() -> tuple[dict, ...]:
    items: list[dict] = []
    for app in NAV_APPS:
        try:
            module = importlib.import_module(f"{app}.nav")
        except ModuleNotFoundError as exc:
            if exc.name != f"{app}.nav":
                raise
            continue
        items.extend(getattr(module, "NAV_ITEMS", ()))
    return tuple(items)


def items_for(*, host: str, roles: frozenset[str], urlconf: str | None) -> list[dict]:
    result = []
    for item in all_items():
        if item.get("host", "school") != host:
            continue
        allowed = item.get("roles")
        if allowed is not None and not (roles & set(allowed)):
            continue
        try:
            url = reverse(item["url"], urlconf=urlconf)
        except NoReverseMatch:
            continue
        result.append({**item, "href": url})
    return result
