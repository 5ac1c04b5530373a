"""Partner fixtures: clients with tokens, and a helper that calls /graphql/ with a bearer token."""

from __future__ import annotations

import pytest
from django.test import Client

from api.services import api_token_create, partner_client_create
from tests.conftest import host_of

ALL_READ = ["schools:read", "assets:read", "repairs:read", "safety:read", "people:read", "reporting:read"]


class BearerClient(Client):
    """A client on one host that sends `Authorization: Bearer <token>`."""

    def __init__(self, host: str, token: str | None):
        extra = {"HTTP_HOST": host}
        if token is not None:
            extra["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        super().__init__(**extra)
        self.host = host

    def gql_response(self, query: str, variables: dict | None = None):
        return self.post("/graphql/", {"query": query, "variables": variables or {}}, content_type="application/json")

    def gql(self, query: str, variables: dict | None = None) -> dict:
        return self.gql_response(query, variables).json()


@pytest.fixture
def make_partner(oscar):
    """make_partner(scopes=[...], schools=[...], grant_bureau=None, bureau=None) → (client, raw token)."""

    def make(*, scopes, schools=(), grant_bureau=None, bureau=None, name="物业公司", expires_at=None):
        client = partner_client_create(actor=oscar, name=name, bureau=bureau, scopes=list(scopes),
                                       grant_bureau=grant_bureau, schools=list(schools))
        token, raw = api_token_create(actor=oscar, client=client, name="main", expires_at=expires_at)
        return client, token, raw

    return make


@pytest.fixture
def bearer():
    """bearer(token, school or None) → a client on that host carrying the token."""

    def make(token: str | None, school=None) -> BearerClient:
        return BearerClient(host_of(school), token)

    return make


@pytest.fixture
def partner_a(make_partner, school_a):
    """A property company granted school A only, reading everything."""
    return make_partner(scopes=ALL_READ + ["repairs:write", "safety:write"], schools=[school_a])
