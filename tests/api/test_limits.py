"""Limits and errors: each refused before any resolver runs, with a stable extensions.code."""

from __future__ import annotations

import pytest
from django.conf import settings

from api import limits
from api.auth import PartnerPrincipal

SCHOOL_Q = "{ school { slug } }"


@pytest.fixture
def resolver_calls(monkeypatch):
    """Counts calls of the `school` resolver, to prove a refused request ran none."""
    import tenants.graphql.schema as tenants_schema

    calls = []
    original = tenants_schema.require_school_reader

    def spy(info, scope=None):
        calls.append(scope)
        return original(info, scope)

    monkeypatch.setattr(tenants_schema, "require_school_reader", spy)
    return calls


def test_aliases_inside_fragments_are_counted(partner_a, bearer, school_a, resolver_calls):
    # given a fragment with 4 aliases spread 4 times: 16 aliases, though the operation itself has none
    fragment = "fragment F on SchoolType { " + " ".join(f"a{i}: slug" for i in range(4)) + " }"
    query = "{ school { ...F ...F ...F ...F } } " + fragment
    result = bearer(partner_a[2], school_a).gql(query)
    assert result["errors"][0]["extensions"]["code"] == "ALIAS_LIMIT_EXCEEDED"
    assert result.get("data") is None
    assert resolver_calls == []


def test_aliases_within_limit_run(partner_a, bearer, school_a):
    fragment = "fragment F on SchoolType { " + " ".join(f"a{i}: slug" for i in range(3)) + " }"
    result = bearer(partner_a[2], school_a).gql("{ school { ...F } } " + fragment)
    assert result == {"data": {"school": {"a0": "alpha", "a1": "alpha", "a2": "alpha"}}}


def test_count_aliases_counts_each_spread():
    from graphql import parse

    document = parse("query { x: a { ...F ...F } } fragment F on T { y: b z: c }")
    fragments = limits._fragments(document)
    assert limits.count_aliases(limits._operations(document)[0], fragments) == 5


def test_depth_limit(partner_a, bearer, make_partner, bureau_north, resolver_calls):
    inner = "name"
    for _ in range(3):
        inner = "bureau { schools(first: 2) { edges { node { " + inner + " } } } }"
    result = bearer(partner_a[2], None).gql("{ bureau { schools(first: 2) { edges { node { " + inner + " } } } } }")
    assert result["errors"][0]["extensions"]["code"] == "DEPTH_LIMIT_EXCEEDED"
    assert result.get("data") is None


def test_token_limit(partner_a, bearer, school_a, resolver_calls):
    fields = " ".join("slug" for _ in range(settings.GRAPHQL_MAX_TOKENS))
    result = bearer(partner_a[2], school_a).gql("{ school { " + fields + " } }")
    assert result["errors"][0]["extensions"]["code"] == "TOKEN_LIMIT_EXCEEDED"
    assert resolver_calls == []


@pytest.mark.parametrize("first", [101, -1])
def test_page_size_over_cap_by_literal_or_variable_is_refused_before_resolvers(partner_a, bearer, first):
    client = bearer(partner_a[2], None)
    literal = client.gql("{ partner { name } bureau { schools(first: " + str(first) + ") { edges { node { slug } } } } }")
    variable = client.gql(
        "query Q($n: Int) { partner { name } bureau { schools(first: $n) { edges { node { slug } } } } }", {"n": first}
    )
    for result in (literal, variable):
        assert result["errors"][0]["extensions"]["code"] == "PAGE_SIZE_LIMIT_EXCEEDED"
        assert result["data"] is None  # not even the partner field ran


def test_cost_limit_per_request(partner_a, bearer, settings, school_a, resolver_calls):
    settings.GRAPHQL_MAX_COST = 150
    query = "{ school { slug } bureau { schools(first: 100) { edges { node { slug name } } } } }"
    result = bearer(partner_a[2], school_a).gql(query)
    assert result["errors"][0]["extensions"]["code"] == "COST_LIMIT_EXCEEDED"
    # school, slug, bureau, schools = 4; edges, node, slug, name once per row of the page of 100
    assert result["errors"][0]["extensions"]["cost"] == 4 + 100 * 4
    assert result["data"] is None
    assert resolver_calls == []


