"""Long work in the background: a job per run, its progress, its file for its owner only, its clean-up."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from jobs.models import Job, JobStatus
from jobs.services import jobs_expired_clean
from jobs.tasks import job_run_task, jobs_expired_clean_task
from tenants.roles import Role
from tests.assets.factories import AssetFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.JOBS_BACKGROUND_ROWS = 2
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def kate(school_a):
    from tests.assets.conftest import _person

    return _person("kate", Role.CUSTODIAN, school=school_a)


@pytest.fixture
def three_assets(school_a):
    connection.set_tenant(school_a)
    assets = [AssetFactory(name=f"台式计算机{i}") for i in range(3)]
    connection.set_schema_to_public()
    return assets


def _job_of(response) -> Job:
    assert response.status_code == 302, response.status_code
    match = re.fullmatch(r"/jobs/(\d+)/", response["Location"])
    assert match, response["Location"]
    return Job.objects.get(pk=int(match[1]))


def _start(client, path, django_capture_on_commit_callbacks, **post) -> Job:
    """Ask for the page; the job is queued on commit, once (the callback is not run: the test runs the task)."""
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(path, post) if post else client.get(path)
    job = _job_of(response)
    assert len(callbacks) == 1
    return job


def _run(job: Job) -> Job:
    job_run_task.apply(kwargs={"job_id": job.pk}).get()
    job.refresh_from_db()
    return job


def test_large_export_runs_as_a_job_with_progress_and_downloads_for_its_owner(
    client_for, alice, school_a, three_assets, django_capture_on_commit_callbacks, monkeypatch, media_root
):
    # given more assets than a request exports, and a bar that hears every row
    from core import progress
    from jobs import services

    monkeypatch.setattr(progress, "EVERY", 1)
    monkeypatch.setattr(services._Reporter, "MIN_INTERVAL", 0)
    seen = []
    report = services._Reporter.report
    monkeypatch.setattr(
        services._Reporter,
        "report",
        lambda self, percent, message="", **kw: (
            seen.append((percent, message)),
            report(self, percent, message, **kw),
        ),
    )
    client = client_for(alice, school_a)

    # when alice exports the ledger
    job = _start(client, "/assets/?export=xlsx", django_capture_on_commit_callbacks)

    # then she is sent to the job's page, which polls while it waits
    assert (job.user, job.school, job.kind, job.status, job.total) == (alice, school_a, "export", "queued", 3)
    page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert 'hx-trigger="every 1s"' in page
    assert "排队中" in page
    assert client.get(f"/jobs/{job.pk}/download/").status_code == 404  # nothing to download yet

    # when the worker runs it
    job = _run(job)

    # then it went up row by row to done, and the file lies in the school's media folder
    assert job.status == JobStatus.DONE
    assert job.progress == 100
    assert job.message == "已生成，可以下载。"
    percents = [p for p, _m in seen]
    assert percents == sorted(percents)
    assert any(5 < p < 90 for p in percents)
    assert "已处理 3 / 3 行" in [m for _p, m in seen]
    assert job.file_path == f"alpha/jobs/{job.pk}/result.xlsx"
    assert (media_root / job.file_path).is_file()
    fragment = client.get(f"/jobs/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in fragment
    assert f"/jobs/{job.pk}/download/" in fragment

    # and the download is the ledger itself
    download = client.get(f"/jobs/{job.pk}/download/")
    assert download.status_code == 200
    assert "attachment" in download["Content-Disposition"]
    assert ".xlsx" in download["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
    names = {row[1] for row in sheet.iter_rows(min_row=4, values_only=True)}
    assert {"台式计算机0", "台式计算机1", "台式计算机2"} <= names

    # and 我的导出 lists it
    listing = client.get("/jobs/").content.decode()
    assert "我的导出" in listing
    assert f"/jobs/{job.pk}/download/" in listing


def test_small_export_is_answered_at_once(client_for, alice, school_a, three_assets, settings):
    settings.JOBS_BACKGROUND_ROWS = 500
    response = client_for(alice, school_a).get("/assets/?export=xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert not Job.objects.exists()


def test_only_the_owner_downloads_and_other_schools_do_not_find_it(
    client_for,
    alice,
    bob,
    charlie,
    dave,
    school_a,
    school_b,
    three_assets,
    django_capture_on_commit_callbacks,
):
    job = _run(
        _start(client_for(alice, school_a), "/assets/?export=xlsx", django_capture_on_commit_callbacks)
    )
    assert job.status == JobStatus.DONE

    # bob is a teacher of the same school: he may not have alice's file
    for path in (f"/jobs/{job.pk}/", f"/jobs/{job.pk}/download/"):
        assert client_for(bob, school_a).get(path).status_code == 403
        # charlie on his own school's host, and dave on the bureau console, do not even find it
        assert client_for(charlie, school_b).get(path).status_code == 404
        assert client_for(dave).get(path).status_code == 404
        # alice herself, on another host, does not find it there either
        assert client_for(alice).get(path).status_code == 404
        # and nobody signed out gets anything but the sign-in page
        assert client_for(None, school_a).get(path).status_code == 302
    assert f"/jobs/{job.pk}/" not in client_for(bob, school_a).get("/jobs/").content.decode()
    # the file is never served as a media URL
    assert client_for(alice, school_a).get(f"/media/{job.file_path}").status_code == 404


def test_expired_jobs_are_deleted_with_their_files(
    client_for, alice, school_a, three_assets, media_root, django_capture_on_commit_callbacks
):
    old = _run(
        _start(client_for(alice, school_a), "/assets/?export=xlsx", django_capture_on_commit_callbacks)
    )
    new = _run(
        _start(client_for(alice, school_a), "/assets/?export=xlsx", django_capture_on_commit_callbacks)
    )
    Job.objects.filter(pk=old.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    assert client_for(alice, school_a).get(f"/jobs/{old.pk}/download/").status_code == 404  # gone at once

    assert jobs_expired_clean_task.apply().get() == 1

    assert list(Job.objects.values_list("pk", flat=True)) == [new.pk]
    assert not (media_root / f"alpha/jobs/{old.pk}").exists()
    assert (media_root / new.file_path).is_file()
    # a day later the new one goes too
    assert jobs_expired_clean(now=timezone.now() + dt.timedelta(hours=25)) == 1
    assert not Job.objects.exists()


def test_clean_up_is_on_the_beat_schedule():
    from config.celery import app
    from jobs.schedules import BEAT_SCHEDULE

    app.loader.import_default_modules()
    assert BEAT_SCHEDULE["jobs-expired-clean"]["task"] == "jobs.tasks.jobs_expired_clean_task"
    assert "jobs.tasks.jobs_expired_clean_task" in app.tasks
    assert "jobs.tasks.job_run_task" in app.tasks


def test_failing_job_says_why_in_chinese_and_keeps_nothing(
    client_for, alice, school_a, three_assets, media_root, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(**kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("assets.views.xlsx_response", broken)
    client = client_for(alice, school_a)
    job = _run(_start(client, "/assets/?export=xlsx", django_capture_on_commit_callbacks))

    assert job.status == JobStatus.FAILED
    assert job.message == "生成文件时出错，未保留任何内容；请稍后重试，如仍失败请联系管理员。"
    assert job.file_path == ""
    page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert "失败" in page
    assert "生成文件时出错" in page
    assert "/download/" not in page
    assert not (media_root / f"alpha/jobs/{job.pk}").exists()
    assert client.get(f"/jobs/{job.pk}/download/").status_code == 404


def test_a_file_that_cannot_be_written_whole_is_not_kept(
    client_for, alice, school_a, three_assets, media_root, monkeypatch, django_capture_on_commit_callbacks
):
    def fsync_fails(fd):
        raise OSError("no space left on device")

    monkeypatch.setattr("jobs.services.os.fsync", fsync_fails)
    job = _run(
        _start(client_for(alice, school_a), "/assets/?export=xlsx", django_capture_on_commit_callbacks)
    )

    assert job.status == JobStatus.FAILED
    assert job.message == "文件未能保存，未保留任何内容；请稍后重试。"
    assert job.file_path == ""
    folder = media_root / f"alpha/jobs/{job.pk}"
    assert not folder.exists() or list(folder.iterdir()) == []


def test_job_of_someone_who_lost_the_right_fails_without_a_file(
    client_for, kate, school_a, three_assets, django_capture_on_commit_callbacks
):
    from tenants.models import Membership

    client = client_for(kate, school_a)
    job = _start(client, "/assets/?export=xlsx", django_capture_on_commit_callbacks)
    Membership.objects.filter(user=kate, school=school_a).delete()
    job = _run(job)
    assert (job.status, job.message, job.file_path) == (JobStatus.FAILED, "您已无权取得这份文件。", "")


def test_summary_pdf_request_only_starts_a_job(
    client_for, dave, bureau_north, monkeypatch, django_capture_on_commit_callbacks
):
    from reporting import summary

    calls = []
    real_pdf = summary.pdf_bytes
    monkeypatch.setattr(summary, "pdf_bytes", lambda **kw: calls.append("pdf") or real_pdf(**kw))
    real_bureau = summary.bureau_summary
    monkeypatch.setattr(summary, "bureau_summary", lambda **kw: calls.append("summary") or real_bureau(**kw))
    client = client_for(dave)

    # when dave asks for the district's summary as a PDF
    job = _start(client, "/bureau/summary/?format=pdf", django_capture_on_commit_callbacks)

    # then the request neither wrote the summary nor laid out a PDF: it only queued the job
    assert calls == []
    assert (job.kind, job.school, job.bureau, job.runner) == ("document", None, bureau_north, "view")
    assert "工作总结 (PDF)" in job.title

    # when the worker runs it, the PDF is made there, once
    job = _run(job)
    assert calls == ["summary", "pdf"]
    assert job.status == JobStatus.DONE, job.message
    assert job.file_path == f"public/bureau-north/jobs/{job.pk}/result.pdf"
    download = client.get(f"/jobs/{job.pk}/download/")
    assert b"".join(download.streaming_content).startswith(b"%PDF-")
    assert download["Content-Type"] == "application/pdf"


def test_summary_docx_for_a_school_on_its_host(
    client_for, alice, school_a, django_capture_on_commit_callbacks
):
    from docx import Document

    client = client_for(alice, school_a)
    job = _run(_start(client, "/awards/summary/?format=docx", django_capture_on_commit_callbacks))
    assert job.status == JobStatus.DONE, job.message
    assert job.school == school_a
    assert job.file_name.endswith(".docx")
    document = Document(io.BytesIO(b"".join(client.get(f"/jobs/{job.pk}/download/").streaming_content)))
    assert "阿尔法小学" in document.paragraphs[0].text


def _sheet(rows) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["资产编号", "资产名称", "分类代码", "单价", "数量", "入账日期", "存放地点"])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _upload(content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("资产.xlsx", content)


def test_large_import_runs_as_a_job(
    client_for, kate, school_a, media_root, django_capture_on_commit_callbacks
):
    from assets.models import Asset

    rows = [[f"J{i:04d}", "投影仪", "A02010105", 3200, 1, dt.date(2025, 9, 1), ""] for i in range(3)]
    client = client_for(kate, school_a)
    job = _start(
        client, "/assets/import/", django_capture_on_commit_callbacks, file=_upload(_sheet(rows)), mapping=""
    )
    assert (job.kind, job.runner, job.total) == ("import", "assets.import", 3)
    assert (media_root / f"alpha/jobs/{job.pk}/inputs/upload.xlsx").is_file()

    job = _run(job)

    assert job.status == JobStatus.DONE, job.message
    assert job.message == "已导入 3 张资产卡片。"
    assert job.next_url == "/assets/"
    assert not (media_root / f"alpha/jobs/{job.pk}/inputs/upload.xlsx").exists()  # the upload is not kept
    connection.set_tenant(school_a)
    assert Asset.objects.filter(asset_number__startswith="J0").count() == 3


def test_import_with_bad_rows_fails_imports_nothing_and_offers_the_report(
    client_for, kate, school_a, django_capture_on_commit_callbacks
):
    from assets.models import Asset

    rows = [
        [f"K{i:04d}", "投影仪", "A02010105", -1 if i == 1 else 3200, 1, dt.date(2025, 9, 1), ""]
        for i in range(3)
    ]
    client = client_for(kate, school_a)
    job = _run(
        _start(
            client,
            "/assets/import/",
            django_capture_on_commit_callbacks,
            file=_upload(_sheet(rows)),
            mapping="",
        )
    )

    assert job.status == JobStatus.FAILED
    assert job.message == "表中发现 1 处问题，未导入任何一行。请按错误报告改正后重新导入。"
    page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert "下载错误报告" in page
    report = load_workbook(
        io.BytesIO(b"".join(client.get(f"/jobs/{job.pk}/download/").streaming_content))
    ).active
    assert [c.value for c in report[2]][:2] == [3, "单价"]
    connection.set_tenant(school_a)
    assert not Asset.objects.filter(asset_number__startswith="K0").exists()


def test_a_refused_file_is_answered_at_once(client_for, kate, school_a):
    response = client_for(kate, school_a).post(
        "/assets/import/", {"file": _upload(b"not a workbook"), "mapping": ""}
    )
    assert response.status_code == 200
    assert not Job.objects.exists()
