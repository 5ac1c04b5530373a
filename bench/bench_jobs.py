"""Long work leaves the request (issue 21, part 2): a staff import and a summary PDF answered in ≲ 2 s by starting a
job, against the naive way (the same work inside the request) in the same run; and what the job itself then takes.

Sizes (environment):
  BENCH_JOBS_STAFF_ROWS   rows of the staff sheet (default 1000; a staff sheet holds at most 2,000)
  BENCH_JOBS_ROUNDS       requests per figure (default 3)
The naive request runs the same view with the background threshold out of reach (JOBS_IMPORT_INLINE_ROWS, and the
summary's document_in_background answering None), so both paths are the same code but for where the work runs.
"""

from __future__ import annotations

import io
import os
import statistics
import time

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client, override_settings

from tenants.models import Bureau, School, User
from tenants.roles import Role
from tenants.services import bureau_create, membership_grant, school_create

from .harness import note, report

ROWS = int(os.environ.get("BENCH_JOBS_STAFF_ROWS", "1000"))
ROUNDS = int(os.environ.get("BENCH_JOBS_ROUNDS", "3"))
CODE = "benchjobs"
TARGET = "<=2s"


def _place() -> tuple[Bureau, School, User, User]:
    bureau = Bureau.objects.filter(code=CODE).first() or bureau_create(name="基准作业教育局", code=CODE)
    school = School.objects.filter(slug="bjobs").first() or school_create(
        bureau=bureau, name="基准作业学校", slug="bjobs", student_count=900)
    principal, created = User.objects.get_or_create(username="bench-jobs-principal", defaults={"name": "基准校长"})
    if created:
        membership_grant(user=principal, role=Role.PRINCIPAL, school=school)
    leader, created = User.objects.get_or_create(username="bench-jobs-leader", defaults={"name": "基准局领导"})
    if created:
        membership_grant(user=leader, role=Role.BUREAU_LEADER, bureau=bureau)
    connection.set_schema_to_public()
    return bureau, school, principal, leader


def _sheet(run: int) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["姓名", "手机", "岗位", "部门", "角色"])
    for i in range(ROWS):
        # A fresh range of phones each run, so every import invites ROWS new people (the costly case).
        sheet.append([f"基准{run}-{i}", f"16{run:03d}{i:06d}", "班主任", "", "教师"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _client(user: User, host: str) -> Client:
    client = Client(HTTP_HOST=host)
    client.force_login(user)
    return client


def _timed(send, *args) -> tuple[float, object]:
    start = time.perf_counter()
    response = send(*args)
    return time.perf_counter() - start, response


def _job_of(response):
    from jobs.models import Job

    assert response.status_code == 302, response.status_code
    assert response["Location"].startswith("/jobs/"), response["Location"]
    return Job.objects.get(pk=int(response["Location"].strip("/").split("/")[-1]))


def _post_sheet(client: Client, content: bytes):
    return client.post("/staff/import/", {"file": SimpleUploadedFile("staff.xlsx", content)})


def _staff_import(school: School, principal: User, run_base: int) -> None:
    from jobs.services import job_run

    client = _client(principal, school.host)
    naive, ours, job_seconds = [], [], []
    for round_ in range(ROUNDS):
        naive_sheet, our_sheet = _sheet(run_base + 2 * round_), _sheet(run_base + 2 * round_ + 1)
        with override_settings(JOBS_IMPORT_INLINE_ROWS=10**9):
            seconds, response = _timed(_post_sheet, client, naive_sheet)
        assert response.status_code == 200, response.status_code
        naive.append(seconds)
        seconds, response = _timed(_post_sheet, client, our_sheet)
        job = _job_of(response)
        ours.append(seconds)
        # the job itself, as the worker runs it (not part of the request)
        start = time.perf_counter()
        done = job_run(job_id=job.pk)
        job_seconds.append(time.perf_counter() - start)
        assert done.status == "done", done.message
        note(f"staff import round {round_ + 1}: naive {naive[-1]:.2f}s, request {ours[-1]:.2f}s, "
             f"job {job_seconds[-1]:.2f}s")
        connection.set_schema_to_public()
    report(f"staff_import_{ROWS}_rows_request", statistics.median(ours), "s", baseline=statistics.median(naive),
           target=TARGET)
    report(f"staff_import_{ROWS}_rows_job", statistics.median(job_seconds), "s")


def _summary_pdf(bureau: Bureau, school: School, leader: User) -> None:
    from reporting import views as reporting_views
    from reporting.services import school_metrics_refresh

    school_metrics_refresh(school=school)
    connection.set_schema_to_public()
    client = _client(leader, "localhost")
    path = f"/bureau/summary/?bureau={bureau.pk}&school={school.pk}&format=pdf"
    naive, ours = [], []
    original = reporting_views.document_in_background
    for _round in range(ROUNDS):
        reporting_views.document_in_background = lambda request, *, title: None  # the work in the request
        try:
            seconds, response = _timed(client.get, path)
        finally:
            reporting_views.document_in_background = original
        assert response.status_code == 200, response.status_code
        assert response["Content-Type"] == "application/pdf", response["Content-Type"]
        naive.append(seconds)
        seconds, response = _timed(client.get, path)
        _job_of(response)
        ours.append(seconds)
        note(f"summary pdf: naive {naive[-1]:.2f}s, request {ours[-1]:.2f}s")
    report("summary_pdf_request", statistics.median(ours), "s", baseline=statistics.median(naive), target=TARGET)


def run() -> None:
    bureau, school, principal, leader = _place()
    # A run number in the phones keeps each run's sheets apart from the last run's people.
    run_base = int(time.time()) // 10 % 900
    # Static names as the tests use them (no collected manifest needed): the pages render the same.
    storages = {**settings.STORAGES,
                "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    with override_settings(MEDIA_ROOT=os.path.join(settings.BASE_DIR, ".data", "bench-media"), STORAGES=storages):
        _staff_import(school, principal, run_base)
        _summary_pdf(bureau, school, leader)
