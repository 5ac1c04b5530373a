"""Attacks on sign-in throttling (issue 17, item 2): the count must follow the person, not the door.

Measured before the fix: the lockout key held the host and the typed login, so every school host
gave 5 fresh guesses and the phone number 5 more; 30 parallel guesses got more than 5 evaluated;
/admin/login/ had no limit; behind nginx every client had nginx's address.
"""

from __future__ import annotations

import http.client
import re
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.db import connection
from django.test import RequestFactory

from tenants.models import User
from tests.conftest import PASSWORD, HostClient, live_server_port

LOGIN = "/accounts/login/"
LOCKED = "失败次数过多，请 15 分钟后再试。"


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def _assert_locked(response, client) -> None:
    body = response.content.decode()
    assert response.status_code == 429
    assert LOCKED in body
    assert "Traceback" not in body
    assert not _signed_in(client)


def _fail(client, path=LOGIN, username="bob", times=None, **extra) -> None:
    """`times` (by default LOGIN_FAILURE_LIMIT) wrong passwords for `username`."""
    for i in range(times or django_settings.LOGIN_FAILURE_LIMIT):
        assert client.post(path, {"username": username, "password": f"wrong-{i}"}, **extra).status_code in (200, 429)


# --- the count follows the account --------------------------------------------------------------


def test_fresh_guesses_on_another_school_host_are_still_locked(db, bob, school_a, school_b):
    _fail(HostClient(school_a.host))

    # the same account on another school's host, and on the bureau host: no fresh guesses,
    # and even the right password is refused
    for host in (school_b.host, "localhost"):
        client = HostClient(host)
        _assert_locked(client.post(LOGIN, {"username": "bob", "password": PASSWORD}), client)


def test_the_phone_number_and_e_mail_share_the_lock_with_the_username(db, bob, school_a):
    bob.phone = "13900000002"
    bob.email = "bob@example.cn"
    bob.save(update_fields=["phone", "email"])
    client = HostClient(school_a.host)

    # five guesses, spread over the three aliases of one account
    _fail(client, username="bob", times=2)
    _fail(client, username=" 13900000002 ", times=2)
    _fail(client, username="BOB@example.cn", times=1)

    for alias in ("13900000002", "Bob"):
        _assert_locked(client.post(LOGIN, {"username": alias, "password": PASSWORD}), client)


def test_admin_login_is_throttled_and_shares_the_account_count(db, oscar, school_a):
    oscar.is_staff = True
    oscar.save(update_fields=["is_staff"])
    admin = HostClient("localhost")

    _fail(admin, path="/admin/login/?next=/admin/", username="oscar")

    _assert_locked(admin.post("/admin/login/?next=/admin/", {"username": "oscar", "password": PASSWORD}), admin)
    # the sign-in page of a school host refuses the same account
    school = HostClient(school_a.host)
    _assert_locked(school.post(LOGIN, {"username": "oscar", "password": PASSWORD}), school)


def test_the_account_signs_in_again_once_the_lock_has_expired(db, bob, school_a, settings):
    from datetime import timedelta

    from axes.models import AccessAttempt
    from django.utils import timezone

    client = HostClient(school_a.host)
    _fail(client)
    _assert_locked(client.post(LOGIN, {"username": "bob", "password": PASSWORD}), client)

    AccessAttempt.objects.update(attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1))

    assert client.post(LOGIN, {"username": "bob", "password": PASSWORD}).status_code == 302
    assert _signed_in(client)


# --- the count follows the client's real address -------------------------------------------------


def test_a_forged_x_forwarded_for_gives_no_fresh_guesses(db, bob, school_a, settings):
    """A client talking to the application directly sprays guesses over many logins, forging a new
    X-Forwarded-For each time: its own address is counted, and locked at LOGIN_IP_FAILURE_LIMIT."""
    client = HostClient(school_a.host, REMOTE_ADDR="203.0.113.9")
    limit = settings.LOGIN_IP_FAILURE_LIMIT
    statuses = [
        client.post(LOGIN, {"username": f"nobody-{i}", "password": "guess"},
                    HTTP_X_FORWARDED_FOR=f"198.51.100.{i}").status_code
        for i in range(limit)
    ]
    assert statuses == [200] * (limit - 1) + [429]

    # another forged address, and a real account's right password: still refused
    _assert_locked(client.post(LOGIN, {"username": "bob", "password": PASSWORD},
                               HTTP_X_FORWARDED_FOR="192.0.2.77"), client)
    # a proxy is trusted in production, but this client is not that proxy
    settings.TRUSTED_PROXY_COUNT = 1
    settings.TRUSTED_PROXIES = ["10.0.0.1"]
    _assert_locked(client.post(LOGIN, {"username": "bob", "password": PASSWORD},
                               HTTP_X_FORWARDED_FOR="192.0.2.78"), client)


