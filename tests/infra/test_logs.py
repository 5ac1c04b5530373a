"""Logs a newcomer can read and an operator can trace (issue 19, part 6; issue 27, part 4).

Quiet: a refusal is one line without traceback, an anonymous GraphQL POST logs no CSRF warning, a
refused query is logged by its size and reason and never echoed, /favicon.ico answers.
Traceable: the request id (X-Request-ID) is in the response, on the request's log records and on
those of the Celery tasks it sends; JSON lines on demand; Sentry only with a DSN.
"""

from __future__ import annotations

import json
import logging
import logging.config
import os
import subprocess
import sys
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker
from django.http import HttpResponse
from django.test import Client, override_settings
from django.urls import path

from config.celery import app
from config.logs import logging_config, sentry_init
from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[2]


def _traced(records):
    return [r for r in records if r.exc_info or r.exc_text or r.stack_info]


# --- quiet logs ------------------------------------------------------------------------------------
def test_a_403_is_one_line_without_traceback(caplog, client_for, dave):
    # A bureau leader on the platform operator's page: PermissionDenied, which Django logs with its traceback.
    with caplog.at_level(logging.INFO):
        response = client_for(dave).get("/platform/bureaus/")
    assert response.status_code == 403
    lines = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [(r.name, r.getMessage()) for r in lines] == [
        ("django.request", "Forbidden (Permission denied): /platform/bureaus/")]
    assert _traced(caplog.records) == []


def test_anonymous_graphql_post_logs_no_csrf_warning(caplog, school_a):
    client = Client(enforce_csrf_checks=True, HTTP_HOST=school_a.host)
    with caplog.at_level(logging.INFO):
        response = client.post("/graphql/", {"query": "{ __typename }"}, content_type="application/json")
    assert response.status_code == 200
    assert response.json() == {"data": {"__typename": "Query"}}
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_signed_in_graphql_post_without_csrf_token_is_one_line_with_the_reason(caplog, alice, school_a):
    client = Client(enforce_csrf_checks=True, HTTP_HOST=school_a.host)
    client.force_login(alice)
    with caplog.at_level(logging.INFO):
        response = client.post("/graphql/", {"query": "{ __typename }"}, content_type="application/json")
    assert response.status_code == 403
    lines = [(r.name, r.getMessage()) for r in caplog.records if r.levelno >= logging.WARNING]
    assert lines == [("django.security.csrf", "Forbidden (CSRF cookie not set.): /graphql/")]
    assert _traced(caplog.records) == []


def test_an_oversized_query_is_logged_by_size_and_reason_not_echoed(caplog, school_a):
    fields = " ".join(f"f{i}: __typename" for i in range(120_000))  # ~2 MB, far past the token limit
    query = "{ " + fields + " }"
    assert len(query) > 2_000_000
    client = Client(HTTP_HOST=school_a.host)
    with caplog.at_level(logging.INFO):
        response = client.post("/graphql/", {"query": query}, content_type="application/json")
    assert response.json()["errors"][0]["extensions"]["code"] == "TOKEN_LIMIT_EXCEEDED"
    lines = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.name for r in lines] == ["houqin.graphql.refused"]
    message = lines[0].getMessage()
    assert message == ("GraphQL request refused: Syntax Error: Document contains more than 2000 tokens. "
                       f"Parsing aborted. (TOKEN_LIMIT_EXCEEDED, {len(query.encode())} bytes)")
    logged = "\n".join(r.getMessage() + str(r.exc_info or "") for r in caplog.records)
    assert "f1: __typename" not in logged
    assert len(logged) < 2_000


def test_an_unknown_field_is_one_refusal_line(caplog, school_a):
    client = Client(HTTP_HOST=school_a.host)
    with caplog.at_level(logging.INFO):
        client.post("/graphql/", {"query": "{ noSuchField }"}, content_type="application/json")
    assert [(r.name, r.getMessage()) for r in caplog.records if r.levelno >= logging.WARNING] == [
        ("houqin.graphql.refused",
         "GraphQL request refused: Cannot query field 'noSuchField' on type 'Query'. "
         "(GRAPHQL_VALIDATION_FAILED, 15 bytes)")]


