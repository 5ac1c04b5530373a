"""A large export in the browser: the click leads to the job's progress page, which polls until the file is
ready, and the file downloads (a real in-process Celery worker runs the job)."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import override_settings
from openpyxl import load_workbook

from tests.conftest import PASSWORD


@pytest.fixture
def worker_and_assets(django_db_blocker, tmp_path):
    """Three committed assets in school A, every export through a job, a worker to run it; removed after."""
    from celery.contrib.testing.worker import start_worker

    from assets.models import Asset, Category
    from config.celery import app
    from jobs.models import Job
    from tenants.models import School

    with (
        override_settings(JOBS_BACKGROUND_ROWS=0, MEDIA_ROOT=str(tmp_path / "media")),
        django_db_blocker.unblock(),
    ):
        school = School.objects.get(slug="alpha")
        connection.set_tenant(school)
        category = Category.objects.get(code="A02010105")
        assets = [
            Asset.objects.create(asset_number=f"JOB{i:04d}", name=f"导出测试电脑{i}", category=category)
            for i in range(3)
        ]
        connection.set_schema_to_public()
        app.control.purge()  # tasks earlier tests left in the in-memory queue
        with start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING"):
            yield school
        connection.set_tenant(school)
        Asset.objects.filter(pk__in=[a.pk for a in assets]).delete()
        connection.set_schema_to_public()
        Job.objects.filter(school=school).delete()


def test_export_shows_progress_and_downloads_the_file(live_url, browser, worker_and_assets, tmp_path):
    # given alice signed in on her school's asset ledger
    context = browser.new_context(locale="zh-CN", accept_downloads=True)
    page = context.new_page()
    page.goto(live_url("alpha.localhost", "/assets/"))
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/assets/$"))

    # when she exports it
    page.click("text=导出 Excel")

    # then she lands on the job's page with its progress bar, which fills until the file is ready
    page.wait_for_url(re.compile(r".*/jobs/\d+/$"))
    assert page.locator("[data-testid=job-progress] .progress").is_visible()
    assert "资产台账" in page.inner_text("h1")
    page.wait_for_selector("[data-testid=job-progress][data-status=done]", timeout=30_000)
    assert "100%" in page.inner_text("[data-testid=job-progress]")

    # and the download is the ledger with her three computers
    with page.expect_download() as info:
        page.click("[data-testid=job-download]")
    download = info.value
    assert download.suggested_filename.endswith(".xlsx")
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    names = {row[1] for row in load_workbook(path).active.iter_rows(min_row=4, values_only=True)}
    assert {"导出测试电脑0", "导出测试电脑1", "导出测试电脑2"} <= names

    # and 我的导出 lists it
    page.goto(live_url("alpha.localhost", "/jobs/"))
    assert page.locator("[data-testid=job-row][data-status=done]").count() >= 1
    context.close()
