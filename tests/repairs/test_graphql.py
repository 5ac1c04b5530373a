"""GraphQL: reading work orders and the role matrix of the mutations (nothing changes on denial)."""

from __future__ import annotations

import pytest

from repairs.choices import Severity, Status
from repairs.models import WorkOrder
from repairs.services import work_order_complete, work_order_report, work_order_triage

LIST = "query($status: WorkOrderStatus) { workOrderList(status: $status) { totalCount edges { node { reference title status severity where } } } }"
TRIAGE = """mutation($data: WorkOrderTriageInput!) { workOrderTriage(data: $data) { reference severity status assigneeName dueAt } }"""
COMPLETE = """mutation($data: WorkOrderCompleteInput!) { workOrderComplete(data: $data) { status } }"""
CONFIRM = """mutation($data: WorkOrderConfirmInput!) { workOrderConfirm(data: $data) { status rating } }"""
REPORT = """mutation($data: WorkOrderReportInput!) { workOrderReport(data: $data) { reference status source } }"""


def code(result) -> str | None:
    return result["errors"][0]["extensions"]["code"] if result.get("errors") else None


@pytest.fixture
def order(room, bob):
    return work_order_report(reporter=bob, title="灯不亮", room=room)


@pytest.mark.parametrize(
    ("who", "expected"),
    [(None, "UNAUTHENTICATED"), ("charlie", "FORBIDDEN"), ("erin", "FORBIDDEN"), ("bob", None), ("dave", None)],
)
def test_reading_orders_matrix(client_for, school_a, order, who, expected, request):
    user = request.getfixturevalue(who) if who else None
    result = client_for(user, school_a).gql(LIST)
    assert code(result) == expected
    if expected is None:
        assert result["data"]["workOrderList"]["totalCount"] == 1
        node = result["data"]["workOrderList"]["edges"][0]["node"]
        assert (node["reference"], node["title"], node["status"], node["where"]) == (
            order.reference, "灯不亮", "REPORTED", "1号教学楼 301 教室")


@pytest.mark.parametrize(("who", "expected"), [("bob", "FORBIDDEN"), ("mario", "FORBIDDEN"), ("dave", "FORBIDDEN"),
                                               ("lena", None)])
def test_triage_matrix(client_for, school_a, order, mario, lena, who, expected, request):
    user = request.getfixturevalue(who)
    result = client_for(user, school_a).gql(TRIAGE, {"data": {
        "reference": order.reference, "severity": "MAJOR", "assigneeUsername": "mario"}})
    assert code(result) == expected
    order.refresh_from_db()
    if expected is None:
        assert result["data"]["workOrderTriage"]["assigneeName"] == "Mario"
        assert (order.severity, order.assignee) == (Severity.MAJOR, mario)
    else:
        assert (order.severity, order.assignee_id, order.status) == (Severity.MINOR, None, Status.REPORTED)


def test_completion_without_closing_note_is_bad_input(client_for, school_a, order, lena, mario):
    work_order_triage(order=order, actor=lena, severity=Severity.MINOR, assignee=mario)
    result = client_for(mario, school_a).gql(COMPLETE, {"data": {"reference": order.reference, "closingNote": " "}})
    assert code(result) == "BAD_USER_INPUT"
    assert "closing_note" in result["errors"][0]["extensions"]["fields"]
    order.refresh_from_db()
    assert order.status == Status.ASSIGNED


def test_other_worker_cannot_complete(client_for, school_a, order, lena, mario, luigi):
    work_order_triage(order=order, actor=lena, severity=Severity.MINOR, assignee=mario)
    result = client_for(luigi, school_a).gql(COMPLETE, {"data": {"reference": order.reference, "closingNote": "好了"}})
    assert code(result) == "FORBIDDEN"
    order.refresh_from_db()
    assert order.status == Status.ASSIGNED


def test_only_the_reporter_confirms(client_for, school_a, order, lena, mario, bob, gina):
    work_order_triage(order=order, actor=lena, severity=Severity.MINOR, assignee=mario)
    work_order_complete(order=order, actor=mario, closing_note="换了灯管")
    denied = client_for(gina, school_a).gql(CONFIRM, {"data": {"reference": order.reference, "rating": 5}})
    assert code(denied) == "FORBIDDEN"
    order.refresh_from_db()
    assert (order.status, order.rating) == (Status.COMPLETED, None)
    ok = client_for(bob, school_a).gql(CONFIRM, {"data": {"reference": order.reference, "rating": 4}})
    assert ok["data"]["workOrderConfirm"] == {"status": "CONFIRMED", "rating": 4}


@pytest.mark.parametrize(("who", "expected"), [(None, "UNAUTHENTICATED"), ("charlie", "FORBIDDEN"),
                                               ("dave", "FORBIDDEN"), ("gina", None)])
def test_report_matrix(client_for, school_a, room, who, expected, request):
    user = request.getfixturevalue(who) if who else None
    result = client_for(user, school_a).gql(REPORT, {"data": {"title": "门坏了", "roomId": room.pk}})
    assert code(result) == expected
    assert WorkOrder.objects.count() == (1 if expected is None else 0)


def test_my_orders_and_clock(client_for, school_a, order, lena, mario):
    work_order_triage(order=order, actor=lena, severity=Severity.MAJOR, assignee=mario)
    result = client_for(mario, school_a).gql(
        "query($r: String!) { myWorkOrders { reference } workOrderClock(reference: $r) { kind } }",
        {"r": order.reference})
    assert result["data"] == {"myWorkOrders": [{"reference": order.reference}],
                              "workOrderClock": [{"kind": "STARTED"}, {"kind": "DUE_CHANGED"}]}
