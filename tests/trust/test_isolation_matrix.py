"""The isolation matrix, generated: every URL pattern and every GraphQL field, tried as every kind of
caller. No response on a school's host ever contains another school's marker, and callers who may not
see a school never see its marker. A view that does not declare who may see it fails the test.

Counts are written to $TRUST_REPORT (JSON) when set, for bench/bench_trust.py.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from collections import Counter

import pytest
from django.db import connection
from django.urls import URLPattern, URLResolver, get_resolver

from api.schema import schema
from tenants.models import School, User
from tests.conftest import HostClient, schema_table_counts

from .conftest import TRUST_MARKER

SKIP_PREFIXES = ("admin/", "i18n/", "static/", "media/")
STATS: Counter = Counter()
LEAKS: list[str] = []


def _patterns(urlconf: str):
    """(route, name, view callback, kwargs) for every pattern, with sample values for its converters."""

    def walk(resolver, prefix=""):
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                yield from walk(entry, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                yield prefix + str(entry.pattern), entry.name, entry.callback

    for route, name, callback in walk(get_resolver(urlconf)):
        if route.startswith(SKIP_PREFIXES):
            continue
        path = re.sub(r"<int:\w+>", "1", route)
        path = re.sub(r"<uuid:\w+>", str(uuid.UUID(int=1)), path)
        path = re.sub(r"<(?:str|slug|path):\w+>", "1", path)
        path = re.sub(r"<\w+>", "1", path)
        if "^" in path or "(?" in path:
            continue
        yield "/" + path, name, callback


def _access(callback) -> dict | None:
    seen = callback
    for _ in range(10):
        meta = getattr(seen, "houqin_access", None)
        if meta is not None:
            return meta
        seen = getattr(seen, "__wrapped__", None) or getattr(seen, "view_class", None)
        if seen is None:
            return None
    return None


def _client(username: str | None, host: str) -> HostClient:
    client = HostClient(host)
    if username:
        client.force_login(User.objects.get(username=username))
    return client


def _bearer(token: str, host: str) -> HostClient:
    """A client that carries a partner token instead of a session."""
    return HostClient(host, HTTP_AUTHORIZATION=f"Bearer {token}")


# Partner tokens on the web pages: a token is for /graphql/ only, so no page opens to it, whatever its grant.
PAGE_PARTNERS = ("this school", "no scope", "other school", "other bureau")


def _check(body: str, *, host_slug: str | None, may_see: set[str], label: str) -> None:
    STATS["responses"] += 1
    for slug, marker in TRUST_MARKER.items():
        if marker in body and slug not in may_see:
            LEAKS.append(f"{label}: shows {slug}'s rows")


def _school_actors(target: str, access: dict | None) -> list[tuple[str, str | None, bool]]:
    """(label, username, allowed) for a view of school `target` (delta)."""
    actors = [
        ("anonymous", None, False),
        ("other school", "epsilon-principal", False),
        ("other bureau school", "zeta-principal", False),
        ("other bureau", "west-leader", False),
        ("right role", f"{target}-principal", True),
    ]
    roles = (access or {}).get("roles")
    if roles:
        right = sorted(roles)[0]
        actors[-1] = ("right role", f"{target}-{right}", True)
        wrong = sorted({"teacher", "guard", "unit_contact", "maintenance_worker", "custodian"} - set(roles))
        if wrong:
            actors.append(("wrong role", f"{target}-{wrong[0]}", False))
    else:
        actors.append(("own bureau", "east-leader", not (access or {}).get("write")))
    return actors


@pytest.fixture(scope="module", autouse=True)
def _write_report():
    yield
    path = os.environ.get("TRUST_REPORT")
    if path:
        with open(path, "w") as handle:
            json.dump({"stats": dict(STATS), "leaks": LEAKS}, handle, ensure_ascii=False, indent=1)


def test_every_view_declares_who_may_see_it(trust_world):
    undeclared = []
    for urlconf in ("config.urls_school", "config.urls_public"):
        for path, name, callback in _patterns(urlconf):
            if _access(callback) is None:
                undeclared.append(f"{urlconf}:{name or path}")
    assert undeclared == [], "views without school_view/bureau_view/public_view/personal_view: " + ", ".join(undeclared)


@pytest.mark.django_db(transaction=False)
def test_school_host_pages_as_every_caller(trust_world, trust_partners):
    start = len(LEAKS)
    host = School.objects.get(slug="delta").host
    failures = []
    for path, _name, callback in _patterns("config.urls_school"):
        access = _access(callback) or {}
        if access.get("kind") == "graphql":
            continue
        for label, username, allowed in _school_actors("delta", access):
            STATS["page_cases"] += 1
            response = _client(username, host).get(path)
            body = response.content.decode(errors="replace")
            if response.status_code >= 500:
                failures.append(f"{path} as {label}: {response.status_code}")
            public = access.get("kind") in ("public", "personal")
            _check(body, host_slug="delta", may_see={"delta"} if (allowed or public) else set(),
                   label=f"{path} as {label}")
            if not allowed and not public and response.status_code == 200:
                failures.append(f"{path} as {label}: 200")
        for label in PAGE_PARTNERS:
            STATS["page_cases"] += 1
            STATS["partner_cases"] += 1
            response = _bearer(trust_partners[label], host).get(path)
            if response.status_code >= 500:
                failures.append(f"{path} as partner ({label}): {response.status_code}")
            public = access.get("kind") in ("public", "personal")
            _check(response.content.decode(errors="replace"), host_slug="delta",
                   may_see={"delta"} if public else set(), label=f"{path} as partner ({label})")
            if not public and response.status_code == 200:
                failures.append(f"{path} as partner ({label}): 200")
    assert failures == [], "\n".join(failures)
    assert LEAKS[start:] == []


@pytest.mark.django_db(transaction=False)
def test_refused_writes_change_nothing(trust_world, trust_partners):
    school = School.objects.get(slug="delta")
    connection.set_schema_to_public()
    before = schema_table_counts("delta")
    for path, _name, callback in _patterns("config.urls_school"):
        access = _access(callback) or {}
        if access.get("kind") in ("graphql", "public", "personal"):
            continue
        for label, username, allowed in _school_actors("delta", access):
            if allowed and label != "own bureau":  # the bureau reads, never writes
                continue
            STATS["write_cases"] += 1
            response = _client(username, school.host).post(path, {"name": "x", "title": "x"})
            assert response.status_code < 500, f"POST {path} as {label}"
            assert response.status_code in (302, 400, 403, 404, 405), f"POST {path} as {label}: {response.status_code}"
        for label in PAGE_PARTNERS:
            STATS["write_cases"] += 1
            STATS["partner_cases"] += 1
            response = _bearer(trust_partners[label], school.host).post(path, {"name": "x", "title": "x"})
            assert response.status_code in (302, 400, 403, 404, 405), (
                f"POST {path} as partner ({label}): {response.status_code}")
    connection.set_schema_to_public()
    assert schema_table_counts("delta") == before


@pytest.mark.django_db(transaction=False)
def test_bureau_host_pages_as_every_caller(trust_world, trust_partners):
    start = len(LEAKS)
    failures = []
    actors = [
        ("anonymous", None, set()),
        ("school user", "delta-principal", {"delta"}),
        ("other bureau", "west-leader", {"zeta"}),
        ("own bureau", "east-leader", {"delta", "epsilon"}),
    ]
    for path, _name, callback in _patterns("config.urls_public"):
        access = _access(callback) or {}
        if access.get("kind") == "graphql":
            continue
        for label, username, may_see in actors:
            STATS["page_cases"] += 1
            response = _client(username, "localhost").get(path)
            if response.status_code >= 500:
                failures.append(f"{path} as {label}: {response.status_code}")
            _check(response.content.decode(errors="replace"), host_slug=None, may_see=may_see,
                   label=f"bureau {path} as {label}")
        for label in PAGE_PARTNERS:
            STATS["page_cases"] += 1
            STATS["partner_cases"] += 1
            response = _bearer(trust_partners[label], "localhost").get(path)
            if response.status_code >= 500:
                failures.append(f"bureau {path} as partner ({label}): {response.status_code}")
            _check(response.content.decode(errors="replace"), host_slug=None, may_see=set(),
                   label=f"bureau {path} as partner ({label})")
    assert failures == [], "\n".join(failures)
    assert LEAKS[start:] == []


# --- GraphQL -------------------------------------------------------------------------------------

SCALARS = {"String", "Int", "Float", "Boolean", "ID", "Date", "DateTime", "Decimal", "JSON", "Time", "UUID",
           "GlobalID", "Upload"}


def _named(type_):
    while hasattr(type_, "of_type"):
        type_ = type_.of_type
    return type_


def _selection(type_, depth: int = 0) -> str:
    named = _named(type_)
    fields = getattr(named, "fields", None)
    if not fields:
        return ""
    parts = []
    for name, field in fields.items():
        target = _named(field.type)
        required_args = [a for a in field.args.values() if str(a.type).endswith("!") and a.default_value is None]
        if required_args:
            continue
        if not getattr(target, "fields", None):
            parts.append(name)
        elif depth < 2 and name in ("edges", "node", "pageInfo"):
            inner = _selection(target, depth + 1)
            if inner:
                parts.append(f"{name} {{ {inner} }}")
        elif depth == 0 and name not in ("edges",):
            continue
    return " ".join(parts[:25])


def _dummy(arg_type) -> str | None:
    text = str(arg_type).rstrip("!")
    named = _named(arg_type).name
    if text.startswith("["):
        return "[]"
    return {"ID": '"1"', "GlobalID": '"U2Nob29sVHlwZTox"', "Int": "1", "Float": "1.0", "String": '"x"',
            "Boolean": "false", "Date": '"2026-01-01"', "DateTime": '"2026-01-01T00:00:00+08:00"',
            "Decimal": '"1"'}.get(named)


def _field_document(kind: str, name: str, field) -> str | None:
    args = []
    for arg_name, arg in field.args.items():
        required = str(arg.type).endswith("!")
        if not required:
            continue
        value = _dummy(arg.type)
        if value is None:
            value = "{}"  # an input object left empty: refused by validation or the service
        args.append(f"{arg_name}: {value}")
    selection = _selection(field.type)
    sub = f" {{ {selection or '__typename'} }}" if getattr(_named(field.type), "fields", None) else ""
    arg_text = f"({', '.join(args)})" if args else ""
    return f"{kind} {{ {name}{arg_text}{sub} }}"


def _graphql_fields():
    gql = schema._schema
    for kind, root in (("query", gql.query_type), ("mutation", gql.mutation_type)):
        if root is None:
            continue
        for name, field in root.fields.items():
            yield kind, name, field


@pytest.mark.django_db(transaction=False)
def test_graphql_fields_as_every_caller(trust_world, trust_partners):
    start = len(LEAKS)
    host = School.objects.get(slug="delta").host
    before = schema_table_counts("delta")
    failures = []
    outsiders = [("anonymous", None), ("other school", "epsilon-principal"), ("other bureau", "west-leader"),
                 ("other bureau school", "zeta-principal"),
                 ("partner of another school", "token:other school"),
                 ("partner of another bureau", "token:other bureau"),
                 ("partner without scope", "token:no scope")]
    right = [("right role", "delta-principal"), ("right partner", "token:this school")]
    seen: Counter = Counter()
    for kind, name, field in _graphql_fields():
        document = _field_document(kind, name, field)
        callers = outsiders if kind == "mutation" else [*outsiders, *right]
        for label, username in callers:
            STATS["graphql_cases"] += 1
            if username and username.startswith("token:"):
                STATS["partner_cases"] += 1
                client = _bearer(trust_partners[username[len("token:"):]], host)
            else:
                client = _client(username, host)
            response = client.post("/graphql/", {"query": document}, content_type="application/json")
            if response.status_code >= 500:
                failures.append(f"{name} as {label}: {response.status_code}")
                continue
            body = response.content.decode()
            if label.startswith("right") and TRUST_MARKER["delta"] in body:
                seen[label] += 1  # the positive control: the right callers do get delta's rows
            _check(body, host_slug="delta", may_see={"delta"} if label.startswith("right") else set(),
                   label=f"graphql {name} as {label}")
            if kind == "mutation":
                data = response.json().get("data") or {}
                if data.get(name) not in (None, [], 0):
                    failures.append(f"mutation {name} as {label} returned data")
        # the same field on the bureau host as the other bureau
        response = _client("west-leader", "localhost").post("/graphql/", {"query": document},
                                                            content_type="application/json")
        STATS["graphql_cases"] += 1
        _check(response.content.decode(), host_slug=None, may_see={"zeta"}, label=f"bureau graphql {name}")
        # and as the partner granted the whole west bureau, on the bureau host: nothing of east's schools
        response = _bearer(trust_partners["other bureau"], "localhost").post("/graphql/", {"query": document},
                                                                             content_type="application/json")
        STATS["graphql_cases"] += 1
        STATS["partner_cases"] += 1
        if response.status_code >= 500:
            failures.append(f"bureau {name} as partner: {response.status_code}")
        _check(response.content.decode(), host_slug=None, may_see={"zeta"}, label=f"bureau graphql {name} as partner")
    connection.set_schema_to_public()
    assert failures == [], "\n".join(failures)
    assert LEAKS[start:] == []
    assert schema_table_counts("delta") == before
    # Without this the matrix could pass because no token worked at all.
    assert seen["right role"] > 10, seen
    assert seen["right partner"] > 10, seen
    STATS["graphql_fields_seen_by_right_partner"] = seen["right partner"]


def test_every_model_type_has_a_visibility_rule(trust_world):
    """Each GraphQL type backed by a school model restricts its rows (get_queryset of its own)."""
    import strawberry_django
    from strawberry_django.fields.types import DjangoModelType  # noqa: F401

    from api.types import SchoolScopedType

    missing = []
    for type_def in schema.schema_converter.type_map.values():
        origin = getattr(type_def.definition, "origin", None)
        django_def = getattr(origin, "__strawberry_django_definition__", None)
        if django_def is None:
            continue
        if getattr(type_def.definition, "is_input", False):
            continue  # a filter or ordering input names fields to match; it returns no rows of its own
        model = django_def.model
        if model._meta.app_label in ("tenants",):
            if "get_queryset" not in vars(origin) and not issubclass(origin, SchoolScopedType):
                missing.append(origin.__name__)
            continue
        if not issubclass(origin, SchoolScopedType) and "get_queryset" not in vars(origin):
            missing.append(origin.__name__)
    assert missing == [], "types without a visibility rule: " + ", ".join(missing)
    assert strawberry_django
