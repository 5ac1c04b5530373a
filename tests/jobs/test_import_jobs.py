"""The staff sheet and the category table import in the background once they are long (issue 21, part 2)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from openpyxl import load_workbook

from jobs.models import Job, JobStatus
from jobs.tasks import job_run_task
from tests.people.factories import sheet

pytestmark = pytest.mark.django_db

STAFF = [(f"导入{i}", f"137000001{i:02d}", "班主任", "", "") for i in range(3)]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.JOBS_IMPORT_INLINE_ROWS = 2
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def kate(school_a):
    from tenants.roles import Role
    from tests.assets.conftest import _person

    return _person("kate", Role.CUSTODIAN, school=school_a)


def _start(client, path, django_capture_on_commit_callbacks, **post) -> Job:
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(path, post)
    assert response.status_code == 302, response.content.decode()[:500]
    match = re.fullmatch(r"/jobs/(\d+)/", response["Location"])
    assert match, response["Location"]
    assert len(callbacks) == 1
    return Job.objects.get(pk=int(match[1]))


def _run(job: Job) -> Job:
    job_run_task.apply(kwargs={"job_id": job.pk}).get()
    job.refresh_from_db()
    return job


def _staff_upload(rows) -> SimpleUploadedFile:
    return SimpleUploadedFile("教职工.xlsx", sheet(rows))


def test_a_long_staff_sheet_is_imported_by_a_job_with_progress(
    client_for, alice, school_a, media_root, django_capture_on_commit_callbacks, monkeypatch
):
    from schools.models import StaffMember
    from tenants.models import Invitation

    # given a sheet longer than the request takes, so the page answers with the job's progress page
    client = client_for(alice, school_a)
    job = _start(client, "/staff/import/", django_capture_on_commit_callbacks, file=_staff_upload(STAFF))
    assert (job.kind, job.runner, job.total, job.status) == ("import", "schools.staff_import", 3, JobStatus.QUEUED)
    assert (media_root / f"alpha/jobs/{job.pk}/inputs/staff.xlsx").is_file()
    connection.set_tenant(school_a)
    assert not StaffMember.objects.filter(name__startswith="导入").exists()  # nothing imported in the request
    connection.set_schema_to_public()

    # when the worker runs it (the progress it reports on the way is recorded on the job's row)
    from jobs import services

    seen = []
    report = services._Reporter.report

    def spy(self, percent, message="", *, force=False):
        seen.append((percent, message))
        return report(self, percent, message, force=True)

    monkeypatch.setattr(services._Reporter, "report", spy)
    job = _run(job)

    # then the people are invited and the roster holds them; the job says so and leads to the roster
    assert job.status == JobStatus.DONE, job.message
    assert job.message == "导入完成：3 人已邀请，0 人更新，0 人未变。"
    assert job.next_url == "/staff/"
    assert ("已处理 3 / 3 行" in m for _p, m in seen), seen
    assert any(m == "正在逐行检查" for _p, m in seen), seen
    assert not (media_root / f"alpha/jobs/{job.pk}/inputs/staff.xlsx").exists()
    assert Invitation.objects.filter(school=school_a, invited_phone__startswith="137000001").count() == 3
    connection.set_tenant(school_a)
    assert sorted(StaffMember.objects.filter(name__startswith="导入").values_list("name", flat=True)) == [
        "导入0", "导入1", "导入2"]
    connection.set_schema_to_public()
    page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert "导入完成：3 人已邀请" in page


def test_a_staff_sheet_with_bad_rows_imports_nothing_and_the_job_offers_the_report(
    client_for, alice, school_a, django_capture_on_commit_callbacks
):
    from schools.models import StaffMember

    rows = [*STAFF[:2], ("导入坏", "12345", "班主任", "", "")]
    client = client_for(alice, school_a)
    job = _run(_start(client, "/staff/import/", django_capture_on_commit_callbacks, file=_staff_upload(rows)))

    assert job.status == JobStatus.FAILED
    assert job.message == "表中发现 1 处问题，未导入任何一行。请按错误报告改正后重新导入。"
    report = load_workbook(io.BytesIO(b"".join(client.get(f"/jobs/{job.pk}/download/").streaming_content))).active
    assert [c.value for c in report[2]] == [4, "手机号", "请输入 11 位手机号码。"]
    connection.set_tenant(school_a)
    assert not StaffMember.objects.filter(name__startswith="导入").exists()


def test_a_short_staff_sheet_is_still_imported_in_the_request(client_for, alice, school_a):
    response = client_for(alice, school_a).post("/staff/import/", {"file": _staff_upload(STAFF[:2])})
    assert response.status_code == 200
    assert "导入完成：2 人已邀请" in response.content.decode()
    assert not Job.objects.exists()


def test_a_refused_staff_file_is_answered_on_the_form_at_once(client_for, alice, school_a):
    response = client_for(alice, school_a).post(
        "/staff/import/", {"file": SimpleUploadedFile("a.xlsx", b"not a workbook")}
    )
    assert response.status_code == 200
    assert not Job.objects.exists()
    assert 'class="invalid-feedback' in response.content.decode() or "is-invalid" in response.content.decode()


def test_only_school_administrators_may_run_the_staff_job(client_for, alice, bob, school_a,
                                                          django_capture_on_commit_callbacks):
    """bob (a teacher) cannot start the import; a job whose owner lost the right imports nothing."""
    from tenants.models import Membership

    assert client_for(bob, school_a).post("/staff/import/", {"file": _staff_upload(STAFF)}).status_code == 403
    assert not Job.objects.exists()
    job = _start(client_for(alice, school_a), "/staff/import/", django_capture_on_commit_callbacks,
                 file=_staff_upload(STAFF))
    Membership.objects.filter(user=alice, school=school_a).update(is_active=False)
    job = _run(job)
    assert job.status == JobStatus.FAILED
    assert job.message == "您已无权取得这份文件。"


def _category_sheet(rows) -> SimpleUploadedFile:
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.append(["代码", "名称", "上级", "使用年限", "特种设备"])
    for row in rows:
        workbook.active.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile("分类.xlsx", buffer.getvalue())


CATEGORIES = [
    ("A09000000", "测试门类", "", 0, 0),
    ("A09010000", "测试大类", "A09000000", 6, 0),
    ("A09010100", "测试中类", "A09010000", 6, 0),
]


def test_a_long_category_table_is_imported_by_a_job(client_for, kate, school_a, media_root,
                                                     django_capture_on_commit_callbacks):
    from assets.models import Category

    client = client_for(kate, school_a)
    job = _start(client, "/assets/categories/", django_capture_on_commit_callbacks, file=_category_sheet(CATEGORIES))
    assert (job.kind, job.runner, job.total) == ("import", "assets.category_import", 3)
    connection.set_tenant(school_a)
    assert not Category.objects.filter(code="A09010100").exists()
    connection.set_schema_to_public()

    job = _run(job)

    assert job.status == JobStatus.DONE, job.message
    assert job.message == "已导入 3 个分类。"
    assert job.next_url == "/assets/categories/"
    connection.set_tenant(school_a)
    assert Category.objects.get(code="A09010100").parent.code == "A09010000"


def test_a_category_table_with_a_wrong_row_imports_nothing(client_for, kate, school_a,
                                                            django_capture_on_commit_callbacks):
    from assets.models import Category

    rows = [*CATEGORIES[:2], ("A09010100", "", "A09010000", 6, 0)]
    client = client_for(kate, school_a)
    job = _run(_start(client, "/assets/categories/", django_capture_on_commit_callbacks, file=_category_sheet(rows)))

    assert job.status == JobStatus.FAILED
    assert job.message == "表中发现 1 处问题，未导入任何一行。请按错误报告改正后重新导入。"
    report = load_workbook(io.BytesIO(b"".join(client.get(f"/jobs/{job.pk}/download/").streaming_content))).active
    assert report["A2"].value == "第 4 行：缺少名称。"
    connection.set_tenant(school_a)
    assert not Category.objects.filter(code__startswith="A0901").exists()


STAFF_IMPORT = """mutation($content: String!) { staffImport(contentBase64: $content) {
  ok invited updated unchanged jobId progressUrl errors { row message } } }"""


def test_a_long_staff_sheet_through_graphql_is_imported_by_a_job(client_for, alice, school_a,
                                                                 django_capture_on_commit_callbacks):
    import base64

    from schools.models import StaffMember

    client = client_for(alice, school_a)
    content = base64.b64encode(sheet(STAFF)).decode()
    with django_capture_on_commit_callbacks() as callbacks:
        result = client.gql(STAFF_IMPORT, {"content": content}, HTTP_X_CSRFTOKEN="x" * 32)
    assert "errors" not in result, result
    data = result["data"]["staffImport"]
    job = Job.objects.get(pk=int(data["jobId"]))
    assert (data["ok"], data["invited"], data["errors"]) == (True, 0, [])
    assert data["progressUrl"].endswith(f"/jobs/{job.pk}/")
    assert (job.runner, job.total, job.user_id, job.school_id) == ("schools.staff_import", 3, alice.pk, school_a.pk)
    assert len(callbacks) == 1
    connection.set_tenant(school_a)
    assert not StaffMember.objects.filter(name__startswith="导入").exists()
    connection.set_schema_to_public()
    assert _run(job).status == JobStatus.DONE
    connection.set_tenant(school_a)
    assert StaffMember.objects.filter(name__startswith="导入").count() == 3
    connection.set_schema_to_public()
    # a short sheet is still answered in the request, with its counts
    short = client.gql(STAFF_IMPORT, {"content": base64.b64encode(sheet([("短表", "13700000199", "", "", "")])).decode()},
                       HTTP_X_CSRFTOKEN="x" * 32)["data"]["staffImport"]
    assert (short["ok"], short["invited"], short["jobId"]) == (True, 1, None)
