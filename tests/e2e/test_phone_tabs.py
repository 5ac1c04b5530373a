"""Module tab bars on a phone: one line of tabs that scrolls sideways, never a word broken a letter a line."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD


@pytest.mark.parametrize("path", ["/assets/", "/repairs/board/"])
def test_tab_bars_keep_each_tab_on_one_line_on_a_phone(live_url, browser, path):
    # alice (principal of alpha) reads both modules
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    try:
        page.goto(live_url("alpha.localhost", "/accounts/login/?next=" + path))
        page.fill("input[name=username]", "alice")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector("ul.nav-tabs .nav-link")
        heights = page.eval_on_selector_all("ul.nav-tabs .nav-link", "els => els.map(e => e.getBoundingClientRect().height)")
        line = page.eval_on_selector("ul.nav-tabs .nav-link", "e => parseFloat(getComputedStyle(e).lineHeight) || 21")
        assert heights, path
        # each tab is one line high (padding aside), and the page itself does not scroll sideways
        assert max(heights) < 2 * line + 8, (path, heights)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), path
        page.screenshot(path=f"/tmp/houqin-tabs{path.replace('/', '-')}phone.png")
    finally:
        context.close()


def test_a_ledger_reads_as_cards_on_a_phone_and_as_a_table_on_a_desktop(live_url, browser, django_db_blocker):
    import datetime as dt

    from django.db import connection
    from django.utils import timezone

    from safety.choices import Area
    from safety.models import Hazard
    from tenants.models import School

    with django_db_blocker.unblock():
        connection.set_tenant(School.objects.get(slug="alpha"))
        hazard = Hazard.objects.create(found_on=timezone.localdate() - dt.timedelta(days=1), location_text="食堂后门",
                                       category=Area.FIRE, description="消防通道堆放杂物（卡片测试）")
        connection.set_schema_to_public()
    try:
        for width, cards in ((390, True), (1280, False)):
            context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": 844}, is_mobile=cards)
            page = context.new_page()
            try:
                page.goto(live_url("alpha.localhost", "/accounts/login/?next=/safety/l/hazards/"))
                page.fill("input[name=username]", "alice")
                page.fill("input[name=password]", PASSWORD)
                page.click("button[type=submit]")
                page.wait_for_selector("[data-testid=ledger-table] tbody tr")
                row = page.locator("[data-testid=ledger-table] tbody tr", has_text="卡片测试").first
                display = row.evaluate("tr => getComputedStyle(tr).display")
                labelled = row.evaluate("tr => Array.from(tr.children).slice(1).every(td => td.dataset.label)")
                assert labelled
                if cards:
                    assert display == "block"
                    # a card says what each value is, and no cell is squeezed to a letter a line
                    assert "：" in row.evaluate("tr => getComputedStyle(tr.children[1], '::before').content")
                    widths = row.evaluate("tr => Array.from(tr.children).filter(td => td.offsetParent)"
                                          ".map(td => td.getBoundingClientRect().width)")
                    assert min(widths) > 200, widths
                    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
                    page.screenshot(path="/tmp/houqin-ledger-cards-phone.png", full_page=True)
                else:
                    assert display == "table-row"
            finally:
                context.close()
    finally:
        with django_db_blocker.unblock():
            connection.set_tenant(School.objects.get(slug="alpha"))
            Hazard.objects.filter(pk=hazard.pk).delete()
            connection.set_schema_to_public()