def test_cost_estimate_multiplies_nested_pages():
    from graphql import parse

    document = parse("{ a(first: 10) { edges { node { b(first: 5) { edges { node { c } } } } } } }")
    # a=1; edges,node=10 each; b=10; edges,node,c=50 each
    assert limits.estimate(document, {}).cost == 1 + 10 + 10 + 10 + 50 * 3


def test_cost_budget_per_token_per_minute(partner_a, bearer, settings, school_a):
    from django.core.cache import cache

    cache.clear()
    settings.GRAPHQL_TOKEN_COST_PER_MINUTE = 4  # each `{ school { slug } }` costs 2
    client = bearer(partner_a[2], school_a)
    assert client.gql(SCHOOL_Q)["data"]["school"]["slug"] == "alpha"
    assert client.gql(SCHOOL_Q)["data"]["school"]["slug"] == "alpha"
    third = client.gql(SCHOOL_Q)
    assert third["data"] is None
    assert third["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert 0 < third["errors"][0]["extensions"]["retryAfter"] <= 60
    # the budget is the token's, whatever the host
    cache.clear()


def test_token_budget_is_shared_across_hosts(partner_a, school_a):
    from django.core.cache import cache
    from django.db import connection

    cache.clear()
    principal = PartnerPrincipal(partner_a[1])
    first = limits.spend_token_budget(principal.token.pk, 5)
    connection.set_tenant(school_a)
    second = limits.spend_token_budget(principal.token.pk, 5)
    connection.set_schema_to_public()
    assert (first, second) == (5, 10)
    cache.clear()


def test_batch_of_operations_is_refused(partner_a, bearer, school_a):
    client = bearer(partner_a[2], school_a)
    response = client.post("/graphql/", [{"query": SCHOOL_Q}, {"query": SCHOOL_Q}], content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "ONE_OPERATION_PER_REQUEST"


@pytest.mark.parametrize("operation_name", [None, "A"])
def test_document_with_several_operations_is_refused(partner_a, bearer, school_a, operation_name, resolver_calls):
    client = bearer(partner_a[2], school_a)
    payload = {"query": "query A { school { slug } } query B { school { name } }"}
    if operation_name:
        payload["operationName"] = operation_name
    response = client.post("/graphql/", payload, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "ONE_OPERATION_PER_REQUEST"
    assert resolver_calls == []


def test_several_operations_refused_inside_the_schema_too(partner_a, rf):
    from graphql import parse

    error = limits.check_request(parse("query A { a } query B { b }"), {}, rf.get("/"))
    assert error.extensions["code"] == "ONE_OPERATION_PER_REQUEST"


def test_introspection_refused_to_anonymous(client_for, school_a):
    result = client_for(None, school_a).gql("{ __schema { queryType { name } } }")
    assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert result["data"] is None


def test_introspection_hidden_in_a_fragment_is_refused_to_anonymous(client_for, school_a):
    result = client_for(None, school_a).gql("{ ...F } fragment F on Query { __type(name: \"SchoolType\") { name } }")
    assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_introspection_allowed_to_partners_and_people(partner_a, bearer, school_a, client_for, bob):
    query = "{ __schema { queryType { name } } }"
    assert bearer(partner_a[2], school_a).gql(query) == {"data": {"__schema": {"queryType": {"name": "Query"}}}}
    assert client_for(bob, school_a).gql(query) == {"data": {"__schema": {"queryType": {"name": "Query"}}}}


def test_typename_is_not_introspection(client_for, school_a):
    assert client_for(None, school_a).gql("{ __typename }") == {"data": {"__typename": "Query"}}


def test_no_field_suggestions_and_no_stack_traces(partner_a, bearer, school_a):
    result = bearer(partner_a[2], school_a).gql("{ schol { slug } }")
    error = result["errors"][0]
    assert error["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"}
    assert "Did you mean" not in error["message"]
    assert "Traceback" not in str(result)
    assert "stacktrace" not in str(result)


def test_unexpected_error_is_masked(partner_a, bearer, school_a, monkeypatch):
    import tenants.graphql.schema as tenants_schema

    def boom(info, scope=None):
        raise RuntimeError("secret internals /srv/houqin/db.py password=x")

    monkeypatch.setattr(tenants_schema, "require_school_reader", boom)
    result = bearer(partner_a[2], school_a).gql(SCHOOL_Q)
    assert result["errors"][0]["message"] == "Internal server error."
    assert result["errors"][0]["extensions"] == {"code": "INTERNAL_SERVER_ERROR"}
    assert "secret" not in str(result)