@pytest.mark.parametrize("host", ["localhost", "alpha.localhost"])
def test_favicon_answers_on_every_host(db, school_a, host):
    response = Client(HTTP_HOST=host).get("/favicon.ico")
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert body == (ROOT / "frontend" / "root" / "favicon.ico").read_bytes()
    assert body[:4] == b"\x00\x00\x01\x00"  # an ICO file


def test_pages_link_the_favicon(db, school_a):
    html = Client(HTTP_HOST=school_a.host).get("/accounts/login/").content.decode()
    assert '<link rel="icon" href="/favicon.ico" sizes="32x32">' in html
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in html


# --- the request id --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("sent", "kept"),
    [("partner-42.abc_9", True), ("0f8fad5b-d9cb-469f-a165-70867728950e", True),
     ("a" * 64, True), ("a" * 65, False), ("bad id", False), ("<script>", False), ("", False)],
)
def test_the_callers_request_id_is_kept_when_sane(db, sent, kept):
    response = Client(HTTP_HOST="localhost", HTTP_X_REQUEST_ID=sent).get("/healthz")
    answered = response["X-Request-ID"]
    if kept:
        assert answered == sent
    else:
        assert answered != sent
        assert len(answered) == 32
        int(answered, 16)


def test_every_log_line_of_a_request_carries_its_id(caplog, db):
    with caplog.at_level(logging.INFO):
        response = Client(HTTP_HOST="localhost", HTTP_X_REQUEST_ID="trace-404").get("/no-such-page/")
    assert response.status_code == 404
    assert response["X-Request-ID"] == "trace-404"
    lines = [r for r in caplog.records if r.name == "django.request"]
    assert [(r.getMessage(), r.request_id) for r in lines] == [("Not Found: /no-such-page/", "trace-404")]
    # Outside the request, no id.
    logging.getLogger("houqin.test").warning("after")
    assert caplog.records[-1].request_id == "-"


@app.task(name="tests.infra.log_request_id")
def log_request_id_task(marker: str) -> str:
    logging.getLogger("houqin.test.task").warning("task %s ran", marker)
    return marker


def _send_task(request):
    log_request_id_task.delay(request.GET["marker"])
    return HttpResponse("sent")


urlpatterns = [path("send-task/", _send_task)]


@pytest.fixture
def task_urls():
    with override_settings(PUBLIC_SCHEMA_URLCONF=__name__):
        yield


def _task_lines(caplog, marker):
    return [r for r in caplog.records if r.name == "houqin.test.task" and r.getMessage() == f"task {marker} ran"]


@pytest.fixture
def eager():
    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before


def test_a_task_run_in_place_logs_with_the_request_id(caplog, db, task_urls, eager):
    with caplog.at_level(logging.INFO):
        response = Client(HTTP_HOST="localhost", HTTP_X_REQUEST_ID="req-eager-1").get("/send-task/?marker=e1")
    assert response.status_code == 200
    assert response["X-Request-ID"] == "req-eager-1"
    assert [r.request_id for r in _task_lines(caplog, "e1")] == ["req-eager-1"]


@pytest.fixture(scope="module")
def celery_worker(django_db_blocker):
    app.control.purge()
    with django_db_blocker.unblock(), start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING"):
        yield


@pytest.mark.django_db(transaction=False)
def test_a_task_sent_by_a_request_logs_with_its_request_id_on_the_worker(caplog, celery_worker, task_urls):
    client = Client(HTTP_HOST="localhost")
    with caplog.at_level(logging.INFO):
        first = client.get("/send-task/?marker=w1", HTTP_X_REQUEST_ID="req-worker-1")
        second = client.get("/send-task/?marker=w2")  # no id sent: one is made, and travels the same way
        _wait_for(lambda: _task_lines(caplog, "w1") and _task_lines(caplog, "w2"))
    assert first["X-Request-ID"] == "req-worker-1"
    assert [r.request_id for r in _task_lines(caplog, "w1")] == ["req-worker-1"]
    assert [r.request_id for r in _task_lines(caplog, "w2")] == [second["X-Request-ID"]]
    # The worker thread ran them: the id came with the task's headers, not through a shared context.
    assert {r.threadName for r in _task_lines(caplog, "w1")} != {"MainThread"}


