"""A hazard's owner, on the phone: 我的待办 lists the hazard, it opens, the rectification is recorded."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from django.db import connection
from django.utils import timezone

from tests.conftest import PASSWORD

DESCRIPTION = "三楼走廊应急灯不亮（待办浏览器测试）"
SCREENSHOT = os.environ.get("TODO_SCREENSHOT", "/tmp/houqin-todo-phone.png")


def _in_alpha(django_db_blocker, fn):
    from tenants.models import School

    with django_db_blocker.unblock():
        connection.set_tenant(School.objects.get(slug="alpha"))
        try:
            return fn()
        finally:
            connection.set_schema_to_public()


def _given_bobs_hazard():
    from safety.choices import Area
    from safety.models import Hazard
    from tenants.models import User

    return Hazard.objects.create(
        found_on=timezone.localdate(),
        location_text="教学楼三楼",
        category=Area.FIRE,
        description=DESCRIPTION,
        responsible=User.objects.get(username="bob"),
        deadline=timezone.localdate() - dt.timedelta(days=1),
    )


def _remove(hazard_id: int):
    from safety.models import Hazard, HazardAction, HazardPhoto
    from tenants.models import Notification

    HazardAction.objects.filter(hazard_id=hazard_id).delete()
    HazardPhoto.objects.filter(hazard_id=hazard_id).delete()
    Hazard.objects.filter(pk=hazard_id).delete()
    Notification.objects.filter(url=f"/safety/hazards/{hazard_id}/").delete()


SCREENS = {"phone": ({"width": 390, "height": 844}, True), "desktop": ({"width": 1280, "height": 900}, False)}


@pytest.mark.parametrize("screen", ["phone", "desktop"])
def test_hazard_owner_records_the_rectification_from_my_todo(live_url, browser, django_db_blocker, screen):
    # given bob, a teacher of alpha made responsible for an overdue hazard, on a phone-sized screen (or his desk)
    hazard = _in_alpha(django_db_blocker, _given_bobs_hazard)
    viewport, mobile = SCREENS[screen]
    shot = SCREENSHOT if screen == "phone" else SCREENSHOT.replace("phone", screen)
    context = browser.new_context(locale="zh-CN", viewport=viewport, is_mobile=mobile)
    page = context.new_page()
    try:
        page.goto(live_url("alpha.localhost", "/"))
        page.fill("input[name=username]", "bob")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")

        # when he opens 我的待办 from the top bar
        page.click("[data-testid=todo-link]")
        page.wait_for_selector("[data-testid=todo-section][data-section='safety.hazards_mine']")

        # then his hazard is there, its deadline in red, and the page fits the phone
        item = page.locator("[data-testid=todo-item]", has_text=DESCRIPTION)
        assert item.count() == 1
        assert "text-danger" in item.locator("[data-testid=todo-deadline]").get_attribute("class")
        assert "我的待办" in page.inner_text("h1")
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        page.screenshot(path=shot, full_page=True)

        # when he opens it and records what was done
        item.locator("a").first.click()
        page.wait_for_url(f"**/safety/hazards/{hazard.pk}/")
        page.fill("textarea[name=actions]", "已更换应急灯电池并试亮")
        page.click("form[action$='/rectify/'] button[type=submit]")

        # then the hazard awaits verification, and his to-do shows it as waiting for the verifier
        page.wait_for_selector(".alert-success")
        page.goto(live_url("alpha.localhost", "/todo/"))
        item = page.locator("[data-testid=todo-item]", has_text=DESCRIPTION)
        assert "已整改，待验收" in item.inner_text()
        assert item.locator("[data-testid=todo-deadline]").count() == 0
        page.screenshot(path=shot.replace(".png", "-after.png"), full_page=True)

        from safety.choices import HazardStatus
        from safety.models import Hazard

        status = _in_alpha(django_db_blocker, lambda: Hazard.objects.get(pk=hazard.pk).status)
        assert status == HazardStatus.RECTIFIED
    finally:
        context.close()
        _in_alpha(django_db_blocker, lambda: _remove(hazard.pk))
