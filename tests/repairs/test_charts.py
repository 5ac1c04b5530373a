"""The repairs board's charts (repairs/charts.py): on time by month, orders by source and severity, 完好率 by month."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from repairs import charts
from repairs.choices import Severity, Source, Status
from repairs.models import WorkOrder
from repairs.services import work_order_report
from tenants.metrics import Period

from .factories import RoomFactory

SH = ZoneInfo("Asia/Shanghai")
TERM = Period(dt.date(2026, 9, 1), dt.date(2027, 1, 31))
ON = dt.date(2026, 12, 4)


@pytest.fixture(autouse=True)
def _chinese():
    with translation.override("zh-hans"):
        yield


def at(*args):
    return dt.datetime(*args, tzinfo=SH)


def _done(order, completed_at):
    WorkOrder.objects.filter(pk=order.pk).update(status=Status.COMPLETED, completed_at=completed_at)


def series(chart: dict, name: str) -> list:
    return next(s["data"] for s in chart["series"] if s["name"] == name)


@pytest.fixture
def term_orders(room, bob):
    """Four rooms; orders over September to December, one finished past midnight, one cancelled, one by QR."""
    r302, r303, r304 = RoomFactory(number="302"), RoomFactory(number="303"), RoomFactory(number="304")
    report = lambda when, **kw: work_order_report(reporter=bob, title="故障", reported_at=when, **kw)  # noqa: E731
    a = report(at(2026, 9, 8, 9), room=room)  # minor, done at 11:00: on time
    b = report(at(2026, 9, 9, 9), room=room)  # minor, done the next morning: late
    c = report(at(2026, 10, 10, 9), room=room, severity=Severity.MAJOR)  # major, done in two days: on time
    report(at(2026, 10, 11, 9), room=room, severity=Severity.MAJOR)  # major, still open
    # minor reported at 22:00 on 31 October, done at 00:30 Beijing time (still 31 October in UTC): late, November's
    e = report(at(2026, 10, 31, 22), room=r303)
    f = report(at(2026, 9, 20, 9), room=r304)  # cancelled
    work_order_report(
        reporter=None,
        reporter_name="家长",
        title="水龙头",
        room=r302,
        source=Source.PUBLIC,
        reported_at=at(2026, 12, 1, 8),
    )  # by the QR label, still open
    _done(a, at(2026, 9, 8, 11))
    _done(b, at(2026, 9, 10, 10))
    _done(c, at(2026, 10, 12, 9))
    _done(e, at(2026, 11, 1, 0, 30))
    WorkOrder.objects.filter(pk=f.pk).update(status=Status.CANCELLED)


def test_on_time_share_per_month_counts_each_order_in_the_month_it_was_completed(term_orders):
    chart = charts.on_time_by_month(period=TERM, on=ON)

    assert chart["labels"] == ["2026年9月", "2026年10月", "2026年11月", "2026年12月"]
    assert series(chart, "小修按时完成率（当天）") == [50.0, None, 0.0, None]
    assert series(chart, "大修按时完成率（三天内）") == [None, 100.0, None, None]
    assert series(chart, "小修完工数") == [2, 0, 1, 0]
    assert series(chart, "大修完工数") == [0, 1, 0, 0]
    assert {s["unit"] for s in chart["series"] if not s.get("table_only")} == {"%"}


def test_orders_by_source_stack_minor_and_major_and_leave_cancelled_out(term_orders):
    chart = charts.orders_by_source(period=TERM)

    assert chart["labels"] == [str(Source.WEB.label), str(Source.PUBLIC.label)]
    assert series(chart, str(Severity.MINOR.label)) == [3, 1]
    assert series(chart, str(Severity.MAJOR.label)) == [2, 0]
    assert series(chart, "合计") == [5, 1]


def test_intact_rate_at_each_month_end_is_the_metric_of_that_month(term_orders):
    chart = charts.intact_rate_by_month(period=TERM, on=ON)

    # 4 rooms: none out at the end of September; two at the end of October (the major order and the one finished
    # after midnight), one in November, two now (the major order and the QR report)
    assert series(chart, "完好率") == [100.0, 50.0, 75.0, 50.0]
    assert series(chart, "登记设施数") == [4, 4, 4, 4]
    assert series(chart, "待修设施数") == [0, 2, 1, 2]


def test_an_empty_term_has_months_without_figures(in_school_a):
    chart = charts.on_time_by_month(period=TERM, on=ON)
    assert all(value is None for s in chart["series"] if s.get("unit") for value in s["data"])
    assert charts.orders_by_source(period=TERM)["labels"] == []


def test_the_board_shows_the_charts_with_their_tables(client_for, school_a, room, bob, lena):
    from django.utils import timezone

    order = work_order_report(reporter=bob, title="灯", room=room)
    _done(order, timezone.now())

    html = client_for(lena, school_a).get("/repairs/board/").content.decode()

    for key in ("repairs-on-time", "repairs-intact", "repairs-source"):
        assert f'data-source="chart-{key}-data"' in html
        assert f'data-testid="chart-table-{key}"' in html
    # this month: one minor order, completed on time; the room is intact again
    assert '<td class="text-end">100%</td>' in html
    assert "vendor/echarts/echarts.min.js" in html
