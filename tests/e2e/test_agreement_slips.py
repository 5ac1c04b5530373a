"""A class's signing slips printed by its head teacher, and a parent signing from one on the phone."""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from django.db import connection

from tests.conftest import PASSWORD

TERM = "2026-2027-e2e-slips"
CLASS = "二年级9班"
SHEET = os.environ.get("SLIPS_SCREENSHOT", "/tmp/houqin-slips-print.png")
PHONE = os.environ.get("SLIPS_PHONE_SCREENSHOT", "/tmp/houqin-slips-phone.png")


def _in_alpha(django_db_blocker, fn):
    from tenants.models import School

    with django_db_blocker.unblock():
        connection.set_tenant(School.objects.get(slug="alpha"))
        try:
            return fn()
        finally:
            connection.set_schema_to_public()


def _given_bobs_class_and_a_campaign():
    from safety.choices import AgreementKind
    from safety.services import (
        agreement_campaign_issue,
        agreement_template_create,
        school_class_create,
        school_class_roster_set,
    )
    from tenants.models import User

    alice, bob = User.objects.get(username="alice"), User.objects.get(username="bob")
    school_class = school_class_create(grade=2, name=CLASS, student_count=10, head_teacher=bob)
    names = ["张小明", "李小红", "王小刚", "赵一诺", "陈梓轩", "杨雨桐", "黄浩然", "周欣怡", "吴思远", "徐若曦"]
    school_class_roster_set(actor=alice, school_class=school_class, rows=[
        {"seat_no": n, "name": name, "guardian_phone": f"1380000{n:04d}"} for n, name in enumerate(names, start=1)])
    template = agreement_template_create(
        actor=alice, kind=AgreementKind.ROUTE, title="学生路途安全责任书（浏览器测试）",
        body="一、家长是学生上下学路途安全的第一责任人。\n二、不乘坐无牌无证、超载车辆。")
    campaign = agreement_campaign_issue(actor=alice, template=template, term=TERM, groups=["parents"],
                                        confirm_duplicate=True)
    return campaign.pk, school_class.pk


def _remove():
    """Leave alpha as the other tests expect it (the browser tests share committed data across runs)."""
    import pgtrigger

    from safety.models import Agreement, AgreementCampaign, AgreementTemplate, SchoolClass
    from tenants.models import Notification, SmsMessage

    campaigns = AgreementCampaign.objects.filter(term=TERM)
    # A signed agreement is immutable, even to SQL; this test's own copies are removed around the trigger.
    with pgtrigger.ignore("safety.Agreement:safety_signed_agreement_immutable"):
        Agreement.objects.filter(campaign__in=campaigns).delete()
    Notification.objects.filter(url__contains="/classes/", title__contains="（浏览器测试）").delete()
    SmsMessage.objects.filter(text__contains="（浏览器测试）").delete()
    campaigns.delete()
    AgreementTemplate.objects.filter(title="学生路途安全责任书（浏览器测试）", campaigns__isnull=True).delete()
    SchoolClass.objects.filter(name=CLASS).delete()


def test_head_teacher_prints_the_slips_and_a_parent_signs_from_one(live_url, browser, django_db_blocker):
    _in_alpha(django_db_blocker, _remove)
    try:
        _walk(live_url, browser, django_db_blocker)
    finally:
        _in_alpha(django_db_blocker, _remove)


def _walk(live_url, browser, django_db_blocker):
    campaign_id, class_id = _in_alpha(django_db_blocker, _given_bobs_class_and_a_campaign)
    sheet_path = f"/safety/campaigns/{campaign_id}/classes/{class_id}/slips/"

    # given bob, the class's head teacher, at a desktop
    desk = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = desk.new_page()
    try:
        page.goto(live_url("alpha.localhost", "/"))
        page.fill("input[name=username]", "bob")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")

        # when he opens the campaign and the slips of his class
        page.goto(live_url("alpha.localhost", f"/safety/campaigns/{campaign_id}/"))
        page.screenshot(path=SHEET.replace("print", "campaign"), full_page=True)
        page.click(f"[data-testid=slips-link]:has-text('{CLASS}')")
        page.wait_for_url(f"**{sheet_path}")
        page.wait_for_selector("[data-testid=slip]")

        # then the class's ten families are on two A4 pages, eight to the first, each with a QR code
        assert page.locator("[data-testid=slip]").count() == 10
        assert page.locator(".page").first.locator("[data-testid=slip]").count() == 8
        assert page.locator("[data-testid=slip] img").count() == 10
        assert "张小明" in page.inner_text("[data-testid=slip][data-seat='1']")

        page.screenshot(path=SHEET.replace("print", "screen"))
        # and printed, the toolbar is gone and the sheet is what the printer gets
        page.emulate_media(media="print")
        assert not page.locator("[data-testid=slips-toolbar]").is_visible()
        page.screenshot(path=SHEET, full_page=True)
        page.pdf(path=SHEET.replace(".png", ".pdf"), format="A4", print_background=True, prefer_css_page_size=True)
        page.emulate_media(media="screen")
        link = page.get_attribute("[data-testid=slip][data-seat='1'] [data-testid=slip-link]", "href")
        printed = page.inner_text("[data-testid=slip][data-seat='1'] [data-testid=slip-link]")
        assert link.endswith(printed.split("/", 1)[1])
    finally:
        desk.close()

    # when a parent, without an account, opens the slip's link on a phone and signs
    phone = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True)
    page = phone.new_page()
    try:
        page.goto(live_url("alpha.localhost", urlsplit(link).path))
        assert "家长是学生上下学路途安全的第一责任人" in page.inner_text("body")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.fill("input[name=signer_name]", "张爸爸")
        page.click("button[type=submit]")
        page.wait_for_selector("[data-testid=signed]")
        assert "张爸爸" in page.inner_text("[data-testid=signed]")
        page.screenshot(path=PHONE, full_page=True)
    finally:
        phone.close()

    # then the copy is signed online, and the sheet marks the slip signed without its QR code
    from safety.models import Agreement

    signed = _in_alpha(django_db_blocker, lambda: Agreement.objects.get(
        campaign_id=campaign_id, school_class_id=class_id, seat_no=1))
    assert (signed.signer_name, signed.signed_via) == ("张爸爸", "online")
