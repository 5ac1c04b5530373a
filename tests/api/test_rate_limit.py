"""Cost in sight (issue 22, part 6): `rateLimit` and the X-RateLimit-* headers say what the limiter charged a
token for this very request; over the minute's budget the answer is HTTP 429 with Retry-After."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.cache import cache

from api import limits
from api.schema import schema
from graphql import parse

QUERY = "{ school { slug } rateLimit { cost limit remaining resetAt } }"


@pytest.fixture(autouse=True)
def fresh_budget():
    cache.clear()
    yield
    cache.clear()


def _charged(query: str) -> int:
    """The cost the limiter computes for `query` (its own estimate, on the real schema)."""
    return limits.estimate(parse(query), {}, schema._schema).cost


def test_rate_limit_is_what_the_limiter_charged(partner_a, bearer, school_a, settings):
    settings.GRAPHQL_TOKEN_COST_PER_MINUTE = 1_000
    client = bearer(partner_a[2], school_a)
    cost = _charged(QUERY)
    assert cost == 7  # school, slug, rateLimit and its four fields

    first = client.gql(QUERY)["data"]["rateLimit"]
    second = client.gql(QUERY)["data"]["rateLimit"]

    assert (first["cost"], first["limit"], first["remaining"]) == (cost, 1_000, 1_000 - cost)
    assert (second["cost"], second["remaining"]) == (cost, 1_000 - 2 * cost)
    reset = datetime.fromisoformat(first["resetAt"])
    assert reset.second == 0
    assert 0 < reset.timestamp() - datetime.now(tz=UTC).timestamp() <= 60
    # the token's spend in the limiter's own books is the same
    minute = int(reset.timestamp() // 60) - 1
    assert limits.spend_token_budget(partner_a[1].pk, 0, minute) == 2 * cost


def test_headers_carry_the_same_numbers(partner_a, bearer, school_a, settings):
    settings.GRAPHQL_TOKEN_COST_PER_MINUTE = 1_000
    response = bearer(partner_a[2], school_a).gql_response(QUERY)
    body = response.json()["data"]["rateLimit"]

    assert response.status_code == 200
    assert response["X-RateLimit-Limit"] == "1000"
    assert response["X-RateLimit-Cost"] == str(body["cost"])
    assert response["X-RateLimit-Remaining"] == str(body["remaining"])
    assert int(response["X-RateLimit-Reset"]) == int(datetime.fromisoformat(body["resetAt"]).timestamp())
    assert "Retry-After" not in response


def test_a_query_without_the_field_is_charged_and_shown_in_headers(partner_a, bearer, school_a):
    response = bearer(partner_a[2], school_a).gql_response("{ school { slug } }")
    assert response["X-RateLimit-Cost"] == "2"
    assert response["X-RateLimit-Remaining"] == str(limits.token_cost_per_minute() - 2)


def test_over_budget_is_429_with_retry_after_and_a_stable_code(partner_a, bearer, school_a, settings):
    settings.GRAPHQL_TOKEN_COST_PER_MINUTE = 10
    client = bearer(partner_a[2], school_a)
    assert client.gql_response(QUERY).status_code == 200  # 7 of 10

    refused = client.gql_response(QUERY)  # 14 > 10

    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert refused["X-RateLimit-Remaining"] == "0"
    body = refused.json()
    assert body["data"] is None
    error = body["errors"][0]["extensions"]
    assert error["code"] == "RATE_LIMITED"
    assert error["retryAfter"] == int(refused["Retry-After"])
    assert error["budgetPerMinute"] == 10


def test_a_person_has_no_budget_nor_headers(alice, school_a, client_for):
    response = client_for(alice, school_a).post(
        "/graphql/", {"query": "{ rateLimit { cost } }"}, content_type="application/json"
    )
    assert response.json() == {"data": {"rateLimit": None}}
    assert "X-RateLimit-Limit" not in response
