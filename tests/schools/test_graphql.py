import pytest
from django.db import connection

from schools.choices import ProjectStage, SafetyGrade
from schools.models import Building, Feedback, LostItem
from tests.schools.factories import BuildingFactory, FeedbackFactory, ProjectFactory

BUILDINGS = """query($flag: Boolean) { buildingList(needsReinforcementProject: $flag, first: 10) {
  totalCount edges { node { id name safetyGrade needsReinforcementProject } } } }"""
CREATE_BUILDING = """mutation($data: BuildingInput!) { buildingCreate(data: $data) { id name } }"""
ADVANCE = """mutation($id: ID!, $to: String!) { capitalProjectAdvance(id: $id, toStage: $to) { stage } }"""
FEEDBACK = """mutation($data: FeedbackInput!) { feedbackSubmit(data: $data) { channel isOverdue callbackDueAt } }"""
LOST = """mutation($data: LostItemInput!) { lostItemReport(data: $data) { item quantity } }"""


def _codes(result) -> list[str]:
    return [e["extensions"]["code"] for e in result.get("errors", [])]


def test_building_list_flags_weak_buildings_without_an_active_project(school_a, bob, client_for, in_school_a):
    # given a C building with no project, a D building under an active reinforcement project, an A building
    BuildingFactory(name="旧楼", safety_grade=SafetyGrade.C)
    covered = BuildingFactory(name="危楼", safety_grade=SafetyGrade.D)
    ProjectFactory(stage=ProjectStage.PROCUREMENT).buildings.add(covered)
    BuildingFactory(name="新楼", safety_grade=SafetyGrade.A)

    # when a teacher asks for the flagged buildings
    result = client_for(bob, school_a).gql(BUILDINGS, {"flag": True})

    # then only the uncovered C building is listed, flagged
    nodes = [e["node"] for e in result["data"]["buildingList"]["edges"]]
    assert [(n["name"], n["needsReinforcementProject"]) for n in nodes] == [("旧楼", True)]
    everything = client_for(bob, school_a).gql(BUILDINGS, {})["data"]["buildingList"]["edges"]
    flags = {e["node"]["name"]: e["node"]["needsReinforcementProject"] for e in everything}
    assert flags["危楼"] is False
    assert flags["新楼"] is False


@pytest.mark.parametrize(
    ("who", "where", "code"),
    [(None, "a", "UNAUTHENTICATED"), ("charlie", "a", "FORBIDDEN"), ("bob", "a", "FORBIDDEN"),
     ("dave", "a", "FORBIDDEN"), ("alice", "a", None), ("lily", "a", None)],
)
def test_building_create_role_matrix(who, where, code, request, school_a, client_for, lily):
    user = request.getfixturevalue(who) if who else None
    result = client_for(user, school_a).gql(CREATE_BUILDING, {"data": {"name": "科技楼", "floors": 3}})
    connection.set_tenant(school_a)
    if code:
        assert _codes(result) == [code]
        assert not Building.objects.filter(name="科技楼").exists()
    else:
        assert result["data"]["buildingCreate"]["name"] == "科技楼"
        assert Building.objects.filter(name="科技楼").count() == 1


def test_bureau_reads_buildings_of_its_schools_only(school_a, school_c, dave, erin, client_for, in_school_a):
    BuildingFactory(name="旧楼", safety_grade=SafetyGrade.C)
    assert client_for(dave, school_a).gql(BUILDINGS, {})["data"]["buildingList"]["totalCount"] >= 1
    assert _codes(client_for(erin, school_a).gql(BUILDINGS, {})) == ["FORBIDDEN"]


def test_teacher_submits_feedback_and_reports_lost_item(school_a, bob, client_for):
    client = client_for(bob, school_a)
    result = client.gql(FEEDBACK, {"data": {"channel": "BOX", "content": "走廊灯坏了"}})
    assert result["data"]["feedbackSubmit"]["isOverdue"] is False
    assert client.gql(LOST, {"data": {"item": "钱包", "foundPlace": "食堂"}})["data"]["lostItemReport"] == {
        "item": "钱包", "quantity": 1}
    connection.set_tenant(school_a)
    assert Feedback.objects.get(content="走廊灯坏了").submitted_by == bob
    assert LostItem.objects.filter(item="钱包").count() == 1


@pytest.mark.parametrize(("who", "code"), [(None, "UNAUTHENTICATED"), ("charlie", "FORBIDDEN"), ("dave", "FORBIDDEN")])
def test_feedback_submit_denied_to_outsiders(who, code, request, school_a, client_for):
    user = request.getfixturevalue(who) if who else None
    result = client_for(user, school_a).gql(FEEDBACK, {"data": {"channel": "BOX", "content": "外人意见"}})
    assert _codes(result) == [code]
    connection.set_tenant(school_a)
    assert not Feedback.objects.filter(content="外人意见").exists()


def test_project_advance_cannot_skip_a_stage(school_a, alice, client_for, in_school_a):
    project = ProjectFactory(approval_number="区教发〔2026〕1号")
    gid = _gid("CapitalProjectType", project.pk)
    result = client_for(alice, school_a).gql(ADVANCE, {"id": gid, "to": "approval"})
    assert _codes(result) == ["BAD_USER_INPUT"]
    connection.set_tenant(school_a)
    project.refresh_from_db()
    assert project.stage == ProjectStage.PROPOSAL


def test_teacher_cannot_advance_a_project(school_a, bob, client_for, in_school_a):
    project = ProjectFactory()
    result = client_for(bob, school_a).gql(ADVANCE, {"id": _gid("CapitalProjectType", project.pk), "to": "feasibility"})
    assert _codes(result) == ["FORBIDDEN"]


def test_feedback_list_shows_overdue_flag(school_a, bob, client_for, in_school_a):
    import datetime as dt

    from django.utils import timezone

    FeedbackFactory(content="迟回访", received_at=timezone.now() - dt.timedelta(hours=25),
                    callback_due_at=timezone.now() - dt.timedelta(hours=1))
    result = client_for(bob, school_a).gql('{ feedbackList(status: OVERDUE) { edges { node { content isOverdue } } } }')
    assert [e["node"] for e in result["data"]["feedbackList"]["edges"]] == [{"content": "迟回访", "isOverdue": True}]


def _gid(type_name: str, pk: int) -> str:
    from strawberry.relay import to_base64

    return to_base64(type_name, pk)


def test_approval_without_document_number_is_refused_with_chinese_field_errors(school_a, alice, client_for, in_school_a):
    project = ProjectFactory(stage=ProjectStage.FEASIBILITY)
    result = client_for(alice, school_a).gql(ADVANCE, {"id": _gid("CapitalProjectType", project.pk), "to": "approval"})
    error = result["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["fields"] == {"approval_number": ["批复须填写批复文号。"],
                                             "approval_date": ["批复须填写批复日期。"]}
    connection.set_tenant(school_a)
    project.refresh_from_db()
    assert project.stage == ProjectStage.FEASIBILITY
