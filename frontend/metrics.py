"""Prometheus metrics of the application (scraped at /metrics)."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, generate_latest


def render_metrics() -> tuple[bytes, str]:
    from django.db import connection
    from django.db.models import Count

    from tenants.models import Bureau, School

    connection.set_schema_to_public()
    registry = CollectorRegistry()
    schools = Gauge("houqin_schools", "Schools by status", ["status"], registry=registry)
    for row in School.objects.values("status").order_by().annotate(n=Count("id")):
        schools.labels(row["status"]).set(row["n"])
    Gauge("houqin_bureaus", "Bureaus", registry=registry).set(Bureau.objects.count())
    return generate_latest(registry), CONTENT_TYPE_LATEST
