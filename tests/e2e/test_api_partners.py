"""Browser: a bureau registers a partner, issues a token (shown once), the token works, then is revoked."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from urllib.parse import urlsplit

import pytest

from tests.conftest import PASSWORD


def _graphql(live_url, host: str, token: str) -> tuple[int, dict]:
    url = urlsplit(live_url("localhost"))
    request = urllib.request.Request(
        f"http://127.0.0.1:{url.port}/graphql/", data=json.dumps({"query": "{ school { slug } }"}).encode(),
        headers={"Host": host, "Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.fixture
def cleanup(django_db_blocker):
    yield
    from api.models import PartnerClient

    with django_db_blocker.unblock():
        PartnerClient.objects.filter(name="浏览器测试物业").delete()


def test_bureau_registers_partner_issues_and_revokes_token(live_url, page, cleanup):
    # given dave, leader of bureau north, signed in on the base domain
    page.goto(live_url("localhost", "/partners/"))
    page.fill("input[name=username]", "dave")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=new-client]")

    # when he registers a property company for 阿尔法小学 with schools:read
    page.click("[data-testid=new-client]")
    page.fill("input[name=name]", "浏览器测试物业")
    page.check("input[name=scopes][value='schools:read']")
    page.select_option("select[name=schools]", label="阿尔法小学")
    page.click("main button[type=submit]")
    page.wait_for_selector("[data-testid=issue-token]")
    assert "合作方已登记" in page.inner_text("body")

    # and issues a token
    page.click("[data-testid=issue-token]")
    token = page.inner_text("[data-testid=new-token] code").strip()
    assert token.startswith("hq_")

    # then the token works on alpha's host and not on beta's
    assert _graphql(live_url, "alpha.localhost", token) == (200, {"data": {"school": {"slug": "alpha"}}})
    status, body = _graphql(live_url, "beta.localhost", token)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    # when he reloads, the token is no longer shown; then he revokes it
    page.reload()
    assert token not in page.content()
    page.click("[data-testid=token-table] button:has-text('吊销')")
    page.wait_for_selector("text=令牌已吊销")

    # then it stops working at once
    status, body = _graphql(live_url, "alpha.localhost", token)
    assert status == 401
    assert body["errors"][0]["extensions"]["reason"] == "revoked"
