"""A school's records name only people of that school (issue 17: trust, tried from outside).

Tried before the fix, signed in at alpha: every GraphQL mutation that names a person took any account of the
whole platform. alice (principal of alpha) could make charlie (principal of beta, same bureau) or erin (leader
of bureau south) a borrower, an acceptance member, a transfer's receiver, a hazard's responsible person, a
roster entry or a head teacher of alpha, and the answers told which ids and usernames exist: an outsider was
accepted while a made-up one was NOT_FOUND (or, for a work order's worker, an outsider got "assign it to a
maintenance worker of this school" and a made-up name "No such user."). The school pages' room, department and
unit forms offered every account of the platform as custodian, head and contact, by name.

Now each of them takes a person only through tenants.selectors.member_get_for / member_list_for: an outsider, a
person whose membership here ended, and a name or id that exists nowhere get the same answer, word for word
(「该人员不是本校人员。」, NOT_FOUND), and nothing changes (every row of the school's schema counted, and the
record's own fields). A member is accepted as before (the positive control of each attack).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from api.services import api_token_create, partner_client_create
from assets import services as asset_services
from assets.models import Asset, Loan, PurchaseRequest, Transfer
from repairs.choices import Severity, Status
from repairs.models import WorkOrder
from repairs.services import work_order_report
from safety import services as safety_services
from safety.models import Hazard, SchoolClass, SecurityTeamMember
from schools.models import Building, Department, OnCampusUnit, Room
from tenants.access import forget_memberships
from tenants.models import Membership, User
from tenants.roles import Role
from tenants.selectors import PersonNotFound, member_get_for, member_list_for
from tests.assets.conftest import _person
from tests.conftest import schema_table_counts

NOT_A_MEMBER = "该人员不是本校人员。"
NOBODY_ID = "987654321"
NOBODY_NAME = "pr-nobody-anywhere"
# Who is refused, by the fixture that names them: another school's principal, another bureau's leader, a
# maintenance worker of another school, a former member of alpha, and a made-up account.
OUTSIDERS = ("charlie", "erin", "beta_worker", "former", None)


# ---------------------------------------------------------------- people


@pytest.fixture
def custodian(school_a):
    return _person("pr-custodian", Role.CUSTODIAN, school=school_a)


@pytest.fixture
def director(school_a):
    return _person("pr-director", Role.LOGISTICS_DIRECTOR, school=school_a)


@pytest.fixture
def worker(school_a):
    return _person("pr-worker", Role.MAINTENANCE_WORKER, school=school_a)


@pytest.fixture
def beta_worker(school_b):
    """A maintenance worker of beta: the right role, the wrong school."""
    return _person("pr-beta-worker", Role.MAINTENANCE_WORKER, school=school_b)


@pytest.fixture
def former(school_a):
    """Once a teacher of alpha; the membership has ended (the account is still active)."""
    user = _person("pr-former", Role.TEACHER, school=school_a)
    Membership.objects.filter(user=user, school=school_a).update(is_active=False, ended_at=timezone.now())
    forget_memberships(user)
    return user


@pytest.fixture
def outsiders(request, charlie, erin, beta_worker, former):
    """[(label, id, username)] of everyone who must be refused, the made-up account last."""
    people = [(name, request.getfixturevalue(name)) for name in OUTSIDERS if name]
    return [(name, str(u.pk), u.username) for name, u in people] + [("nobody", NOBODY_ID, NOBODY_NAME)]


def _in(school, fn):
    connection.set_tenant(school)
    try:
        return fn()
    finally:
        connection.set_schema_to_public()


def _refused_alike(results: dict[str, dict], field: str) -> None:
    """Every answer is the same NOT_FOUND, word for word, whoever was named."""
    expected = None
    for label, result in results.items():
        assert result.get("data") is None, (label, result)
        assert [e["message"] for e in result["errors"]] == [NOT_A_MEMBER], (label, result)
        assert result["errors"][0]["extensions"] == {"code": "NOT_FOUND", "field": field}, (label, result)
        expected = expected or result
        assert result == expected, (label, result, expected)


def _attack(client, query, make_variables, outsiders, *, by: str, field: str, school) -> None:
    """Send the mutation once per outsider; all refused alike and the school's rows unchanged."""
    before = schema_table_counts(school.schema_name)
    results = {label: client.gql(query, make_variables(pk if by == "id" else name))
               for label, pk, name in outsiders}
    _refused_alike(results, field)
    assert schema_table_counts(school.schema_name) == before


