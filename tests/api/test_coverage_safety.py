"""Coverage of safety for partners: the property company reads and logs patrols and visitors."""

from __future__ import annotations

import pytest
from django.db import connection

VISITORS = "{ visitorList(first: 10) { edges { node { name hostName purpose } } } }"
PATROLS = "{ patrolList(first: 10) { edges { node { route shift findings } } } }"
REGISTER = """mutation($data: VisitorRegisterInput!) { visitorRegister(data: $data) { name hostName } }"""
PATROL = """mutation($data: PatrolInput!) { patrolRecord(data: $data) { route findings } }"""


@pytest.fixture
def gate_log_a(school_a, gina):
    from safety import services

    connection.set_tenant(school_a)
    services.visitor_register(actor=gina, name="王师傅", id_number="", host_name="总务处", purpose="维修空调",
                              host_verified=True)
    connection.set_schema_to_public()


@pytest.fixture
def gate_log_b(school_b, charlie):
    from safety import services
    from tenants.models import User
    from tenants.roles import Role
    from tenants.services import membership_grant

    guard = User.objects.create_user(username="guard-b", password="x-pass-42", name="贝塔门卫")
    membership_grant(user=guard, role=Role.GUARD, school=school_b)
    connection.set_tenant(school_b)
    services.visitor_register(actor=guard, name="MARKER-BETA-visitor", id_number="", host_name="校长室",
                              purpose="送货", host_verified=True)
    connection.set_schema_to_public()


def test_safety_read_lists_visitors_of_the_granted_school_only(make_partner, bearer, school_a, gate_log_a,
                                                               gate_log_b):
    _, _, raw = make_partner(scopes=["safety:read"], schools=[school_a])
    result = bearer(raw, school_a).gql(VISITORS)
    assert result["data"]["visitorList"]["edges"] == [
        {"node": {"name": "王师傅", "hostName": "总务处", "purpose": "维修空调"}}]
    assert "MARKER-BETA" not in str(result)


def test_safety_lists_need_safety_read(make_partner, bearer, school_a, gate_log_a):
    _, _, raw = make_partner(scopes=["repairs:read", "schools:read"], schools=[school_a])
    for query in (VISITORS, PATROLS):
        result = bearer(raw, school_a).gql(query)
        assert result["data"] is None
        assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_token_for_a_cannot_read_b_visitors(make_partner, bearer, school_a, school_b, gate_log_b):
    _, _, raw = make_partner(scopes=["safety:read"], schools=[school_a])
    result = bearer(raw, school_b).gql(VISITORS)
    assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert "MARKER-BETA" not in str(result)


def test_safety_read_token_cannot_log_visitors(make_partner, bearer, school_a):
    from safety.models import Visitor

    _, _, raw = make_partner(scopes=["safety:read"], schools=[school_a])
    result = bearer(raw, school_a).gql(REGISTER, {"data": {"name": "李四", "hostName": "总务处", "purpose": "送货",
                                                            "hostVerified": True}})
    assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    connection.set_tenant(school_a)
    assert not Visitor.objects.filter(name="李四").exists()


def test_property_company_logs_visitors_and_patrols(make_partner, bearer, school_a):
    _, _, raw = make_partner(scopes=["safety:read", "safety:write"], schools=[school_a])
    client = bearer(raw, school_a)
    visitor = client.gql(REGISTER, {"data": {"name": "李四", "hostName": "总务处", "purpose": "送货",
                                               "hostVerified": True}})
    assert visitor == {"data": {"visitorRegister": {"name": "李四", "hostName": "总务处"}}}
    patrol = client.gql(PATROL, {"data": {"shift": "NIGHT", "route": "东门—操场—食堂",
                                          "startedAt": "2026-11-25T20:00:00+08:00", "findings": "正常"}})
    assert patrol == {"data": {"patrolRecord": {"route": "东门—操场—食堂", "findings": "正常"}}}


