"""The school-side charts on the demo (issue 20, part 6): a school loaded with the seed school's demo records, its
safety board, repairs board and stocktake result drawn by ECharts with data, each chart with its table, on a
phone and on a desktop. Screenshots: /tmp/houqin-demo-charts-<page>-<screen>.png."""

from __future__ import annotations

import pytest
from django.db import connection

from tests.conftest import PASSWORD

SLUG = "democharts"
SCREENS = {"phone": ({"width": 390, "height": 844}, True), "desktop": ({"width": 1280, "height": 900}, False)}


def _drop(slug: str) -> None:
    from tenants.models import School

    connection.set_schema_to_public()
    for school in School.objects.filter(slug=slug):
        school.delete(force_drop=True)


@pytest.fixture(scope="module")
def demo_charts(django_db_blocker):
    """A school of the north bureau with the demo's records (committed; dropped with its schema afterwards)."""
    from assets.models import Stocktake
    from tenants.demo import SCHOOL_PEOPLE, school_demo_load
    from tenants.models import Bureau, User
    from tenants.roles import Role
    from tenants.services import membership_grant, school_create

    with django_db_blocker.unblock():
        _drop(SLUG)  # a run that was cut short
        school = school_create(bureau=Bureau.objects.get(code="north"), name="图表演示学校", slug=SLUG)
        people = {}
        for username, name, role, post in SCHOOL_PEOPLE:
            user, created = User.objects.get_or_create(username=f"{SLUG}-{username}", defaults={"name": name})
            if created:
                user.set_password(PASSWORD)
                user.save()
            membership_grant(user=user, role=role, school=school, post=post)
            people[role] = user
        # the demo's purchases above the limit are approved by the bureau's 勤管股
        approver, _ = User.objects.get_or_create(username=f"{SLUG}-bureau-logistics", defaults={"name": "勤管股"})
        membership_grant(user=approver, role=Role.BUREAU_LOGISTICS, bureau=school.bureau)
        school_demo_load(school=school, people=people, seed=True)
        connection.set_tenant(school)
        stocktake = Stocktake.objects.order_by("pk").first().pk
        connection.set_schema_to_public()
    yield {"school": school, "stocktake": stocktake}
    with django_db_blocker.unblock():
        from tenants.models import Membership

        Membership.objects.filter(school=school).delete()
        Membership.objects.filter(user__username=f"{SLUG}-bureau-logistics").delete()
        _drop(SLUG)


def _charts_drawn(page, width: int) -> list[str]:
    """Every chart of the page drawn on a canvas inside the screen, each with a table that has rows."""
    keys = [c.get_attribute("data-testid")[len("chart-"):]
            for c in page.locator("figure.hq-chart-figure").all()]
    assert keys, "no chart on the page"
    for key in keys:
        holder = page.locator(f"[data-testid=chart-{key}]")
        holder.scroll_into_view_if_needed()
        page.wait_for_selector(f"[data-testid=chart-{key}] [data-chart][data-rendered] canvas")
        box = page.locator(f"[data-testid=chart-{key}] canvas").first.bounding_box()
        assert box["width"] > 150, key
        assert box["x"] + box["width"] <= width + 1, key
        assert page.locator(f"[data-testid=chart-table-{key}] tbody tr").count() >= 1, key
    return keys


@pytest.mark.parametrize("screen", ["phone", "desktop"])
def test_the_demo_schools_charts_render_with_data(live_url, browser, demo_charts, screen):
    viewport, mobile = SCREENS[screen]
    context = browser.new_context(locale="zh-CN", viewport=viewport, is_mobile=mobile)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    host = f"{SLUG}.localhost"
    try:
        # the principal signs in and opens the safety board
        page.goto(live_url(host, "/safety/"))
        page.fill("input[name=username]", f"{SLUG}-principal")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector("[data-testid=safety-charts]")
        keys = _charts_drawn(page, viewport["width"])
        assert {"hazard-rate", "hazard-category", "drills-month"} <= set(keys)
        # the demo's hazards are in the rectification chart's table: the seed school's 16 found this term
        found = sum(int(row.split("\t")[1]) for row in
                    page.locator("[data-testid=chart-table-hazard-rate] tbody tr").all_inner_texts())
        assert found > 0
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        page.screenshot(path=f"/tmp/houqin-demo-charts-safety-{screen}.png", full_page=True)

        # the repairs board: on-time against 小修不过夜/大修不过三天, orders by kind, 完好率
        page.goto(live_url(host, "/repairs/board/"))
        # the board's columns scroll on their own: the demo's long 已完工 column does not push the charts away
        assert page.locator("[data-testid=board]").bounding_box()["height"] <= viewport["height"]
        assert len(_charts_drawn(page, viewport["width"])) >= 2
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        page.screenshot(path=f"/tmp/houqin-demo-charts-repairs-{screen}.png", full_page=True)

        # the demo's stocktake: progress by room
        page.goto(live_url(host, f"/assets/stocktakes/{demo_charts['stocktake']}/"))
        assert _charts_drawn(page, viewport["width"]) == ["stocktake-progress"]
        page.screenshot(path=f"/tmp/houqin-demo-charts-stocktake-{screen}.png", full_page=True)
        assert errors == []
    finally:
        context.close()
