"""Coverage: every module's GraphQL is reachable by a partner with the right scope, and nothing beyond.

Also the abuse cases of issue 8 across schools: a token for school A asking for school B's data by host,
by `node`, through a nested field, or through a filter — each refused or empty, with B's marker never
in the answer.
"""

from __future__ import annotations

import base64

import pytest
from django.db import connection

from api.types import SchoolScopedType
from repairs.models import WorkOrder
from schools.models import Department, Room
from tests.conftest import MARKER


def gid(type_name: str, pk) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def _code(result) -> str:
    return result["errors"][0]["extensions"]["code"]


@pytest.fixture
def room_a(school_a):
    connection.set_tenant(school_a)
    from schools.models import Building

    building, _ = Building.objects.get_or_create(name="1号教学楼")
    room = Room.objects.create(building=building, number="101", name="一年级一班")
    connection.set_schema_to_public()
    return room


def _department_pk(school, name):
    connection.set_tenant(school)
    pk = Department.objects.get(name=name).pk
    connection.set_schema_to_public()
    return pk


def test_every_school_scoped_type_declares_its_read_scope():
    from api.schema import schema

    missing = []
    for type_def in schema.schema_converter.type_map.values():
        origin = getattr(type_def.definition, "origin", None)
        if isinstance(origin, type) and issubclass(origin, SchoolScopedType) and not origin.read_scope:
            missing.append(origin.__name__)
    assert missing == []


# --- schools -------------------------------------------------------------------------------------

DEPARTMENTS = "{ departmentList(first: 10) { totalCount edges { node { id name } } } }"


def test_schools_read_lists_departments_of_the_granted_school_only(make_partner, bearer, school_a):
    _, _, raw = make_partner(scopes=["schools:read"], schools=[school_a])
    result = bearer(raw, school_a).gql(DEPARTMENTS)
    names = [e["node"]["name"] for e in result["data"]["departmentList"]["edges"]]
    assert MARKER["alpha"] in names
    assert MARKER["beta"] not in str(result)


def test_without_schools_read_departments_are_forbidden(make_partner, bearer, school_a):
    _, _, raw = make_partner(scopes=["repairs:read"], schools=[school_a])
    result = bearer(raw, school_a).gql(DEPARTMENTS)
    assert result["data"] is None
    assert _code(result) == "FORBIDDEN"


def test_no_token_creates_a_department_whatever_its_scopes(make_partner, bearer, school_a):
    mutation = 'mutation { departmentCreate(data: {name: "物业服务部"}) { name } }'
    _, _, reader = make_partner(scopes=["schools:read"], schools=[school_a], name="r")
    _, _, writer = make_partner(scopes=["schools:read", "schools:write"], schools=[school_a], name="w")
    for raw in (reader, writer):
        refused = bearer(raw, school_a).gql(mutation)
        assert refused["data"] is None
        assert _code(refused) == "FORBIDDEN"
    assert refused["errors"][0]["message"] == "Partners may not do this."
    connection.set_tenant(school_a)
    assert not Department.objects.filter(name="物业服务部").exists()


# --- node ----------------------------------------------------------------------------------------

NODE = "query($id: ID!) { node(id: $id) { __typename ... on DepartmentType { name } } }"


def test_node_resolves_inside_the_granted_school(make_partner, bearer, school_a):
    _, _, raw = make_partner(scopes=["schools:read"], schools=[school_a])
    pk = _department_pk(school_a, MARKER["alpha"])
    result = bearer(raw, school_a).gql(NODE, {"id": gid("DepartmentType", pk)})
    assert result == {"data": {"node": {"__typename": "DepartmentType", "name": MARKER["alpha"]}}}


def test_node_of_school_b_asked_on_b_host_with_a_token_is_forbidden(make_partner, bearer, school_a, school_b):
    _, _, raw = make_partner(scopes=["schools:read"], schools=[school_a])
    pk = _department_pk(school_b, MARKER["beta"])
    result = bearer(raw, school_b).gql(NODE, {"id": gid("DepartmentType", pk)})
    assert result["data"] == {"node": None}
    assert _code(result) == "FORBIDDEN"
    assert MARKER["beta"] not in str(result)


