"""/partners/ pages: who may manage which clients; tokens shown once; revoke, grants, subscriptions, replay."""

from __future__ import annotations

import pytest

from api.models import ApiToken, PartnerClient, WebhookDelivery, WebhookSubscription
from api.services import partner_client_create, token_hash, webhook_subscription_create
from tenants.models import School


@pytest.fixture
def north_client(dave, bureau_north, school_a):
    return partner_client_create(actor=dave, name="北区物业", bureau=bureau_north, scopes=["repairs:read"],
                                 schools=[school_a])


@pytest.fixture
def south_client(erin, bureau_south):
    return partner_client_create(actor=erin, name="南区采购平台", bureau=bureau_south, scopes=["assets:read"],
                                 grant_bureau=bureau_south)


@pytest.mark.parametrize(("who", "status"), [("anonymous", 302), ("alice", 403), ("dave", 200), ("oscar", 200)])
def test_list_access_matrix(client_for, who, status, request):
    user = None if who == "anonymous" else request.getfixturevalue(who)
    assert client_for(user, None).get("/partners/").status_code == status


def test_list_on_a_school_host_is_refused(client_for, alice, school_a):
    assert client_for(alice, school_a).get("/partners/").status_code == 404


def test_bureau_sees_only_its_own_clients(client_for, dave, oscar, north_client, south_client):
    dave_page = client_for(dave, None).get("/partners/").content.decode()
    assert "北区物业" in dave_page
    assert "南区采购平台" not in dave_page
    oscar_page = client_for(oscar, None).get("/partners/").content.decode()
    assert "北区物业" in oscar_page
    assert "南区采购平台" in oscar_page


@pytest.mark.parametrize("path", ["{id}/", "{id}/edit/"])
def test_bureau_cannot_open_another_bureaus_client(client_for, dave, south_client, path):
    assert client_for(dave, None).get("/partners/" + path.format(id=south_client.pk)).status_code == 403


def test_bureau_cannot_issue_or_revoke_tokens_of_another_bureaus_client(client_for, dave, oscar, south_client):
    from api.services import api_token_create

    token, _ = api_token_create(actor=oscar, client=south_client)
    client = client_for(dave, None)
    assert client.post(f"/partners/{south_client.pk}/tokens/", {"name": "x"}).status_code == 403
    assert client.post(f"/partners/{south_client.pk}/tokens/{token.pk}/revoke/").status_code == 403
    token.refresh_from_db()
    assert token.revoked_at is None
    assert south_client.tokens.count() == 1


def test_bureau_registers_a_client_granting_its_schools(client_for, dave, bureau_north, school_a, school_b):
    response = client_for(dave, None).post("/partners/new/", {
        "name": "阳光物业", "kind": "物业公司", "scopes": ["repairs:read", "repairs:write"],
        "schools": [school_a.pk, school_b.pk],
    })
    client = PartnerClient.objects.get(name="阳光物业")
    assert response.status_code == 302
    assert client.bureau == bureau_north
    assert client.scopes == ["repairs:read", "repairs:write"]
    assert sorted(client.schools.values_list("slug", flat=True)) == ["alpha", "beta"]


def test_bureau_cannot_grant_another_bureaus_school(client_for, dave, school_c):
    response = client_for(dave, None).post("/partners/new/", {"name": "越权物业", "scopes": ["repairs:read"],
                                                              "schools": [school_c.pk]})
    assert response.status_code == 200  # the form again: gamma is not among the choices
    assert not PartnerClient.objects.filter(name="越权物业").exists()


def test_service_refuses_a_bureau_granting_foreign_schools(dave, bureau_north, school_c):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        partner_client_create(actor=dave, name="x", bureau=bureau_north, scopes=["repairs:read"], schools=[school_c])
    assert "schools" in exc.value.message_dict


