"""Logs a person can follow: one request id on every line, quiet refusals, JSON in production, Sentry.

- The request id comes from the caller's `X-Request-ID` when it is a sane value (letters, digits,
  `.`, `_`, `-`, `:`; at most 64), otherwise it is made here. tenants.middleware.RequestIdMiddleware binds
  it for the request and returns it in the response; every Celery task the request sends carries it in a
  task header and binds it while it runs, so the task's lines carry it too (config/celery.py).
- A refusal (4xx) is one line: Django logs a 403 or a suspicious request with its traceback, which
  reads like a crash to whoever watches the log.
- LOG_FORMAT=json writes one JSON object a line (python-json-logger), for the log collector.
- sentry_init() reports errors to Sentry or GlitchTip when SENTRY_DSN is set, tagged with the request id.
"""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar, Token

_request_id: ContextVar[str] = ContextVar("houqin_request_id", default="")

# What we accept from a caller: an id fit for a log line and a header, not free text.
_SANE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")

# The Celery task header that carries the request id from the request (or task) that sent a task.
TASK_HEADER = "houqin_request_id"


def new_request_id() -> str:
    return uuid.uuid4().hex


def sane_request_id(value: object) -> str:
    """`value` when it is a sane request id, else a new one."""
    if isinstance(value, str) and _SANE.fullmatch(value):
        return value
    return new_request_id()


def current_request_id() -> str:
    """The id of the request or task running in this context ("" outside one)."""
    return _request_id.get()


def bind_request_id(value: str) -> Token:
    return _request_id.set(value)


def unbind_request_id(token: Token | None = None) -> None:
    if token is None:
        _request_id.set("")
        return
    try:
        _request_id.reset(token)
    except ValueError:  # made in another context (a thread pool); nothing of ours to undo here
        _request_id.set("")


def install_record_factory() -> None:
    """Every record gets `request_id` when it is made, so every handler sees it (console, e-mail, Sentry)."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "houqin_request_id", False):
        return

    def factory(*args, **kwargs):
        record = previous(*args, **kwargs)
        record.request_id = _request_id.get() or "-"
        return record

    factory.houqin_request_id = True
    logging.setLogRecordFactory(factory)


class RequestIdFilter(logging.Filter):
    """Puts the current request id on a record made elsewhere (`-` outside a request or a task)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = _request_id.get() or "-"
        return True


class RefusalWithoutTraceback(logging.Filter):
    """A 4xx answer (a 403, a CSRF refusal, a suspicious request) is logged as one line.

    Django attaches the exception to the records of django.request and django.security.*; the
    traceback says nothing about a refusal the application meant to give.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and 400 <= status < 500:
            record.exc_info = None
            record.exc_text = None
            record.stack_info = None
        return True


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s"


def logging_config(*, log_format: str, level: str) -> dict:
    """The LOGGING setting: every line through one console handler, in text or JSON.

    Also makes every log record carry the current request id (install_record_factory).
    """
    if log_format not in ("text", "json"):
        raise ValueError(f"LOG_FORMAT must be text or json, not {log_format!r}")
    install_record_factory()
    formatters = {
        "text": {"format": TEXT_FORMAT},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": JSON_FIELDS,
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            "json_ensure_ascii": False,  # Chinese stays readable
            # Django's records carry the HttpRequest itself: its repr says less than the fields do.
            "reserved_attrs": [*_json_reserved(), "request"],
        },
    }
    filters = {
        "request_id": {"()": "config.logs.RequestIdFilter"},
        "refusal_without_traceback": {"()": "config.logs.RefusalWithoutTraceback"},
        "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
    }
    both = ["request_id", "refusal_without_traceback"]
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": formatters,
        "filters": filters,
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": log_format, "filters": both},
            # Errors are also e-mailed to ADMINS (when set) outside DEBUG, as Django does by default.
            "mail_admins": {"class": "django.utils.log.AdminEmailHandler", "level": "ERROR",
                            "filters": ["require_debug_false", *both]},
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Django's own console handler would print each of its lines a second time.
            "django": {"handlers": ["mail_admins"], "level": level, "propagate": True},
        },
    }


def _json_reserved() -> list[str]:
    from pythonjsonlogger.core import RESERVED_ATTRS

    return list(RESERVED_ATTRS)


# --- Sentry / GlitchTip -------------------------------------------------------------------------
def _tag_request_id(event: dict, hint: dict) -> dict:
    request_id = _request_id.get()
    if request_id:
        event.setdefault("tags", {})["request_id"] = request_id
    return event


def sentry_init(*, dsn: str, environment: str, release: str, traces_sample_rate: float = 0.0) -> bool:
    """Start error reporting when a DSN is given (Sentry, or GlitchTip, which speaks its protocol).

    No personal data leaves: send_default_pii stays off (no user names, addresses or cookies).
    """
    if not dsn:
        return False
    import sentry_sdk

    sentry_sdk.init(
        dsn=dsn,
        environment=environment or None,
        release=release or None,
        send_default_pii=False,
        traces_sample_rate=traces_sample_rate,
        before_send=_tag_request_id,
    )
    return True


# --- Celery: the request id travels with the task -------------------------------------------------
def task_published(headers: dict | None = None, **kwargs) -> None:
    """before_task_publish: the sending request's (or task's) id goes into the task's headers."""
    request_id = _request_id.get()
    if request_id and headers is not None:
        headers.setdefault(TASK_HEADER, request_id)


def task_started(task=None, **kwargs) -> None:
    """task_prerun: bind the id the task was sent with (a task started by beat gets a new one)."""
    if task is None:
        return
    request = task.request
    value = getattr(request, TASK_HEADER, None) or (getattr(request, "headers", None) or {}).get(TASK_HEADER)
    if not value and getattr(request, "is_eager", False):
        value = _request_id.get()  # run in place (eager): it is still the sender's context
    request.houqin_request_id_token = _request_id.set(sane_request_id(value))


def task_finished(task=None, **kwargs) -> None:
    """task_postrun: the worker's next task does not inherit this one's id."""
    token = getattr(getattr(task, "request", None), "houqin_request_id_token", None)
    if token is not None:
        unbind_request_id(token)
        task.request.houqin_request_id_token = None


def connect_celery() -> None:
    from celery.signals import before_task_publish, task_postrun, task_prerun

    before_task_publish.connect(task_published, weak=False, dispatch_uid="houqin_request_id_publish")
    task_prerun.connect(task_started, weak=False, dispatch_uid="houqin_request_id_prerun")
    task_postrun.connect(task_finished, weak=False, dispatch_uid="houqin_request_id_postrun")
