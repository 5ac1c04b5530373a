"""The guard registers a visitor on the phone-sized gate page."""

from __future__ import annotations

from django.db import connection

from tests.conftest import PASSWORD


def _visitors(django_db_blocker, *, delete: bool = False) -> list[tuple[str, str]]:
    from safety.models import Visitor
    from tenants.models import School

    with django_db_blocker.unblock():
        connection.set_tenant(School.objects.get(slug="alpha"))
        try:
            rows = list(Visitor.objects.filter(name="赵访客").values_list("name", "id_number_masked"))
            if delete:
                Visitor.objects.filter(name="赵访客").delete()
            return rows
        finally:
            connection.set_schema_to_public()


def test_guard_registers_a_visitor_on_the_phone(live_url, browser, django_db_blocker):
    # given gina, the guard of alpha, on a phone-sized screen
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    try:
        page.goto(live_url("alpha.localhost", "/safety/gate/"))
        page.fill("input[name=username]", "gina")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector("[data-testid=gate-page]")

        # when she registers a visitor whose host confirmed by phone
        page.fill("input[name=name]", "赵访客")
        page.fill("input[name=id_number]", "510104198805061234")
        page.fill("input[name=host_name]", "陈老师")
        page.check("input[name=host_verified][value='1']")
        page.fill("input[name=purpose]", "家长来访")
        page.click("[data-testid=register]")

        # then the visitor is listed as inside, with the ID number masked, and the form fits the screen
        page.wait_for_selector("[data-testid=inside] >> text=赵访客")
        inside = page.inner_text("[data-testid=inside]")
        assert "510***********1234" in inside
        assert "510104198805061234" not in page.content()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390
        assert _visitors(django_db_blocker) == [("赵访客", "510***********1234")]
    finally:
        context.close()
        _visitors(django_db_blocker, delete=True)