CHECKOUT = """mutation($id: ID!) { visitorCheckout(id: $id) { name outAt } }"""
HAZARD = """mutation($data: HazardReportInput!) { hazardReport(data: $data) { pk grade status } }"""
VISITOR = {"name": "李四", "hostName": "总务处", "purpose": "送货", "hostVerified": True}
NIGHT_PATROL = {"shift": "NIGHT", "route": "东门—操场—食堂", "startedAt": "2026-11-25T20:00:00+08:00",
                "findings": "食堂后门消防通道堆放纸箱", "openHazard": True, "hazardCategory": "FIRE",
                "hazardLocation": "食堂后门"}


def _in(school, fn):
    connection.set_tenant(school)
    try:
        return fn()
    finally:
        connection.set_schema_to_public()


def test_partner_rows_carry_the_partner_name_and_no_person(make_partner, bearer, school_a):
    from safety.models import Hazard, Patrol, Visitor

    # given the property company with safety:write on school A
    _, _, raw = make_partner(scopes=["safety:write"], schools=[school_a], name="物业公司")
    client = bearer(raw, school_a)

    # when it registers a visitor, checks them out and logs a patrol that opens a hazard
    client.gql(REGISTER, {"data": VISITOR})
    visitor_pk = _in(school_a, lambda: Visitor.objects.get(name="李四").pk)
    out = client.gql(CHECKOUT, {"id": str(visitor_pk)})
    patrol = client.gql(PATROL, {"data": NIGHT_PATROL})

    # then every row names the partner and no account
    assert out["data"]["visitorCheckout"]["outAt"] is not None
    assert patrol == {"data": {"patrolRecord": {"route": "东门—操场—食堂", "findings": "食堂后门消防通道堆放纸箱"}}}
    assert _in(school_a, lambda: list(Visitor.objects.values_list("partner_name", "registered_by"))) == [
        ("物业公司", None)]
    assert _in(school_a, lambda: list(Patrol.objects.values_list("partner_name", "patroller_name", "patroller"))) == [
        ("物业公司", "物业公司", None)]
    assert _in(school_a, lambda: list(Hazard.objects.values_list("partner_name", "reporter", "location_text",
                                                                 "grade"))) == [("物业公司", None, "食堂后门", "general")]


def test_partner_rows_show_the_partner_on_the_ledger_pages(make_partner, bearer, client_for, school_a, alice):
    from safety.models import Hazard

    _, _, raw = make_partner(scopes=["safety:write"], schools=[school_a], name="物业公司")
    client = bearer(raw, school_a)
    client.gql(REGISTER, {"data": VISITOR})
    client.gql(PATROL, {"data": NIGHT_PATROL})
    hazard_pk = _in(school_a, lambda: Hazard.objects.get().pk)

    principal = client_for(alice, school_a)
    for page in ("/safety/l/visitors/", "/safety/l/patrols/", f"/safety/hazards/{hazard_pk}/"):
        assert "物业公司（合作方）" in principal.get(page).content.decode(), page
    # the row history names the partner too (a token has no user)
    history = principal.get(f"/safety/hazards/{hazard_pk}/").content.decode().split("修改历史")[-1]
    assert "<td>物业公司（合作方）</td>" in history


def test_token_for_a_cannot_write_into_b(make_partner, bearer, school_a, school_b):
    from safety.models import Patrol, Visitor

    _, _, raw = make_partner(scopes=["safety:read", "safety:write"], schools=[school_a])
    client = bearer(raw, school_b)
    for mutation, data in ((REGISTER, VISITOR), (PATROL, NIGHT_PATROL)):
        result = client.gql(mutation, {"data": data})
        assert result["data"] is None
        assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert _in(school_b, lambda: (Visitor.objects.count(), Patrol.objects.count())) == (0, 0)


@pytest.mark.parametrize(("mutation", "variables"), [
    (REGISTER, {"data": VISITOR}),
    (PATROL, {"data": NIGHT_PATROL}),
    (HAZARD, {"data": {"category": "FIRE", "description": "灭火器过期", "locationText": "二楼走廊"}}),
], ids=["visitor", "patrol", "hazard"])
def test_read_only_token_cannot_log(make_partner, bearer, school_a, mutation, variables):
    from safety.models import Hazard, Patrol, Visitor

    _, _, raw = make_partner(scopes=["safety:read"], schools=[school_a])
    result = bearer(raw, school_a).gql(mutation, variables)
    assert result["data"] is None, result
    assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert _in(school_a, lambda: (Visitor.objects.count(), Patrol.objects.count(), Hazard.objects.count())) == (
        0, 0, 0)


