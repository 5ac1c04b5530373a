"""A stocktake's progress by room (assets/charts.py): counted against booked."""

from __future__ import annotations

import pytest
from django.utils import translation

from assets import charts, services
from assets.choices import Condition, Resolution
from assets.models import StocktakeResolution

from .factories import AssetFactory, RoomFactory


@pytest.fixture(autouse=True)
def _chinese():
    with translation.override("zh-hans"):
        yield


def series(chart: dict, name: str) -> list:
    return next(s["data"] for s in chart["series"] if s["name"] == name)


def test_progress_counts_per_room_the_booked_assets_scanned_in_their_own_room(in_school_a, kate):
    # given two rooms: 201 books A1, A2, a disposed and a lost asset; 202 books B1, B2 and a lost one this
    # stocktake marked lost, and an empty room 203
    r201, r202, r203 = (
        RoomFactory(number="201", name="一班"),
        RoomFactory(number="202", name="二班"),
        RoomFactory(number="203", name="三班"),
    )
    a1, _a2 = AssetFactory(room=r201), AssetFactory(room=r201)
    AssetFactory(room=r201, condition=Condition.DISPOSED)
    AssetFactory(room=r201, condition=Condition.LOST)
    b1, b2, b3 = (
        AssetFactory(room=r202),
        AssetFactory(room=r202),
        AssetFactory(room=r202, condition=Condition.LOST),
    )
    stocktake = services.stocktake_create(actor=kate, name="秋季盘点", rooms=[r201, r202, r203])
    StocktakeResolution.objects.create(
        stocktake=stocktake, asset=b3, code=b3.asset_number, action=Resolution.MARK_LOST, actor=kate
    )

    # when A1 and B1 (misplaced) are scanned in 201, B2 and an unknown label in 202
    for room, code in (
        (r201, a1.asset_number),
        (r201, b1.asset_number),
        (r202, b2.asset_number),
        (r202, "X-UNKNOWN-1"),
    ):
        services.stocktake_scan(stocktake=stocktake, room=room, code=code, actor=kate)

    chart = charts.stocktake_progress(stocktake=stocktake)

    assert chart["labels"] == [str(r201), str(r202), str(r203)]
    assert series(chart, "已盘点") == [1, 1, 0]
    assert series(chart, "未盘点") == [1, 2, 0]
    assert series(chart, "账面数") == [2, 3, 0]
    assert series(chart, "已盘比例") == [50.0, 33.3, None]
    assert series(chart, "在此扫到的其他标签") == [1, 1, 0]


def test_progress_costs_three_queries(in_school_a, kate, django_assert_num_queries):
    room = RoomFactory()
    AssetFactory(room=room)
    stocktake = services.stocktake_create(actor=kate, name="盘点", rooms=[room])
    with django_assert_num_queries(3):
        charts.stocktake_progress(stocktake=stocktake)


def test_the_stocktake_page_shows_progress_by_room_with_its_table(client_for, in_school_a, kate):
    from django.db import connection

    school_a = in_school_a
    room = RoomFactory(number="305", name="科学室")
    asset = AssetFactory(room=room)
    AssetFactory(room=room)
    stocktake = services.stocktake_create(actor=kate, name="秋季盘点", rooms=[room])
    services.stocktake_scan(stocktake=stocktake, room=room, code=asset.asset_number, actor=kate)
    connection.set_schema_to_public()

    html = client_for(kate, school_a).get(f"/assets/stocktakes/{stocktake.pk}/").content.decode()

    assert 'data-source="chart-stocktake-progress-data"' in html
    assert 'data-testid="chart-table-stocktake-progress"' in html
    assert (
        # counted, on loan, under repair, not yet counted
        f'<th scope="row" class="fw-normal">{room}</th><td class="text-end">1</td><td class="text-end">0</td>'
        '<td class="text-end">0</td><td class="text-end">1</td>' in html
    )
    assert '<td class="text-end">50%</td>' in html
