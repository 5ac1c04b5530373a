"""What a view calls to do its slow part in the background: a job, and a redirect to its progress page.

    if (started := export_in_background(request, rows=assets.count(), title=_("Asset ledger"))):
        return started
    return xlsx_response(...)

A small export is answered at once; one of more than JOBS_BACKGROUND_ROWS rows, and every PDF or DOCX,
is made by a job that replays the same request in the worker (jobs.runners). In that replay the same
call answers None, so the view goes on and builds the file, with progress reported to the job.
"""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import redirect
from django.utils.translation import get_language

from tenants.access import bureaus_for
from tenants.models import School

from .models import Job, JobKind
from .services import job_start


def running_job(request) -> Job | None:
    """The job this request replays, or None in an ordinary request."""
    return getattr(request, "houqin_job", None)


def place_of(request) -> tuple[School | None, object]:
    """(school, bureau) the request acts in: the school of its host, or the bureau of the console."""
    tenant = getattr(request, "tenant", None)
    if isinstance(tenant, School):
        return tenant, tenant.bureau
    bureaus = bureaus_for(request.user)
    chosen = request.GET.get("bureau", "")
    bureau = bureaus.filter(pk=chosen).first() if chosen.isdigit() else None
    return None, bureau or bureaus.order_by("pk").first()


def _replay_params(request) -> dict:
    host = request.get_host()
    return {
        "path": request.path,
        "query": request.META.get("QUERY_STRING", ""),
        "host": host,
        "scheme": request.scheme,
        "port": request.get_port(),
        "language": get_language() or settings.LANGUAGE_CODE,
    }


def start_view_job(request, *, kind: str, title: str, total: int | None = None):
    school, bureau = place_of(request)
    job = job_start(
        user=request.user,
        school=school,
        bureau=bureau,
        kind=kind,
        runner="view",
        title=title,
        params=_replay_params(request),
        total=total,
    )
    return redirect("jobs:detail", job_id=job.pk)


def export_in_background(request, *, rows: int, title: str):
    """A redirect to a new export job when the export has more rows than a request should write; else None.

    In the job's own replay it records the row count (for the progress bar) and answers None."""
    job = running_job(request)
    if job is not None:
        from core import progress

        reporter = progress.current()
        if reporter is not None and not reporter.total:
            reporter.total = rows
        return None
    if rows <= settings.JOBS_BACKGROUND_ROWS:
        return None
    return start_view_job(request, kind=JobKind.EXPORT, title=title, total=rows)


def document_in_background(request, *, title: str):
    """A redirect to a new document job (a PDF or DOCX is always made in the background); None in the job."""
    if running_job(request) is not None:
        return None
    return start_view_job(request, kind=JobKind.DOCUMENT, title=title)
