"""GraphQL on the bureau host: only the caller's schools, in every field; partners need reporting:read."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from reporting.models import AwardRecord, Campaign
from reporting.services import school_metrics_refresh
from reporting.tasks import campaign_round_open_task

from .conftest import add_hazards

pytestmark = pytest.mark.django_db

EVERYTHING = """
query {
  reportingTerms { name }
  schoolMetricsList(sort: "-hazard_rectification_rate") { totalCount districtAverage
    rows { schoolName rank values previousValues } }
  ranking(metric: "hazards_found") { districtAverage rows { rank schoolName value } }
  campaignList { title schoolsCount progress { schoolName } }
  awardRecordList { schoolName title }
  mirroredRecordList(first: 10) { totalCount rows { schoolName title } }
  metricDefinitions { key label unit formula }
}
"""


@pytest.fixture
def district(fake_metrics_module, terms, school_a, school_b, school_c, dave, erin, bureau_north, bureau_south,
             monkeypatch):
    from django.db import connection

    from reporting.services import award_record_add, campaign_issue
    from schools.models import Building

    monkeypatch.setattr(campaign_round_open_task, "apply_async", lambda kwargs: None)
    add_hazards(school_a, found=7, rectified=5)
    add_hazards(school_c, found=3, rectified=0)
    for school in (school_a, school_b, school_c):
        connection.set_tenant(school)
        Building.objects.create(name=f"危楼-{school.slug}", safety_grade="D")
        connection.set_schema_to_public()
        school_metrics_refresh(school=school)
        award_record_add(school=school, title=f"平安校园-{school.slug}", level="district",
                         granted_on=timezone.localdate())
    due = timezone.localdate() + dt.timedelta(days=5)
    campaign_issue(user=dave, bureau=bureau_north, title="北区检查", items=[{"area": "", "text": "x"}], due_on=due)
    campaign_issue(user=erin, bureau=bureau_south, title="南区检查", items=[{"area": "", "text": "x"}], due_on=due)


def test_dave_sees_north_schools_only_in_every_field(district, client_for, dave):
    result = client_for(dave).gql(EVERYTHING)
    assert "errors" not in result, result
    data = result["data"]
    text = json.dumps(data, ensure_ascii=False)
    assert "伽马中学" not in text
    assert "gamma" not in text
    assert "南区检查" not in text
    rows = data["schoolMetricsList"]["rows"]
    assert [(r["schoolName"], r["rank"]) for r in rows] == [("阿尔法小学", 1), ("贝塔小学", 2)]
    assert rows[0]["values"]["hazards_found"] == 7
    assert data["schoolMetricsList"]["districtAverage"]["hazards_found"] == 3.5
    assert data["ranking"]["rows"][0] == {"rank": 1, "schoolName": "阿尔法小学", "value": 7.0}
    assert [c["title"] for c in data["campaignList"]] == ["北区检查"]
    assert sorted(r["title"] for r in data["awardRecordList"]) == ["平安校园-alpha", "平安校园-beta"]
    assert data["mirroredRecordList"]["totalCount"] == 2


def test_erin_sees_south_only(district, client_for, erin):
    data = client_for(erin).gql(EVERYTHING)["data"]
    text = json.dumps(data, ensure_ascii=False)
    assert "阿尔法小学" not in text
    assert "贝塔小学" not in text
    assert [r["schoolName"] for r in data["schoolMetricsList"]["rows"]] == ["伽马中学"]


def test_drill_down_into_own_school_only(district, client_for, dave, school_a, school_c):
    query = "query($id: ID!) { schoolDrilldown(schoolId: $id) { schoolName values mirrors } }"
    result = client_for(dave).gql(query, {"id": str(school_a.pk)})
    assert result["data"]["schoolDrilldown"]["values"]["hazards_found"] == 7
    assert result["data"]["schoolDrilldown"]["mirrors"]["weak_buildings"][0]["title"] == "危楼-alpha"
    denied = client_for(dave).gql(query, {"id": str(school_c.pk)})
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert denied["data"] is None


def test_school_users_and_anonymous_are_refused(district, client_for, alice, school_a):
    assert client_for(None).gql("{ reportingTerms { name } }")["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert client_for(alice).gql("{ reportingTerms { name } }")["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    on_school = client_for(alice, school_a).gql("{ schoolMetricsList { totalCount } }")
    assert on_school["errors"][0]["extensions"]["code"] == "WRONG_HOST"


def test_page_cap(district, client_for, dave):
    result = client_for(dave).gql("{ schoolMetricsList(first: 101) { totalCount } }")
    assert result["errors"][0]["extensions"]["code"] == "PAGE_SIZE_LIMIT_EXCEEDED"


def test_campaign_issue_mutation(terms, client_for, dave, bob, monkeypatch, school_a):
    monkeypatch.setattr(campaign_round_open_task, "apply_async", lambda kwargs: None)
    mutation = """mutation($input: CampaignIssueInput!) { campaignIssue(input: $input) { title schoolsCount } }"""
    variables = {"input": {"title": "校舍安全排查", "dueOn": str(timezone.localdate() + dt.timedelta(days=3)),
                           "items": [{"area": "校舍", "text": "墙体"}], "schoolIds": [str(school_a.pk)]}}
    client = client_for(dave)
    client.cookies["csrftoken"] = "x" * 32
    result = client.gql(mutation, variables, HTTP_X_CSRFTOKEN="x" * 32)
    assert result["data"]["campaignIssue"] == {"title": "校舍安全排查", "schoolsCount": 1}
    refused = client_for(bob)
    refused.cookies["csrftoken"] = "x" * 32
    assert refused.gql(mutation, variables, HTTP_X_CSRFTOKEN="x" * 32)["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert Campaign.objects.count() == 1
    assert not AwardRecord.objects.exists()


class _Partner:
    is_authenticated = True

    def __init__(self, schools, scopes):
        self._schools, self.scopes = schools, scopes

    def has_scope(self, scope):
        return scope in self.scopes

    def may_access_school(self, school):
        return school in self._schools

    def schools(self):
        from tenants.models import School

        return School.objects.filter(pk__in=[s.pk for s in self._schools])


def _as_partner(monkeypatch, partner):
    import api.permissions
    import reporting.graphql.schema as module

    monkeypatch.setattr(module, "current_partner", lambda info: partner)
    monkeypatch.setattr(api.permissions, "current_partner", lambda info: partner)


def test_partner_needs_scope_and_sees_only_its_grant(district, client_for, monkeypatch, school_a):
    _as_partner(monkeypatch, _Partner([school_a], {"reporting:read"}))
    data = client_for(None).gql(EVERYTHING)["data"]
    assert [r["schoolName"] for r in data["schoolMetricsList"]["rows"]] == ["阿尔法小学"]
    assert "贝塔小学" not in json.dumps(data, ensure_ascii=False)
    _as_partner(monkeypatch, _Partner([school_a], {"assets:read"}))
    result = client_for(None).gql("{ reportingTerms { name } }")
    assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_award_readiness_for_the_bureau_schools_only(district, client_for, dave, erin, bureau_north):
    from reporting.services import award_programme_create

    programme = award_programme_create(
        user=dave, bureau=bureau_north, name="区级平安校园", kind="safe_campus", level="district",
        criteria=[{"metric": "hazard_rectification_rate", "op": ">=", "value": 0.7, "source": "本区细则"},
                  {"metric": "buildings_d_grade", "op": "<=", "value": 0, "source": "JGJ 125-2016"}])
    query = "query($id: ID!) { awardReadiness(programmeId: $id) { schoolName score criteriaMet criteriaTotal } }"
    rows = client_for(dave).gql(query, {"id": str(programme.pk)})["data"]["awardReadiness"]
    # alpha: 5/7 = 71% ≥ 70% met, one D-grade building failed → 50; beta: no hazards (no rate) and a D → 0
    assert rows == [{"schoolName": "阿尔法小学", "score": 50, "criteriaMet": 1, "criteriaTotal": 2},
                    {"schoolName": "贝塔小学", "score": 0, "criteriaMet": 0, "criteriaTotal": 2}]
    other = client_for(erin).gql(query, {"id": str(programme.pk)})
    assert other["errors"][0]["extensions"]["code"] == "NOT_FOUND"
