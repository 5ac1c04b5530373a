"""The comparison costs a fixed number of SQL queries, whatever the number of schools (no schema loop)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reporting.models import SchoolMetrics
from reporting.services import school_metrics_refresh
from tenants.models import School

pytestmark = pytest.mark.django_db


def _queries(client, url, **kwargs) -> list[str]:
    from django.core.cache import cache

    cache.clear()  # the district averages are cached: count the cold cost
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **kwargs) if not kwargs.get("data") else client.post(url, **kwargs)
        assert response.status_code == 200
    return [q["sql"] for q in captured.captured_queries]


def test_console_and_graphql_cost_the_same_for_more_schools(fake_metrics_module, terms, school_a, school_b,
                                                             bureau_north, client_for, dave):
    for school in (school_a, school_b):
        school_metrics_refresh(school=school)
    client = client_for(dave)
    gql = {"data": {"query": "{ schoolMetricsList(sort: \"-hazards_found\") { rows { schoolName values } } }"},
           "content_type": "application/json"}
    _queries(client, "/bureau/?sort=-hazards_found")  # warm: session, the current term
    page_before = _queries(client, "/bureau/?sort=-hazards_found")
    gql_before = _queries(client, "/graphql/", **gql)
    # 30 more schools, as rows only: the read-model never enters a school's schema
    extra = School.objects.bulk_create([
        School(bureau=bureau_north, name=f"新校{i}", slug=f"nosch{i}", schema_name=f"nosch{i}") for i in range(30)])
    SchoolMetrics.objects.bulk_create([
        SchoolMetrics(school=s, term=terms["north"][2], values={"hazards_found": i}) for i, s in enumerate(extra)])
    page_after = _queries(client, "/bureau/?sort=-hazards_found")
    gql_after = _queries(client, "/graphql/", **gql)
    assert len(page_after) == len(page_before)
    assert len(gql_after) == len(gql_before)
    assert not any("set search_path" in q.lower() and "nosch" in q for q in page_after + gql_after)
