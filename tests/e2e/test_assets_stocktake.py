"""A custodian counts a room on a phone: scans a label, sees it counted and what is still expected."""

from __future__ import annotations

import pytest
from django.db import connection

from tests.conftest import PASSWORD


@pytest.fixture
def counting_room(django_db_blocker):
    """A room with two assets and a stocktake of it, committed so the live server sees them; removed after."""
    from assets.models import Asset, Category, Stocktake
    from schools.models import Building, Room
    from tenants.models import School, User
    from tenants.roles import Role
    from tenants.services import membership_grant

    with django_db_blocker.unblock():
        school = School.objects.get(slug="alpha")
        user, created = User.objects.get_or_create(username="e2e-kate", defaults={"name": "E2E保管员"})
        if created:
            user.set_password(PASSWORD)
            user.save()
        membership_grant(user=user, role=Role.CUSTODIAN, school=school)
        connection.set_tenant(school)
        building = Building.objects.create(name="E2E楼")
        room = Room.objects.create(building=building, number="E101", name="E2E教室")
        category = Category.objects.get(code="A02010105")
        first = Asset.objects.create(asset_number="E2E0001", name="台式计算机甲", category=category, room=room)
        second = Asset.objects.create(asset_number="E2E0002", name="台式计算机乙", category=category, room=room)
        stocktake = Stocktake.objects.create(name="E2E盘点", created_by=user)
        stocktake.rooms.set([room])
        connection.set_schema_to_public()
    yield {"school": school, "room": room, "stocktake": stocktake, "assets": (first, second)}
    with django_db_blocker.unblock():
        connection.set_tenant(school)
        stocktake.delete()
        Asset.objects.filter(pk__in=[first.pk, second.pk]).delete()
        room.delete()
        building.delete()
        connection.set_schema_to_public()
        # Her role goes too: a reused test database must not keep a fourth person in school A. (The account
        # stays: deleting a user from the public schema would look for its rows in every school's tables.)
        from tenants.models import Membership

        Membership.objects.filter(user=user, school=school).delete()


def test_custodian_scans_a_room_on_a_phone(live_url, browser, counting_room):
    # given the custodian on a phone-sized screen
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    page = context.new_page()
    stocktake, room = counting_room["stocktake"], counting_room["room"]
    scan_path = f"/assets/stocktakes/{stocktake.pk}/rooms/{room.pk}/"
    page.goto(live_url("alpha.localhost", scan_path))
    page.fill("input[name=username]", "e2e-kate")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(live_url("alpha.localhost", scan_path))
    assert "台式计算机甲" in page.inner_text("body")

    # when she scans the first computer's label (the QR holds the label URL)
    page.fill("input[name=code]", "http://alpha.localhost/assets/qr/E2E0001/")
    with page.expect_navigation():
        page.click("[data-scan-submit]")

    # then it is listed as counted and in place, and only the second is still expected
    scanned = page.inner_text("body")
    assert "E2E0001" in scanned
    assert "账实相符" in scanned
    assert "已扫描 1，待盘 1" in scanned
    context.close()
