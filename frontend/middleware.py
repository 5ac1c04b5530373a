"""Health and metrics endpoints, answered on every host before tenant routing."""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.http import HttpResponse, JsonResponse


def _check_database() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True, "ok"
    except Exception as exc:  # noqa: BLE001 - a health check reports, it does not raise
        return False, type(exc).__name__


def _check_migrations() -> tuple[bool, str]:
    from django.db.migrations.executor import MigrationExecutor

    try:
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        return (not plan), ("ok" if not plan else f"{len(plan)} unapplied")
    except Exception as exc:  # noqa: BLE001
        return False, type(exc).__name__


def _check_broker() -> tuple[bool, str]:
    from config.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True, "ok"
    except Exception as exc:  # noqa: BLE001
        return False, type(exc).__name__


class HealthCheckMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == "/healthz":
            connection.set_schema_to_public()
            checks = {
                "database": _check_database(),
                "migrations": _check_migrations(),
                "broker": _check_broker(),
            }
            ok = all(passed for passed, _ in checks.values())
            return JsonResponse(
                {"status": "ok" if ok else "fail", "checks": {k: v for k, (_, v) in checks.items()}},
                status=200 if ok else 503,
            )
        if request.path == "/metrics":
            token = settings.METRICS_TOKEN
            if token and request.headers.get("Authorization") != f"Bearer {token}":
                return HttpResponse(status=403)
            from .metrics import render_metrics

            body, content_type = render_metrics()
            return HttpResponse(body, content_type=content_type)
        return self.get_response(request)


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
