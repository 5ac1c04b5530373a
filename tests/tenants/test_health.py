from tests.conftest import HostClient


def test_healthz_reports_database_and_migrations(db):
    response = HostClient("localhost").get("/healthz")
    body = response.json()
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["migrations"] == "ok"


def test_metrics_endpoint_exposes_school_counts(db, settings):
    settings.METRICS_TOKEN = "t0ken"
    body = HostClient("localhost").get("/metrics", HTTP_AUTHORIZATION="Bearer t0ken").content.decode()
    assert 'houqin_schools{status="active"}' in body
