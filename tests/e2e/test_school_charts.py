"""The safety board's charts on a phone: ECharts draws them from the page's data, each with its table."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.utils import timezone

from tests.conftest import PASSWORD

SCREENSHOT = "/tmp/houqin-safety-board-charts-390.png"
MARK = "图表测试隐患"


def _rows(django_db_blocker, *, delete: bool = False) -> None:
    """Hazards of this term in alpha (some closed) and a drill; deleted again afterwards."""
    from safety.choices import Area, HazardGrade, HazardStatus
    from safety.models import Drill, Hazard
    from tenants.models import School, User

    with django_db_blocker.unblock():
        connection.set_tenant(School.objects.get(slug="alpha"))
        try:
            if delete:
                Hazard.objects.filter(description__startswith=MARK).delete()
                Drill.objects.filter(review=MARK).delete()
                return
            alice = User.objects.get(username="alice")
            today = timezone.localdate()
            last_month = today.replace(day=1) - dt.timedelta(days=1)
            now = timezone.now()
            for i, (found_on, area, grade, closed) in enumerate(
                [
                    (last_month, Area.FIRE, HazardGrade.GENERAL, True),
                    (last_month, Area.ELECTRICITY, HazardGrade.GENERAL, False),
                    (today, Area.FIRE, HazardGrade.MAJOR, False),
                    (today, Area.TRAFFIC, HazardGrade.GENERAL, True),
                ]
            ):
                Hazard.objects.create(
                    description=f"{MARK}{i}",
                    found_on=found_on,
                    category=area,
                    grade=grade,
                    supervised=grade == HazardGrade.MAJOR,
                    location_text="东门",
                    **(
                        {
                            "status": HazardStatus.CLOSED,
                            "rectified_at": now,
                            "verified_at": now,
                            "verified_by": alice,
                        }
                        if closed
                        else {}
                    ),
                )
            Drill.objects.create(kind="fire", held_on=today, participants=480, review=MARK)
        finally:
            connection.set_schema_to_public()


def test_the_safety_board_draws_its_charts_on_a_phone(live_url, browser, django_db_blocker):
    # given hazards and a drill this term, and alice, the principal, on a phone
    _rows(django_db_blocker)
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(live_url("alpha.localhost", "/safety/"))
        page.fill("input[name=username]", "alice")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector("[data-testid=safety-charts]")

        # then each chart is drawn by ECharts on a canvas that fits the screen
        for key in ("hazard-rate", "hazard-category", "drills-month"):
            chart = page.locator(f"[data-testid=chart-{key}] [data-chart]")
            chart.scroll_into_view_if_needed()
            page.wait_for_selector(f"[data-testid=chart-{key}] [data-chart][data-rendered] canvas")
            box = page.locator(f"[data-testid=chart-{key}] canvas").first.bounding_box()
            assert box["width"] > 200
            assert box["x"] + box["width"] <= 390
            # and its table holds the numbers, for screen readers and print
            assert page.locator(f"[data-testid=chart-table-{key}] tbody tr").count() >= 1
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        rows = page.locator("[data-testid=chart-table-hazard-rate] tbody tr")
        this_month = rows.nth(rows.count() - 1).inner_text().split("\t")
        assert this_month[1:] == ["2", "1", "50%"]

        # the table is hidden on screen until asked for, then shown
        table = page.locator("#chart-hazard-rate-table")
        assert table.bounding_box()["height"] <= 1
        page.click("[data-hq-chart-table='chart-hazard-rate-table']")
        assert table.bounding_box()["height"] > 20
        # and printed
        page.click("[data-hq-chart-table='chart-hazard-rate-table']")
        page.emulate_media(media="print")
        assert page.locator("#chart-hazard-category-table").bounding_box()["height"] > 20
        page.emulate_media(media="screen")

        page.locator("[data-testid=safety-charts]").scroll_into_view_if_needed()
        page.screenshot(path=SCREENSHOT, full_page=True)
        assert errors == []
    finally:
        context.close()
        _rows(django_db_blocker, delete=True)