def test_node_id_of_school_b_on_a_host_never_returns_b_rows(make_partner, bearer, school_a, school_b):
    _, _, raw = make_partner(scopes=["schools:read"], schools=[school_a])
    pk = _department_pk(school_b, MARKER["beta"])
    result = bearer(raw, school_a).gql(NODE, {"id": gid("DepartmentType", pk)})
    assert MARKER["beta"] not in str(result)


def test_node_needs_the_types_scope(make_partner, bearer, school_a):
    _, _, raw = make_partner(scopes=["repairs:read"], schools=[school_a])
    pk = _department_pk(school_a, MARKER["alpha"])
    result = bearer(raw, school_a).gql(NODE, {"id": gid("DepartmentType", pk)})
    assert result["data"] == {"node": None}
    assert _code(result) == "FORBIDDEN"


@pytest.mark.parametrize("global_id", [gid("NoSuchType", 1), gid("SchoolType", 1), gid("DepartmentType", "x"),
                                       gid("DepartmentType", 999999)])
def test_node_of_unknown_unscoped_or_missing_objects_is_null(make_partner, bearer, school_a, global_id):
    _, _, raw = make_partner(scopes=["schools:read"], schools=[school_a])
    assert bearer(raw, school_a).gql(NODE, {"id": global_id}) == {"data": {"node": None}}


def test_node_refuses_anonymous(client_for, school_a):
    result = client_for(None, school_a).gql(NODE, {"id": gid("DepartmentType", 1)})
    assert _code(result) == "UNAUTHENTICATED"


def test_node_works_for_people_too(client_for, bob, school_a):
    pk = _department_pk(school_a, MARKER["alpha"])
    result = client_for(bob, school_a).gql(NODE, {"id": gid("DepartmentType", pk)})
    assert result["data"]["node"]["name"] == MARKER["alpha"]


# --- nested fields and filters -------------------------------------------------------------------


def test_nested_bureau_schools_do_not_leak_other_schools_to_a_partner(make_partner, bearer, school_a):
    _, _, raw = make_partner(scopes=["schools:read"], schools=[school_a])
    result = bearer(raw, school_a).gql("{ school { slug bureau { schools(first: 10) { edges { node { slug name } } } } } }")
    assert result["data"]["school"]["slug"] == "alpha"
    assert result["data"]["school"]["bureau"]["schools"]["edges"] == []
    assert "beta" not in str(result)


def test_base_domain_bureau_is_not_a_partners(make_partner, bearer, school_a):
    _, _, raw = make_partner(scopes=["schools:read", "reporting:read"], schools=[school_a])
    result = bearer(raw, None).gql("{ bureau { schools(first: 10) { edges { node { slug } } } } }")
    assert result["data"] is None
    assert _code(result) == "FORBIDDEN"


def test_filter_for_school_b_marker_on_a_host_finds_nothing(make_partner, bearer, school_a):
    _, _, raw = make_partner(scopes=["schools:read"], schools=[school_a])
    query = "query($q: String) { departmentList(q: $q, first: 10) { totalCount } }"
    assert bearer(raw, school_a).gql(query, {"q": MARKER["beta"]}) == {"data": {"departmentList": {"totalCount": 0}}}
    assert bearer(raw, school_a).gql(query, {"q": MARKER["alpha"]}) == {"data": {"departmentList": {"totalCount": 1}}}


# --- repairs: the property company --------------------------------------------------------------

REPORT = """mutation($data: WorkOrderReportInput!) { workOrderReport(data: $data) { reference status source title } }"""
LIST = "query($q: String) { workOrderList(first: 20, q: $q) { totalCount edges { node { reference title status } } } }"


