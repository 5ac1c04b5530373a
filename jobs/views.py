"""A person's jobs: the progress page (polled every second with htmx), the list, the download."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.http import FileResponse, Http404
from django.shortcuts import render

from tenants.access import personal_view
from tenants.models import School

from . import selectors


def _school(request) -> School | None:
    tenant = getattr(request, "tenant", None)
    return tenant if isinstance(tenant, School) else None


@personal_view
def job_list(request):
    """我的导出: the person's recent exports, documents and imports on this host."""
    jobs = selectors.job_list_for(user=request.user, school=_school(request))[: selectors.RECENT]
    return render(request, "jobs/job_list.html", {"jobs": jobs, "hours": settings.JOBS_RESULT_HOURS})


@personal_view
def job_detail(request, job_id: int):
    """The job's progress; htmx asks for the bar alone every second until the job has finished."""
    job = selectors.job_get_for(user=request.user, school=_school(request), job_id=job_id)
    if request.headers.get("HX-Request"):
        return render(request, "jobs/_progress.html", {"job": job})
    return render(request, "jobs/job_detail.html", {"job": job})


@personal_view
def job_download(request, job_id: int):
    """The job's file, to its owner only, on the host it was asked for on (never a public media URL)."""
    job = selectors.job_get_for(user=request.user, school=_school(request), job_id=job_id)
    if not job.has_file:
        raise Http404
    root = Path(settings.MEDIA_ROOT).resolve()
    path = (root / job.file_path).resolve()
    if root not in path.parents or not path.is_file():
        raise Http404
    response = FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=job.file_name or path.name,  # noqa: SIM115 (FileResponse closes it)
        content_type=job.content_type or "application/octet-stream",
    )
    response["Cache-Control"] = "private, no-store"
    return response
