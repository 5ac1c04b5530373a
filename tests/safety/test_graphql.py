"""GraphQL of safety: the role matrix (anonymous, other school, wrong role, bureau, right role)."""

from __future__ import annotations

import pytest
from django.db import connection

from safety.models import Hazard, HealthCheck, SchoolClass, Visitor
from safety.services import hazard_rectify, hazard_report

REGISTER = """
mutation($data: VisitorRegisterInput!) {
  visitorRegister(data: $data) { pk name idNumberMasked hostVerified }
}"""
VISITOR = {"name": "李访客", "hostName": "陈老师", "purpose": "送材料", "hostVerified": True,
           "idNumber": "110101199003071234", "phone": "13800000000"}


def _count(school, model) -> int:
    connection.set_tenant(school)
    try:
        return model.objects.count()
    finally:
        connection.set_schema_to_public()


@pytest.mark.parametrize(
    ("who", "code"),
    [(None, "UNAUTHENTICATED"), ("charlie", "FORBIDDEN"), ("bob", "FORBIDDEN"), ("dave", "FORBIDDEN"),
     ("alice", "FORBIDDEN")],
)
def test_only_guards_register_visitors(client_for, school_a, who, code, django_user_model):
    user = django_user_model.objects.get(username=who) if who else None
    result = client_for(user, school_a).gql(REGISTER, {"data": VISITOR})
    assert result["errors"][0]["extensions"]["code"] == code
    assert _count(school_a, Visitor) == 0


def test_guard_registers_a_visitor_masked(client_for, school_a, gina):
    result = client_for(gina, school_a).gql(REGISTER, {"data": VISITOR})
    data = result["data"]["visitorRegister"]
    assert data["idNumberMasked"] == "110***********1234"
    assert _count(school_a, Visitor) == 1


def test_bureau_reads_hazards_but_other_school_does_not(client_for, school_a, dave, charlie, sam):
    connection.set_tenant(school_a)
    hazard_report(reporter=sam, category="fire", description="消防通道堵塞", location_text="食堂后门")
    connection.set_schema_to_public()
    query = "{ hazardList { totalCount edges { node { description status } } } }"

    read = client_for(dave, school_a).gql(query)
    assert read["data"]["hazardList"]["totalCount"] == 1
    assert read["data"]["hazardList"]["edges"][0]["node"]["description"] == "消防通道堵塞"

    denied = client_for(charlie, school_a).gql(query)
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_verify_own_rectification_is_bad_input(client_for, school_a, sam):
    connection.set_tenant(school_a)
    hazard = hazard_report(reporter=sam, category="fire", description="消防通道堵塞", location_text="食堂后门")
    hazard_rectify(actor=sam, hazard=hazard, actions="清理杂物")
    connection.set_schema_to_public()

    result = client_for(sam, school_a).gql(
        "mutation($id: ID!) { hazardVerify(id: $id, accepted: true) { status } }", {"id": str(hazard.pk)})

    assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "verified_by" in result["errors"][0]["extensions"]["fields"]
    connection.set_tenant(school_a)
    assert Hazard.objects.get().status == "rectified"


def test_health_check_for_class_of_other_school_via_graphql(client_for, school_a, school_b, alice):
    connection.set_tenant(school_b)
    other = SchoolClass.objects.create(grade=1, name="一年级1班", student_count=30)
    connection.set_schema_to_public()

    result = client_for(alice, school_a).gql(
        "mutation($d: HealthCheckInput!) { healthCheckRecord(data: $d) { present } }",
        {"d": {"classUid": str(other.uid), "on": "2026-11-25", "session": "morning", "present": 30}},
    )
    assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert _count(school_a, HealthCheck) == 0


def test_safety_board(client_for, school_a, alice):
    result = client_for(alice, school_a).gql("{ safetyBoard { hazardsFound rectificationRate coverage { kind } } }")
    assert result["data"]["safetyBoard"] == {"hazardsFound": 0, "rectificationRate": None, "coverage": []}
