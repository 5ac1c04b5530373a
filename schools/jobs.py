"""Background runners of the schools module (jobs.services.job_runner): the staff sheet's import."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from core.progress import progress
from jobs.services import JobFailed, JobResult, import_refused, job_input, job_runner
from tenants.access import school_roles
from tenants.roles import SCHOOL_ADMIN_ROLES

STAFF_INPUT = "staff.xlsx"


def staff_import_job_start(request, *, content: bytes, name: str):
    """A new import job for a staff sheet longer than a request should take (the Job), or None for a short one.

    The sheet is read here with the import's own limits, so a refused file (SpreadsheetRefused) is refused at
    once, before any job."""
    from core.spreadsheets import sheet_rows
    from jobs.background import place_of
    from jobs.models import JobKind
    from jobs.services import job_start

    from .people_services import SHEET_LIMITS

    rows = sum(1 for _row in sheet_rows(content, limits=SHEET_LIMITS)) - 1
    if rows <= settings.JOBS_IMPORT_INLINE_ROWS:
        return None
    school, bureau = place_of(request)
    return job_start(
        user=request.user,
        school=school,
        bureau=bureau,
        kind=JobKind.IMPORT,
        runner="schools.staff_import",
        title=_("Staff import: %(name)s") % {"name": name},
        params={},
        total=rows,
        inputs={STAFF_INPUT: content},
    )


def staff_import_in_background(request, *, upload):
    """A redirect to a new import job when the staff sheet has more rows than a request should take; else None."""
    upload.seek(0)
    content = upload.read()
    upload.seek(0)
    job = staff_import_job_start(request, content=content, name=upload.name)
    return redirect("jobs:detail", job_id=job.pk) if job is not None else None


@job_runner("schools.staff_import")
def staff_import_run(job) -> JobResult:
    """Import the uploaded staff sheet as the job's user: every row or none; the error report when rows are wrong."""
    from .people_services import staff_import

    if not school_roles(job.user, job.school) & SCHOOL_ADMIN_ROLES or job.school.is_read_only:
        raise PermissionDenied
    source = job_input(job, STAFF_INPUT)
    try:
        progress(3, _("Checking every row"))
        result = staff_import(content=source.read_bytes(), by=job.user)
    finally:
        source.unlink(missing_ok=True)
    if result.refused is not None:
        raise JobFailed(result.refused.messages[0])
    if result.errors:
        raise import_refused(
            count=len(result.errors),
            title=_("Staff import errors"),
            headers=[_("Row"), _("Column"), _("Problem")],
            rows=[[e.row, e.column, str(e.message)] for e in result.errors],
        )
    return JobResult(
        # The words of the import page's own summary (one msgid, one translation).
        message=_("Imported: %(c)s invited, %(u)s updated, %(s)s unchanged.")
        % {"c": result.invited, "u": result.updated, "s": result.unchanged},
        next_url=reverse("staff:list", urlconf=settings.ROOT_URLCONF),
    )
