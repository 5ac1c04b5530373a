"""The trust flows of issue 17 walked as their people do, on a 390×844 phone, in Chinese: an invitation that
its owner accepts, the public repair report by a room's label, and the sign-in lockout."""

from __future__ import annotations

import re

import pytest
from django.db import connection

from tests.conftest import PASSWORD

PHONE = {"width": 390, "height": 844}
CHARLIE_PHONE = "13300000066"
NEW_PHONE = "13300000067"
SHOTS = "/tmp/walk"


def _shot(page, name: str) -> None:
    import os

    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def _sign_in(page, url: str, username: str, password: str = PASSWORD) -> None:
    page.goto(url)
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


@pytest.fixture
def phone_page(browser):
    context = browser.new_context(locale="en-US", viewport=PHONE)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def second_phone(browser):
    """Another person's phone: its own cookies."""
    context = browser.new_context(locale="en-US", viewport=PHONE)
    page = context.new_page()
    yield page
    context.close()


def _forget_invitations(charlie, alpha) -> None:
    from tenants.models import Invitation, Membership, Notification, SmsMessage, User

    Membership.objects.filter(user=charlie, school=alpha).delete()
    Invitation.objects.filter(school=alpha, invited_phone__in=[CHARLIE_PHONE, NEW_PHONE]).delete()
    Notification.objects.filter(recipient=charlie, kind__in=["people.invited", "people.roles"]).delete()
    SmsMessage.objects.filter(phone__in=[CHARLIE_PHONE, NEW_PHONE]).delete()
    newcomer = User.objects.filter(username=NEW_PHONE).first()
    if newcomer is not None:
        Membership.objects.filter(user=newcomer).delete()


@pytest.fixture
def charlie_with_phone(django_db_setup, django_db_blocker):
    """Charlie (principal of beta) with a phone number of his own; alpha's invitations to it and his alpha
    membership removed before and after, so the walk starts the same on a reused database."""
    from tenants.models import School, User

    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        charlie = User.objects.get(username="charlie")
        alpha = School.objects.get(slug="alpha")
        old_phone = charlie.phone
        charlie.phone = CHARLIE_PHONE
        charlie.save(update_fields=["phone"])
        _forget_invitations(charlie, alpha)
        from tenants.models import Notification

        last = Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    yield charlie
    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        _forget_invitations(charlie, alpha)
        # what the walk told alpha's admins ("查理 已接受邀请…"): other tests count their notifications
        Notification.objects.filter(pk__gt=last).delete()
        charlie.phone = old_phone
        charlie.save(update_fields=["phone"])


def test_an_account_of_another_school_is_invited_and_joins_only_when_its_owner_accepts(
        live_url, phone_page, second_phone, charlie_with_phone):
    page = phone_page
    # given alice, principal of alpha, on her phone
    _sign_in(page, live_url("alpha.localhost", "/accounts/login/"), "alice")
    page.wait_for_url(live_url("alpha.localhost", "/"))

    # when she invites a number nobody has, then charlie's (beta's principal)
    answers = []
    for name, phone in (("新老师", NEW_PHONE), ("查理", CHARLIE_PHONE)):
        page.goto(live_url("alpha.localhost", "/people/invite/"))
        assert "邀请人员" in page.inner_text("h1")
        page.fill("input[name=name]", name)
        page.fill("input[name=phone]", phone)
        page.select_option("select[name=role]", "teacher")
        page.click("form button.btn-primary")
        page.wait_for_url(live_url("alpha.localhost", "/people/"))
        _shot(page, f"1-invited-{phone}")
        answers.append(page.inner_text(".alert"))
        body = page.inner_text("body")
        assert name in body  # waiting under the name she typed
        assert "Charlie" not in body  # never the account's own name

    # then both answers are the same words, which say what happens next
    assert answers[0] == answers[1]
    assert "已向该手机号发出邀请，对方接受后即成为本校成员。" in answers[0]

    # when charlie signs in on his own school's host and opens his invitations
    other = second_phone
    _sign_in(other, live_url("beta.localhost", "/accounts/login/"), "charlie")
    other.wait_for_url(live_url("beta.localhost", "/"))
    other.goto(live_url("beta.localhost", "/notifications/"))
    _shot(other, "1-charlie-notifications")
    assert "阿尔法小学 邀请您加入，担任 教师" in other.inner_text("[data-testid=notification-list]")
    other.goto(live_url("beta.localhost", "/people/invitations/"))
    _shot(other, "1-charlie-invitations")
    invitation = other.locator("[data-testid=invitation]")
    assert invitation.count() == 1
    assert "阿尔法小学 邀请您加入，担任 教师" in invitation.inner_text()
    assert "在您接受之前，您的账号不会有任何变化" in other.inner_text("body")

    # and accepts it: he stays on his own host, told that he is now a member of alpha
    other.click("[data-testid=accept]")
    other.wait_for_selector(".alert-success")
    _shot(other, "1-charlie-accepted")
    body = other.inner_text("body")
    assert "您现在是阿尔法小学的成员。" in body
    assert "没有待答复的邀请。" in body

    # then alice's people list has him as a teacher, by his own name, and no longer as waiting
    page.goto(live_url("alpha.localhost", "/people/"))
    _shot(page, "1-alice-people-after")
    members = page.inner_text("[data-testid=people-table]")
    assert "Charlie" in members
    assert "查理" not in page.inner_text("body")


