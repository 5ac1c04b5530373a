"""The bureau console: its schools only, in every list, chart, export and drill-down; nobody else gets in."""

from __future__ import annotations

from io import BytesIO

import pytest
from openpyxl import load_workbook

from reporting.models import SchoolMetrics
from reporting.services import school_metrics_refresh

from .conftest import add_hazards

pytestmark = pytest.mark.django_db

PAGES = ["/bureau/", "/bureau/rankings/", "/bureau/records/", "/bureau/glossary/", "/bureau/campaigns/",
         "/bureau/awards/", "/bureau/summary/", "/bureau/terms/"]


@pytest.fixture
def district(fake_metrics_module, terms, school_a, school_b, school_c):
    add_hazards(school_a, found=7, rectified=5)
    add_hazards(school_b, found=4, rectified=4)
    add_hazards(school_c, found=2, rectified=0)
    for school in (school_a, school_b, school_c):
        school_metrics_refresh(school=school)
    # the previous term, for the comparison with it
    SchoolMetrics.objects.create(school=school_a, term=terms["north"][1],
                                 values={"hazards_found": 10, "hazards_rectified": 5, "hazard_rectification_rate": 0.5})
    return terms


def _sheet_text(response) -> str:
    book = load_workbook(BytesIO(response.content))
    return " ".join(str(c.value) for sheet in book for row in sheet.iter_rows() for c in row if c.value is not None)


def test_console_lists_the_bureau_schools_with_figures_average_and_rank(district, client_for, dave):
    response = client_for(dave).get("/bureau/?sort=-hazard_rectification_rate")
    assert response.status_code == 200
    html = response.content.decode()
    assert "阿尔法小学" in html
    assert "贝塔小学" in html
    assert "伽马中学" not in html
    rows = response.context["table"]
    assert [r["row"]["school__name"] for r in rows] == ["贝塔小学", "阿尔法小学"]
    assert [r["row"]["rank"] for r in rows] == [1, 2]
    # 5/7 = 71%, 4/4 = 100%; the district's rate is pooled: 9 rectified of 11 found = 82% (not the mean, 86%)
    rate_column = [m.key for m in response.context["columns"]].index("hazard_rectification_rate")
    assert rows[1]["cells"][rate_column]["text"] == "71%"
    assert rows[1]["cells"][rate_column]["below"] is True
    assert rows[1]["cells"][rate_column]["trend"] == "up-good"  # 50% last term
    assert response.context["averages"][rate_column] == "82%"
    assert response.context["chart"]["schools"] == ["贝塔小学", "阿尔法小学"]
    assert response.context["chart"]["values"] == [100.0, 71.43]
    assert 'id="chart-data"' in html
    assert "<script>" not in html  # data passes through json_script only


def test_console_filters_by_name_and_by_metric_range(district, client_for, dave):
    client = client_for(dave)
    by_name = client.get("/bureau/?q=贝塔").context["table"]
    assert [r["row"]["school__name"] for r in by_name] == ["贝塔小学"]
    by_range = client.get("/bureau/?f=hazards_found&min=5").context["table"]
    assert [r["row"]["school__name"] for r in by_range] == ["阿尔法小学"]


def test_every_export_holds_only_the_bureau_schools(district, client_for, dave, erin):
    for user, mine, other in ((dave, "阿尔法小学", "伽马中学"), (erin, "伽马中学", "阿尔法小学")):
        client = client_for(user)
        for url in ("/bureau/?export=xlsx", "/bureau/rankings/?export=xlsx&metric=hazards_found",
                    "/bureau/records/?export=xlsx", "/bureau/awards/?export=xlsx"):
            response = client.get(url)
            assert response.status_code == 200, url
            text = _sheet_text(response)
            assert other not in text, url
        assert mine in _sheet_text(client.get("/bureau/?export=xlsx"))


def test_comparison_export_has_every_metric_and_the_average(district, client_for, dave):
    text = _sheet_text(client_for(dave).get("/bureau/?export=xlsx"))
    assert "D-grade buildings" in text
    assert "0.714" in text  # 5/7, shown as 71.4% (tests/reporting/test_excel_ledgers.py reads the format)
    assert "全区" in text  # the district row (pooled rates; see test_district_rates_are_pooled)


def test_drill_down_computes_inside_the_school_and_refuses_other_bureaus(district, client_for, dave, school_a,
                                                                         school_c):
    add_hazards(school_a, found=1, rectified=0)  # not yet in the stored row: the drill-down is live
    response = client_for(dave).get(f"/bureau/schools/{school_a.pk}/")
    assert response.status_code == 200
    safety = response.context["groups"][0]["rows"]
    found = next(r for r in safety if r["metric"].key == "hazards_found")
    assert (found["live"], found["before"]) == ("8", "10")
    assert client_for(dave).get(f"/bureau/schools/{school_c.pk}/").status_code == 403
    assert client_for(dave).get(f"/bureau/schools/{school_c.pk}/?export=xlsx").status_code == 403