# ---------------------------------------------------------------- assets (GraphQL)

LEND = "mutation($data: LoanInput!) { loanCreate(data: $data) { dueOn asset { condition } } }"
TRANSFER = "mutation($data: TransferInput!) { transferRequest(data: $data) { status reason } }"
ACCEPT = "mutation($data: AcceptanceInput!) { acceptanceRecord(data: $data) { status } }"


@pytest.fixture
def asset(school_a):
    from tests.assets.factories import AssetFactory

    return _in(school_a, lambda: AssetFactory())


def test_loan_borrower_must_be_a_person_of_this_school(client_for, school_a, custodian, asset, bob, outsiders):
    client = client_for(custodian, school_a)

    def data(person):
        return {"data": {"assetNumber": asset.asset_number, "borrowerId": person, "dueOn": "2030-01-01"}}

    _attack(client, LEND, data, outsiders, by="id", field="borrowerId", school=school_a)
    assert _in(school_a, lambda: (Loan.objects.count(), Asset.objects.get(pk=asset.pk).condition)) == (
        0, asset.condition)
    # a member borrows as before
    lent = client.gql(LEND, data(str(bob.pk)))
    assert lent["data"]["loanCreate"] == {"dueOn": "2030-01-01", "asset": {"condition": "LENT"}}
    assert _in(school_a, lambda: list(Loan.objects.values_list("borrower_id", flat=True))) == [bob.pk]


def test_transfer_receiver_must_be_a_person_of_this_school(client_for, school_a, bob, gina, asset, outsiders):
    client = client_for(bob, school_a)

    def data(person):
        return {"data": {"assetNumber": asset.asset_number, "reason": "换岗", "toUserId": person}}

    _attack(client, TRANSFER, data, outsiders, by="id", field="toUserId", school=school_a)
    assert _in(school_a, Transfer.objects.count) == 0
    moved = client.gql(TRANSFER, data(str(gina.pk)))
    assert moved["data"]["transferRequest"] == {"status": "PENDING", "reason": "换岗"}
    assert _in(school_a, lambda: list(Transfer.objects.values_list("to_user_id", flat=True))) == [gina.pk]


@pytest.fixture
def approved_purchase(school_a, custodian, alice):
    from assets.services import LineInput
    from tests.assets.factories import DepartmentFactory, category

    def make():
        request = asset_services.purchase_request_create(
            actor=custodian, department=DepartmentFactory(name="信息中心"), title="电脑", reason="教学",
            channel="government",
            lines=[LineInput(name="台式计算机", category=category("A02010105"), quantity=2,
                             estimated_unit_price=Decimal("5600.00"))],
        )
        asset_services.purchase_request_submit(request=request, actor=custodian)
        asset_services.purchase_request_decide(request=request, actor=alice, approve=True)
        return request, request.lines.get()

    return _in(school_a, make)


@pytest.mark.parametrize("field", ["memberIds", "actualUserId"])
def test_acceptance_group_must_be_people_of_this_school(client_for, school_a, custodian, bob, approved_purchase,
                                                        outsiders, field):
    request, line = approved_purchase
    client = client_for(custodian, school_a)

    def data(person, *, members=None, actual=None):
        members = members if members is not None else ([str(custodian.pk), person] if field == "memberIds"
                                                       else [str(custodian.pk)])
        actual = actual if actual is not None else (person if field == "actualUserId" else str(bob.pk))
        return {"data": {"purchaseRequestId": str(request.pk), "memberIds": members, "actualUserId": actual,
                         "invoiceNumber": "FP-1", "lines": [{"lineId": str(line.pk), "accepted": 1}]}}

    _attack(client, ACCEPT, data, outsiders, by="id", field=field, school=school_a)
    assert _in(school_a, lambda: (PurchaseRequest.objects.get(pk=request.pk).status, Asset.objects.count())) == (
        "approved", 0)
    accepted = client.gql(ACCEPT, data("", members=[str(custodian.pk)], actual=str(bob.pk)))
    assert accepted["data"]["acceptanceRecord"] == {"status": "PARTLY_ACCEPTED"}
    assert _in(school_a, lambda: list(Asset.objects.values_list("user_id", flat=True))) == [bob.pk]


# ---------------------------------------------------------------- repairs (GraphQL)