def test_behind_the_trusted_proxy_two_real_clients_do_not_share_a_lock(db, bob, school_a, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    # both come through nginx (10.0.0.1), which appends the address it saw to X-Forwarded-For
    attacker = HostClient(school_a.host, REMOTE_ADDR="10.0.0.1")
    teacher = HostClient(school_a.host, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.20")

    for i in range(settings.LOGIN_IP_FAILURE_LIMIT):
        # the attacker forges entries in front of the one nginx appends: only nginx's counts
        attacker.post(LOGIN, {"username": f"nobody-{i}", "password": "guess"},
                      HTTP_X_FORWARDED_FOR=f"10.9.9.{i}, 198.51.100.7")
    _assert_locked(attacker.post(LOGIN, {"username": "bob", "password": PASSWORD},
                                 HTTP_X_FORWARDED_FOR="203.0.113.20, 198.51.100.7"), attacker)

    response = teacher.post(LOGIN, {"username": "bob", "password": PASSWORD})
    assert response.status_code == 302
    assert _signed_in(teacher)


def test_behind_the_trusted_proxy_the_public_report_limit_counts_each_real_client(in_school_a, settings):
    from repairs.views import _rate_limited

    settings.TRUSTED_PROXY_COUNT = 1
    factory = RequestFactory()

    def via_nginx(forwarded_for):
        return factory.post("/repairs/report/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded_for)

    try:
        assert [_rate_limited(via_nginx("198.51.100.7"), 3) for _ in range(4)] == [False, False, False, True]
        # a forged entry in front of nginx's changes nothing
        assert _rate_limited(via_nginx("192.0.2.1, 198.51.100.7"), 3) is True
        # another person behind the same nginx is not affected
        assert _rate_limited(via_nginx("203.0.113.20"), 3) is False
    finally:
        cache.clear()


def test_failed_sign_ins_live_in_the_public_schema_only(db, school_a):
    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT table_schema FROM information_schema.tables "
                       "WHERE table_name LIKE 'axes\\_%%'")
        assert {row[0] for row in cursor.fetchall()} == {"public"}


# --- parallel guesses ----------------------------------------------------------------------------

GUESSES = 30


@pytest.fixture(scope="module")
def live_port(django_db_setup, django_db_blocker):
    """A live server on 127.0.0.1 over the session's committed data (threads: one per request)."""
    from axes.models import AccessAttempt

    with django_db_blocker.unblock():
        try:
            with live_server_port() as port:
                yield port
        finally:
            AccessAttempt.objects.all().delete()  # committed by the server's threads
            cache.clear()


def _request(port: int, method: str, path: str, host: str, body: str = "", cookie: str = "", conn=None):
    conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    headers = {"Host": host, "Cookie": cookie}
    if body:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    conn.request(method, path, body=body or None, headers=headers)
    response = conn.getresponse()
    text = response.read().decode()
    cookies = response.headers.get_all("Set-Cookie") or []
    conn.close()
    return response.status, text, cookies


def test_parallel_guesses_are_bounded_by_the_limit(live_port, monkeypatch):
    evaluated: list[str] = []
    counting_lock = threading.Lock()
    check_password = User.check_password

    def counted(self, raw_password):
        with counting_lock:
            evaluated.append(self.username)
        time.sleep(0.05)  # a slower hash: the window between the check and the recorded failure
        return check_password(self, raw_password)

    monkeypatch.setattr(User, "check_password", counted)
    host = "alpha.localhost"
    _, _, cookies = _request(live_port, "GET", LOGIN, host)
    token = re.search(r"csrftoken=([^;]+)", " ".join(cookies)).group(1)
    start = threading.Barrier(GUESSES)
    # Connected one after the other (the server's listen backlog is short), then sent all at once.
    connections = []
    for _ in range(GUESSES):
        connections.append(http.client.HTTPConnection("127.0.0.1", live_port, timeout=120))
        connections[-1].connect()

    def guess(i: int) -> int:
        body = urlencode({"username": "bob", "password": f"parallel-{i}", "csrfmiddlewaretoken": token})
        start.wait()
        status, text, _ = _request(live_port, "POST", LOGIN, host, body, cookie=f"csrftoken={token}",
                                   conn=connections[i])
        assert status != 429 or LOCKED in text
        return status

    with ThreadPoolExecutor(GUESSES) as pool:
        statuses = Counter(pool.map(guess, range(GUESSES)))

    limit = django_settings.LOGIN_FAILURE_LIMIT
    assert evaluated.count("bob") == limit
    assert statuses == {200: limit - 1, 429: GUESSES - limit + 1}


# --- "forgot your password?" counts the client on every host --------------------------------------


def test_password_help_gives_no_fresh_tries_on_another_school_host(db, charlie, school_a, school_b):
    from tenants.models import Invitation, SmsMessage

    cache.clear()
    charlie.phone = "13922225555"
    charlie.save(update_fields=["phone"])
    for i in range(django_settings.LOGIN_FAILURE_LIMIT):
        assert HostClient(school_a.host).post("/people/password-help/", {"phone": f"1390000{i:04d}"}).status_code == 200

    # the same client asks on beta's host, for beta's principal: the answer is the same page, and nothing is sent
    response = HostClient(school_b.host).post("/people/password-help/", {"phone": "13922225555"})

    assert response.status_code == 200
    assert "如果该号码属于这里的人员" in response.content.decode()
    assert not SmsMessage.objects.filter(phone="13922225555").exists()
    assert not Invitation.objects.filter(user=charlie, purpose="reset").exists()
