"""The role matrix for every mutation and every write page: anonymous, other school, bureau, wrong role, right role."""


import pytest
from django.db import connection
from django.urls import reverse
from strawberry.relay import to_base64

from schools import models
from tests.schools.factories import (
    BuildingFactory,
    DepartmentFactory,
    FeedbackFactory,
    LostItemFactory,
    MilestoneFactory,
    ProjectFactory,
    RoomFactory,
    UnitFactory,
)

URLCONF = "config.urls_school"


def _setup():
    """Rows the mutations and pages act on (created inside school A)."""
    project = ProjectFactory()
    return {
        "building": BuildingFactory(), "project": project, "feedback": FeedbackFactory(), "lost": LostItemFactory(),
        "room": RoomFactory(), "unit": UnitFactory(), "department": DepartmentFactory(),
        "milestone": MilestoneFactory(project=project),
    }


def _gid(kind, obj):
    return to_base64(kind, obj.pk)


# (mutation name, GraphQL document, variables(rows), model whose row count changes, allowed roles' users)
MUTATIONS = [
    ("buildingCreate", "mutation { buildingCreate(data: {name: \"矩阵楼\"}) { id } }", None, models.Building, "editor"),
    ("buildingUpdate", "mutation($id: ID!) { buildingUpdate(id: $id, data: {name: \"改名楼\"}) { id } }",
     lambda r: {"id": _gid("BuildingType", r["building"])}, None, "editor"),
    ("buildingAppraise", "mutation($id: ID!) { buildingAppraise(data: {buildingId: $id, grade: C, appraisedOn: \"2025-10-20\"}) { grade } }",
     lambda r: {"id": _gid("BuildingType", r["building"])}, models.BuildingAppraisal, "editor"),
    ("roomCreate", "mutation($id: ID!) { roomCreate(data: {buildingId: $id, number: \"999\"}) { id } }",
     lambda r: {"id": _gid("BuildingType", r["building"])}, models.Room, "editor"),
    ("departmentCreate", "mutation { departmentCreate(data: {name: \"矩阵处\"}) { id } }", None, models.Department, "editor"),
    ("onCampusUnitCreate", "mutation { onCampusUnitCreate(data: {name: \"矩阵单位\"}) { id } }", None, models.OnCampusUnit, "editor"),
    ("capitalProjectCreate", "mutation { capitalProjectCreate(data: {title: \"矩阵项目\", kind: OTHER, fundingSource: SELF}) { id } }",
     None, models.CapitalProject, "editor"),
    ("capitalProjectUpdate", "mutation($id: ID!) { capitalProjectUpdate(id: $id, data: {title: \"改\", kind: OTHER, fundingSource: SELF}) { id } }",
     lambda r: {"id": _gid("CapitalProjectType", r["project"])}, None, "editor"),
    ("milestoneCreate", "mutation($id: ID!) { milestoneCreate(data: {projectId: $id, title: \"审图\", plannedOn: \"2027-01-01\"}) { id } }",
     lambda r: {"id": _gid("CapitalProjectType", r["project"])}, models.Milestone, "editor"),
    ("contractCreate", "mutation($id: ID!) { contractCreate(data: {projectId: $id, party: \"公司\", amount: \"100\", signedOn: \"2026-01-01\"}) { id } }",
     lambda r: {"id": _gid("CapitalProjectType", r["project"])}, models.Contract, "editor"),
    ("feedbackSubmit", "mutation { feedbackSubmit(data: {channel: BOX, content: \"矩阵\"}) { channel } }", None, models.Feedback, "member"),
    ("feedbackCallback", "mutation($id: ID!) { feedbackCallback(data: {feedbackId: $id, outcome: \"已处理\"}) { outcome } }",
     lambda r: {"id": _gid("FeedbackType", r["feedback"])}, None, "service"),
    ("lostItemReport", "mutation { lostItemReport(data: {item: \"雨伞\", foundPlace: \"操场\"}) { item } }", None, models.LostItem, "member"),
    ("lostItemReturn", "mutation($id: ID!) { lostItemReturn(data: {lostItemId: $id, claimant: \"张三\", identifiedBy: \"学生证\"}) { item } }",
     lambda r: {"id": _gid("LostItemType", r["lost"])}, None, "service"),
    ("convenienceServiceLog", "mutation { convenienceServiceLog(data: {kind: UNLOCK}) { kind } }", None,
     models.ConvenienceService, "service"),
]
ALLOWED = {"editor": {"alice", "lily"}, "service": {"alice", "lily", "carl", "gina"},
           "member": {"alice", "lily", "carl", "gina", "bob"}}
