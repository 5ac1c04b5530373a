"""Awards on grounded criteria (issue 21 part 4, issue 23 part 4): each criterion with its source, points where the
standard scores them, the campus figures they read on the school's profile, and evidence per criterion."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django_tenants.utils import tenant_context

from reporting import catalogue, standards
from reporting.choices import AwardKind, AwardLevel
from reporting.models import AwardApplication, AwardEvidence, AwardProgramme, SchoolMetrics
from reporting.selectors import award_readiness
from reporting.services import (
    award_programme_create,
    school_campus_update,
    school_metrics_refresh,
)
from tenants.models import School

pytestmark = pytest.mark.django_db


def test_every_standard_criterion_names_its_source_and_a_real_metric():
    known = catalogue.metric_map()
    for kind, (criteria, evidence) in standards.STANDARDS.items():
        assert criteria, kind
        for c in criteria:
            assert c["metric"] in known, c["metric"]
            assert c["source"].startswith(("《", "地方", "本区")), c
            assert c["label"]
        points = [c["points"] for c in criteria]
        # points-based standards score every criterion, out of 100; the 绿色学校 checklist scores none
        assert all(points) or not any(points), kind
        assert sum(p or 0 for p in points) in (0, 100), kind
        assert evidence, kind
    assert {c["metric"] for c in standards.GARDEN} >= {"campus_green_space_rate", "campus_green_cover_rate"}
    assert not any(c["points"] for c in standards.GREEN)
    assert "教发厅函〔2020〕14号" in standards.GREEN_2020


def test_a_criterion_without_its_source_is_refused_and_nothing_is_made(terms, dave, bureau_north):
    before = AwardProgramme.objects.count()
    with pytest.raises(ValidationError) as error:
        award_programme_create(user=dave, bureau=bureau_north, name="区级平安校园", kind=AwardKind.SAFE_CAMPUS,
                               level=AwardLevel.DISTRICT,
                               criteria=[{"metric": "hazard_rectification_rate", "op": ">=", "value": 0.95}])
    assert error.value.message_dict["criteria"] == [
        "请写明每项指标的依据（文件及条款）：hazard_rectification_rate"]
    with pytest.raises(ValidationError) as error:
        award_programme_create(user=dave, bureau=bureau_north, name="区级平安校园", kind=AwardKind.SAFE_CAMPUS,
                               level=AwardLevel.DISTRICT, criteria=[
                                   {"metric": "hazard_rectification_rate", "op": ">=", "value": 0.95, "source": "甲",
                                    "points": 50},
                                   {"metric": "drills_held", "op": ">=", "value": 4, "source": "乙"}])
    assert error.value.message_dict["criteria"] == ["请为每项指标都给出分值，或都不给。"]
    assert AwardProgramme.objects.count() == before


def test_the_form_starts_a_garden_programme_from_the_standard_with_sources_and_points(terms, dave, client_for,
                                                                                    bureau_north):
    response = client_for(dave).post("/bureau/awards/new/", {
        "name": "市花园式学校", "kind": AwardKind.GARDEN, "level": AwardLevel.CITY, "description": "",
        "standard": "on", "criteria": "", "evidence": ""})
    assert response.status_code == 302, response.content.decode()[:2000]
    programme = AwardProgramme.objects.get(bureau=bureau_north, name="市花园式学校")
    assert [(c["metric"], c["op"], c["value"], c["points"]) for c in programme.criteria] == [
        ("campus_green_space_rate", ">=", 0.35, 40), ("campus_green_cover_rate", ">=", 0.45, 40),
        ("campus_site_area_per_pupil", ">=", 18, 20)]
    assert all(c["source"] for c in programme.criteria)
    assert programme.evidence_required == standards.GARDEN_EVIDENCE
    page = client_for(dave).get(f"/bureau/awards/{programme.pk}/").content.decode()
    assert "依据：地方花园式（园林式）单位标准" in page
    assert "40 分" in page
    assert "条款待对照原文核实" in page


def test_a_criterion_line_names_source_clause_and_points(terms, dave, client_for, bureau_north):
    response = client_for(dave).post("/bureau/awards/new/", {
        "name": "区级平安校园", "kind": AwardKind.SAFE_CAMPUS, "level": AwardLevel.DISTRICT, "description": "",
        "criteria": "hazard_rectification_rate >= 95% | 《中小学幼儿园安全管理办法》 | 隐患整改 | 60\n"
                    "drills_held >= 4 | 《中小学幼儿园应急疏散演练指南》 | 定期演练 | 40",
        "evidence": "应急演练记录"})
    assert response.status_code == 302
    programme = AwardProgramme.objects.get(bureau=bureau_north, name="区级平安校园")
    assert programme.criteria[0] | {"label": "", "note": ""} == {
        "metric": "hazard_rectification_rate", "op": ">=", "value": 0.95, "points": 60,
        "source": "《中小学幼儿园安全管理办法》", "clause": "隐患整改", "label": "", "note": "", "checked": True}
    # a line without its source is refused on the form, and nothing is made
    response = client_for(dave).post("/bureau/awards/new/", {
        "name": "市绿色学校", "kind": AwardKind.GREEN, "level": AwardLevel.CITY, "description": "",
        "criteria": "repairs_intact_rate >= 90%", "evidence": ""})
    assert response.status_code == 200
    assert "请写明每项指标的依据" in response.content.decode()
    assert not AwardProgramme.objects.filter(name="市绿色学校").exists()


def _garden(dave, bureau):
    return award_programme_create(user=dave, bureau=bureau, name="市花园式学校", kind=AwardKind.GARDEN,
                                  level=AwardLevel.CITY, criteria=standards.criteria_of(AwardKind.GARDEN),
                                  evidence_required=[])


def test_points_based_readiness_counts_points_and_a_missing_figure_earns_none(terms, dave, bureau_north):
    programme = _garden(dave, bureau_north)
    readiness = award_readiness(programme=programme, values={
        "campus_green_space_rate": 0.4, "campus_green_cover_rate": None, "campus_site_area_per_pupil": 20})
    assert [c["met"] for c in readiness["checks"]] == [True, None, True]
    assert (readiness["score"], readiness["points_met"], readiness["points_total"]) == (60, 60, 100)
    assert (readiness["met"], readiness["unknown"]) == (2, 1)
    nothing = award_readiness(programme=programme, values={})
    assert (nothing["score"], nothing["points_met"], nothing["unknown"]) == (0, 0, 3)


def test_the_campus_figures_are_entered_on_the_profile_and_read_by_the_metrics(terms, alice, bob, school_a,
                                                                               client_for):
    # the page: the principal enters them
    response = client_for(alice, school_a).post("/awards/campus/", {
        "site_area": "16800", "green_area": "6300", "green_cover_rate": "46.5"})
    assert response.status_code == 302
    school = School.objects.get(pk=school_a.pk)
    assert (school.site_area, school.green_area, school.green_cover_rate) == (
        Decimal("16800.00"), Decimal("6300.00"), Decimal("46.50"))
    assert school.campus_areas_updated_at is not None
    # the metrics read them: 绿地率 37.5%, 绿化覆盖率 46.5%, 16800 m² / 481 pupils
    row = school_metrics_refresh(school=school, term=terms["north"][2])
    row = SchoolMetrics.objects.get(school=school, term=terms["north"][2])
    assert row.values["campus_green_space_rate"] == pytest.approx(0.375)
    assert row.values["campus_green_cover_rate"] == pytest.approx(0.465)
    assert row.values["campus_site_area_per_pupil"] == pytest.approx(16800 / 481)
    page = client_for(alice, school_a).get("/awards/").content.decode()
    assert "绿地率 38%" in page
    assert "34.9 m²" in page
    # a green space larger than the site is refused in Chinese and nothing changes; a teacher may not
    with pytest.raises(ValidationError) as error:
        school_campus_update(user=alice, school=school, site_area=Decimal("100"), green_area=Decimal("200"),
                             green_cover_rate=None)
    assert error.value.message_dict["green_area"] == ["绿地面积不能大于占地面积。"]
    assert School.objects.get(pk=school_a.pk).site_area == Decimal("16800.00")
    with pytest.raises(PermissionDenied):
        school_campus_update(user=bob, school=school, site_area=Decimal("1"), green_area=None, green_cover_rate=None)
    assert client_for(bob, school_a).get("/awards/campus/").status_code == 403


def test_a_school_without_figures_is_unknown_on_every_garden_criterion(terms, dave, bureau_north, school_b):
    programme = _garden(dave, bureau_north)
    school_metrics_refresh(school=school_b, term=terms["north"][2])
    values = SchoolMetrics.objects.get(school=school_b, term=terms["north"][2]).values
    assert (values["campus_green_space_rate"], values["campus_green_cover_rate"]) == (None, None)
    readiness = award_readiness(programme=programme, values=values)
    assert [c["met"] for c in readiness["checks"]][:2] == [None, None]
    assert readiness["score"] == 0


@pytest.fixture
def safe_campus(terms, dave, bureau_north):
    return award_programme_create(user=dave, bureau=bureau_north, name="区级平安校园", kind=AwardKind.SAFE_CAMPUS,
                                  level=AwardLevel.DISTRICT, criteria=standards.SAFE_CAMPUS[:3], evidence_required=[])


def test_evidence_per_criterion_is_checked_kept_and_shown_to_the_bureau(safe_campus, alice, dave, erin, school_a,
                                                                        client_for):
    client = client_for(alice, school_a)
    # a file that is not what it says, or a link to another site, is refused and nothing is kept
    bad = SimpleUploadedFile("鉴定.pdf", b"MZ\x90\x00not a pdf", content_type="application/pdf")
    assert client.post(f"/awards/{safe_campus.pk}/apply/", {"file_0": bad}).status_code == 200
    response = client.post(f"/awards/{safe_campus.pk}/apply/", {"link_1": "https://evil.example/records"})
    assert response.status_code == 200
    assert "以 / 开头的路径" in response.content.decode()
    assert not AwardApplication.objects.exists()
    assert not AwardEvidence.objects.exists()

    good = SimpleUploadedFile("鉴定.pdf", b"%PDF-1.4 appraisal", content_type="application/pdf")
    response = client.post(f"/awards/{safe_campus.pk}/apply/", {
        "file_0": good, "note_0": "2026年校舍鉴定报告", "link_1": "/safety/hazards/", "statement": ""})
    assert response.status_code == 302, response.context["form"].errors
    application = AwardApplication.objects.get(school=school_a)
    rows = {e.criterion: e for e in application.criterion_evidence.all()}
    assert sorted(rows) == [0, 1]
    assert (rows[0].metric, rows[0].note, rows[0].link) == ("buildings_grade_d", "2026年校舍鉴定报告", "")
    assert (rows[1].metric, rows[1].link, bool(rows[1].file)) == ("hazard_rectification_rate", "/safety/hazards/", False)
    with tenant_context(school_a):
        assert "/alpha/reporting/evidence/" in rows[0].file.path

    # the bureau sees each criterion with its source and evidence, and gets the file; another bureau does not
    page = client_for(dave).get(f"/bureau/awards/applications/{application.pk}/").content.decode()
    assert "依据：《危险房屋鉴定标准》（JGJ 125-2016）" in page
    assert f"http://{school_a.host}" in page
    assert "/safety/hazards/" in page
    assert "未附佐证" in page  # the third criterion has none
    url = f"/bureau/awards/applications/{application.pk}/evidence/{rows[0].pk}/"
    assert b"".join(client_for(dave).get(url).streaming_content) == b"%PDF-1.4 appraisal"
    assert client_for(erin).get(url).status_code == 403
    school_url = f"/awards/applications/{application.pk}/evidence/{rows[0].pk}/"
    assert b"".join(client.get(school_url).streaming_content) == b"%PDF-1.4 appraisal"

    # and through GraphQL, on the bureau host
    query = "{ awardApplicationList { schoolName evidence { criterion metric note link fileUrl } } }"
    result = client_for(dave).gql(query)
    assert "errors" not in result, result
    data = result["data"]
    programmes = client_for(dave).gql("{ awardProgrammeList { name criteria { metric source clause points } } }")
    data |= programmes["data"]
    (row,) = data["awardApplicationList"]
    assert row["schoolName"] == "阿尔法小学"
    assert [e["criterion"] for e in row["evidence"]] == [0, 1]
    assert row["evidence"][0]["fileUrl"].endswith(f"{url}?bureau={safe_campus.bureau_id}")
    assert row["evidence"][1]["link"].endswith("/safety/hazards/")
    (programme,) = data["awardProgrammeList"]
    assert programme["criteria"][0]["source"] == standards.JGJ_125
    assert programme["criteria"][0]["points"] == 20
    assert client_for(erin).gql(query)["data"]["awardApplicationList"] == []
    with tenant_context(school_a):
        rows[0].file.delete(save=False)
    connection.set_schema_to_public()


def test_the_demo_programmes_use_the_standards_and_the_seed_school_has_its_campus_figures(bureau_north, school_a):
    from reporting.demo import load_bureau

    School.objects.filter(pk=school_a.pk).update(slug="xxlu")
    load_bureau(bureau=bureau_north)

    programmes = {p.name: p for p in AwardProgramme.objects.filter(bureau=bureau_north)}
    garden = programmes["市花园式学校"]
    assert garden.is_open
    assert [c["metric"] for c in garden.criteria] == [c["metric"] for c in standards.GARDEN]
    assert all(c["source"] for p in programmes.values() for c in p.criteria)
    assert [c["metric"] for c in programmes["区级平安校园"].criteria] == [
        c["metric"] for c in standards.SAFE_CAMPUS[:3]]
    seed = School.objects.get(pk=school_a.pk)
    assert (seed.site_area, seed.green_area, seed.green_cover_rate) == (
        Decimal("16800.00"), Decimal("6300.00"), Decimal("46.50"))
    # the seed holds 市花园式学校: its figures meet the garden criteria
    term = AwardProgramme.objects.get(pk=garden.pk).bureau.terms.order_by("-start").first()
    values = SchoolMetrics.objects.get(school=seed, term=term).values
    readiness = award_readiness(programme=garden, values=values)
    assert [c["met"] for c in readiness["checks"]] == [True, True, True]
    assert readiness["score"] == 100


MUTATION = """mutation($site: Decimal, $green: Decimal, $cover: Decimal) {
  schoolCampusUpdate(siteArea: $site, greenArea: $green, greenCoverRate: $cover) {
    siteArea greenArea greenCoverRate greenSpaceRate siteAreaPerPupil } }"""


def test_the_campus_figures_through_graphql(terms, alice, bob, school_a, client_for):
    result = client_for(alice, school_a).gql(MUTATION, {"site": "10000", "green": "4000", "cover": "45"},
                                             HTTP_X_CSRFTOKEN="x" * 32)
    assert "errors" not in result, result
    assert result["data"]["schoolCampusUpdate"]["greenSpaceRate"] == pytest.approx(0.4)
    assert result["data"]["schoolCampusUpdate"]["siteAreaPerPupil"] == pytest.approx(10000 / 481)
    read = client_for(alice, school_a).gql("{ school { siteArea greenArea greenCoverRate greenSpaceRate } }")
    assert read["data"]["school"] == {"siteArea": "10000.00", "greenArea": "4000.00", "greenCoverRate": "45.00",
                                      "greenSpaceRate": 0.4}
    refused = client_for(bob, school_a).gql(MUTATION, {"site": "1"}, HTTP_X_CSRFTOKEN="x" * 32)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    wrong = client_for(alice, school_a).gql(MUTATION, {"site": "100", "green": "200"}, HTTP_X_CSRFTOKEN="x" * 32)
    assert "绿地面积不能大于占地面积" in str(wrong["errors"])
    assert School.objects.get(pk=school_a.pk).site_area == Decimal("10000.00")
