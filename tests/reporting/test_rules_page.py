"""The bureau's rules page, its export and GraphQL read each school's standing from SchoolMetrics (issue 23)."""

from __future__ import annotations

import pytest

from core.rules import Standing
from reporting.models import SchoolMetrics
from reporting.services import term_current
from reporting.standing import rule_table, school_standing
from tenants.models import School

pytestmark = pytest.mark.django_db


@pytest.fixture
def standing_world(school_a, school_b, bureau_north):
    term = term_current(bureau=bureau_north)
    School.objects.filter(pk=school_a.pk).update(kind="primary")
    School.objects.filter(pk=school_b.pk).update(kind="")
    # A: a D building still in use; B: none
    SchoolMetrics.objects.update_or_create(school=school_a, term=term,
                                           defaults={"values": {"buildings_d_in_use": 1, "buildings_unsecured": 0}})
    SchoolMetrics.objects.update_or_create(school=school_b, term=term,
                                           defaults={"values": {"buildings_d_in_use": 0}})
    return term


def _row(rows, code):
    return next(r for r in rows if r.rule.code == code)


def test_the_table_reads_each_schools_metrics(standing_world, dave, bureau_north):
    schools, rows = rule_table(user=dave, bureau=bureau_north, term=standing_world)
    assert {s.slug for s in schools} == {"alpha", "beta"}  # north only
    d_rule = {s.slug: st for s, st, _v in _row(rows, "schools.d_building_stop_use").standings}
    assert d_rule == {"alpha": Standing.NOT_MET, "beta": Standing.MET}
    unsecured = {s.slug: st for s, st, _v in _row(rows, "schools.weak_building_measures").standings}
    assert unsecured == {"alpha": Standing.MET, "beta": Standing.UNKNOWN}  # B's row has no figure for it
    # a rule without a metric is unknown, never "met" by default
    code_rule = {st for _s, st, _v in _row(rows, "assets.category_code").standings}
    assert code_rule == {Standing.UNKNOWN}


def test_the_school_reads_the_same_figure(standing_world, school_a):
    standing = {rule.code: st for rule, st, _v, _l in school_standing(school=school_a, term=standing_world)}
    assert standing["schools.d_building_stop_use"] == Standing.NOT_MET


def test_the_page_and_its_export(standing_world, client_for, dave):
    client = client_for(dave)
    page = client.get("/bureau/rules/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-rule="schools.d_building_stop_use"' in html
    assert "JGJ 125-2016" in html
    assert 'data-standing="not_met"' in html
    export = client.get("/bureau/rules/" + "?export=xlsx")
    assert export.status_code == 200
    assert "spreadsheetml" in export["Content-Type"]


def test_graphql_rules_and_standing(standing_world, client_for, dave, school_a, alice):
    result = client_for(dave).gql("""query { rules { code source limit nationalLimit enforcement }
      ruleStanding(code: "schools.d_building_stop_use") { schoolName code standing value } }""")
    assert "errors" not in result, result
    codes = {r["code"] for r in result["data"]["rules"]}
    assert {"assets.fixed_threshold", "schools.d_building_stop_use", "assets.category_code"} <= codes
    fixed = next(r for r in result["data"]["rules"] if r["code"] == "assets.fixed_threshold")
    assert fixed["limit"] == "1000.00"
    standing = {r["schoolName"]: r["standing"] for r in result["data"]["ruleStanding"]}
    assert standing == {school_a.name: "NOT_MET", "贝塔小学": "MET"}
    own = client_for(alice, school_a).gql("query { schoolRuleStanding { code standing } }")
    assert "errors" not in own, own
    mine = {r["code"]: r["standing"] for r in own["data"]["schoolRuleStanding"]}
    assert mine["schools.d_building_stop_use"] == "NOT_MET"


def test_a_school_host_cannot_ask_the_bureau_fields(standing_world, client_for, alice, school_a):
    result = client_for(alice, school_a).gql('query { ruleStanding(code: "assets.category_code") { code } }')
    assert result.get("errors")