WHO = [None, "charlie", "dave", "bob", "gina", "carl", "lily", "alice"]


def _snapshot():
    return {m.__name__: sorted(m.objects.values_list("pk", flat=True)) for m in (
        models.Building, models.BuildingAppraisal, models.Room, models.Department, models.OnCampusUnit,
        models.CapitalProject, models.Milestone, models.Contract, models.Feedback, models.LostItem,
        models.ConvenienceService)} | {
        "names": sorted(models.Building.objects.values_list("name", flat=True)),
        "titles": sorted(models.CapitalProject.objects.values_list("title", flat=True)),
        "callbacks": sorted(str(f.callback_at) for f in models.Feedback.objects.all()),
        "returns": sorted(str(x.returned_at) for x in models.LostItem.objects.all()),
    }


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize(("name", "document", "variables", "model", "allowed"), MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_mutation_role_matrix(name, document, variables, model, allowed, who, request, school_a, client_for, lily, carl):
    connection.set_tenant(school_a)
    rows = _setup()
    before = _snapshot()
    count = model.objects.count() if model else None
    user = request.getfixturevalue(who) if who else None
    connection.set_schema_to_public()

    result = client_for(user, school_a).gql(document, variables(rows) if variables else {})

    connection.set_tenant(school_a)
    if who in ALLOWED[allowed]:
        assert "errors" not in result, result
        assert result["data"][name] is not None
        if model:
            assert model.objects.count() == count + 1
        else:
            assert _snapshot() != before
    else:
        assert [e["extensions"]["code"] for e in result["errors"]] == ["UNAUTHENTICATED" if who is None else "FORBIDDEN"]
        assert _snapshot() == before


def _pages(rows):
    """(url name, args, allowed) of every write page."""
    p, b = rows["project"], rows["building"]
    return [
        ("building_create", [], "editor"), ("building_edit", [b.pk], "editor"), ("building_appraise", [b.pk], "editor"),
        ("room_create", [], "editor"), ("room_edit", [rows["room"].pk], "editor"),
        ("department_create", [], "editor"), ("department_edit", [rows["department"].pk], "editor"),
        ("unit_create", [], "editor"), ("unit_edit", [rows["unit"].pk], "editor"),
        ("project_create", [], "editor"), ("project_edit", [p.pk], "editor"),
        ("milestone_create", [p.pk], "editor"), ("milestone_edit", [p.pk, rows["milestone"].pk], "editor"),
        ("contract_create", [p.pk], "editor"), ("document_upload", [p.pk], "editor"),
        ("feedback_create", [], "member"), ("feedback_callback", [rows["feedback"].pk], "service"),
        ("lost_item_create", [], "member"), ("lost_item_return", [rows["lost"].pk], "service"),
        ("service_create", [], "service"),
    ]


@pytest.mark.parametrize("who", WHO)
def test_write_pages_role_matrix(who, request, school_a, client_for, lily, carl):
    connection.set_tenant(school_a)
    rows = _setup()
    pages = [(reverse(f"schools:{n}", args=a, urlconf=URLCONF), allowed) for n, a, allowed in _pages(rows)]
    before = _snapshot()
    user = request.getfixturevalue(who) if who else None
    connection.set_schema_to_public()
    client = client_for(user, school_a)

    for url, allowed in pages:
        expected = 200 if who in ALLOWED[allowed] else (302 if who is None else 403)
        assert client.get(url).status_code == expected, url
        if expected != 200:
            # an empty POST by someone refused changes nothing and is refused the same way
            assert client.post(url, {}).status_code == expected, url

    connection.set_tenant(school_a)
    assert _snapshot() == before


@pytest.mark.parametrize("who", ["dave", "bob", "alice"])
def test_bureau_and_members_read_every_detail_page(who, request, school_a, client_for):
    connection.set_tenant(school_a)
    rows = _setup()
    urls = [reverse(f"schools:{n}", args=[pk], urlconf=URLCONF) for n, pk in [
        ("building_detail", rows["building"].pk), ("room_detail", rows["room"].pk), ("unit_detail", rows["unit"].pk),
        ("project_detail", rows["project"].pk), ("feedback_detail", rows["feedback"].pk),
        ("lost_item_detail", rows["lost"].pk), ("department_detail", rows["department"].pk)]]
    connection.set_schema_to_public()
    client = client_for(request.getfixturevalue(who), school_a)
    assert [client.get(u).status_code for u in urls] == [200] * len(urls)
    other = client_for(request.getfixturevalue("charlie"), school_a)
    assert [other.get(u).status_code for u in urls] == [403] * len(urls)


