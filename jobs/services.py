"""Writes of the job framework: start a job, run it (in the worker), clean up expired ones."""

from __future__ import annotations

import importlib
import logging
import os
import shutil
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core import progress as progress_api

from .models import Job, JobKind, JobStatus

logger = logging.getLogger(__name__)

# Runners by name: "view" (jobs.runners) and one per app that registers its own in <app>/jobs.py.
_RUNNERS: dict[str, object] = {}


@dataclass
class JobResult:
    """What a runner made: a file (name, bytes, type) and/or a message and the page to go on to."""

    file_name: str = ""
    content: bytes | None = None
    content_type: str = "application/octet-stream"
    message: str = ""
    next_url: str = ""


class JobFailed(Exception):
    """The work could not be done, for a reason the person can read; `result` may carry a report file."""

    def __init__(self, message: str, result: JobResult | None = None):
        super().__init__(message)
        self.message = message
        self.result = result


def import_refused(*, count: int, title: str, headers: list, rows: list) -> JobFailed:
    """The failure of an import whose rows are wrong: nothing imported, and the problems as an .xlsx report."""
    from django.utils.translation import ngettext

    from frontend.excel import XLSX_CONTENT_TYPE, workbook_bytes

    message = ngettext(
        "%(count)s problem found in the sheet; nothing was imported. Correct the rows in the error report and "
        "import the sheet again.",
        "%(count)s problems found in the sheet; nothing was imported. Correct the rows in the error report and "
        "import the sheet again.",
        count,
    ) % {"count": count}
    report = workbook_bytes(title=title, headers=headers, rows=rows, heading=False)
    return JobFailed(message, JobResult(file_name=f"{title}.xlsx", content=report, content_type=XLSX_CONTENT_TYPE))


def job_runner(name: str):
    """Register a runner: f(job) -> JobResult, raising JobFailed with a readable reason."""

    def register(function):
        _RUNNERS[name] = function
        return function

    return register


def _runner(name: str):
    if name not in _RUNNERS:
        app = name.split(".")[0] if "." in name else "jobs"
        if app in {a.split(".")[0] for a in settings.INSTALLED_APPS}:
            importlib.import_module(f"{app}.runners" if app == "jobs" else f"{app}.jobs")
    return _RUNNERS[name]


def result_ttl() -> timedelta:
    return timedelta(hours=settings.JOBS_RESULT_HOURS)


def job_start(
    *,
    user,
    school,
    bureau,
    kind: str,
    runner: str,
    title: str,
    params: dict,
    total: int | None = None,
    inputs: dict[str, bytes] | None = None,
) -> Job:
    """Record a job with its input files and queue it once the row is committed (so the worker finds it)."""
    now = timezone.now()
    job = Job.objects.create(
        user=user,
        school=school,
        bureau=bureau,
        kind=kind,
        runner=runner,
        title=str(title)[:200],
        params=params,
        total=total,
        message=_("Waiting for a worker…"),
        created_at=now,
        expires_at=now + result_ttl(),
    )
    for name, content in (inputs or {}).items():
        folder = job_folder(job) / "inputs"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / Path(name).name).write_bytes(content)
    from .tasks import job_run_task

    transaction.on_commit(lambda: job_run_task.apply_async(kwargs={"job_id": job.pk}))
    return job


