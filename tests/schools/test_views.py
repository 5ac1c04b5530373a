import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from schools.choices import ProjectStage
from schools.models import Building, CapitalProject, Feedback, LostItem, ProjectDocument
from tests.schools.factories import BuildingFactory, FeedbackFactory, LostItemFactory, ProjectFactory

URLCONF = "config.urls_school"
PDF = b"%PDF-1.4\n%test\n%%EOF\n"


def url(name, *args):
    return reverse(f"schools:{name}", args=args, urlconf=URLCONF)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


# who → expected status for a page only editors (principal, logistics director) may use
EDITOR_MATRIX = [(None, 302), ("charlie", 403), ("dave", 403), ("bob", 403), ("carl", 403), ("alice", 200), ("lily", 200)]
READ_MATRIX = [(None, 302), ("charlie", 403), ("erin", 403), ("dave", 200), ("bob", 200), ("alice", 200)]


@pytest.mark.parametrize(("who", "status"), READ_MATRIX)
@pytest.mark.parametrize("name", ["building_list", "room_list", "project_list", "feedback_list", "lost_item_list",
                                  "service_list", "department_list", "unit_list"])
def test_read_pages_role_matrix(name, who, status, request, school_a, client_for):
    user = request.getfixturevalue(who) if who else None
    assert client_for(user, school_a).get(url(name)).status_code == status


@pytest.mark.parametrize(("who", "status"), EDITOR_MATRIX)
def test_building_create_role_matrix(who, status, request, school_a, client_for, lily, carl):
    user = request.getfixturevalue(who) if who else None
    response = client_for(user, school_a).post(url("building_create"), {"name": "科技楼", "floors": 3, "floor_area": "900"})
    connection.set_tenant(school_a)
    if status == 200:
        building = Building.objects.get(name="科技楼")
        assert response.status_code == 302
        assert response["Location"] == url("building_detail", building.pk)
    else:
        assert response.status_code == status
        assert not Building.objects.filter(name="科技楼").exists()


@pytest.mark.parametrize(("who", "status"), EDITOR_MATRIX)
def test_project_advance_role_matrix(who, status, request, school_a, client_for, lily, carl, in_school_a):
    project = ProjectFactory(stage=ProjectStage.FEASIBILITY, approval_number="区教发〔2026〕1号",
                             approval_date=dt.date(2026, 6, 3))
    user = request.getfixturevalue(who) if who else None
    response = client_for(user, school_a).post(url("project_advance", project.pk), {"to_stage": "approval"})
    connection.set_tenant(school_a)
    project.refresh_from_db()
    if status == 200:
        assert response.status_code == 302
        assert project.stage == ProjectStage.APPROVAL
    else:
        assert response.status_code == status
        assert project.stage == ProjectStage.FEASIBILITY


@pytest.mark.parametrize(("who", "status"), EDITOR_MATRIX)
def test_document_upload_role_matrix(who, status, request, school_a, client_for, lily, carl, in_school_a, media):
    project = ProjectFactory()
    user = request.getfixturevalue(who) if who else None
    response = client_for(user, school_a).post(
        url("document_upload", project.pk), {"kind": "approval", "title": "批复", "file": SimpleUploadedFile("批复.pdf", PDF)}
    )
    connection.set_tenant(school_a)
    if status == 200:
        assert response.status_code == 302
        assert ProjectDocument.objects.get(project=project).title == "批复"
    else:
        assert response.status_code == status
        assert not ProjectDocument.objects.exists()


def test_executable_upload_shows_the_error_beside_the_field(school_a, alice, client_for, in_school_a, media):
    project = ProjectFactory()
    response = client_for(alice, school_a).post(
        url("document_upload", project.pk), {"kind": "other", "title": "x", "file": SimpleUploadedFile("x.pdf", b"MZ\x90\x00")}
    )
    assert response.status_code == 200
    assert 'data-field-error="file"' in response.content.decode()
    assert "不接受此类文件" in response.content.decode()
    connection.set_tenant(school_a)
    assert not ProjectDocument.objects.exists()


def test_document_is_served_only_to_readers_of_the_school(school_a, alice, charlie, dave, client_for, in_school_a, media):
    from schools.services import document_upload

    project = ProjectFactory()
    document = document_upload(actor=alice, project=project, upload=SimpleUploadedFile("批复.pdf", PDF), title="批复")
    path = url("document_download", project.pk, document.pk)
    ok = client_for(alice, school_a).get(path)
    assert ok.status_code == 200
    assert b"".join(ok.streaming_content) == PDF
    assert client_for(dave, school_a).get(path).status_code == 200
    assert client_for(charlie, school_a).get(path).status_code == 403
    assert client_for(None, school_a).get(path).status_code == 302


def test_skipping_a_stage_in_the_browser_changes_nothing(school_a, alice, client_for, in_school_a):
    project = ProjectFactory(approval_number="区教发〔2026〕1号", approval_date=dt.date(2026, 6, 3))
    client_for(alice, school_a).post(url("project_advance", project.pk), {"to_stage": "approval"})
    connection.set_tenant(school_a)
    project.refresh_from_db()
    assert project.stage == ProjectStage.PROPOSAL


@pytest.mark.parametrize(("who", "status"), [(None, 302), ("charlie", 403), ("dave", 403), ("bob", 200), ("alice", 200)])
def test_feedback_submit_role_matrix(who, status, request, school_a, client_for):
    user = request.getfixturevalue(who) if who else None
    response = client_for(user, school_a).post(url("feedback_create"), {"channel": "box", "category": "suggestion",
                                                                          "content": "走廊灯坏了"})
    connection.set_tenant(school_a)
    if status == 200:
        assert response.status_code == 302
        assert Feedback.objects.filter(content="走廊灯坏了").count() == 1
    else:
        assert response.status_code == status
        assert not Feedback.objects.filter(content="走廊灯坏了").exists()