TRIAGE = """mutation($data: WorkOrderTriageInput!) { workOrderTriage(data: $data) { status assigneeName } }"""


@pytest.fixture
def order(school_a, bob):
    from tests.assets.factories import RoomFactory

    return _in(school_a, lambda: work_order_report(reporter=bob, title="灯不亮", room=RoomFactory()))


def _order_state(school, order):
    return _in(school, lambda: WorkOrder.objects.values_list("severity", "assignee_id", "status").get(pk=order.pk))


def test_work_order_worker_must_be_a_person_of_this_school(client_for, school_a, director, worker, order,
                                                           outsiders):
    client = client_for(director, school_a)

    def data(username):
        return {"data": {"reference": order.reference, "severity": "MAJOR", "assigneeUsername": username}}

    _attack(client, TRIAGE, data, outsiders, by="username", field="assigneeUsername", school=school_a)
    assert _order_state(school_a, order) == (Severity.MINOR, None, Status.REPORTED)
    # the username is matched in any case, as at sign-in
    assigned = client.gql(TRIAGE, data("PR-Worker"))
    assert assigned["data"]["workOrderTriage"] == {"status": "ASSIGNED", "assigneeName": "Pr-Worker"}
    assert _order_state(school_a, order) == (Severity.MAJOR, worker.pk, Status.ASSIGNED)


def test_a_member_who_is_not_a_worker_is_told_so(client_for, school_a, director, order, bob):
    """Naming one of the school's own people who is not a maintenance worker tells nothing the school lacks."""
    result = client_for(director, school_a).gql(TRIAGE, {"data": {
        "reference": order.reference, "severity": "MAJOR", "assigneeUsername": "bob"}})
    assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert result["errors"][0]["message"] == "请将工单派给本校的维修工。"
    assert _order_state(school_a, order) == (Severity.MINOR, None, Status.REPORTED)


# ---------------------------------------------------------------- safety (GraphQL)

HAZARD = "mutation($d: HazardReportInput!) { hazardReport(data: $d) { grade } }"
PLAN = "mutation($d: HazardPlanInput!) { hazardPlan(data: $d) { grade } }"
ROSTER = "mutation($d: RosterInput!) { securityTeamMemberAdd(data: $d) { name team } }"
CLASS = "mutation($d: SchoolClassInput!) { schoolClassCreate(data: $d) { grade name } }"


def test_hazard_responsible_must_be_a_person_of_this_school(client_for, school_a, alice, outsiders):
    client = client_for(alice, school_a)

    def data(username):
        return {"d": {"category": "BUILDINGS", "description": "围墙裂缝", "locationText": "东围墙", "responsibleUsername": username}}

    _attack(client, HAZARD, data, outsiders, by="username", field="responsibleUsername", school=school_a)
    assert _in(school_a, Hazard.objects.count) == 0
    assert client.gql(HAZARD, data("bob"))["data"]["hazardReport"] == {"grade": "GENERAL"}
    assert _in(school_a, lambda: list(Hazard.objects.values_list("responsible_id", flat=True))) == [
        User.objects.get(username="bob").pk]


def test_hazard_plan_responsible_must_be_a_person_of_this_school(client_for, school_a, alice, bob, outsiders):
    hazard = _in(school_a, lambda: safety_services.hazard_report(
        reporter=alice, category="buildings", description="围墙裂缝", location_text="东围墙"))
    client = client_for(alice, school_a)

    def data(username):
        return {"d": {"id": str(hazard.pk), "grade": "GENERAL", "responsibleUsername": username, "measures": "加固"}}

    _attack(client, PLAN, data, outsiders, by="username", field="responsibleUsername", school=school_a)
    assert _in(school_a, lambda: Hazard.objects.values_list("responsible_id", "measures").get(pk=hazard.pk)) == (
        None, "")
    assert client.gql(PLAN, data("bob"))["data"]["hazardPlan"] == {"grade": "GENERAL"}
    assert _in(school_a, lambda: Hazard.objects.get(pk=hazard.pk).responsible_id) == bob.pk