@pytest.fixture
def labelled_room(django_db_setup, django_db_blocker):
    """A room of school alpha, committed so the live server sees it; removed afterwards with its reports."""
    from repairs.models import WorkOrder
    from schools.models import Building, Room
    from tenants.models import School

    with django_db_blocker.unblock():
        school = School.objects.get(slug="alpha")
        connection.set_tenant(school)
        building, _ = Building.objects.get_or_create(name="信任楼")
        room = Room.objects.filter(building=building, number="T301").first() or Room.objects.create(
            building=building, number="T301", name="四年级一班")
        connection.set_schema_to_public()
        yield room
        connection.set_tenant(school)
        for order in WorkOrder.objects.filter(room=room):
            for photo in order.photos.all():
                photo.image.delete(save=False)
            order.delete()
        room.delete()
        building.delete()
        connection.set_schema_to_public()


def test_a_visitor_reports_a_fault_by_the_room_label_and_follows_it_privately(live_url, phone_page, labelled_room):
    from core.labels import ROOM, label_token

    page = phone_page
    token = label_token(schema_name="alpha", kind=ROOM, pk=labelled_room.pk)

    # given a visitor scans room T301's label, not signed in
    page.goto(live_url("alpha.localhost", f"/repairs/report/?label={token}"))
    _shot(page, "2-report-form")
    assert "报修" in page.inner_text("h1")
    assert page.inner_text("[data-testid=target]") == "报修位置：信任楼 T301 四年级一班"
    assert page.locator("select[name=room]").count() == 0

    # when they describe the fault and send it
    page.fill("input[name=title]", "空调漏水")
    page.fill("input[name=reporter_name]", "王家长")
    page.click("button[type=submit]")

    # then they get the reference, the status and their private link, in Chinese
    page.wait_for_selector("[data-testid=reference]")
    _shot(page, "2-report-received")
    body = page.inner_text("body")
    assert "已收到" in body
    assert "查询此报修进度的专属链接" in body
    assert page.inner_text("[data-testid=status]") == "已报修"
    reference = page.inner_text("[data-testid=reference]")
    link = page.input_value("[data-testid=follow-url]")
    assert re.search(r"/repairs/status/\?t=[\w-]{32}$", link), link

    # and the link opens the report again, on another visit
    page.context.clear_cookies()
    page.goto(link)
    _shot(page, "2-status-by-link")
    assert page.inner_text("[data-testid=reference]") == reference
    assert "空调漏水" in page.inner_text("body")
    assert page.inner_text("[data-testid=status]") == "已报修"

    # and the page without a label lists no room: it asks for the label
    page.goto(live_url("alpha.localhost", "/repairs/report/"))
    _shot(page, "2-report-without-label")
    assert "请扫描" in page.inner_text("[data-testid=scan-label]")
    assert page.locator("[data-testid=public-report-form]").count() == 0
    assert page.locator("select[name=room]").count() == 0
    assert "T301" not in page.inner_text("body")


@pytest.fixture
def clean_sign_in_failures(django_db_setup, django_db_blocker):
    """No failed sign-ins counted for bob before and after (axes keeps them in the public schema)."""
    from axes.models import AccessAttempt, AccessFailureLog

    def forget():
        with django_db_blocker.unblock():
            connection.set_schema_to_public()
            AccessAttempt.objects.filter(username="bob").delete()
            AccessFailureLog.objects.filter(username="bob").delete()

    forget()
    yield
    forget()


def test_five_wrong_passwords_lock_the_account_with_a_chinese_page(live_url, phone_page, clean_sign_in_failures):
    page = phone_page
    statuses = []
    for attempt in range(5):
        page.goto(live_url("alpha.localhost", "/accounts/login/"))
        page.fill("input[name=username]", "bob")
        page.fill("input[name=password]", f"wrong-{attempt}")
        with page.expect_response(lambda r: r.request.method == "POST") as answer:
            page.click("button[type=submit]")
        statuses.append(answer.value.status)
    _shot(page, "3-locked-out")
    assert statuses == [200, 200, 200, 200, 429]
    body = page.inner_text("body")
    assert "失败次数过多，请 15 分钟后再试。" in body
    assert "Too many" not in body

    # the right password is refused too while the lock lasts
    page.fill("input[name=password]", PASSWORD)
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.click("button[type=submit]")
    assert answer.value.status == 429
