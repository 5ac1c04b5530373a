"""Coverage of assets for partners: the procurement platform and purchase requests / acceptances."""

from __future__ import annotations

import base64
from decimal import Decimal

import pytest
from django.db import connection

from tenants.roles import Role
from tenants.services import membership_grant

PURCHASES = "{ purchaseRequestList(first: 10) { totalCount edges { node { number title status } } } }"
DECIDE = "mutation($id: ID!) { purchaseRequestDecide(id: $id, approve: true) { status } }"
CREATE = """mutation($data: PurchaseRequestInput!) { purchaseRequestCreate(data: $data) {
  id number status estimatedTotal requestedByPartner requestedBy { name } department { name }
  lines { name quantity estimatedUnitPrice kind } } }"""
SUBMIT = "mutation($id: ID!) { purchaseRequestSubmit(id: $id) { number status needsBureauApproval } }"
NODE = "query($id: ID!) { node(id: $id) { id ... on PurchaseRequestType { number title } } }"
ACCEPTANCES = """query($request: ID) { acceptanceList(first: 10, purchaseRequestId: $request) { totalCount edges { node {
  id acceptedOn invoiceNumber acceptedTotal request { number status }
  lines { acceptedQuantity rejectedQuantity unitPrice line { name } } } } } }"""
ASSETS_RW = ["assets:read", "assets:write"]


def _gid(type_name: str, pk: int) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def _in(school, fn):
    """fn() run inside the school's schema."""
    connection.set_tenant(school)
    try:
        return fn()
    finally:
        connection.set_schema_to_public()


def _department(school):
    from schools.models import Department

    return _in(school, lambda: Department.objects.order_by("pk").first())


def _purchase_count(school) -> int:
    from assets.models import PurchaseRequest

    return _in(school, PurchaseRequest.objects.count)


def _data(school, **overrides) -> dict:
    """The procurement platform's request: a department of the school, lines with cents."""
    data = {
        "title": "多媒体教室设备", "departmentId": _gid("DepartmentType", _department(school).pk),
        "reason": "新建两间多媒体教室", "channel": "GOVERNMENT",
        "lines": [
            {"name": "交互式一体机", "categoryCode": "A02010105", "quantity": 3, "estimatedUnitPrice": "5600.50"},
            {"name": "白板笔", "categoryCode": "A07000000", "quantity": 10, "estimatedUnitPrice": "12.35", "unit": "支"},
        ],
    }
    return {**data, **overrides}


@pytest.fixture
def submitted_request(school_a):
    from assets import services
    from assets.services import LineInput
    from tenants.models import User
    from tests.assets.factories import DepartmentFactory, category

    leo = User.objects.create_user(username="leo-api", password="x-pass-42", name="Leo")
    membership_grant(user=leo, role=Role.LOGISTICS_DIRECTOR, school=school_a)
    connection.set_tenant(school_a)
    request = services.purchase_request_create(
        actor=leo, department=DepartmentFactory(name="信息中心"), title="电脑", reason="教学", channel="government",
        lines=[LineInput(name="台式计算机", category=category("A02010105"), quantity=3,
                         estimated_unit_price=Decimal("5600.00"))])
    request = services.purchase_request_submit(request=request, actor=leo)
    connection.set_schema_to_public()
    return request


@pytest.fixture
def platform(make_partner, school_a):
    """The procurement platform: granted school A, reads and writes assets."""
    client, _, raw = make_partner(scopes=ASSETS_RW, schools=[school_a], name="阳光采购平台")
    return client, raw


def test_purchase_requests_need_assets_read(make_partner, bearer, school_a, submitted_request):
    _, _, raw = make_partner(scopes=["repairs:read"], schools=[school_a])
    result = bearer(raw, school_a).gql(PURCHASES)
    assert result["data"] is None
    assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_partner_with_assets_write_cannot_approve_a_purchase(make_partner, bearer, school_a, submitted_request):
    from assets.models import PurchaseRequest

    _, _, raw = make_partner(scopes=["assets:read", "assets:write"], schools=[school_a])
    global_id = base64.b64encode(f"PurchaseRequestType:{submitted_request.pk}".encode()).decode()
    result = bearer(raw, school_a).gql(DECIDE, {"id": global_id})
    assert result["data"] is None
    assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    connection.set_tenant(school_a)
    assert PurchaseRequest.objects.get(pk=submitted_request.pk).status == submitted_request.status


