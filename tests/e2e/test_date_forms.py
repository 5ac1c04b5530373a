"""Forms with a prefilled date submit in a real browser: the acceptance (验收) and the new stocktake, zh-Hans.

The browser's <input type="date"> takes only YYYY-MM-DD; a value rendered as 2026/12/04 left the field blank and,
the field being required, blocked saving.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from tests.conftest import PASSWORD

SCREENS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


def _in_alpha(fn):
    from tenants.models import School

    connection.set_tenant(School.objects.get(slug="alpha"))
    try:
        return fn()
    finally:
        connection.set_schema_to_public()


@pytest.fixture
def custodian(django_db_blocker):
    """A custodian of school A (committed, so the live server sees her); her role goes after the test."""
    from tenants.models import Membership, School, User
    from tenants.roles import Role
    from tenants.services import membership_grant

    with django_db_blocker.unblock():
        school = School.objects.get(slug="alpha")
        user, created = User.objects.get_or_create(username="e2e-dora", defaults={"name": "E2E保管员"})
        if created:
            user.set_password(PASSWORD)
            user.save()
        membership_grant(user=user, role=Role.CUSTODIAN, school=school)
    yield user
    with django_db_blocker.unblock():
        Membership.objects.filter(user=user, school=school).delete()


def _sign_in(page, live_url, path: str, username: str) -> None:
    page.goto(live_url("alpha.localhost", path))
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(live_url("alpha.localhost", path))


@pytest.fixture
def approved_purchase(django_db_blocker, custodian):
    """An approved purchase of one computer, waiting for its acceptance; everything it made is removed after."""
    from assets import services
    from assets.models import Acceptance, AcceptanceLine, AcceptanceMember, Asset, Category, PurchaseApproval
    from assets.services import LineInput
    from schools.models import Department
    from tenants.models import User

    alice = User.objects.get(username="alice")

    def make():
        department = Department.objects.create(name=f"E2E信息中心{uuid.uuid4().hex[:6]}")
        request = services.purchase_request_create(
            actor=custodian, department=department, title="E2E电脑", reason="教学", channel="government",
            lines=[LineInput(name="E2E台式计算机", category=Category.objects.get(code="A02010105"), quantity=1,
                             estimated_unit_price=Decimal("5600.00"))],
        )
        services.purchase_request_submit(request=request, actor=custodian)
        return services.purchase_request_decide(request=request, actor=alice, approve=True), department

    from tenants.models import Notification

    with django_db_blocker.unblock():
        last = Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        request, department = _in_alpha(make)
    yield {"request": request, "alice": alice}

    def clean():
        lines = list(request.lines.all())
        acceptances = Acceptance.objects.filter(request=request)
        Asset.objects.filter(purchase_line__in=lines).delete()
        AcceptanceLine.objects.filter(acceptance__in=acceptances).delete()
        AcceptanceMember.objects.filter(acceptance__in=acceptances).delete()
        acceptances.delete()
        PurchaseApproval.objects.filter(request=request).delete()
        request.lines.all().delete()
        request.delete()
        department.delete()
        # "待审批采购申请：E2E电脑" and the like: other tests count their notifications
        Notification.objects.filter(pk__gt=last).delete()

    with django_db_blocker.unblock():
        _in_alpha(clean)


@pytest.mark.parametrize("screen", sorted(SCREENS))
def test_the_acceptance_form_submits_with_its_prefilled_date(live_url, browser, django_db_blocker, custodian,
                                                            approved_purchase, screen):
    from assets.models import Acceptance, PurchaseRequest

    request, alice = approved_purchase["request"], approved_purchase["alice"]
    with django_db_blocker.unblock():
        line = _in_alpha(lambda: request.lines.get())
    today = timezone.localdate()
    context = browser.new_context(locale="zh-CN", viewport=SCREENS[screen])
    page = context.new_page()
    path = f"/assets/purchases/{request.pk}/accept/"
    # given the custodian on the acceptance form (in Chinese)
    _sign_in(page, live_url, path, custodian.username)
    assert page.get_attribute("html", "lang") == "zh-hans"
    # then the date is prefilled with today, in the form the date input reads
    assert page.input_value("input[name=accepted_on]") == today.isoformat()

    # when she fills in the members and the quantity, leaves the date as it is, and saves
    page.select_option("select[name=members]", [str(custodian.pk), str(alice.pk)])
    page.select_option("select[name=actual_user]", str(alice.pk))
    page.fill(f"input[name=accepted_{line.pk}]", "1")
    with page.expect_navigation():
        page.click("form:has(input[name=accepted_on]) button[type=submit]")

    # then the acceptance is recorded with the prefilled date and the request is accepted
    page.wait_for_url(live_url("alpha.localhost", f"/assets/purchases/{request.pk}/"))
    assert "验收已登记并入账。" in page.inner_text("body")
    with django_db_blocker.unblock():
        saved = _in_alpha(lambda: list(Acceptance.objects.filter(request=request).values_list("accepted_on", flat=True)))
        status = _in_alpha(lambda: PurchaseRequest.objects.get(pk=request.pk).status)
    assert saved == [today]
    assert status == "accepted"
    context.close()


@pytest.mark.parametrize("screen", sorted(SCREENS))
def test_the_new_stocktake_form_submits_with_its_prefilled_date(live_url, browser, django_db_blocker, custodian,
                                                               screen):
    from assets.models import Stocktake
    from schools.models import Building, Room

    name = f"E2E期末盘点{uuid.uuid4().hex[:6]}"
    with django_db_blocker.unblock():
        building = _in_alpha(lambda: Building.objects.create(name=f"E2E盘点楼{uuid.uuid4().hex[:6]}"))
        room = _in_alpha(lambda: Room.objects.create(building=building, number="P101", name="E2E盘点室"))
    today = timezone.localdate()
    context = browser.new_context(locale="zh-CN", viewport=SCREENS[screen])
    page = context.new_page()
    try:
        # given the custodian on the stocktakes page, its new-stocktake form prefilled with today
        _sign_in(page, live_url, "/assets/stocktakes/", custodian.username)
        assert page.input_value("input[name=planned_on]") == today.isoformat()
        # when she names it, picks the room and plans it without touching the date
        page.fill("input[name=name]", name)
        page.select_option("select[name=rooms]", str(room.pk))
        with page.expect_navigation():
            page.click("form:has(input[name=planned_on]) button")
        # then the stocktake is saved for today and its page opens
        with django_db_blocker.unblock():
            saved = _in_alpha(lambda: list(Stocktake.objects.filter(name=name).values_list("pk", "planned_on")))
        assert [planned for _pk, planned in saved] == [today]
        page.wait_for_url(live_url("alpha.localhost", f"/assets/stocktakes/{saved[0][0]}/"))
        assert name in page.inner_text("body")
    finally:
        context.close()
        with django_db_blocker.unblock():
            def clean():
                for stocktake in Stocktake.objects.filter(name=name):
                    stocktake.rooms.clear()
                    stocktake.delete()
                room.delete()
                building.delete()
            _in_alpha(clean)