@pytest.mark.parametrize(("mutation", "variables"), [
    (REGISTER, {"data": VISITOR}),
    (HAZARD, {"data": {"category": "FIRE", "description": "灭火器过期", "locationText": "二楼走廊"}}),
], ids=["visitor", "hazard"])
def test_person_without_the_role_still_cannot_log(client_for, school_a, bob, mutation, variables):
    from safety.models import Hazard, Visitor

    # bob is a teacher: neither at the gate nor a safety manager
    result = client_for(bob, school_a).gql(mutation, variables)
    assert result["data"] is None, result
    assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert _in(school_a, lambda: (Visitor.objects.count(), Hazard.objects.count())) == (0, 0)


def test_read_only_token_cannot_check_a_visitor_out(make_partner, bearer, school_a, gate_log_a):
    from safety.models import Visitor

    _, _, raw = make_partner(scopes=["safety:read"], schools=[school_a])
    visitor_pk = _in(school_a, lambda: Visitor.objects.get().pk)
    result = bearer(raw, school_a).gql(CHECKOUT, {"id": str(visitor_pk)})
    assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert _in(school_a, lambda: Visitor.objects.get().out_at) is None


def test_partner_reports_general_hazards_only(make_partner, bearer, school_a):
    from safety.models import Hazard

    _, _, raw = make_partner(scopes=["safety:write"], schools=[school_a])
    client = bearer(raw, school_a)
    major = client.gql(HAZARD, {"data": {"category": "FIRE", "description": "配电房漏水", "grade": "MAJOR",
                                         "locationText": "配电房", "measures": "断电", "funds": "1000",
                                         "deadline": "2026-12-01", "contingencyPlan": "停课"}})
    assert major["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert _in(school_a, Hazard.objects.count) == 0
    general = client.gql(HAZARD, {"data": {"category": "FIRE", "description": "灭火器过期", "locationText": "二楼走廊"}})
    assert general["data"]["hazardReport"]["grade"] == "GENERAL"
    assert _in(school_a, lambda: Hazard.objects.get().partner_name) == "物业公司"


AGREEMENT_SIGN = """mutation($id: ID!) { agreementSign(id: $id, signerName: "物业") { signedAt } }"""


def test_people_only_safety_writes_refuse_a_write_token(make_partner, bearer, school_a, alice):
    from safety.choices import AgreementKind
    from safety.models import Agreement, Drill
    from safety.services import agreement_campaign_issue, agreement_template_create, school_class_create

    # given a parent's copy of an agreement (no account behind it) in school A
    def issue():
        school_class_create(grade=1, name="一年级1班", student_count=1)
        template = agreement_template_create(actor=alice, kind=AgreementKind.ROUTE, title="学生路途安全责任书",
                                             body="家长负责学生上下学路途安全。")
        agreement_campaign_issue(actor=alice, template=template, term="2026-2027-1", groups=["parents"])
        return Agreement.objects.get()

    agreement = _in(school_a, issue)
    _, _, raw = make_partner(scopes=["safety:read", "safety:write"], schools=[school_a])
    client = bearer(raw, school_a)

    # when the token tries writes that are for people only
    results = [
        client.gql(AGREEMENT_SIGN, {"id": str(agreement.pk)}),
        client.gql("""mutation { drillRecord(data: {kind: FIRE, heldOn: "2026-11-25", participants: 10}) {
            heldOn } }"""),
    ]

    # then each is refused before any service runs: the parent's copy stays unsigned, no drill is recorded
    for result in results:
        assert result["data"] is None, result
        assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert result["errors"][0]["message"] == "Partners may not do this."
    assert _in(school_a, lambda: (Agreement.objects.get().signed_at, Drill.objects.count())) == (None, 0)