@pytest.mark.parametrize(("who", "status"), [(None, 302), ("charlie", 403), ("dave", 403), ("bob", 403), ("carl", 200)])
def test_feedback_callback_role_matrix(who, status, request, school_a, client_for, carl, in_school_a):
    feedback = FeedbackFactory()
    user = request.getfixturevalue(who) if who else None
    response = client_for(user, school_a).post(url("feedback_callback", feedback.pk), {"outcome": "已处理", "satisfaction": 5})
    connection.set_tenant(school_a)
    feedback.refresh_from_db()
    if status == 200:
        assert response.status_code == 302
        assert feedback.satisfaction == 5
    else:
        assert response.status_code == status
        assert feedback.callback_at is None


@pytest.mark.parametrize(("who", "status"), [(None, 302), ("charlie", 403), ("dave", 403), ("bob", 200)])
def test_lost_item_report_role_matrix(who, status, request, school_a, client_for):
    user = request.getfixturevalue(who) if who else None
    response = client_for(user, school_a).post(url("lost_item_create"), {"item": "水杯", "quantity": 1, "found_place": "操场"})
    connection.set_tenant(school_a)
    assert (LostItem.objects.filter(item="水杯").count() == 1) is (status == 200)
    assert response.status_code == (302 if status == 200 else status)


@pytest.mark.parametrize(("who", "status"), [("bob", 403), ("carl", 200)])
def test_lost_item_return_role_matrix(who, status, request, school_a, client_for, carl, in_school_a):
    lost = LostItemFactory()
    user = request.getfixturevalue(who)
    response = client_for(user, school_a).post(url("lost_item_return", lost.pk), {"claimant": "张三", "identified_by": "学生证"})
    connection.set_tenant(school_a)
    lost.refresh_from_db()
    assert (lost.returned_at is not None) is (status == 200)
    assert response.status_code == (302 if status == 200 else status)


def test_project_form_shows_chinese_errors_beside_fields(school_a, alice, client_for):
    response = client_for(alice, school_a).post(url("project_create"), {
        "title": "加固", "kind": "reinforcement", "funding_source": "fiscal", "budget": "-5",
        "planned_start": "2026-07-01", "planned_end": "2026-06-01"})
    body = response.content.decode()
    assert response.status_code == 200
    assert 'data-field-error="budget"' in body
    assert "预算不能为负数。" in body
    assert 'data-field-error="planned_end"' in body
    assert "结束日期不能早于开始日期。" in body
    connection.set_tenant(school_a)
    assert not CapitalProject.objects.filter(title="加固").exists()


def test_building_list_and_home_flag_cd_without_project(school_a, bob, client_for, in_school_a):
    BuildingFactory(name="旧教学楼", safety_grade="C")
    covered = BuildingFactory(name="危楼", safety_grade="D")
    ProjectFactory(stage=ProjectStage.APPROVAL).buildings.add(covered)
    client = client_for(bob, school_a)

    home = client.get("/").content.decode()
    listing = client.get(url("building_list") + "?flagged=1").content.decode()

    assert 'data-testid="weak-building-flag"' in home
    assert "旧教学楼" in home
    assert "危楼" not in home.split('weak-building-flag')[1].split("</div>")[0]
    assert "旧教学楼" in listing
    assert "危楼" not in listing


def test_unit_phone_hidden_from_teachers(school_a, alice, bob, client_for, in_school_a):
    from tests.schools.factories import UnitFactory

    unit = UnitFactory(contact_phone="13812345678")
    assert "13812345678" in client_for(alice, school_a).get(url("unit_detail", unit.pk)).content.decode()
    assert "13812345678" not in client_for(bob, school_a).get(url("unit_detail", unit.pk)).content.decode()


def test_excel_export_holds_the_same_filtered_rows(school_a, bob, client_for, in_school_a):
    from io import BytesIO

    from openpyxl import load_workbook

    BuildingFactory(name="旧教学楼", safety_grade="C")
    BuildingFactory(name="新教学楼", safety_grade="A")
    response = client_for(bob, school_a).get(url("building_list") + "?grade=C&export=xlsx")

    sheet = load_workbook(BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))[2:]  # under the title rows
    assert rows[0][:2] == ("名称", "建成年份")
    assert [r[0] for r in rows[1:]] == ["旧教学楼"]
    assert rows[1][5] == "C级"


def test_partner_rows_name_the_partner_on_the_school_pages(school_a, client_for, alice, in_school_a):
    from schools import services

    lost = services.lost_item_report(actor=None, partner_name="城东物业", item="保温杯", found_place="操场")
    services.lost_item_return(actor=None, partner_name="城东物业", lost=lost, claimant="王同学", identified_by="班主任")
    services.convenience_service_log(actor=None, partner_name="城东物业", kind="pump", notes="借打气筒")
    feedback = services.feedback_submit(actor=None, partner_name="城东物业", channel="phone", content="路灯坏了")
    connection.set_schema_to_public()
    client = client_for(alice, school_a)
    for page in (url("lost_item_list"), url("lost_item_detail", lost.pk), url("service_list"),
                 url("feedback_list"), url("feedback_detail", feedback.pk)):
        assert "城东物业" in client.get(page).content.decode(), page
    excel = client.get(url("lost_item_list") + "?export=xlsx")
    assert excel.status_code == 200


def test_a_partner_write_without_its_name_is_refused(in_school_a):
    from django.core.exceptions import PermissionDenied

    from schools import services

    with pytest.raises(PermissionDenied):
        services.lost_item_report(actor=None, item="钥匙", found_place="门口")
    assert not LostItem.objects.filter(item="钥匙").exists()
