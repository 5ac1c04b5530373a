"""The "view" runner: a page's export or document, made in the worker by the page's own view.

The job keeps the page's path and query; the worker builds the same GET request, as the same user, on
the same host, and calls the view that the URL resolves to. The view checks who may see what exactly
as it does in a request (a person who lost the right meanwhile gets no file), and the file is the one
the page would have answered: one code path for a small export answered at once and a large one made
in the background.
"""

from __future__ import annotations

from io import BytesIO
from urllib.parse import unquote

from django.conf import settings
from django.contrib.messages.storage import default_storage
from django.contrib.sessions.backends.base import SessionBase
from django.core.handlers.wsgi import WSGIRequest
from django.urls import resolve, set_urlconf
from django.utils.translation import gettext as _

from core import progress

from .models import Job
from .services import JobFailed, JobResult, job_runner


def replay_request(job: Job) -> WSGIRequest:
    params = job.params
    host = params["host"]
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": params["path"],
        "QUERY_STRING": params.get("query", ""),
        "SCRIPT_NAME": "",
        "SERVER_NAME": host.split(":")[0],
        "SERVER_PORT": params.get("port", "80"),
        "HTTP_HOST": host,
        "wsgi.input": BytesIO(),
        "wsgi.url_scheme": params.get("scheme", "http"),
        "HTTP_ACCEPT_LANGUAGE": params.get("language", ""),
        "REMOTE_ADDR": "127.0.0.1",
    }
    request = WSGIRequest(environ)
    request.user = job.user
    request.session = SessionBase()
    request._messages = default_storage(request)
    request.LANGUAGE_CODE = params.get("language") or settings.LANGUAGE_CODE
    request.request_id = f"job-{job.pk}"
    from django.db import connection

    request.tenant = job.school if job.school_id else connection.tenant
    request.urlconf = settings.ROOT_URLCONF if job.school_id else settings.PUBLIC_SCHEMA_URLCONF
    # Marks the request as the job's own: the view answers with the file instead of starting another job.
    request.houqin_job = job
    return request


def _file_name(response, job: Job) -> str:
    disposition = response.get("Content-Disposition", "")
    if "filename*=UTF-8''" in disposition:
        return unquote(disposition.split("filename*=UTF-8''", 1)[1].split(";")[0].strip())
    if 'filename="' in disposition:
        return disposition.split('filename="', 1)[1].split('"')[0]
    return job.title


@job_runner("view")
def view_replay(job: Job) -> JobResult:
    request = replay_request(job)
    set_urlconf(request.urlconf)
    try:
        match = resolve(request.path_info, urlconf=request.urlconf)
        progress.progress(3, _("Reading the records"))
        response = match.func(request, *match.args, **match.kwargs)
    finally:
        set_urlconf(None)
    # A file is an answer that names it (attachment, or inline as the ledger PDFs open in the browser).
    if getattr(response, "status_code", None) != 200 or "filename" not in response.get(
        "Content-Disposition", ""
    ):
        raise JobFailed(
            _("The page did not give a file (answer %(status)s).")
            % {"status": getattr(response, "status_code", "?")}
        )
    progress.progress(95, _("Saving the file"))
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return JobResult(
        file_name=_file_name(response, job),
        content=content,
        content_type=response.get("Content-Type", "application/octet-stream").split(";")[0],
    )