def test_procurement_platform_reads_purchase_requests(make_partner, bearer, school_a, submitted_request):
    _, _, raw = make_partner(scopes=["assets:read"], schools=[school_a])
    result = bearer(raw, school_a).gql(PURCHASES)
    assert result["data"]["purchaseRequestList"]["edges"][0]["node"]["title"] == "电脑"


def test_procurement_platform_reads_one_request_by_number_and_by_node(make_partner, bearer, school_a,
                                                                      submitted_request):
    _, _, raw = make_partner(scopes=["assets:read"], schools=[school_a])
    client = bearer(raw, school_a)
    query = "query($n: String!) { purchaseRequest(number: $n) { id title requestedBy { name } lines { quantity } } }"
    found = client.gql(query, {"n": submitted_request.number})["data"]["purchaseRequest"]
    assert (found["title"], found["requestedBy"], found["lines"]) == ("电脑", {"name": "Leo"}, [{"quantity": 3}])
    assert found["id"] == _gid("PurchaseRequestType", submitted_request.pk)
    node = client.gql(NODE, {"id": found["id"]})["data"]["node"]
    assert node == {"id": found["id"], "number": submitted_request.number, "title": "电脑"}
    missing = client.gql(query, {"n": "CG000000000"})
    assert missing["errors"][0]["extensions"]["code"] == "NOT_FOUND"


def test_platform_creates_a_request_that_the_school_lists_and_approves(platform, bearer, client_for, school_a, alice):
    from assets.models import PurchaseRequest

    client, raw = platform
    # when the platform drafts a request with Decimal amounts and submits it
    created = bearer(raw, school_a).gql(CREATE, {"data": _data(school_a)})
    assert "errors" not in created, created
    request = created["data"]["purchaseRequestCreate"]
    assert request["status"] == "DRAFT"
    assert request["estimatedTotal"] == "16925.00"  # 3 × 5600.50 + 10 × 12.35, exactly
    assert (request["requestedBy"], request["requestedByPartner"]) == (None, "阳光采购平台")
    assert [(x["name"], x["quantity"], x["estimatedUnitPrice"]) for x in request["lines"]] == [
        ("交互式一体机", 3, "5600.50"), ("白板笔", 10, "12.35")]
    submitted = bearer(raw, school_a).gql(SUBMIT, {"id": request["id"]})["data"]["purchaseRequestSubmit"]
    assert submitted == {"number": request["number"], "status": "SUBMITTED", "needsBureauApproval": False}

    # then the school's ledger shows it with the platform's name, and the principal approves it
    page = client_for(alice, school_a).get("/assets/purchases/").content.decode()
    assert request["number"] in page
    assert "阳光采购平台（合作方接口）" in page
    approved = client_for(alice, school_a).gql(DECIDE, {"id": request["id"]})
    assert approved["data"]["purchaseRequestDecide"]["status"] == "APPROVED"
    stored = _in(school_a, lambda: PurchaseRequest.objects.get(number=request["number"]))
    assert (stored.requested_by_id, stored.requested_by_client_id) == (None, client.pk)
    assert stored.estimated_total == Decimal("16925.00")


