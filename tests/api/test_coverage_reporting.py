"""Reporting on the base domain: reporting:read over the schools of the grant only."""

from __future__ import annotations

QUERY = "{ schoolMetricsList(first: 50) { totalCount rows { schoolName } } }"


def test_reporting_needs_reporting_read(make_partner, bearer, school_a):
    _, _, raw = make_partner(scopes=["schools:read"], schools=[school_a])
    result = bearer(raw, None).gql(QUERY)
    assert result["data"] is None
    assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_reporting_covers_granted_schools_only(make_partner, bearer, school_a):
    _, _, raw = make_partner(scopes=["reporting:read"], schools=[school_a])
    result = bearer(raw, None).gql(QUERY)
    assert "errors" not in result, result
    assert {row["schoolName"] for row in result["data"]["schoolMetricsList"]["rows"]} <= {"阿尔法小学"}
    assert "贝塔" not in str(result)
    assert "伽马" not in str(result)


def test_reporting_is_not_served_on_a_school_host(make_partner, bearer, school_a):
    _, _, raw = make_partner(scopes=["reporting:read"], schools=[school_a])
    result = bearer(raw, school_a).gql(QUERY)
    assert result["errors"][0]["extensions"]["code"] == "WRONG_HOST"