def test_token_is_shown_once_and_stored_hashed(client_for, dave, north_client):
    client = client_for(dave, None)
    posted = client.post(f"/partners/{north_client.pk}/tokens/", {"name": "生产", "expires_in_days": "30"})
    assert posted.status_code == 302
    assert "hq_" not in posted["Location"]
    response = client.get(posted["Location"])
    token = ApiToken.objects.get(client=north_client)
    page = response.content.decode()
    raw = page.split('data-testid="new-token"')[1].split("<code")[1].split(">")[1].split("<")[0]
    assert response["Cache-Control"] == "no-store"
    assert token.token_hash == token_hash(raw)
    assert token.expires_at is not None
    # the detail page afterwards shows only the prefix
    again = client.get(f"/partners/{north_client.pk}/").content.decode()
    assert raw not in again
    assert f"hq_{token.prefix}_…" in again


def test_revoke_from_the_page_stops_the_token(client_for, dave, north_client, school_a):
    from api.services import api_token_create
    from tests.api.conftest import BearerClient

    token, raw = api_token_create(actor=dave, client=north_client)
    response = client_for(dave, None).post(f"/partners/{north_client.pk}/tokens/{token.pk}/revoke/")
    assert response.status_code == 302
    assert BearerClient(school_a.host, raw).gql_response("{ school { slug } }").status_code == 401


def test_edit_grant_takes_effect_on_next_request(client_for, dave, north_client, school_a, school_b):
    from api.services import api_token_create
    from tests.api.conftest import BearerClient

    north_client.scopes = ["schools:read"]
    north_client.save()
    _, raw = api_token_create(actor=dave, client=north_client)
    assert BearerClient(school_b.host, raw).gql("{ school { slug } }")["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    response = client_for(dave, None).post(f"/partners/{north_client.pk}/edit/", {
        "name": north_client.name, "scopes": ["schools:read"], "schools": [school_b.pk], "is_active": "on"})
    assert response.status_code == 302
    assert BearerClient(school_b.host, raw).gql("{ school { slug } }")["data"]["school"]["slug"] == "beta"
    assert BearerClient(school_a.host, raw).gql("{ school { slug } }")["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_subscription_create_shows_secret_once_and_delete(client_for, dave, north_client):
    client = client_for(dave, None)
    response = client.post(f"/partners/{north_client.pk}/subscriptions/", {
        "url": "https://partner.example.com/hooks", "events": ["repair_order.created", "repair_order.overdue"]})
    subscription = WebhookSubscription.objects.get(client=north_client)
    assert response.status_code == 302
    assert subscription.secret in client.get(response["Location"]).content.decode()
    assert subscription.events == ["repair_order.created", "repair_order.overdue"]
    assert subscription.secret not in client.get(f"/partners/{north_client.pk}/").content.decode()
    client.post(f"/partners/{north_client.pk}/subscriptions/{subscription.pk}/delete/")
    assert not WebhookSubscription.objects.filter(pk=subscription.pk).exists()


def test_subscription_with_bad_url_shows_error(client_for, dave, north_client):
    response = client_for(dave, None).post(f"/partners/{north_client.pk}/subscriptions/", {
        "url": "not a url", "events": ["repair_order.created"]})
    assert response.status_code == 400
    assert 'data-field-error="url"' in response.content.decode()
    assert not WebhookSubscription.objects.filter(client=north_client).exists()


def test_delivery_log_and_replay(client_for, dave, north_client, monkeypatch):
    from api.tasks import webhook_deliver_task

    monkeypatch.setattr(webhook_deliver_task, "apply_async", lambda **kw: None)
    subscription = webhook_subscription_create(client=north_client, url="https://p.example.com/h",
                                               events=["repair_order.created"])
    delivery = WebhookDelivery.objects.create(subscription=subscription, school=School.objects.get(slug="alpha"),
                                              event="repair_order.created", payload={}, status="failed", attempts=8)
    client = client_for(dave, None)
    page = client.get(f"/partners/{north_client.pk}/?status=failed").content.decode()
    assert "repair_order.created" in page
    assert client.post(f"/partners/{north_client.pk}/deliveries/{delivery.pk}/replay/").status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == "pending"


def test_pages_are_in_chinese(client_for, oscar, north_client):
    page = client_for(oscar, None).get(f"/partners/{north_client.pk}/").content.decode()
    assert "签发令牌" in page
    assert "投递记录" in page