def test_partner_submits_only_what_it_sent(platform, make_partner, bearer, school_a, client_for, bob):
    from assets.models import PurchaseRequest

    _, raw = platform
    _, _, other = make_partner(scopes=ASSETS_RW, schools=[school_a], name="另一平台")
    mine = bearer(raw, school_a).gql(CREATE, {"data": _data(school_a)})["data"]["purchaseRequestCreate"]
    # another partner's draft, and a teacher's draft, are not the platform's to submit
    refused = bearer(other, school_a).gql(SUBMIT, {"id": mine["id"]})
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    teachers = client_for(bob, school_a).gql(CREATE, {"data": _data(school_a)})["data"]["purchaseRequestCreate"]
    assert teachers["requestedBy"] == {"name": "Bob"}
    refused = bearer(raw, school_a).gql(SUBMIT, {"id": teachers["id"]})
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert _in(school_a, lambda: sorted(PurchaseRequest.objects.values_list("status", flat=True))) == ["draft", "draft"]


def test_token_of_school_a_cannot_read_or_write_school_b(platform, bearer, school_a, school_b):
    from assets import services
    from assets.models import PurchaseRequest
    from assets.services import LineInput
    from tests.assets.factories import category

    _, raw = platform
    charlie_request = _in(school_b, lambda: services.purchase_request_create(
        actor=_charlie(), department=_department_here(), title="乙校课桌", reason="扩班", channel="government",
        lines=[LineInput(name="课桌", category=category("A05010200"), quantity=2, estimated_unit_price=Decimal("300"))]))
    b_id = _gid("PurchaseRequestType", charlie_request.pk)
    # by host: school B's list, node and create are refused, and nothing is created there
    for query, variables in ((PURCHASES, {}), (NODE, {"id": b_id}), (CREATE, {"data": _data(school_b)}),
                             (SUBMIT, {"id": b_id})):
        result = bearer(raw, school_b).gql(query, variables)
        assert not any((result["data"] or {}).values()), query  # node answers {"node": null}, the rest no data
        assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN", query
    # by node id: B's id sent to A's host finds nothing of B's
    assert bearer(raw, school_a).gql(NODE, {"id": b_id})["data"]["node"] is None
    result = bearer(raw, school_a).gql(SUBMIT, {"id": b_id})
    assert result["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    # a department id of school B is not a department of school A
    result = bearer(raw, school_a).gql(CREATE, {"data": _data(school_a, departmentId=_gid(
        "DepartmentType", _department(school_b).pk + 1000))})
    assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert _in(school_b, lambda: list(PurchaseRequest.objects.values_list("number", "status"))) == [
        (charlie_request.number, "draft")]
    assert _purchase_count(school_a) == 0


def _charlie():
    from tenants.models import User

    return User.objects.get(username="charlie")


def _department_here():
    from schools.models import Department

    return Department.objects.order_by("pk").first()


def test_read_only_token_cannot_create(make_partner, bearer, school_a):
    _, _, raw = make_partner(scopes=["assets:read"], schools=[school_a])
    result = bearer(raw, school_a).gql(CREATE, {"data": _data(school_a)})
    assert result["data"] is None
    assert result["errors"][0]["extensions"] == {"code": "FORBIDDEN", "requiredScope": "assets:write"}
    assert _purchase_count(school_a) == 0


@pytest.mark.parametrize(("case", "field", "message"), [
    ("negative amount", "lines", "第 2 行：预估单价不能为负数。"),
    ("zero quantity", "lines", "第 1 行：数量至少为 1。"),
    ("unknown department", "department_id", "本校没有该编号的部门。"),
    ("department id of another type", "department_id", "本校没有该编号的部门。"),
    ("malformed department id", "department_id", "本校没有该编号的部门。"),
    ("no lines", "lines", "请至少填写一条明细。"),
    ("unknown category", "category_code", "分类代码 9999999 不存在。"),
])
def test_invalid_input_is_refused_with_a_code_and_creates_nothing(platform, bearer, school_a, case, field, message):
    _, raw = platform
    data = _data(school_a)
    if case == "negative amount":
        data["lines"][1]["estimatedUnitPrice"] = "-12.35"
    elif case == "zero quantity":
        data["lines"][0]["quantity"] = 0
    elif case == "unknown department":
        data["departmentId"] = _gid("DepartmentType", 987654)
    elif case == "department id of another type":
        data["departmentId"] = _gid("PurchaseRequestType", _department(school_a).pk)
    elif case == "malformed department id":
        data["departmentId"] = "not-an-id"
    elif case == "no lines":
        data["lines"] = []
    elif case == "unknown category":
        data["lines"][0]["categoryCode"] = "9999999"
    result = bearer(raw, school_a).gql(CREATE, {"data": data})
    assert result["data"] is None
    error = result["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert message in error["extensions"]["fields"][field]
    assert _purchase_count(school_a) == 0


def test_platform_reads_acceptances_but_does_not_record_them(platform, bearer, client_for, school_a, alice, bob):
    from assets import services
    from assets.services import AcceptedLine
    from tests.assets.factories import RoomFactory

    _, raw = platform
    client = bearer(raw, school_a)
    request = client.gql(CREATE, {"data": _data(school_a)})["data"]["purchaseRequestCreate"]
    client.gql(SUBMIT, {"id": request["id"]})
    client_for(alice, school_a).gql(DECIDE, {"id": request["id"]})
    kate = _custodian(school_a)

    def accept():
        from assets.models import PurchaseRequest

        purchase = PurchaseRequest.objects.get(number=request["number"])
        boards = purchase.lines.get(name="交互式一体机")
        return services.acceptance_record(
            request=purchase, actor=kate, members=[kate], actual_user=bob, room=RoomFactory(), invoice_number="FP-9",
            lines=[AcceptedLine(line=boards, accepted=2, unit_price=Decimal("5588.88"))])

    acceptance = _in(school_a, accept)
    listed = client.gql(ACCEPTANCES, {"request": request["id"]})["data"]["acceptanceList"]
    assert listed["totalCount"] == 1
    node = listed["edges"][0]["node"]
    assert node["id"] == _gid("AcceptanceType", acceptance.pk)
    assert (node["invoiceNumber"], node["acceptedTotal"], node["request"]) == (
        "FP-9", "11177.76", {"number": request["number"], "status": "PARTLY_ACCEPTED"})
    assert node["lines"] == [{"acceptedQuantity": 2, "rejectedQuantity": 0, "unitPrice": "5588.88",
                              "line": {"name": "交互式一体机"}}]
    by_node = client.gql("query($id: ID!) { node(id: $id) { ... on AcceptanceType { invoiceNumber } } }",
                         {"id": node["id"]})
    assert by_node["data"]["node"] == {"invoiceNumber": "FP-9"}
    detail = client.gql("query($n: String!) { purchaseRequest(number: $n) { acceptances { invoiceNumber } } }",
                        {"n": request["number"]})
    assert detail["data"]["purchaseRequest"]["acceptances"] == [{"invoiceNumber": "FP-9"}]
    # recording an acceptance stays with the school's acceptance group
    record = """mutation($data: AcceptanceInput!) { acceptanceRecord(data: $data) { status } }"""
    refused = client.gql(record, {"data": {"purchaseRequestId": request["id"], "memberIds": [str(kate.pk)],
                                           "actualUserId": str(bob.pk), "lines": []}})
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def _custodian(school):
    from tenants.models import User

    kate, _ = User.objects.get_or_create(username="kate-api", defaults={"name": "Kate"})
    membership_grant(user=kate, role=Role.CUSTODIAN, school=school)
    return kate


def test_a_suspended_school_takes_no_decision(platform, bearer, client_for, school_a, alice):
    from assets.models import PurchaseRequest
    from tenants.models import School

    _, raw = platform
    request = bearer(raw, school_a).gql(CREATE, {"data": _data(school_a)})["data"]["purchaseRequestCreate"]
    bearer(raw, school_a).gql(SUBMIT, {"id": request["id"]})
    School.objects.filter(pk=school_a.pk).update(status="suspended")
    refused = client_for(alice, school_a).gql(DECIDE, {"id": request["id"]})
    assert refused["data"] is None
    assert refused["errors"][0]["extensions"]["code"] == "READ_ONLY"
    assert _in(school_a, lambda: PurchaseRequest.objects.get(number=request["number"]).status) == "submitted"
