"""The term summary through GraphQL (issue 21 part 3, issue 22 part 8): a school reads its own only; the bureau
its schools' and its own summary of them (rates pooled); another bureau nothing."""

from __future__ import annotations

import io
from urllib.parse import parse_qs, urlsplit

import pytest
from openpyxl import load_workbook

from reporting.models import SchoolMetrics, WorkSummary

pytestmark = pytest.mark.django_db

QUERY = """
query($term: ID, $school: ID) {
  termSummary(termId: $term, schoolId: $school) {
    term { id name } bureauName schoolId schoolName title text isSaved
    figures { key label unit value display section }
    sections { heading paragraphs table { cells } }
    downloads { docx pdf xlsx }
  }
}
"""


@pytest.fixture
def figures(terms, school_a, school_b, school_c):
    """This term's figures: alpha found 8 hazards and rectified 6, beta 2 and 0 (pooled: 6/10 = 60%)."""
    current = terms["north"][2]
    SchoolMetrics.objects.create(school=school_a, term=current, values={
        "hazards_found": 8, "hazards_rectified": 6, "hazard_rectification_rate": 0.75, "drills_held": 3,
        "assets_fixed_count": 12})
    SchoolMetrics.objects.create(school=school_b, term=current, values={
        "hazards_found": 2, "hazards_rectified": 0, "hazard_rectification_rate": 0.0, "drills_held": 1,
        "assets_fixed_count": 0})
    SchoolMetrics.objects.create(school=school_c, term=terms["south"][2], values={
        "hazards_found": 5, "hazards_rectified": 5, "hazard_rectification_rate": 1.0})
    return current


def _figure(data, key):
    return next(f for f in data["figures"] if f["key"] == key)


def test_a_school_reads_its_own_summary_with_figures_sections_and_links(figures, client_for, alice, school_a):
    result = client_for(alice, school_a).gql(QUERY)
    assert "errors" not in result, result
    data = result["data"]["termSummary"]

    assert (data["schoolId"], data["schoolName"], data["bureauName"]) == (str(school_a.pk), "阿尔法小学", "北区教育局")
    assert data["term"]["id"] == str(figures.pk)
    assert data["title"] == f"阿尔法小学{figures.name}后勤工作总结"
    assert data["isSaved"] is False
    # the figures are the board's (the stored metrics), in the summary's parts, 暂无 as null and —
    assert _figure(data, "hazard_rectification_rate") == {
        "key": "hazard_rectification_rate", "label": "整改率", "unit": "percent", "value": 0.75,
        "display": "75%", "section": "四、校园安全"}
    assert _figure(data, "assets_fixed_count")["value"] == 12
    assert _figure(data, "assets_fixed_count")["section"] == "二、后勤管理"
    missing = _figure(data, "repairs_received")
    assert (missing["value"], missing["display"]) == (None, "—")
    # the sections are the text's parts in the seed's order, each with its table
    headings = [s["heading"] for s in data["sections"]]
    assert headings == ["", "一、项目建设", "二、后勤管理", "三、后勤服务", "四、校园安全"]
    safety = data["sections"][4]
    table = [row["cells"] for row in safety["table"]]
    assert table[0] == ["指标", "数值"]
    assert ["整改率", "75%"] in table
    assert any("排查" in p and "8" in p for p in safety["paragraphs"]), safety["paragraphs"]
    # the links: the school's own summary page on its own host
    for fmt in ("docx", "pdf", "xlsx"):
        link = urlsplit(data["downloads"][fmt])
        assert link.netloc.split(":")[0] == "alpha.localhost"
        assert link.path == "/awards/summary/"
        assert parse_qs(link.query) == {"term": [str(figures.pk)], "format": [fmt]}


