"""A page of work orders with where/asset/assignee costs the same SQL for 10 and for 100 orders."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from repairs.models import WorkOrder
from repairs.services import work_order_report
from schools.models import Building, Room

QUERY = "{ workOrderList(first: 100) { edges { node { reference where assetNumber assigneeName } } } }"


def _orders(n: int, school, reporter) -> None:
    connection.set_tenant(school)
    building, _ = Building.objects.get_or_create(name="计数楼")
    room, _ = Room.objects.get_or_create(building=building, number="101", defaults={"name": "计数室"})
    existing = WorkOrder.objects.count()
    for i in range(existing, n):
        work_order_report(reporter=reporter, title="灯不亮", room=room, location_note=f"靠窗{i}")
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
