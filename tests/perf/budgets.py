"""The query budget of every page and every GraphQL list field: ONE table, read by test_query_counts.py.

A page (a named URL without arguments, on the school host or the base domain) costs exactly `queries`
SQL statements for the user `as_`; when `rows` names a maker in tests/perf/rows.py, it costs the same
with 10 and with 100 rows behind it (no query per row). A GraphQL list field is keyed by its path from
the root ("bureau.schools") and fetched with every scalar field of its items and of their objects.

A new page or list field fails `test_every_*_has_a_budget` with its measured count: check that the
count does not grow with the rows (add a row maker), then add the line here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Budget:
    queries: int
    rows: str | None = None  # a maker in tests/perf/rows.py: make(n, ctx) adds n rows the page lists
    as_: str | None = None  # a user of tests/conftest.py; default alice on a school, dave on the bureau
    host: str = "school"  # GraphQL only: "school" (school A) or "public" (the base domain)


# (host kind, URL name) → budget. Host kinds: "school" (config.urls_school), "public" (config.urls_public).
PAGES: dict[tuple[str, str], Budget] = {
    ("school", "home"): Budget(6),
    ("school", "notifications"): Budget(8, rows="notifications"),
    ("public", "home"): Budget(10, rows="schools"),
    ("public", "notifications"): Budget(7, rows="notifications"),
}

# Named URLs that are not pages: actions (POST), sign-in/out, the GraphQL endpoint, the admin.
NOT_PAGES = {"login", "logout", "notifications_read", "graphql", "set_language"}
NOT_PAGE_NAMESPACES = {"admin"}

# GraphQL list fields (connections and lists of objects) by path → budget.
GRAPHQL: dict[str, Budget] = {
    "bureau.schools": Budget(5, rows="schools", as_="dave", host="public"),
    "viewer.memberships": Budget(5, rows="memberships", as_="alice", host="school"),
}

# How many rows a connection page asks for (the page cap).
PAGE = 100
