"""The work summary: the seed's structure, every figure from the metrics, edited, exported to DOCX and PDF."""

from __future__ import annotations

from io import BytesIO

import pytest
from docx import Document

from reporting.models import WorkSummary
from reporting.services import award_record_add, school_metrics_refresh
from reporting.summary import bureau_summary, hazard_sentence, school_summary
from tests.jobs.run import file_of_job

from .conftest import add_hazards
from .pdftext import pdf_text

pytestmark = pytest.mark.django_db
SENTENCE = "共排查出大小安全隐患7处，整改5处，整改率为71%。"


def test_hazard_sentence_rounds_like_the_seed():
    assert hazard_sentence({"hazards_found": 16, "hazards_rectified": 11}) == (
        "共排查出大小安全隐患16处，整改11处，整改率为69%。")
    assert hazard_sentence({"hazards_found": 0, "hazards_rectified": 0}) == "本学期未排查出安全隐患。"
    assert hazard_sentence({}) is None


def test_school_with_7_found_and_5_rectified_says_71_percent(fake_metrics_module, terms, school_a):
    add_hazards(school_a, found=7, rectified=5)
    school_metrics_refresh(school=school_a)
    award_record_add(school=school_a, title="省级平安校园", level="province", granted_on=terms["north"][2].start)
    title, body = school_summary(school=school_a, term=terms["north"][2])
    assert title == "阿尔法小学2026–2027 第一学期后勤工作总结"
    assert SENTENCE in body
    headings = [line for line in body.splitlines() if line[:2] in ("一、", "二、", "三、", "四、")]
    assert headings == ["一、项目建设", "二、后勤管理", "三、后勤服务", "四、校园安全"]
    assert "我校被评为省级平安校园" in body


def test_bureau_summary_adds_up_its_own_schools_only(fake_metrics_module, terms, school_a, school_b, school_c,
                                                    bureau_north):
    add_hazards(school_a, found=7, rectified=5)
    add_hazards(school_b, found=3, rectified=3)
    add_hazards(school_c, found=50, rectified=0)
    for school in (school_a, school_b, school_c):
        school_metrics_refresh(school=school)
    _title, body = bureau_summary(bureau=bureau_north, term=terms["north"][2], schools=bureau_north.schools.all())
    assert "全区共排查出大小安全隐患10处，整改8处，整改率为80%。" in body
    assert "伽马中学" not in body


def test_edit_then_export_docx_and_pdf_in_chinese(fake_metrics_module, terms, school_a, dave, client_for):
    add_hazards(school_a, found=7, rectified=5)
    school_metrics_refresh(school=school_a)
    client = client_for(dave)
    url = f"/bureau/summary/?school={school_a.pk}&term={terms['north'][2].pk}"
    form = client.get(url).context["form"]
    body = form.initial["body"] + "\n感谢区教育局的支持。"
    assert client.post(url, {"title": form.initial["title"], "body": body}).status_code == 302
    assert WorkSummary.objects.get(school=school_a).body == body
    # The documents are made by a background job; the request only starts it (tests/jobs/test_jobs.py).
    docx = file_of_job(client, client.get(url + "&format=docx"))
    assert docx["Content-Type"].startswith("application/vnd.openxmlformats")
    paragraphs = [p.text for p in Document(BytesIO(docx.content)).paragraphs]
    assert paragraphs[-1] == "感谢区教育局的支持。"
    assert any(SENTENCE in p for p in paragraphs)
    pdf = file_of_job(client, client.get(url + "&format=pdf"))
    assert pdf.content.startswith(b"%PDF-")
    text = pdf_text(pdf.content).replace("\n", "")
    assert "整改率为71%" in text
    assert "四、校园安全" in text
    assert text.startswith("阿尔法小学2026–2027 第一学期后勤工作总结")


def test_summary_of_another_bureau_school_is_refused(fake_metrics_module, terms, school_c, dave, client_for):
    assert client_for(dave).get(f"/bureau/summary/?school={school_c.pk}").status_code == 403


def test_school_staff_write_their_own_summary_on_the_school_host(fake_metrics_module, terms, school_a, alice, bob,
                                                                 client_for):
    add_hazards(school_a, found=7, rectified=5)
    school_metrics_refresh(school=school_a)
    response = client_for(alice, school_a).get("/awards/summary/")
    assert response.status_code == 200
    assert SENTENCE in response.context["form"].initial["body"]
    assert client_for(bob, school_a).get("/awards/summary/").status_code == 403


def test_seed_wording_is_used_when_the_modules_define_the_figures(fake_metrics_module, monkeypatch, terms, school_a):
    from reporting import summary
    from reporting.models import SchoolMetrics
    from tenants.metrics import Metric

    def zero(period):
        return 0

    extra = [Metric(key="repairs_received", label="报修", unit="count", formula="-", compute=zero),
             Metric(key="repairs_completed", label="完成", unit="count", formula="-", compute=zero),
             Metric(key="repairs_intact_rate", label="完好率", unit="percent", formula="-", compute=zero)]
    monkeypatch.setattr(summary.catalogue, "metrics_by_module", lambda: [("repairs", extra)])
    SchoolMetrics.objects.create(school=school_a, term=terms["north"][2], values={
        "repairs_received": 40, "repairs_completed": 38, "repairs_intact_rate": 0.955})
    _title, body = school_summary(school=school_a, term=terms["north"][2])
    assert "（一）共受理报修40单，完成维修38单。" in body
    assert "（二）设施设备完好率为96%。" in body
