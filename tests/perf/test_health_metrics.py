"""/healthz, /livez and the per-request Prometheus metrics."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import override_settings

from frontend import middleware
from tests.conftest import HostClient


def _sample(body: str, name: str, **labels) -> float:
    """The value of one sample of the exposition text (0 when absent)."""
    want = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in body.splitlines():
        match = re.match(r"^(\w+)\{([^}]*)\} (\S+)$", line)
        if match and match.group(1) == name:
            got = ",".join(sorted(match.group(2).split(",")))
            if got == want:
                return float(match.group(3))
    return 0.0


METRICS_TOKEN = "metrics-test-token"


@pytest.fixture(autouse=True)
def _metrics_token(settings):
    """/metrics is refused in production without its token (frontend.middleware.metrics_allowed)."""
    settings.METRICS_TOKEN = METRICS_TOKEN


def _scrape() -> str:
    return HostClient("localhost").get("/metrics", HTTP_AUTHORIZATION=f"Bearer {METRICS_TOKEN}").content.decode()


@pytest.fixture
def fresh_migration_check(monkeypatch):
    monkeypatch.setattr(middleware, "_migrations_ok", False)


def test_healthz_checks_database_broker_and_migrations_of_public_and_template(db, fresh_migration_check):
    response = HostClient("unknown.example.org").get("/healthz")  # answered whatever the host
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "migrations": "ok", "broker": "ok"}}


def test_healthz_fails_with_503_when_the_template_schema_lacks_a_migration(db, fresh_migration_check):
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM school_template.django_migrations WHERE id = "
                       "(SELECT max(id) FROM school_template.django_migrations)")
    response = HostClient("localhost").get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["migrations"] == "1 unapplied in school_template"
    assert response.json()["status"] == "fail"


def test_healthz_fails_with_503_when_the_broker_is_down(db, fresh_migration_check, monkeypatch):
    monkeypatch.setattr(middleware, "_check_broker", lambda: (False, "OperationalError"))
    response = HostClient("localhost").get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "migrations": "ok", "broker": "OperationalError"}


def test_livez_needs_no_database(db, monkeypatch):
    def boom(*args, **kwargs):
        raise AssertionError("livez touched the database")

    monkeypatch.setattr(middleware, "health", boom)
    response = HostClient("localhost").get("/livez")
    assert response.status_code == 200
    assert response.content == b"ok"


def test_requests_are_counted_by_host_kind_and_url_name(db, client_for, alice, school_a):
    def scrape():
        return _scrape()

    client = client_for(alice, school_a)
    client.get("/notifications/")  # warm: the pooled connection's path, the session
    before = scrape()
    client.get("/notifications/")
    client.get("/notifications/")
    client.get("/no-such-page/")
    after = scrape()
    labels = {"host": "school", "view": "notifications", "method": "GET", "status": "2xx"}
    assert _sample(after, "houqin_requests_total", **labels) - _sample(before, "houqin_requests_total", **labels) == 2
    missing = {"host": "school", "view": "unmatched", "method": "GET", "status": "4xx"}
    assert _sample(after, "houqin_requests_total", **missing) - _sample(before, "houqin_requests_total", **missing) == 1
    hist = {"host": "school", "view": "notifications"}
    assert (_sample(after, "houqin_request_duration_seconds_count", **hist)
            - _sample(before, "houqin_request_duration_seconds_count", **hist)) == 2
    # The notification page's budget is 8 statements (tests/perf/budgets.py); the execute wrapper sees
    # the 7 the application runs, not the SET search_path the tenant backend issues beneath it.
    assert (_sample(after, "houqin_request_queries_sum", **hist)
            - _sample(before, "houqin_request_queries_sum", **hist)) == 14
    assert 'houqin_schools{status="active"}' in after
    assert "alpha" not in after  # never a label per school


@override_settings(METRICS_TOKEN="s3cret")
def test_metrics_need_the_token_when_one_is_set(db):
    assert HostClient("localhost").get("/metrics").status_code == 403
    assert HostClient("localhost").get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    assert HostClient("localhost").get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret").status_code == 200


def test_metrics_expose_the_scale_signals_of_the_catalog(db):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_catalog.pg_class")
        relations = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM pg_catalog.pg_namespace WHERE nspname IN "
                       "('public', 'school_template', 'alpha', 'beta', 'gamma')")
        known = cursor.fetchone()[0]
    body = _scrape()
    assert _gauge(body, "houqin_catalog_relations") == relations
    assert _gauge(body, "houqin_schemas") >= known == 5
    assert _gauge(body, "houqin_database_bytes") > 1_000_000


def _gauge(body: str, name: str) -> float:
    (line,) = [line for line in body.splitlines() if line.startswith(f"{name} ")]
    return float(line.split()[1])