def test_roster_account_must_be_a_person_of_this_school(client_for, school_a, alice, gina, outsiders):
    client = client_for(alice, school_a)

    def data(username):
        return {"d": {"name": "护校队员", "team": "GUARD", "username": username}}

    _attack(client, ROSTER, data, outsiders, by="username", field="username", school=school_a)
    assert _in(school_a, SecurityTeamMember.objects.count) == 0
    assert client.gql(ROSTER, data("gina"))["data"]["securityTeamMemberAdd"] == {"name": "护校队员", "team": "GUARD"}
    assert _in(school_a, lambda: list(SecurityTeamMember.objects.values_list("user_id", flat=True))) == [gina.pk]


def test_head_teacher_must_be_a_person_of_this_school(client_for, school_a, alice, bob, outsiders):
    client = client_for(alice, school_a)

    def data(username):
        return {"d": {"grade": 3, "name": "三(9)班", "studentCount": 40, "headTeacherUsername": username}}

    _attack(client, CLASS, data, outsiders, by="username", field="headTeacherUsername", school=school_a)
    assert _in(school_a, lambda: SchoolClass.objects.filter(name="三(9)班").count()) == 0
    assert client.gql(CLASS, data("bob"))["data"]["schoolClassCreate"] == {"grade": 3, "name": "三(9)班"}
    assert _in(school_a, lambda: SchoolClass.objects.get(name="三(9)班").head_teacher_id) == bob.pk


# ---------------------------------------------------------------- partners (GraphQL, no acting person)


@pytest.fixture
def partner(oscar, school_a):
    """A property company granted alpha, reporting hazards and working repairs."""
    from tests.api.conftest import BearerClient

    client = partner_client_create(actor=oscar, name="物业公司", bureau=None, scopes=[
        "repairs:read", "repairs:write", "safety:read", "safety:write"], grant_bureau=None, schools=[school_a])
    _token, raw = api_token_create(actor=oscar, client=client, name="main")
    return BearerClient(school_a.host, raw)


def test_a_partner_names_only_people_of_the_school(partner, school_a, worker, order, bob, outsiders):
    def hazard(username):
        return {"d": {"category": "BUILDINGS", "description": "围墙裂缝", "locationText": "东围墙", "responsibleUsername": username}}

    def triage(username):
        return {"data": {"reference": order.reference, "severity": "MINOR", "assigneeUsername": username}}

    _attack(partner, HAZARD, hazard, outsiders, by="username", field="responsibleUsername", school=school_a)
    _attack(partner, TRIAGE, triage, outsiders, by="username", field="assigneeUsername", school=school_a)
    assert _order_state(school_a, order) == (Severity.MINOR, None, Status.REPORTED)
    # a member passes the lookup and meets the partner's own rule (the school sets the 五定, not a partner)
    named = partner.gql(HAZARD, hazard("bob"))
    assert (named["errors"][0]["extensions"]["code"], list(named["errors"][0]["extensions"]["fields"])) == (
        "BAD_USER_INPUT", ["grade"])
    assert _in(school_a, Hazard.objects.count) == 0
    assert partner.gql(TRIAGE, triage("pr-worker"))["data"]["workOrderTriage"]["assigneeName"] == "Pr-Worker"


# ---------------------------------------------------------------- web forms


def _post(client, path, data, school):
    """POST a form; (the response, the school's row counts before == after)."""
    before = schema_table_counts(school.schema_name)
    response = client.post(path, data)
    return response, schema_table_counts(school.schema_name) == before


@pytest.fixture
def building(school_a):
    return _in(school_a, lambda: Building.objects.create(name="人员测试楼"))


FORMS = {
    # page, the person field, the other fields, the model and how to find what was saved
    "room": ("/school/rooms/new/", "custodian",
             lambda b: {"building": b.pk, "floor": 1, "number": "P101", "purpose": "classroom"},
             lambda: Room.objects.filter(number="P101")),
    "department": ("/school/departments/new/", "head",
                   lambda b: {"name": "人员测试处", "sort_order": 0, "is_active": "on"},
                   lambda: Department.objects.filter(name="人员测试处")),
    "unit": ("/school/units/new/", "contact_user",
             lambda b: {"name": "人员测试幼儿园", "kind": "other", "headcount": 0},
             lambda: OnCampusUnit.objects.filter(name="人员测试幼儿园")),
}


