"""Background runners of the assets module (jobs.services.job_runner): the import of a large sheet."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from core.progress import progress
from jobs.services import JobResult, import_refused, job_input, job_runner
from tenants.access import school_roles

from .roles import MANAGERS

IMPORT_INPUT = "upload.xlsx"
CATEGORY_INPUT = "categories.xlsx"


def import_in_background(request, *, upload, mapping: dict):
    """A redirect to a new import job when the sheet has more rows than a request should check; else None.

    The sheet is read once here with the import's own limits, so a refused file is answered at once."""
    from core.spreadsheets import sheet_rows
    from jobs.background import place_of
    from jobs.models import JobKind
    from jobs.services import job_start

    from .imports import import_limits

    rows = sum(1 for _row in sheet_rows(upload, limits=import_limits())) - 1  # SpreadsheetRefused: a bad file
    if rows <= settings.JOBS_BACKGROUND_ROWS:
        return None
    upload.seek(0)
    school, bureau = place_of(request)
    job = job_start(
        user=request.user,
        school=school,
        bureau=bureau,
        kind=JobKind.IMPORT,
        runner="assets.import",
        title=_("Asset import: %(name)s") % {"name": upload.name},
        params={"mapping": mapping},
        total=rows,
        inputs={IMPORT_INPUT: upload.read()},
    )
    return redirect("jobs:detail", job_id=job.pk)


@job_runner("assets.import")
def assets_import_run(job) -> JobResult:
    """Import the uploaded sheet as the job's user: every card or none; the error report when rows are wrong."""
    from .imports import ImportFailed, assets_import, error_report_rows

    if not school_roles(job.user, job.school) & MANAGERS or job.school.is_read_only:
        raise PermissionDenied
    source = job_input(job, IMPORT_INPUT)
    try:
        content = source.read_bytes()
        progress(3, _("Checking every row"))
        count = assets_import(upload=content, actor=job.user, mapping=job.params.get("mapping") or None)
    except ImportFailed as exc:
        headers, rows = error_report_rows(exc.errors)
        raise import_refused(count=len(exc.errors), title=_("Import errors"), headers=headers, rows=rows) from exc
    finally:
        source.unlink(missing_ok=True)
    return JobResult(
        message=_("%(count)s asset cards imported.") % {"count": count},
        next_url=reverse("assets:asset_list", urlconf=settings.ROOT_URLCONF),
    )


def category_sheet_rows(upload) -> list[dict]:
    """The category sheet's rows (code, name, parent, service life, special equipment), the header skipped.

    Read by core.spreadsheets with the import's limits: a file it refuses raises SpreadsheetRefused."""
    from core.spreadsheets import sheet_rows

    from .imports import import_limits

    keys = ["code", "name", "parent", "service_life_years", "is_special_equipment"]
    rows = []
    for index, (_number, row) in enumerate(sheet_rows(upload, limits=import_limits())):
        if index == 0 or not any(row):
            continue
        values = [("" if v is None else str(int(v) if isinstance(v, float) and v.is_integer() else v)) for v in row]
        rows.append(dict(zip(keys, values + [""] * (5 - len(values)), strict=False)))
    return rows


def category_import_in_background(request, *, upload, rows: int):
    """A redirect to a new category import job when the sheet has more rows than a request should take; else None."""
    from jobs.background import place_of
    from jobs.models import JobKind
    from jobs.services import job_start

    if rows <= settings.JOBS_IMPORT_INLINE_ROWS:
        return None
    upload.seek(0)
    school, bureau = place_of(request)
    job = job_start(
        user=request.user,
        school=school,
        bureau=bureau,
        kind=JobKind.IMPORT,
        runner="assets.category_import",
        title=_("Category import: %(name)s") % {"name": upload.name},
        params={},
        total=rows,
        inputs={CATEGORY_INPUT: upload.read()},
    )
    return redirect("jobs:detail", job_id=job.pk)


@job_runner("assets.category_import")
def category_import_run(job) -> JobResult:
    """Import the uploaded category table as the job's user: every row or none; the problems as a report."""
    from django.core.exceptions import ValidationError

    from .services import category_table_import

    if not school_roles(job.user, job.school) & MANAGERS or job.school.is_read_only:
        raise PermissionDenied
    source = job_input(job, CATEGORY_INPUT)
    try:
        progress(3, _("Checking every row"))
        rows = category_sheet_rows(source.read_bytes())
        count = category_table_import(rows=rows, actor=job.user)
    except ValidationError as exc:
        problems = exc.messages
        raise import_refused(
            count=len(problems), title=_("Import errors"), headers=[_("Message")], rows=[[p] for p in problems]
        ) from exc
    finally:
        source.unlink(missing_ok=True)
    return JobResult(
        message=_("%(count)s categories imported.") % {"count": count},
        next_url=reverse("assets:category_list", urlconf=settings.ROOT_URLCONF),
    )