def test_the_links_give_the_files(figures, client_for, alice, school_a):
    client = client_for(alice, school_a)
    links = client.gql(QUERY)["data"]["termSummary"]["downloads"]

    sheet = client.get(urlsplit(links["xlsx"]).path + "?" + urlsplit(links["xlsx"]).query)
    assert sheet.status_code == 200
    rows = [[c.value for c in row] for row in load_workbook(io.BytesIO(sheet.content)).active.iter_rows()]
    assert ["四、校园安全", "整改率", "75%"] in rows
    document = client.get(urlsplit(links["docx"]).path + "?" + urlsplit(links["docx"]).query)
    assert document.status_code == 302
    assert document["Location"].startswith("/jobs/")  # made by a background job, as on the page


def test_a_saved_text_is_the_one_served(figures, client_for, alice, school_a, bureau_north):
    WorkSummary.objects.create(bureau=bureau_north, school=school_a, term=figures, title="改过的标题",
                               body="开头\n一、项目建设\n改过的段落", updated_by=alice)
    data = client_for(alice, school_a).gql(QUERY)["data"]["termSummary"]
    assert (data["title"], data["isSaved"]) == ("改过的标题", True)
    assert data["sections"] == [{"heading": "", "paragraphs": ["开头"], "table": []},
                                {"heading": "一、项目建设", "paragraphs": ["改过的段落"], "table": []}]


@pytest.mark.parametrize("who", ["bob", "charlie", "anonymous"])
def test_on_a_school_host_only_its_administrators_read_it(figures, client_for, bob, charlie, school_a, who):
    user = {"bob": bob, "charlie": charlie, "anonymous": None}[who]
    result = client_for(user, school_a).gql(QUERY)
    assert result["data"] is None
    assert result["errors"][0]["extensions"]["code"] == ("UNAUTHENTICATED" if user is None else "FORBIDDEN")


def test_a_school_cannot_read_another_schools_summary(figures, client_for, alice, school_a, school_b):
    result = client_for(alice, school_a).gql(QUERY, {"school": str(school_b.pk)})
    assert result["data"] is None
    assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert "贝塔" not in str(result)


def test_the_bureau_reads_its_schools_and_its_own_summary_with_pooled_rates(figures, client_for, dave, school_a,
                                                                             bureau_north):
    client = client_for(dave)
    district = client.gql(QUERY)["data"]["termSummary"]
    assert (district["schoolId"], district["schoolName"]) == (None, None)
    assert district["title"] == f"北区教育局{figures.name}学校后勤工作总结"
    # the district's rate pools the schools' counts (6 of 10), not the mean of their rates (37.5%)
    assert _figure(district, "hazards_found")["value"] == 10
    assert _figure(district, "hazard_rectification_rate")["value"] == pytest.approx(0.6)
    assert _figure(district, "hazard_rectification_rate")["display"] == "60%"
    link = urlsplit(district["downloads"]["pdf"])
    assert (link.netloc.split(":")[0], link.path) == ("localhost", "/bureau/summary/")
    assert parse_qs(link.query) == {"bureau": [str(bureau_north.pk)], "term": [str(figures.pk)], "format": ["pdf"]}

    one = client.gql(QUERY, {"school": str(school_a.pk)})["data"]["termSummary"]
    assert one["schoolName"] == "阿尔法小学"
    assert _figure(one, "hazard_rectification_rate")["value"] == 0.75
    assert parse_qs(urlsplit(one["downloads"]["docx"]).query)["school"] == [str(school_a.pk)]


def test_another_bureau_sees_nothing_of_these_schools(figures, client_for, erin, school_a, terms):
    client = client_for(erin)
    refused = client.gql(QUERY, {"school": str(school_a.pk)})
    assert refused["data"] is None
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # its own summary counts its own school only, and a north term is not one of its terms
    own = client.gql(QUERY)["data"]["termSummary"]
    assert own["bureauName"] == "南区教育局"
    assert _figure(own, "hazards_found")["value"] == 5
    assert "阿尔法" not in str(own)
    other_term = client.gql(QUERY, {"term": str(figures.pk)})
    assert other_term["errors"][0]["extensions"]["code"] == "NOT_FOUND"
