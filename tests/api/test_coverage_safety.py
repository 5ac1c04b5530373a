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
    patrol = client.gql(PATROL, {"data": {"shift": "night", "route": "东门—操场—食堂",
                                          "startedAt": "2026-11-25T20:00:00+08:00", "findings": "正常"}})
    assert patrol == {"data": {"patrolRecord": {"route": "东门—操场—食堂", "findings": "正常"}}}
