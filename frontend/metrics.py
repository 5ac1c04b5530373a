"""Prometheus metrics of the application (scraped at /metrics).

Two kinds:
- per request, recorded by frontend.middleware.HealthCheckMiddleware (the outermost middleware):
  `houqin_requests_total`, `houqin_request_duration_seconds` and `houqin_request_queries` by host kind
  (school / bureau / unknown) and URL name — never by school, so the series stay few with 1,000 schools;
- per scrape, from the database: schools by status, bureaus, and the scale signals of SCALING.md
  (relations in the catalog, schemas, database size).

Under gunicorn with several workers, set PROMETHEUS_MULTIPROC_DIR (infra/gunicorn.conf.py does) so
that one scrape sums every worker's counters.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

DURATION_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
QUERY_BUCKETS = (1, 2, 5, 10, 15, 20, 30, 50, 100, 200)

REQUESTS = Counter(
    "houqin_requests", "HTTP requests by host kind, URL name, method and status class",
    ["host", "view", "method", "status"],
)
DURATION = Histogram(
    "houqin_request_duration_seconds", "Time to answer a request", ["host", "view"], buckets=DURATION_BUCKETS,
)
QUERIES = Histogram(
    "houqin_request_queries", "SQL statements per request", ["host", "view"], buckets=QUERY_BUCKETS,
)


def observe_request(*, host: str, view: str, method: str, status: int, seconds: float, queries: int) -> None:
    REQUESTS.labels(host, view, method, f"{status // 100}xx").inc()
    DURATION.labels(host, view).observe(seconds)
    QUERIES.labels(host, view).observe(queries)


def _request_registry():
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY


def _database_registry() -> CollectorRegistry:
    from django.db import connection
    from django.db.models import Count

    from tenants.models import Bureau, School

    connection.set_schema_to_public()
    registry = CollectorRegistry()
    schools = Gauge("houqin_schools", "Schools by status", ["status"], registry=registry)
    for row in School.objects.values("status").order_by().annotate(n=Count("id")):
        schools.labels(row["status"]).set(row["n"])
    Gauge("houqin_bureaus", "Bureaus", registry=registry).set(Bureau.objects.count())
    # The signals of infra/SCALING.md: the catalog grows by every school's relations.
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_catalog.pg_class")
        relations = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM pg_catalog.pg_namespace WHERE nspname NOT LIKE 'pg\\_%' "
                       "AND nspname <> 'information_schema'")
        schemas = cursor.fetchone()[0]
        cursor.execute("SELECT pg_database_size(current_database())")
        size = cursor.fetchone()[0]
    Gauge("houqin_catalog_relations", "Relations in pg_class (all schemas)", registry=registry).set(relations)
    Gauge("houqin_schemas", "Schemas in the database (schools, template, public)", registry=registry).set(schemas)
    Gauge("houqin_database_bytes", "Size of the database", registry=registry).set(size)
    return registry


def render_metrics() -> tuple[bytes, str]:
    body = generate_latest(_database_registry()) + generate_latest(_request_registry())
    return body, CONTENT_TYPE_LATEST
