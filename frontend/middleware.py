"""Health, liveness and metrics endpoints, answered on every host before tenant routing, and the
per-request metrics (count, latency, SQL statements by host kind and URL name).

- /healthz: ready to serve — the database answers, the broker accepts a connection, and no migration
  is unapplied, neither in public nor in the template schema that every school is cloned from (the
  migration command migrates it last). 200 or 503 with the failing check. Readiness/start-up probes.
- /livez: the process answers (no dependency), for liveness probes: a database outage must not
  restart every web pod.
- /metrics: Prometheus text, only for `Authorization: Bearer <METRICS_TOKEN>`; with no token set it is
  open in development (DEBUG) and refused (403) in production, where `check --deploy` warns.
"""

from __future__ import annotations

import hmac
import time

from django.conf import settings
from django.db import connection
from django.http import HttpResponse, JsonResponse

# Once every migration is applied, this process keeps it that way (a new migration comes with a new
# image): the migration graph is read from disk once, not at every probe.
_migrations_ok = False


def _check_database() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True, "ok"
    except Exception as exc:  # noqa: BLE001 - a health check reports, it does not raise
        return False, type(exc).__name__


def _unapplied(schema: str) -> int:
    from django.db.migrations.executor import MigrationExecutor

    connection.set_schema(schema)
    try:
        executor = MigrationExecutor(connection)
        return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))
    finally:
        connection.set_schema_to_public()


def _check_migrations() -> tuple[bool, str]:
    global _migrations_ok
    if _migrations_ok:
        return True, "ok"
    from django_tenants.utils import schema_exists

    try:
        pending = _unapplied("public")
        if pending:
            return False, f"{pending} unapplied"
        template = settings.TENANT_BASE_SCHEMA
        if template and not schema_exists(template):
            return False, "template schema missing"
        if template and (pending := _unapplied(template)):
            return False, f"{pending} unapplied in {template}"
        _migrations_ok = True
        return True, "ok"
    except Exception as exc:  # noqa: BLE001
        connection.set_schema_to_public()
        return False, type(exc).__name__


def _check_broker() -> tuple[bool, str]:
    from config.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True, "ok"
    except Exception as exc:  # noqa: BLE001
        return False, type(exc).__name__


def health() -> tuple[bool, dict[str, str]]:
    connection.set_schema_to_public()
    checks = {
        "database": _check_database(),
        "migrations": _check_migrations(),
        "broker": _check_broker(),
    }
    return all(passed for passed, _ in checks.values()), {name: detail for name, (_, detail) in checks.items()}


def metrics_allowed(request) -> bool:
    """/metrics needs `Authorization: Bearer <METRICS_TOKEN>`; without a token it is open only with DEBUG
    (development): in production an unset token refuses every scrape rather than publishing the figures."""
    token = settings.METRICS_TOKEN
    if not token:
        return bool(settings.DEBUG)
    given = request.headers.get("Authorization", "")
    return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


def _host_kind(request) -> str:
    from tenants.models import School

    tenant = getattr(request, "tenant", None)
    if isinstance(tenant, School):
        return "school"
    return "bureau" if getattr(request, "urlconf", None) == settings.PUBLIC_SCHEMA_URLCONF else "unknown"


def _view_name(request, status: int) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched" if status == 404 else "none"
    return match.view_name or "unnamed"  # "namespace:name": a bounded set, never the raw path


class _QueryCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


class HealthCheckMiddleware:
    """The outermost middleware: the three endpoints above, and the metrics of every other request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == "/livez":
            return HttpResponse("ok", content_type="text/plain")
        if request.path == "/healthz":
            ok, checks = health()
            return JsonResponse({"status": "ok" if ok else "fail", "checks": checks}, status=200 if ok else 503)
        if request.path == "/metrics":
            if not metrics_allowed(request):
                return HttpResponse(status=403)
            from .metrics import render_metrics

            body, content_type = render_metrics()
            return HttpResponse(body, content_type=content_type)
        return self._measured(request)

    def _measured(self, request):
        from .metrics import observe_request

        counter = _QueryCounter()
        started = time.perf_counter()
        with connection.execute_wrapper(counter):
            response = self.get_response(request)
        observe_request(
            host=_host_kind(request),
            view=_view_name(request, response.status_code),
            method=request.method if request.method in ("GET", "POST", "HEAD") else "other",
            status=response.status_code,
            seconds=time.perf_counter() - started,
            queries=counter.count,
        )
        return response


class DefaultChineseLocaleMiddleware:
    """Simplified Chinese unless the person chose another language (the language cookie).

    Django's LocaleMiddleware would follow the browser's Accept-Language; school computers are often
    set to English while their users expect Chinese, so only an explicit choice changes it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.utils import translation

        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        supported = {code for code, _ in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response
