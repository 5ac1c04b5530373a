"""The safety board's charts (safety/charts.py): 整改率 by month, hazards by category and grade, drills by month."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone, translation

from safety import charts
from safety.choices import Area, HazardGrade, HazardStatus
from tenants.metrics import Period

from .factories import DrillFactory, HazardFactory

TERM = Period(dt.date(2026, 9, 1), dt.date(2027, 1, 31))
ON = dt.date(2026, 12, 4)


@pytest.fixture(autouse=True)
def _chinese():
    with translation.override("zh-hans"):
        yield


def closed(found_on: dt.date, verifier, **kw):
    return HazardFactory(
        found_on=found_on,
        status=HazardStatus.CLOSED,
        rectified_at=timezone.now(),
        verified_at=timezone.now(),
        verified_by=verifier,
        **kw,
    )


def series(chart: dict, name: str) -> list:
    return next(s["data"] for s in chart["series"] if s["name"] == name)


def test_rectification_rate_is_closed_over_found_per_month_of_the_term(in_school_a, alice):
    # given 4 hazards found in September (3 closed, one rectified but not verified), 2 in November (none closed),
    # none in October, one in December (closed), and one of last term
    for _ in range(3):
        closed(dt.date(2026, 9, 10), alice)
    HazardFactory(found_on=dt.date(2026, 9, 20), status=HazardStatus.RECTIFIED, rectified_at=timezone.now())
    HazardFactory(found_on=dt.date(2026, 11, 3))
    HazardFactory(found_on=dt.date(2026, 11, 30))
    closed(dt.date(2026, 12, 1), alice)
    closed(dt.date(2026, 6, 1), alice)

    chart = charts.hazard_rate_by_month(period=TERM, on=ON)

    # then a month each from September to this month, found and closed as bars and the rate as a line
    assert chart["labels"] == ["2026年9月", "2026年10月", "2026年11月", "2026年12月"]
    assert series(chart, "发现隐患") == [4, 0, 2, 1]
    assert series(chart, "已整改销号") == [3, 0, 0, 1]
    assert series(chart, "整改率") == [75.0, None, 0.0, 100.0]
    rate = chart["series"][2]
    assert (rate["type"], rate["unit"], rate["axis"]) == ("line", "%", 1)


def test_hazards_by_category_stack_general_and_major_for_the_areas_that_have_any(in_school_a, alice):
    HazardFactory(found_on=dt.date(2026, 10, 1), category=Area.FIRE)
    HazardFactory(found_on=dt.date(2026, 10, 2), category=Area.FIRE, grade=HazardGrade.MAJOR, supervised=True)
    HazardFactory(found_on=dt.date(2026, 10, 3), category=Area.FIRE, grade=HazardGrade.MAJOR, supervised=True)
    closed(dt.date(2026, 11, 5), alice, category=Area.ELECTRICITY)
    HazardFactory(found_on=dt.date(2026, 3, 1), category=Area.FOOD)  # last term

    chart = charts.hazards_by_category(period=TERM)

    assert chart["labels"] == [str(Area.FIRE.label), str(Area.ELECTRICITY.label)]
    assert chart["horizontal"] is True
    assert series(chart, str(HazardGrade.GENERAL.label)) == [1, 1]
    assert series(chart, str(HazardGrade.MAJOR.label)) == [2, 0]
    assert series(chart, "合计") == [3, 1]


def test_no_hazard_this_term_gives_a_chart_without_labels(in_school_a):
    assert charts.hazards_by_category(period=TERM)["labels"] == []


def test_drills_by_month_stack_the_kinds_held_and_total_them(in_school_a):
    DrillFactory(held_on=dt.date(2026, 9, 15), kind="fire")
    DrillFactory(held_on=dt.date(2026, 9, 28), kind="earthquake")
    DrillFactory(held_on=dt.date(2026, 11, 11), kind="fire")
    DrillFactory(held_on=dt.date(2026, 8, 30), kind="fire")  # last term

    chart = charts.drills_by_month(period=TERM, on=ON)

    assert chart["labels"] == ["2026年9月", "2026年10月", "2026年11月", "2026年12月"]
    assert series(chart, "火灾") == [1, 0, 1, 0]
    assert series(chart, "地震") == [1, 0, 0, 0]
    total = chart["series"][-1]
    assert (total["data"], total["table_only"]) == ([2, 0, 1, 0], True)


def test_a_term_without_drills_draws_its_zeros(in_school_a):
    chart = charts.drills_by_month(period=TERM, on=ON)
    assert [(s["data"], s["table_only"]) for s in chart["series"]] == [([0, 0, 0, 0], False)]


def test_the_board_charts_cost_three_queries(in_school_a, django_assert_num_queries):
    HazardFactory(found_on=dt.date(2026, 10, 1))
    DrillFactory(held_on=dt.date(2026, 10, 1))
    with django_assert_num_queries(3):
        charts.board_charts(period=TERM, on=ON)


def _json(html: str, element_id: str) -> dict:
    import json
    import re

    match = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', html, re.S)
    assert match, f"no {element_id} on the page"
    return json.loads(match.group(1))


def test_the_board_draws_its_charts_from_the_page_data_and_prints_their_tables(client_for, school_a, alice):
    from django.db import connection

    # given this month two hazards found, one of them closed, and a fire drill
    connection.set_tenant(school_a)
    today = timezone.localdate()
    closed(today, alice, category=Area.FIRE)
    HazardFactory(found_on=today, category=Area.FIRE)
    DrillFactory(held_on=today)
    connection.set_schema_to_public()

    html = client_for(alice, school_a).get("/safety/").content.decode()

    # then each chart has its div, its data and its table with the same numbers
    for key in ("hazard-rate", "hazard-category", "drills-month"):
        assert f'data-source="chart-{key}-data"' in html
        assert f'data-testid="chart-table-{key}"' in html
    rate = _json(html, "chart-hazard-rate-data")
    assert rate["labels"][-1] == timezone.localdate().strftime("%Y年%-m月")
    assert [s["data"][-1] for s in rate["series"]] == [2, 1, 50.0]
    assert '<td class="text-end">50%</td>' in html
    assert _json(html, "chart-hazard-category-data")["labels"] == ["消防"]
    assert "vendor/echarts/echarts.min.js" in html
    assert "js/charts.js" in html


def test_on_the_demo_the_monthly_figures_add_up_to_the_boards_term_figures(
    in_school_a, alice, sam, gina, mia
):
    from safety.demo import load_school
    from safety.selectors import drills_vs_required, hazard_stats
    from tenants.roles import Role

    from .conftest import person

    people = {
        Role.PRINCIPAL: alice,
        Role.SAFETY_OFFICER: sam,
        Role.GUARD: gina,
        Role.MAINTENANCE_WORKER: mia,
        Role.LOGISTICS_DIRECTOR: person("lee", Role.LOGISTICS_DIRECTOR, in_school_a),
        Role.UNIT_CONTACT: person("una", Role.UNIT_CONTACT, in_school_a),
    }
    load_school(school=in_school_a, people=people, seed=True)

    board = charts.board_charts()
    stats = hazard_stats()
    assert sum(board["rate"]["series"][0]["data"]) == stats["found"] == 16
    assert sum(board["rate"]["series"][1]["data"]) == stats["rectified"] == 11
    assert sum(series(board["category"], "合计")) == 16
    assert sum(series(board["drills"], "合计")) == drills_vs_required()["held"]
