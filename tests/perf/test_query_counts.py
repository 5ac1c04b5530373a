"""Query discipline: every page and every GraphQL list field costs a fixed number of SQL queries,
the same with 10 and with 100 rows; every request looks its school up once and sets search_path once.

The expectations are in budgets.py (one table); pages and fields are found by walking the URLconfs
and the GraphQL schema, so the routes and fields of modules merged later are covered too. The lists
behind a URL argument (the safety ledgers) have their own table, and every list field is fetched once
more with the lists inside its items, which must not grow with the rows either.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from graphql.pyutils import Undefined

from graphql import GraphQLList, GraphQLNonNull, GraphQLObjectType, get_named_type
from tests.conftest import HostClient

from . import rows
from .budgets import ARG_PAGES, GRAPHQL, NOT_PAGE_NAMESPACES, NOT_PAGES, PAGE, PAGES, PARTNER_ONLY, Budget

URLCONFS = {"school": "config.urls_school", "public": "config.urls_public"}
DEFAULT_USER = {"school": "alice", "public": "dave"}


# --- discovery -----------------------------------------------------------------------------------
def _walk(patterns, prefix="", namespace=None):
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            ns = entry.namespace or namespace
            if ns in NOT_PAGE_NAMESPACES:
                continue
            yield from _walk(entry.url_patterns, route, ns if entry.namespace else namespace)
        elif isinstance(entry, URLPattern) and entry.name:
            if entry.pattern.regex.groups or "<" in route:
                continue  # pages with arguments are detail pages
            yield (f"{namespace}:{entry.name}" if namespace else entry.name), "/" + route.lstrip("^").rstrip("$")


def discovered_pages() -> dict[tuple[str, str], str]:
    """(host kind, URL name) → path of every named page without arguments."""
    found = {}
    for kind, urlconf in URLCONFS.items():
        for name, path in _walk(get_resolver(urlconf).url_patterns):
            if name in NOT_PAGES:
                continue
            found.setdefault((kind, name), path)
    return found


def _schema():
    from api.schema import schema

    return schema._schema


def _unwrap(gql_type):
    while isinstance(gql_type, GraphQLNonNull):
        gql_type = gql_type.of_type
    return gql_type


def _is_list_field(field) -> bool:
    gql_type = _unwrap(field.type)
    named = get_named_type(gql_type)
    if isinstance(gql_type, GraphQLList):
        return isinstance(named, GraphQLObjectType)
    return isinstance(named, GraphQLObjectType) and named.name.endswith("Connection") and "edges" in named.fields


def _required_args(field) -> bool:
    return any(isinstance(arg.type, GraphQLNonNull) and arg.default_value is Undefined
               for arg in field.args.values())


def discovered_list_fields() -> dict[str, tuple]:
    """path → (root field, nested field or None) of every list field at depth 1 or 2 without required args."""
    query = _schema().query_type
    found = {}
    for name, field in query.fields.items():
        if _required_args(field):
            continue
        if _is_list_field(field):
            found[name] = (name, None)
            continue
        named = get_named_type(field.type)
        if isinstance(named, GraphQLObjectType):
            for sub, subfield in named.fields.items():
                if _is_list_field(subfield) and not _required_args(subfield):
                    found[f"{name}.{sub}"] = (name, sub)
    return found


def _scalars(object_type, depth=1, lists=False) -> str:
    """The scalar fields of a type and of its objects `depth` levels down (and of its plain lists, if `lists`)."""
    parts = []
    for name, field in object_type.fields.items():
        if _required_args(field):
            continue
        named = get_named_type(field.type)
        if isinstance(named, GraphQLObjectType):
            nested_list = isinstance(_unwrap(field.type), GraphQLList)
            if depth > 0 and (not _is_list_field(field) or (lists and nested_list)):
                inner = _scalars(named, depth - 1)
                if inner:
                    parts.append(f"{name} {{ {inner} }}")
        else:
            parts.append(name)
    return " ".join(parts)


def list_field_query(path: str, lists: bool = False) -> str:
    root, sub = path.split(".") if "." in path else (path, None)
    query = _schema().query_type
    field = query.fields[root] if sub is None else get_named_type(query.fields[root].type).fields[sub]
    named = get_named_type(field.type)
    if named.name.endswith("Connection"):
        node = get_named_type(get_named_type(named.fields["edges"].type).fields["node"].type)
        total = "totalCount" if "totalCount" in named.fields else ""
        selection = f"(first: {PAGE}) {{ {total} edges {{ node {{ {_scalars(node, lists=lists)} }} }} }}"
    else:
        selection = f"{{ {_scalars(named, lists=lists)} }}"
    leaf = f"{(sub or root)} {selection}"
    return f"{{ {root} {{ {leaf} }} }}" if sub else f"{{ {leaf} }}"


@pytest.fixture(autouse=True)
def _no_cost_limit(settings):
    """A full page with every inner list at its bound is past the cost limit (tests/attacks/test_graphql_cost.py):
    lifted here, since these tests count SQL queries, not objects."""
    settings.GRAPHQL_MAX_OBJECTS = settings.GRAPHQL_MAX_COST = 10**12


# --- measuring -----------------------------------------------------------------------------------
def _user(username):
    from tenants.models import User

    return User.objects.get(username=username)


def _client(kind: str, username: str, school) -> HostClient:
    client = HostClient(school.host if kind == "school" else "localhost")
    client.force_login(_user(username))
    return client


def _count_page(client: HostClient, path: str) -> tuple[int, int, list[str]]:
    client.get(path)  # warm: a pooled connection, caches of the process
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    return response.status_code, len(ctx.captured_queries), [q["sql"] for q in ctx.captured_queries]


def _count_gql(client: HostClient, query: str) -> tuple[dict, int, list[str]]:
    client.gql(query)
    with CaptureQueriesContext(connection) as ctx:
        body = client.gql(query)
    return body, len(ctx.captured_queries), [q["sql"] for q in ctx.captured_queries]


def _rows(budget: Budget, username: str, school, n: int) -> None:
    if budget.rows:
        rows.MAKERS[budget.rows](n, rows.Context(user=_user(username), school=school))


def _explain(sqls: list[str]) -> str:
    return "\n".join(f"  {i + 1}. {sql[:160]}" for i, sql in enumerate(sqls))


# --- coverage: nothing escapes the table ---------------------------------------------------------
def test_every_page_has_a_budget(db, school_a):
    """Given the URLconfs, when a named page without arguments is not in budgets.PAGES, then fail with its count."""
    missing = {}
    for (kind, name), path in sorted(discovered_pages().items()):
        if (kind, name) in PAGES:
            continue
        status, count, _ = _count_page(_client(kind, DEFAULT_USER[kind], school_a), path)
        missing[(kind, name)] = f"{path} → HTTP {status}, {count} queries"
    assert missing == {}, "pages without a query budget in tests/perf/budgets.py: " + repr(missing)


def test_budget_table_names_only_real_pages():
    assert set(PAGES) - set(discovered_pages()) == set()


def _ledgers_without_a_named_page() -> set[str]:
    """The safety ledgers reached only through /safety/l/<key>/ (a list behind an argument)."""
    from safety.ledgers import LEDGERS

    named = {p.default_args.get("key") for p in get_resolver("safety.urls").url_patterns
             if isinstance(p, URLPattern) and p.name != "ledger"}
    return set(LEDGERS) - named


def test_every_ledger_has_a_budget():
    expected = {("school", "safety:ledger", key) for key in _ledgers_without_a_named_page()}
    assert expected - set(ARG_PAGES) == set(), "ledgers without a query budget in tests/perf/budgets.py ARG_PAGES"
    assert set(ARG_PAGES) - expected == set(), "ARG_PAGES names a ledger that is gone (or has a named page now)"


def test_every_graphql_list_field_has_a_budget(db, school_a):
    missing = {}
    for path in sorted(discovered_list_fields()):
        if path in GRAPHQL or path in PARTNER_ONLY:
            continue
        for kind in ("school", "public"):
            body, count, _ = _count_gql(_client(kind, DEFAULT_USER[kind], school_a), list_field_query(path))
            if not body.get("errors"):
                missing[path] = f"{kind} host as {DEFAULT_USER[kind]}: {count} queries"
                break
        else:
            missing[path] = f"errors on both hosts: {body.get('errors')}"
    assert missing == {}, "GraphQL list fields without a budget in tests/perf/budgets.py: " + repr(missing)


def test_graphql_budget_table_names_only_real_fields():
    assert set(GRAPHQL) - set(discovered_list_fields()) == set()


# --- the budgets ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("kind", "name"), sorted(PAGES), ids=[f"{k}:{n}" for k, n in sorted(PAGES)])
def test_page_costs_its_budget_with_10_and_100_rows(db, school_a, kind, name):
    _check_page(PAGES[(kind, name)], kind, discovered_pages()[(kind, name)], school_a)


@pytest.mark.parametrize(("kind", "name", "arg"), sorted(ARG_PAGES), ids=[":".join(key) for key in sorted(ARG_PAGES)])
def test_list_behind_an_argument_costs_its_budget_with_10_and_100_rows(db, school_a, kind, name, arg):
    _check_page(ARG_PAGES[(kind, name, arg)], kind, reverse(name, urlconf=URLCONFS[kind], args=[arg]), school_a)


def _check_page(budget: Budget, kind: str, path: str, school_a) -> None:
    username = budget.as_ or DEFAULT_USER[kind]
    client = _client(kind, username, school_a)
    _rows(budget, username, school_a, 10)
    status10, with10, sql10 = _count_page(client, path)
    _rows(budget, username, school_a, 90)
    status100, with100, sql100 = _count_page(client, path)
    assert (status10, status100) == (budget.status, budget.status)
    assert with10 == with100, f"{with10} queries with 10 rows, {with100} with 100:\n{_explain(sql100)}"
    assert with100 == budget.queries, f"{path} costs {with100} queries, budget {budget.queries}:\n{_explain(sql100)}"


@pytest.mark.parametrize("path", sorted(GRAPHQL))
def test_graphql_list_field_costs_its_budget_with_10_and_100_rows(db, school_a, path):
    budget = GRAPHQL[path]
    username = budget.as_ or DEFAULT_USER[budget.host]
    client = _client(budget.host, username, school_a)
    query = list_field_query(path)
    _rows(budget, username, school_a, 10)
    body10, with10, _ = _count_gql(client, query)
    _rows(budget, username, school_a, 90)
    body100, with100, sql100 = _count_gql(client, query)
    assert body10.get("errors") is None, body10
    assert body100.get("errors") is None, body100
    assert with10 == with100, f"{with10} queries with 10 rows, {with100} with 100:\n{_explain(sql100)}"
    assert with100 == budget.queries, f"{path} costs {with100} queries, budget {budget.queries}:\n{_explain(sql100)}"


@pytest.mark.parametrize("path", sorted(p for p in GRAPHQL if list_field_query(p, lists=True) != list_field_query(p)))
def test_graphql_list_field_with_its_items_lists_is_flat(db, school_a, path):
    """The lists inside each item (a request's lines, a stocktake's discrepancies) cost no query per item either."""
    budget = GRAPHQL[path]
    username = budget.as_ or DEFAULT_USER[budget.host]
    client = _client(budget.host, username, school_a)
    query = list_field_query(path, lists=True)
    _rows(budget, username, school_a, 10)
    body10, with10, _ = _count_gql(client, query)
    _rows(budget, username, school_a, 90)
    body100, with100, sql100 = _count_gql(client, query)
    assert body10.get("errors") is None, body10
    assert body100.get("errors") is None, body100
    assert with10 == with100, f"{with10} queries with 10 rows, {with100} with 100:\n{_explain(sql100)}"


def test_connection_page_returns_100_rows_with_100_behind_it(db, school_a):
    """The budget above is measured on a full page, not an empty one."""
    budget = GRAPHQL["bureau.schools"]
    _rows(budget, "dave", school_a, 100)
    body = _client("public", "dave", school_a).gql(list_field_query("bureau.schools"))
    connection_ = body["data"]["bureau"]["schools"]
    assert len(connection_["edges"]) == PAGE
    assert connection_["totalCount"] == 102  # alpha, beta and the 100 made here


# --- one tenant lookup and one search_path per request --------------------------------------------
def _school_requests():
    for (kind, name) in sorted(PAGES):
        if kind == "school":
            yield f"page:{name}"
    yield "graphql"


@pytest.mark.parametrize("what", list(_school_requests()))
def test_school_request_looks_the_school_up_once_and_sets_search_path_once(db, school_a, what):
    client = _client("school", "alice", school_a)
    if what == "graphql":
        _, _, sqls = _count_gql(client, "{ school { name slug } }")
    else:
        _, _, sqls = _count_page(client, discovered_pages()[("school", what.split(":", 1)[1])])
    domain_lookups = [s for s in sqls if 'FROM "tenants_domain"' in s]
    search_paths = [s for s in sqls if s.startswith("SET search_path")]
    assert len(domain_lookups) == 1, _explain(sqls)
    assert search_paths == ['SET search_path = "alpha","public"'], _explain(sqls)


def test_bureau_request_needs_no_tenant_lookup_and_at_most_one_search_path(db, school_a):
    client = _client("public", "dave", school_a)
    client.get("/")
    _client("school", "alice", school_a).get("/")  # the pooled connection was last on a school
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/").status_code == 200
    sqls = [q["sql"] for q in ctx.captured_queries]
    assert [s for s in sqls if 'FROM "tenants_domain"' in s] == []
    assert [s for s in sqls if s.startswith("SET search_path")] == ['SET search_path = "public"']