class _Reporter:
    """Writes a job's progress to its row, at most a few times a second (the page polls every second)."""

    MIN_INTERVAL = 0.3

    def __init__(self, job: Job):
        self.job = job
        self.total = job.total
        self._last = 0.0
        self._percent = job.progress

    def report(self, percent: int, message: str = "", *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and (percent <= self._percent or now - self._last < self.MIN_INTERVAL):
            return
        self._last, self._percent = now, max(percent, self._percent)
        fields = {"progress": self._percent}
        if message:
            fields["message"] = message[:500]
        Job.objects.filter(pk=self.job.pk).update(**fields)

    def rows(self, done: int, total: int | None) -> None:
        if total:
            share = min(1.0, done / total)
            self.report(
                int(5 + 85 * share), _("%(done)s of %(total)s rows done") % {"done": done, "total": total}
            )
        else:
            self.report(min(89, 5 + done // 100), _("%(done)s rows done") % {"done": done})


def job_run(*, job_id: int) -> Job | None:
    """Run a queued job once: in its school's schema and its user's language; the file is written whole or not
    at all. Safe to run twice: a finished job is left as it is."""
    connection.set_schema_to_public()
    job = Job.objects.select_related("user", "school", "bureau").filter(pk=job_id).first()
    if job is None or job.finished:
        return job
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING, started_at=timezone.now(), progress=1, message=_("Started")
    )
    job.status, job.progress = JobStatus.RUNNING, 1
    reporter = _Reporter(job)
    token = progress_api.listening(reporter)
    try:
        with translation.override(job.params.get("language") or settings.LANGUAGE_CODE):
            try:
                if job.school_id:
                    connection.set_tenant(job.school)
                result = _runner(job.runner)(job)
            except JobFailed as failure:
                _finish(job, status=JobStatus.FAILED, message=failure.message, result=failure.result)
            except PermissionDenied:
                _finish(job, status=JobStatus.FAILED, message=_("You may no longer get this file."))
            except Http404:
                _finish(
                    job,
                    status=JobStatus.FAILED,
                    message=_("What this file was made from is no longer there."),
                )
            except ValidationError as error:
                _finish(job, status=JobStatus.FAILED, message=" ".join(error.messages))
            except Exception:
                logger.exception("job %s (%s) failed", job.pk, job.runner)
                _finish(
                    job,
                    status=JobStatus.FAILED,
                    message=_(
                        "The file could not be made because of an error. Nothing was kept; please try "
                        "again later, or tell the administrator if it fails again."
                    ),
                )
            else:
                _finish(
                    job,
                    status=JobStatus.DONE,
                    message=result.message or _("Ready to download."),
                    result=result,
                )
    finally:
        progress_api.stop_listening(token)
        connection.set_schema_to_public()
    job.refresh_from_db()
    return job


def _finish(job: Job, *, status: str, message: str, result: JobResult | None = None) -> None:
    connection.set_schema_to_public()
    fields = {
        "status": status,
        "message": message[:500],
        "finished_at": timezone.now(),
        "expires_at": timezone.now() + result_ttl(),
    }
    if status == JobStatus.DONE:
        fields["progress"] = 100
    if result is not None:
        fields["next_url"] = result.next_url
        if result.content is not None:
            try:
                path, size = _store(job, result)
            except OSError:
                logger.exception("job %s: the result could not be stored", job.pk)
                fields.update(
                    status=JobStatus.FAILED,
                    progress=job.progress,
                    message=_("The file could not be saved. Nothing was kept; please try again later."),
                )
            else:
                fields.update(
                    file_path=path,
                    file_size=size,
                    file_name=result.file_name[:255],
                    content_type=result.content_type,
                )
    Job.objects.filter(pk=job.pk).update(**fields)


def job_folder(job: Job) -> Path:
    """Where the job's input and result lie: MEDIA_ROOT/<school or bureau>/jobs/<id>/."""
    return Path(settings.MEDIA_ROOT) / job.place_folder() / "jobs" / str(job.pk)


def job_input(job: Job, name: str) -> Path:
    return job_folder(job) / "inputs" / Path(name).name


def _store(job: Job, result: JobResult) -> tuple[str, int]:
    """Write the file under a temporary name and rename it: a reader never sees half a file."""
    folder = job_folder(job)
    folder.mkdir(parents=True, exist_ok=True)
    suffix = Path(result.file_name).suffix.lower()
    suffix = suffix if suffix[1:].isalnum() and len(suffix) <= 6 else ""
    final = folder / f"result{suffix}"
    partial = folder / f".result{suffix}.part"
    try:
        with open(partial, "wb") as handle:
            handle.write(result.content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, final)
    finally:
        if partial.exists():
            partial.unlink()
    return str(final.relative_to(settings.MEDIA_ROOT)), len(result.content)


def jobs_expired_clean(*, now=None) -> int:
    """Delete every expired job with its file (finished or not: a job no worker ever finished expires too)."""
    now = now or timezone.now()
    count = 0
    for job in Job.objects.filter(expires_at__lte=now).select_related("school", "bureau").iterator():
        shutil.rmtree(job_folder(job), ignore_errors=True)
        job.delete()
        count += 1
    return count


def job_kind_label(kind: str) -> str:
    return str(JobKind(kind).label)