@pytest.mark.parametrize("form", sorted(FORMS))
def test_school_forms_offer_and_take_only_people_of_this_school(client_for, school_a, alice, bob, building,
                                                                 outsiders, charlie, erin, form):
    path, field, fields, saved = FORMS[form]
    client = client_for(alice, school_a)
    page = client.get(path).content.decode()
    # the choice list names the school's people, never another school's or bureau's
    assert ">Bob<" in page
    assert ">Charlie<" not in page
    assert ">Erin<" not in page
    errors = {}
    for label, pk, _name in outsiders:
        response, unchanged = _post(client, path, {**fields(building), field: pk}, school_a)
        assert (response.status_code, unchanged) == (200, True), label
        errors[label] = response.context["form"].errors.get_json_data()
    assert list(errors.values()) == [errors["nobody"]] * len(errors)
    assert list(errors["nobody"]) == [field]
    assert _in(school_a, lambda: saved().count()) == 0
    response = client.post(path, {**fields(building), field: bob.pk})
    assert response.status_code == 302
    assert _in(school_a, lambda: getattr(saved().get(), f"{field}_id")) == bob.pk


def test_editing_keeps_a_person_who_has_left(client_for, school_a, alice, former, building):
    """A room whose custodian has since left saves unchanged; the leaver is not offered for other rooms."""
    room = _in(school_a, lambda: Room.objects.create(building=building, number="P202", custodian=former))
    client = client_for(alice, school_a)
    data = {"building": building.pk, "floor": 2, "number": "P202", "name": "档案室", "purpose": "classroom",
            "custodian": former.pk}
    assert client.post(f"/school/rooms/{room.pk}/edit/", data).status_code == 302
    assert _in(school_a, lambda: Room.objects.values_list("name", "custodian_id").get(pk=room.pk)) == (
        "档案室", former.pk)
    assert ">Pr-Former<" not in client.get("/school/rooms/new/").content.decode()


def test_lend_form_takes_only_people_of_this_school(client_for, school_a, custodian, asset, bob, outsiders):
    client = client_for(custodian, school_a)
    path = f"/assets/{asset.pk}/lend/"
    errors = {}
    for label, pk, _name in outsiders:
        response, unchanged = _post(client, path, {"borrower": pk, "due_on": "2030-01-01"}, school_a)
        assert (response.status_code, unchanged) == (200, True), label
        errors[label] = response.context["form"].errors.get_json_data()
    assert list(errors.values()) == [errors["nobody"]] * len(errors)
    assert client.post(path, {"borrower": bob.pk, "due_on": "2030-01-01"}).status_code == 302
    assert _in(school_a, lambda: list(Loan.objects.values_list("borrower_id", flat=True))) == [bob.pk]


def test_hazard_form_takes_only_people_of_this_school(client_for, school_a, alice, bob, outsiders):
    client = client_for(alice, school_a)
    path = "/safety/l/hazards/new/"
    fields = {"category": "buildings", "grade": "general", "description": "围墙裂缝", "location_text": "东围墙"}
    errors = {}
    for label, pk, _name in outsiders:
        response, unchanged = _post(client, path, {**fields, "responsible": pk}, school_a)
        assert (response.status_code, unchanged) == (200, True), label
        errors[label] = response.context["form"].errors.get_json_data()
    assert list(errors.values()) == [errors["nobody"]] * len(errors)
    assert client.post(path, {**fields, "responsible": bob.pk}).status_code == 302
    assert _in(school_a, lambda: list(Hazard.objects.values_list("responsible_id", flat=True))) == [bob.pk]


# ---------------------------------------------------------------- the selector itself


def test_the_selector_answers_alike_for_everyone_outside(school_a, alice, bob, erin, outsiders):
    messages = set()
    for _label, pk, name in outsiders:
        for how in ({"user_id": pk}, {"username": name}):
            with pytest.raises(PersonNotFound) as caught:
                member_get_for(actor=alice, school=school_a, **how)
            messages.add(str(caught.value))
    assert messages == {NOT_A_MEMBER}
    assert member_get_for(actor=alice, school=school_a, user_id=bob.pk) == bob
    assert member_get_for(actor=alice, school=school_a, username="BOB") == bob
    # someone who may not read the school learns nothing about its people either
    with pytest.raises(PersonNotFound):
        member_get_for(actor=erin, school=school_a, user_id=bob.pk)
    assert not member_list_for(actor=erin, school=school_a).exists()
    # roles narrow the list; no school (the public host) has no people
    with pytest.raises(PersonNotFound):
        member_get_for(actor=alice, school=school_a, user_id=bob.pk, roles={Role.PRINCIPAL})
    assert not member_list_for(actor=None, school=None).exists()
