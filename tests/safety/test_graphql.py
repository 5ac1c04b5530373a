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
        {"d": {"classUid": str(other.uid), "on": "2026-11-25", "session": "MORNING", "present": 30}},
    )
    assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert _count(school_a, HealthCheck) == 0


def test_safety_board(client_for, school_a, alice):
    result = client_for(alice, school_a).gql("{ safetyBoard { hazardsFound rectificationRate coverage { kind } } }")
    assert result["data"]["safetyBoard"] == {"hazardsFound": 0, "rectificationRate": None, "coverage": []}


REPORT = """
mutation($d: HazardReportInput!) { hazardReport(data: $d) { pk grade supervised } }"""
MAJOR = {"category": "BUILDINGS", "description": "挡土墙开裂", "grade": "MAJOR", "locationText": "东侧围墙",
         "responsibleUsername": "alice", "measures": "加固", "funds": "26000.00", "deadline": "2027-01-15",
         "contingencyPlan": "警戒线"}


@pytest.mark.parametrize(
    ("who", "code"),
    [(None, "UNAUTHENTICATED"), ("charlie", "FORBIDDEN"), ("bob", "FORBIDDEN"), ("gina", "FORBIDDEN"),
     ("dave", "FORBIDDEN")],
)
def test_only_managers_report_hazards(client_for, school_a, who, code, django_user_model):
    user = django_user_model.objects.get(username=who) if who else None
    result = client_for(user, school_a).gql(REPORT, {"d": MAJOR})
    assert result["errors"][0]["extensions"]["code"] == code
    assert _count(school_a, Hazard) == 0


def test_principal_reports_a_major_hazard_and_missing_fix_is_named(client_for, school_a, alice):
    client = client_for(alice, school_a)
    refused = client.gql(REPORT, {"d": {**MAJOR, "contingencyPlan": ""}})
    assert refused["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert list(refused["errors"][0]["extensions"]["fields"]) == ["contingency_plan"]
    assert _count(school_a, Hazard) == 0
    done = client.gql(REPORT, {"d": MAJOR})["data"]["hazardReport"]
    assert (done["grade"], done["supervised"]) == ("MAJOR", True)


def test_teacher_sees_no_visitors_but_guard_does(client_for, school_a, gina, bob):
    client_for(gina, school_a).gql(REGISTER, {"data": VISITOR})
    query = "{ visitorList { totalCount edges { node { name phone } } } }"
    assert client_for(bob, school_a).gql(query)["data"]["visitorList"]["totalCount"] == 0
    seen = client_for(gina, school_a).gql(query)["data"]["visitorList"]
    assert seen["edges"][0]["node"] == {"name": "李访客", "phone": "13800000000"}


def test_hazard_page_costs_the_same_queries_for_3_or_12_rows(client_for, school_a, alice, sam):
    from django.test.utils import CaptureQueriesContext

    from .factories import HazardFactory

    query = """{ hazardList(first: 50) { totalCount edges { node {
        pk description location responsibleName rectifiedByName verifiedByName status grade } } } }"""

    def cost(n):
        connection.set_tenant(school_a)
        for _ in range(n):
            HazardFactory(reporter=sam, responsible=sam)
        connection.set_schema_to_public()
        client = client_for(alice, school_a)
        client.gql(query)  # warm the membership cache of the session
        with CaptureQueriesContext(connection) as captured:
            result = client.gql(query)
        return len(captured.captured_queries), result["data"]["hazardList"]["totalCount"]

    few, total_few = cost(3)
    many, total_many = cost(9)
    assert (total_few, total_many) == (3, 12)
    assert few == many


def test_class_teacher_records_health_check_over_graphql(client_for, school_a, bob, gina):
    connection.set_tenant(school_a)
    mine = SchoolClass.objects.create(grade=2, name="二年级1班", student_count=30, head_teacher=bob)
    connection.set_schema_to_public()
    mutation = "mutation($d: HealthCheckInput!) { healthCheckRecord(data: $d) { present absent absences { studentName } } }"
    data = {"classUid": str(mine.uid), "on": "2026-11-25", "session": "NOON", "present": 29, "absent": 1,
            "absences": [{"studentName": "王小明", "reason": "感冒"}]}

    assert client_for(gina, school_a).gql(mutation, {"d": data})["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    done = client_for(bob, school_a).gql(mutation, {"d": data})["data"]["healthCheckRecord"]
    assert done == {"present": 29, "absent": 1, "absences": [{"studentName": "王小明"}]}


def test_checklist_template_over_graphql(client_for, school_a, alice):
    mutation = """mutation($d: ChecklistTemplateInput!) { checklistTemplateSave(data: $d) { pk name items { area text } } }"""
    data = {"name": "开学检查", "kind": "SWEEP", "items": [{"area": "FIRE", "text": "灭火器有效"}]}
    saved = client_for(alice, school_a).gql(mutation, {"d": data})["data"]["checklistTemplateSave"]
    assert saved["items"] == [{"area": "FIRE", "text": "灭火器有效"}]