@pytest.mark.parametrize("page", PAGES)
def test_role_matrix_of_the_console(district, client_for, page, alice, bob, dave, oscar):
    assert client_for(None).get(page).status_code == 302  # anonymous → sign in
    assert client_for(alice).get(page).status_code == 403  # a principal is not bureau staff
    assert client_for(bob).get(page).status_code == 403
    assert client_for(dave).get(page).status_code == 200
    assert client_for(oscar).get(page).status_code == 200


def test_school_host_does_not_serve_the_console(district, client_for, alice, school_a):
    assert client_for(alice, school_a).get("/bureau/").status_code == 404


def test_glossary_shows_name_unit_and_formula(district, client_for, dave):
    html = client_for(dave).get("/bureau/glossary/").content.decode()
    assert "Rectification rate" in html
    assert "rectified / found" in html
    assert "hazard_rectification_rate" in html


def test_records_list_only_the_bureau_schools(fake_metrics_module, terms, client_for, dave, erin, school_a, school_c):
    from django.db import connection

    from schools.models import Building

    for school, name in ((school_a, "阿尔法危楼"), (school_c, "伽马危楼")):
        connection.set_tenant(school)
        Building.objects.create(name=name, safety_grade="D")
        connection.set_schema_to_public()
        school_metrics_refresh(school=school)
    html = client_for(dave).get("/bureau/records/?kind=weak_buildings").content.decode()
    assert "阿尔法危楼" in html
    assert "伽马危楼" not in html
    html = client_for(erin).get("/bureau/records/").content.decode()
    assert "伽马危楼" in html
    assert "阿尔法危楼" not in html


def test_terms_page_adds_a_term_for_managers_only(client_for, dave, bureau_staff, bureau_north):
    from reporting.models import Term

    data = {"name": "2030–2031 第一学期", "start": "2030-08-01", "end": "2031-01-31"}
    assert client_for(bureau_staff["fred"]).post("/bureau/terms/", data).status_code == 403
    assert not Term.objects.filter(name=data["name"]).exists()
    assert client_for(dave).post("/bureau/terms/", data).status_code == 302
    assert Term.objects.get(name=data["name"]).bureau == bureau_north


def test_district_rates_are_pooled_and_say_so(district, client_for, dave, bureau_north):
    from reporting import catalogue, selectors

    term = district["north"][2]  # the current term
    averages, totals = selectors.district_aggregates(bureau=bureau_north, term=term,
                                                     keys=["hazard_rectification_rate", "hazards_found"])
    # the same figure as the bureau's summary: Σ rectified ÷ Σ found over the schools
    assert averages["hazard_rectification_rate"] == 9 / 11
    assert totals["hazards_found"] == 11
    assert averages["hazards_found"] == 5.5  # a count stays the mean per school, with its total beside it
    trend = selectors.trend_for(user=dave, bureau=bureau_north, keys=["hazard_rectification_rate"])
    assert trend["series"]["hazard_rectification_rate"][-1] == round(9 / 11, 4)
    rate = catalogue.metric_map()["hazard_rectification_rate"]
    glossary = client_for(dave).get("/bureau/glossary/").content.decode()
    assert selectors.district_figure_rule(rate) in glossary
    assert "合计 ÷" in selectors.district_figure_rule(rate)


def test_bureau_pages_chart_their_rows_and_poll_a_stamp_that_moves_with_a_write(district, client_for, dave,
                                                                                 school_a):
    client = client_for(dave)
    page = client.get("/bureau/rankings/?metric=hazard_rectification_rate")
    chart = page.context["chart"]
    # the chart is the table's rows: 贝塔 100%, 阿尔法 71.43%, and the district's pooled 81.82% beside them
    assert chart["labels"] == ["贝塔小学", "阿尔法小学"]
    assert chart["series"][0]["data"] == [100.0, 71.43]
    assert chart["series"][1]["data"] == [81.82, 81.82]
    assert 'data-testid="chart-ranking"' in page.content.decode()
    assert 'data-live-region' in page.content.decode()

    before = client.get("/bureau/live/").json()
    assert before["stamp"] == client.get("/bureau/live/").json()["stamp"]  # nothing changed, nothing moves
    add_hazards(school_a, found=1, rectified=1)
    school_metrics_refresh(school=school_a)
    after = client.get("/bureau/live/").json()
    assert after["stamp"] != before["stamp"]
    assert after["as_of"] is not None
    # a school's own people do not read the bureau's stamp
    from django.contrib.auth import get_user_model

    alice = get_user_model().objects.get(username="alice")
    assert client_for(alice).get("/bureau/live/").status_code in (302, 403)


def test_the_live_stamp_of_another_bureau_is_refused(district, client_for, erin, bureau_north):
    # erin leads the south bureau: naming the north bureau in the poll does not give her its stamp
    response = client_for(erin).get(f"/bureau/live/?bureau={bureau_north.pk}")
    assert response.status_code in (403, 404)
    assert "stamp" not in response.content.decode()
