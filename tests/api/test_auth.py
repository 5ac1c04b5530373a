"""Bearer tokens: valid, malformed, unknown, expired, revoked, disabled; host-derived school; grants."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from api.models import ApiToken
from api.services import api_token_create, api_token_revoke, token_hash

SCHOOL_Q = "{ school { slug name } }"


def test_token_is_stored_hashed_and_shown_once(partner_a):
    # given a freshly issued token
    client, token, raw = partner_a

    # then only its SHA-256 is stored, next to the public prefix
    stored = ApiToken.objects.get(pk=token.pk)
    assert raw.startswith(f"hq_{stored.prefix}_")
    assert stored.token_hash == token_hash(raw)
    assert raw not in str(ApiToken.objects.filter(pk=token.pk).values().get())


def test_partner_reads_granted_school_on_its_host(partner_a, bearer, school_a):
    result = bearer(partner_a[2], school_a).gql(SCHOOL_Q)
    assert result == {"data": {"school": {"slug": "alpha", "name": "阿尔法小学"}}}


def test_partner_is_refused_other_school_by_host(partner_a, bearer, school_b):
    result = bearer(partner_a[2], school_b).gql(SCHOOL_Q)
    assert result["data"] is None
    assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert "贝塔" not in str(result)


def test_school_is_not_taken_from_a_header(partner_a, bearer, school_b):
    # given a token of school A that sends school A's host in a forwarded header while calling B
    client = bearer(partner_a[2], school_b)
    response = client.post("/graphql/", {"query": SCHOOL_Q}, content_type="application/json",
                           HTTP_X_FORWARDED_HOST="alpha.localhost", HTTP_X_HOUQIN_SCHOOL="alpha")
    # then the host decides: B, which is not granted
    assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_last_used_is_recorded(partner_a, bearer, school_a):
    token = partner_a[1]
    assert token.last_used_at is None
    bearer(partner_a[2], school_a).gql(SCHOOL_Q)
    token.refresh_from_db()
    assert token.last_used_at is not None


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("not-a-token", "malformed"),
        ("hq_zzzzzzzz_" + "a" * 43, "malformed"),
        ("hq_0123abcd_" + "a" * 43, "unknown"),
    ],
)
def test_malformed_or_unknown_token_is_unauthenticated(bearer, school_a, raw, reason):
    response = bearer(raw, school_a).gql_response(SCHOOL_Q)
    assert response.status_code == 401
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED", "reason": reason}


def test_right_prefix_wrong_secret_is_refused(partner_a, bearer, school_a):
    raw = partner_a[2]
    forged = raw[:-4] + ("AAAA" if not raw.endswith("AAAA") else "BBBB")
    response = bearer(forged, school_a).gql_response(SCHOOL_Q)
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["reason"] == "unknown"


def test_revoked_token_fails_at_once(partner_a, bearer, school_a):
    # given a token that just worked
    client = bearer(partner_a[2], school_a)
    assert client.gql(SCHOOL_Q)["data"]["school"]["slug"] == "alpha"

    # when it is revoked
    api_token_revoke(token=partner_a[1])

    # then the very next request is refused
    response = client.gql_response(SCHOOL_Q)
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["reason"] == "revoked"


def test_expired_token_is_refused(partner_a, bearer, school_a):
    token = partner_a[1]
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = bearer(partner_a[2], school_a).gql_response(SCHOOL_Q)
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["reason"] == "expired"


def test_token_expiring_later_works(partner_a, bearer, school_a, oscar):
    _, raw = api_token_create(actor=oscar, client=partner_a[0], expires_at=timezone.now() + timedelta(days=1))
    assert bearer(raw, school_a).gql(SCHOOL_Q)["data"]["school"]["slug"] == "alpha"


def test_disabled_client_tokens_are_refused(partner_a, bearer, school_a):
    client = partner_a[0]
    client.is_active = False
    client.save()
    response = bearer(partner_a[2], school_a).gql_response(SCHOOL_Q)
    assert response.status_code == 401


def test_missing_scope_is_forbidden(make_partner, bearer, school_a):
    _, _, raw = make_partner(scopes=["repairs:read"], schools=[school_a])
    result = bearer(raw, school_a).gql(SCHOOL_Q)
    assert result["data"] is None
    assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert result["errors"][0]["extensions"]["requiredScope"] == "schools:read"


def test_bureau_grant_covers_all_its_schools_including_future_ones(make_partner, bearer, school_a, school_b,
                                                                   school_c, bureau_north):
    _, _, raw = make_partner(scopes=["schools:read"], grant_bureau=bureau_north)
    assert bearer(raw, school_a).gql(SCHOOL_Q)["data"]["school"]["slug"] == "alpha"
    assert bearer(raw, school_b).gql(SCHOOL_Q)["data"]["school"]["slug"] == "beta"
    assert bearer(raw, school_c).gql(SCHOOL_Q)["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_partner_does_not_inherit_the_session_riding_along(partner_a, bearer, school_b, charlie):
    # given a browser session of B's principal and a token of A, both sent to B's host
    client = bearer(partner_a[2], school_b)
    client.force_login(charlie)
    # then the token decides, not the session
    assert bearer(partner_a[2], school_b).gql(SCHOOL_Q)["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert client.gql(SCHOOL_Q)["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_partner_viewer_on_base_domain_lists_grant(partner_a, bearer):
    result = bearer(partner_a[2], None).gql("{ partner { name scopes schools { slug host } } }")
    assert result["data"]["partner"]["name"] == "物业公司"
    assert result["data"]["partner"]["schools"] == [{"slug": "alpha", "host": "alpha.localhost"}]
    assert "repairs:write" in result["data"]["partner"]["scopes"]


def test_partner_field_needs_a_token(client_for, alice, school_a):
    result = client_for(alice, school_a).gql("{ partner { name } }")
    assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