def test_property_company_reports_lists_and_works_repair_orders(make_partner, bearer, school_a, room_a):
    # given a property company granted school A with repairs read and write
    _, _, raw = make_partner(scopes=["repairs:read", "repairs:write"], schools=[school_a])
    client = bearer(raw, school_a)

    # when it reports a fault
    reported = client.gql(REPORT, {"data": {"title": "水龙头漏水", "roomId": room_a.pk}})["data"]["workOrderReport"]
    assert (reported["status"], reported["source"], reported["title"]) == ("REPORTED", "API", "水龙头漏水")
    reference = reported["reference"]

    # then it lists it
    listed = client.gql(LIST)["data"]["workOrderList"]
    assert [e["node"]["reference"] for e in listed["edges"]] == [reference]

    # and triages, starts and completes it
    triage = client.gql(
        'mutation($r: String!) { workOrderTriage(data: {reference: $r, severity: MINOR, vendorName: "阳光物业"}) '
        "{ status severity vendorName } }", {"r": reference})
    assert triage["data"]["workOrderTriage"]["severity"] == "MINOR"
    started = client.gql("mutation($r: String!) { workOrderStart(reference: $r) { status } }", {"r": reference})
    assert started["data"]["workOrderStart"]["status"] == "IN_PROGRESS"
    done = client.gql('mutation($r: String!) { workOrderComplete(data: {reference: $r, closingNote: "已更换阀芯"}) '
                      "{ status closingNote } }", {"r": reference})
    assert done["data"]["workOrderComplete"] == {"status": "COMPLETED", "closingNote": "已更换阀芯"}


WORK = {
    "triage": 'mutation($r: String!) { workOrderTriage(data: {reference: $r, severity: MAJOR}) { status } }',
    "start": "mutation($r: String!) { workOrderStart(reference: $r) { status } }",
    "pause": 'mutation($r: String!) { workOrderPause(reference: $r, reason: "等配件") { status } }',
    "resume": "mutation($r: String!) { workOrderResume(reference: $r) { status } }",
    "note": 'mutation($r: String!) { workOrderNoteAdd(reference: $r, text: "已订阀芯") }',
    "complete": 'mutation($r: String!) { workOrderComplete(data: {reference: $r, closingNote: "已更换阀芯"}) '
                "{ status } }",
}


def test_partner_work_orders_record_the_partner(make_partner, bearer, client_for, school_a, room_a, alice):
    from repairs.models import ClockEvent, WorkOrderNote

    # given the property company with repairs:write on school A
    _, _, raw = make_partner(scopes=["repairs:read", "repairs:write"], schools=[school_a], name="阳光物业")
    client = bearer(raw, school_a)

    # when it reports an order and works it through: triage, start, pause, resume, a note, complete
    reported = client.gql(REPORT, {"data": {"title": "水龙头漏水", "roomId": room_a.pk}})
    reference = reported["data"]["workOrderReport"]["reference"]
    for step, mutation in WORK.items():
        result = client.gql(mutation, {"r": reference})
        assert "errors" not in result, (step, result)

    # then the order names the partner as its reporter, and every note and clock change names it
    connection.set_tenant(school_a)
    order = WorkOrder.objects.get(reference=reference)
    assert (order.status, order.source, order.reporter_id, order.reporter_name) == (
        "completed", "api", None, "阳光物业")
    assert list(WorkOrderNote.objects.filter(order=order).values_list("partner_name", "author", "text")) == [
        ("阳光物业", None, "已订阀芯")]
    clock = list(ClockEvent.objects.filter(order=order).values_list("kind", "partner_name", "actor"))
    assert [kind for kind, _name, _actor in clock] == ["started", "due_changed", "paused", "resumed", "stopped"]
    assert {(name, actor) for _kind, name, actor in clock} == {("阳光物业", None)}
    connection.set_schema_to_public()
    # and the school's order page shows it as the partner
    page = client_for(alice, school_a).get(f"/repairs/{order.pk}/").content.decode()
    assert page.count("阳光物业（合作方）") >= 6
    reporter = client.gql("query($r: String!) { workOrder(reference: $r) { reporter { name signedIn } } }",
                          {"r": reference})
    assert reporter == {"data": {"workOrder": {"reporter": {"name": "阳光物业", "signedIn": False}}}}


