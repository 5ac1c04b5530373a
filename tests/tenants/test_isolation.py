"""A user acts on a host only through a membership there; nothing of school B shows on A's host."""

import pytest

from tests.conftest import MARKER, PASSWORD, HostClient

SCHOOL_QUERY = "{ school { name slug } }"


def test_member_of_a_is_refused_on_b_host(client_for, alice, school_b):
    # given alice, principal of A, signed in on B's host
    client = client_for(alice, school_b)

    # when
    response = client.get("/")

    # then
    assert response.status_code == 403
    assert MARKER["beta"] not in response.content.decode()


def test_anonymous_is_sent_to_login_on_school_host(client_for, school_a):
    response = client_for(None, school_a).get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_member_sees_own_school_home(client_for, alice, school_a):
    response = client_for(alice, school_a).get("/")
    assert response.status_code == 200
    assert "阿尔法小学" in response.content.decode()


@pytest.mark.parametrize("path", ["/", "/graphql/"])
def test_nothing_of_b_served_on_a_host(client_for, alice, school_a, path):
    client = client_for(alice, school_a)
    if path == "/graphql/":
        body = str(client.gql("{ school { name slug } viewer { memberships { schoolName } } }"))
    else:
        body = client.get(path).content.decode()
    assert MARKER["beta"] not in body
    assert "贝塔小学" not in body
    assert "伽马中学" not in body


def test_graphql_school_field_refuses_other_school(client_for, alice, school_b):
    result = client_for(alice, school_b).gql(SCHOOL_QUERY)
    assert result["data"] is None
    assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_bureau_user_sees_only_own_bureau_schools_page(client_for, dave):
    body = client_for(dave, None).get("/").content.decode()
    assert "阿尔法小学" in body
    assert "贝塔小学" in body
    assert "伽马中学" not in body


def test_bureau_user_sees_only_own_bureau_schools_graphql(client_for, erin):
    result = client_for(erin, None).gql("{ bureau { name schools { totalCount edges { node { name } } } } }")
    names = [edge["node"]["name"] for edge in result["data"]["bureau"]["schools"]["edges"]]
    assert result["data"]["bureau"]["name"] == "南区教育局"
    assert names == ["伽马中学"]
    assert result["data"]["bureau"]["schools"]["totalCount"] == 1


def test_bureau_user_may_read_a_school_of_its_district(client_for, dave, school_a):
    result = client_for(dave, school_a).gql(SCHOOL_QUERY)
    assert result["data"]["school"]["slug"] == "alpha"


def test_bureau_user_of_other_district_is_refused(client_for, erin, school_a):
    assert client_for(erin, school_a).get("/").status_code == 403
    result = client_for(erin, school_a).gql(SCHOOL_QUERY)
    assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_school_user_cannot_open_bureau_console(client_for, alice):
    assert client_for(alice, None).get("/").status_code == 200  # a pointer to their schools
    result = client_for(alice, None).gql("{ bureau { name } }")
    assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_unknown_host_gets_404_page(db):
    response = HostClient("nosuchschool.localhost").get("/")
    assert response.status_code == 404
    assert "没有这所学校" in response.content.decode() or "no school" in response.content.decode()


def test_session_cookie_replayed_on_other_host_is_refused(db, school_a, school_b):
    # given alice signs in on A's host with her password
    client_a = HostClient(school_a.host)
    response = client_a.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    cookie = client_a.cookies["sessionid"].value

    # when the same cookie is sent to B's host (alice also cannot act there) and to the portal
    client_b = HostClient(school_b.host)
    client_b.cookies["sessionid"] = cookie
    portal = HostClient("localhost")
    portal.cookies["sessionid"] = cookie

    # then both treat the request as anonymous, and the session still works on A
    assert client_b.get("/").status_code == 302
    assert portal.get("/").status_code == 302
    assert client_a.get("/").status_code == 200


def test_login_with_phone_number(db, alice, school_a):
    alice.phone = "13800000001"
    alice.save()
    response = HostClient(school_a.host).post("/accounts/login/", {"username": "13800000001", "password": PASSWORD})
    assert response.status_code == 302


def test_login_locks_out_after_repeated_failures(db, school_a, settings):
    client = HostClient(school_a.host)
    for _ in range(settings.LOGIN_FAILURE_LIMIT - 1):
        assert client.post("/accounts/login/", {"username": "bob", "password": "wrong"}).status_code == 200
    # the last failure allowed locks the account at once (django-axes: tenants/throttle.py)
    assert client.post("/accounts/login/", {"username": "bob", "password": "wrong"}).status_code == 429
    # even the right password is refused while locked
    response = client.post("/accounts/login/", {"username": "bob", "password": PASSWORD})
    assert response.status_code == 429
    assert "失败次数过多" in response.content.decode()


def test_cache_entries_are_per_school(in_school_a, school_b):
    from django.core.cache import cache
    from django.db import connection

    cache.set("greeting", "from A")
    connection.set_tenant(school_b)
    assert cache.get("greeting") is None