def _wait_for(condition, timeout: float = 20.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the task's log line did not arrive")
        time.sleep(0.05)


def test_a_task_sent_outside_a_request_gets_an_id_of_its_own(caplog, eager):
    with caplog.at_level(logging.INFO):
        log_request_id_task.delay("b1")
    (line,) = _task_lines(caplog, "b1")
    assert len(line.request_id) == 32


# --- JSON lines, ADMINS, Sentry --------------------------------------------------------------------
def test_json_lines_carry_the_fields_and_readable_chinese():
    config = logging_config(log_format="json", level="INFO")
    formatter = logging.config.DictConfigurator(config).configure_formatter(config["formatters"]["json"])
    record = logging.getLogger("houqin.test").makeRecord("houqin.test", logging.WARNING, __file__, 1,
                                                          "学校 %s 已停用", ("阿尔法",), None)
    record.request_id = "req-json-1"
    line = json.loads(formatter.format(record))
    assert {k: line[k] for k in ("level", "logger", "request_id", "message")} == {
        "level": "WARNING", "logger": "houqin.test", "request_id": "req-json-1", "message": "学校 阿尔法 已停用"}
    assert "time" in line
    assert "阿尔法" in formatter.format(record)  # not \\u-escaped


def test_an_unknown_log_format_is_refused():
    with pytest.raises(ValueError, match="LOG_FORMAT must be text or json"):
        logging_config(log_format="xml", level="INFO")


def test_sentry_starts_only_with_a_dsn(monkeypatch):
    import sentry_sdk

    calls = []
    monkeypatch.setattr(sentry_sdk, "init", lambda **kwargs: calls.append(kwargs))
    assert sentry_init(dsn="", environment="production", release="1.2.3") is False
    assert calls == []
    assert sentry_init(dsn="https://key@glitchtip.example.cn/3", environment="staging", release="1.2.3") is True
    (kwargs,) = calls
    assert {k: kwargs[k] for k in ("dsn", "environment", "release", "send_default_pii", "traces_sample_rate")} == {
        "dsn": "https://key@glitchtip.example.cn/3", "environment": "staging", "release": "1.2.3",
        "send_default_pii": False, "traces_sample_rate": 0.0}


_SETTINGS_PROBE = """
import json, sentry_sdk
calls = []
sentry_sdk.init = lambda **kwargs: calls.append(sorted(kwargs))
import django
django.setup()
from django.conf import settings
print(json.dumps({"sentry": calls, "admins": settings.ADMINS, "format": settings.LOG_FORMAT}))
"""


def _settings_with(**env) -> dict:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("SENTRY_", "ADMINS", "LOG_FORMAT"))}
    environment.update(DJANGO_SETTINGS_MODULE="config.settings", **env)
    out = subprocess.run([sys.executable, "-c", _SETTINGS_PROBE], cwd=ROOT, env=environment, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_settings_start_sentry_and_read_admins_from_the_environment():
    assert _settings_with() == {"sentry": [], "admins": [], "format": "text"}
    configured = _settings_with(SENTRY_DSN="https://key@sentry.example.cn/1", SENTRY_RELEASE="2026.12",
                                ADMINS="运维值班 <ops@example.cn>,Bob <bob@example.cn>", LOG_FORMAT="json")
    assert configured["admins"] == [["运维值班", "ops@example.cn"], ["Bob", "bob@example.cn"]]
    assert configured["format"] == "json"
    (keys,) = configured["sentry"]
    assert {"dsn", "environment", "release", "send_default_pii"} <= set(keys)


def test_signing_in_still_works_with_the_request_id_first(client_for, school_a):
    # RequestIdMiddleware now runs before every other middleware: the ordinary flow is unchanged.
    client = Client(HTTP_HOST=school_a.host)
    response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    assert len(response["X-Request-ID"]) == 32