def test_repairs_read_token_cannot_write(make_partner, bearer, school_a, room_a):
    _, _, raw = make_partner(scopes=["repairs:read"], schools=[school_a])
    result = bearer(raw, school_a).gql(REPORT, {"data": {"title": "漏水", "roomId": room_a.pk}})
    assert result["data"] is None
    assert _code(result) == "FORBIDDEN"
    connection.set_tenant(school_a)
    assert not WorkOrder.objects.filter(title="漏水").exists()


def test_partner_cannot_confirm_as_if_it_were_the_reporter(make_partner, bearer, school_a):
    _, _, raw = make_partner(scopes=["repairs:read", "repairs:write"], schools=[school_a])
    result = bearer(raw, school_a).gql('mutation { workOrderConfirm(data: {reference: "X", rating: 5}) { status } }')
    assert _code(result) == "FORBIDDEN"


def test_mutation_with_invalid_input_is_bad_user_input_and_changes_nothing(make_partner, bearer, school_a, room_a):
    _, _, raw = make_partner(scopes=["repairs:read", "repairs:write"], schools=[school_a])
    client = bearer(raw, school_a)
    reference = client.gql(REPORT, {"data": {"title": "门坏了", "roomId": room_a.pk}})["data"]["workOrderReport"][
        "reference"]
    result = client.gql('mutation($r: String!) { workOrderComplete(data: {reference: $r, closingNote: " "}) { status } }',
                        {"r": reference})
    assert result["data"] is None
    assert _code(result) == "BAD_USER_INPUT"
    assert "Traceback" not in str(result)
    connection.set_tenant(school_a)
    assert WorkOrder.objects.get(reference=reference).status == "reported"


def test_mutation_with_wrongly_typed_input_is_a_validation_error(make_partner, bearer, school_a):
    _, _, raw = make_partner(scopes=["repairs:read", "repairs:write"], schools=[school_a])
    result = bearer(raw, school_a).gql(REPORT, {"data": {"title": 42, "roomId": "abc"}})
    assert result["data"] is None
    assert _code(result) == "BAD_USER_INPUT"


def test_token_for_a_cannot_write_repairs_in_b(make_partner, bearer, school_a, school_b):
    _, _, raw = make_partner(scopes=["repairs:read", "repairs:write"], schools=[school_a])
    result = bearer(raw, school_b).gql(REPORT, {"data": {"title": "越权报修", "locationNote": "操场"}})
    assert _code(result) == "FORBIDDEN"
    connection.set_tenant(school_b)
    assert not WorkOrder.objects.filter(title="越权报修").exists()


def test_work_order_node_resolves_with_repairs_read_only(make_partner, bearer, school_a, room_a):
    _, _, writer = make_partner(scopes=["repairs:read", "repairs:write"], schools=[school_a], name="w")
    reference = bearer(writer, school_a).gql(REPORT, {"data": {"title": "灯不亮", "roomId": room_a.pk}})["data"][
        "workOrderReport"]["reference"]
    connection.set_tenant(school_a)
    pk = WorkOrder.objects.get(reference=reference).pk
    connection.set_schema_to_public()
    query = "query($id: ID!) { node(id: $id) { ... on WorkOrderType { reference title } } }"
    assert bearer(writer, school_a).gql(query, {"id": gid("WorkOrderType", pk)}) == {
        "data": {"node": {"reference": reference, "title": "灯不亮"}}}
    _, _, schools_only = make_partner(scopes=["schools:read"], schools=[school_a], name="s")
    assert _code(bearer(schools_only, school_a).gql(query, {"id": gid("WorkOrderType", pk)})) == "FORBIDDEN"
