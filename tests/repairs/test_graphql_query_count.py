"""A page of work orders with where/room/asset/reporter/assignee costs the same SQL for 10 and for 100 orders."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from repairs.models import WorkOrder
from repairs.services import work_order_report
from schools.models import Building, Room

QUERY = ("{ workOrderList(first: 100) { edges { node { reference where assetNumber assigneeName "
         "room { id number name building } asset { id assetNumber name } reporter { name signedIn } } } } }")


def _orders(n: int, school, reporter) -> None:
    connection.set_tenant(school)
    building, _ = Building.objects.get_or_create(name="计数楼")
    room, _ = Room.objects.get_or_create(building=building, number="101", defaults={"name": "计数室"})
    from tests.assets.factories import AssetFactory

    existing = WorkOrder.objects.count()
    for i in range(existing, n):
        # a third about an asset, a third reported on the public QR page (no account), all with a room
        asset = AssetFactory(room=None) if i % 3 == 0 else None
        work_order_report(reporter=None if i % 3 == 1 else reporter, reporter_name="扫码家长" if i % 3 == 1 else "",
                          title="灯不亮", room=room, asset=asset, location_note=f"靠窗{i}")
    connection.set_schema_to_public()


def _count(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        result = client.gql(QUERY)
    assert "errors" not in result, result
    return len(queries)


def test_work_order_page_query_count_is_flat(client_for, alice, school_a):
    client = client_for(alice, school_a)
    _orders(10, school_a, alice)
    _count(client)  # warm the per-process caches (content types, …)
    ten = _count(client)
    _orders(100, school_a, alice)
    hundred = _count(client)
    assert ten == hundred


def test_work_order_page_shows_room_asset_and_reporter(client_for, alice, school_a):
    client = client_for(alice, school_a)
    _orders(3, school_a, alice)
    nodes = [e["node"] for e in client.gql(QUERY)["data"]["workOrderList"]["edges"]]
    assert {n["room"]["building"] for n in nodes} == {"计数楼"}
    assert {n["room"]["number"] for n in nodes} == {"101"}
    with_asset = [n for n in nodes if n["asset"]]
    assert len(with_asset) == 1
    assert with_asset[0]["asset"]["assetNumber"] == with_asset[0]["assetNumber"]
    reporters = sorted((n["reporter"]["name"], n["reporter"]["signedIn"]) for n in nodes)
    assert reporters == sorted([(alice.display_name, True), (alice.display_name, True), ("扫码家长", False)])
