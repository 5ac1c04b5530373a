"""The work summary is written from the figures: a zero says what is missing, each part of the seed in its
order with a table of its figures, drills as the safety board counts them, DOCX in the fonts of 公文 (小标宋/仿宋/黑体/宋体) and a PDF."""

from __future__ import annotations

import datetime as dt
from io import BytesIO

import pytest
from django.db import connection
from django.utils import timezone
from docx import Document
from docx.oxml.ns import qn
from lxml import etree

from reporting import summary
from reporting.models import SchoolMetrics
from reporting.services import school_metrics_refresh, term_create, term_default_bounds

from .pdftext import pdf_text

pytestmark = pytest.mark.django_db

NO_BUILDING = {
    "buildings_grade_a": None,
    "buildings_grade_b": None,
    "buildings_grade_c": None,
    "buildings_grade_d": None,
    "weak_buildings_without_project": 0,
}


@pytest.fixture
def term(bureau_north):
    name, start, end = term_default_bounds(timezone.localdate())
    return term_create(bureau=bureau_north, name=name, start=start, end=end)


def _body(school, term, values: dict) -> str:
    SchoolMetrics.objects.update_or_create(school=school, term=term, defaults={"values": values})
    return summary.school_summary(school=school, term=term)[1]


def _part(body: str, heading: str) -> str:
    """The lines of one part, from its heading to the next."""
    lines = body.splitlines()
    start = lines.index(heading)
    end = next((i for i in range(start + 1, len(lines)) if summary._is_heading(lines[i])), len(lines))
    return "\n".join(lines[start + 1 : end])


def test_no_camera_says_none_is_registered(school_a, term):
    body = _body(school_a, term, {"cameras_working": 0, "visitors": 0})
    assert "尚未登记正常运行的视频监控设备，技防设施有待落实" in body
    assert "落实到位" not in body
    assert "正常运行0个" not in body
    assert "尚无来访人员登记记录" in body
    body = _body(school_a, term, {"cameras_working": 6})
    assert "视频监控设备正常运行6个" in body


def test_no_asset_says_none_is_registered(school_a, term):
    body = _body(school_a, term, {"assets_fixed_count": 0, "assets_fixed_value": 0})
    part = _part(body, "二、后勤管理")
    assert "尚未登记固定资产" in part
    assert "分室保管" not in body
    assert "固定资产0件" not in body
    body = _body(school_a, term, {"assets_fixed_count": 120, "assets_fixed_value": 560000})
    assert "学校固定资产120件，总值56万元" in body


def test_no_appraised_building_is_not_no_weak_building(school_a, term):
    body = _body(school_a, term, NO_BUILDING)
    assert "尚未登记经安全鉴定的校舍" in _part(body, "一、项目建设")
    assert "无C、D级校舍" not in body
    body = _body(
        school_a,
        term,
        {
            **NO_BUILDING,
            "buildings_grade_a": 3,
            "buildings_grade_b": 1,
            "buildings_grade_c": 0,
            "buildings_grade_d": 0,
        },
    )
    assert "经鉴定，我校现有校舍A级3栋、B级1栋，无C、D级校舍。" in body
    body = _body(
        school_a,
        term,
        {
            **NO_BUILDING,
            "buildings_grade_a": 3,
            "buildings_grade_b": 0,
            "buildings_grade_c": 1,
            "buildings_grade_d": 0,
            "weak_buildings_without_project": 1,
        },
    )
    assert "经鉴定，我校有C级校舍1栋，其中1栋尚未纳入加固改造项目" in body


def test_zeros_are_phrased_or_left_to_the_table_never_dumped(school_a, term):
    values = {
        "projects_proposal": 0,
        "projects_construction": 0,
        "lost_items_found": 0,
        "lost_items_returned": 0,
        "convenience_services": 0,
        "assets_stocktake_discrepancies": 0,
        "assets_loans_open": 0,
        "assets_loans_overdue": 0,
        "hazards_overdue": 0,
        "major_hazards_open": 0,
    }
    body = _body(school_a, term, values)
    text = "\n".join(line for line in body.splitlines() if not line.startswith("|"))
    assert "其他指标" not in text
    assert "阶段的项目" not in body  # stage counts: not in the text, nor as zero rows of the table
    assert "为0" not in text
    assert "本学期暂无立项、在建或规划中的基建项目。" in body


def test_parts_in_the_seed_order_each_with_its_table_and_lost_and_found_under_service(school_a, term):
    values = {
        "buildings_grade_a": 2,
        "buildings_grade_c": 0,
        "buildings_grade_d": 0,
        "assets_fixed_count": 10,
        "repairs_received": 4,
        "repairs_completed": 3,
        "lost_items_found": 3,
        "lost_items_returned": 2,
        "drills_held": 1,
        "drills_required": 4,
        "cameras_working": 2,
    }
    body = _body(school_a, term, values)
    headings = [line for line in body.splitlines() if summary._is_heading(line)]
    assert headings == ["一、项目建设", "二、后勤管理", "三、后勤服务", "四、校园安全"]
    service = _part(body, "三、后勤服务")
    assert "拾获师生遗失物品3件，归还失主2件。" in service
    assert "| 拾获物品 | 3 |" in service
    assert "拾获" not in _part(body, "一、项目建设")
    for heading in headings:
        assert summary.TABLE_HEADER in _part(body, heading)
    assert "组织应急疏散演练1次，应开展4次，未达到每月一次的要求。" in body
    assert "| 应开展疏散演练 | 4 |" in _part(body, "四、校园安全")


def test_drills_required_is_the_safety_boards(school_a, term):
    """The bureau's term starts on 1 August; the board counts the school term (September on) so far."""
    from safety.models import Drill
    from safety.selectors import drills_vs_required
    from safety.terms import current_term

    today = timezone.localdate()
    connection.set_tenant(school_a)
    try:
        for day in {term.start, today, today - dt.timedelta(days=40)}:
            Drill.objects.create(
                kind=Drill._meta.get_field("kind").choices[0][0], held_on=day, participants=300
            )
        board = drills_vs_required(period=current_term())
    finally:
        connection.set_schema_to_public()
    row = school_metrics_refresh(school=school_a, term=term)
    assert row.values["drills_required"] == board["required"]
    assert row.values["drills_held"] == board["held"]
    body = summary.school_summary(school=school_a, term=term)[1]
    assert f"| 应开展疏散演练 | {board['required']} |" in body
    assert f"应开展{board['required']}次" in body


def _document(school, term) -> tuple[str, str, Document]:
    title, body = summary.school_summary(school=school, term=term)
    return title, body, Document(BytesIO(summary.docx_bytes(title=title, body=body)))


def test_docx_is_in_the_fonts_of_gongwen_with_a_table_per_part(school_a, term):
    """GB/T 9704: 小标宋 title, 仿宋 text, 黑体 headings; 宋体 tables; each with the fallback Office has."""
    values = {
        "assets_fixed_count": 10,
        "repairs_received": 4,
        "repairs_completed": 3,
        "cameras_working": 0,
        **NO_BUILDING,
    }
    SchoolMetrics.objects.create(school=school_a, term=term, values=values)
    title, body, document = _document(school_a, term)
    assert document.paragraphs[0].text == title
    assert len(document.tables) == 4
    assert [c.text for c in document.tables[0].rows[0].cells] == ["指标", "数值"]
    assert "尚未登记正常运行的视频监控设备" in "".join(p.text for p in document.paragraphs)

    def east_asia(run):
        return run._element.rPr.rFonts.get(qn("w:eastAsia"))

    runs = [r for p in document.paragraphs for r in p.runs if r.text.strip()]
    cell_runs = [r for t in document.tables for row in t.rows for c in row.cells for p in c.paragraphs for r in p.runs]
    assert runs
    assert cell_runs
    for run in runs + cell_runs:
        fonts = run._element.rPr.rFonts
        assert fonts.get(qn("w:ascii")) == "Times New Roman"
        assert fonts.get(qn("w:asciiTheme")) is None
        assert fonts.get(qn("w:eastAsiaTheme")) is None
    # the title
    assert document.paragraphs[0].style.name == "Title"
    assert {east_asia(r) for r in document.paragraphs[0].runs} == {"方正小标宋简体"}
    assert document.paragraphs[0].runs[0].font.size is None  # the style's 2号
    assert document.styles["Title"].font.size.pt == 22
    assert document.styles["Title"].element.rPr.rFonts.get(qn("w:eastAsia")) == "方正小标宋简体"
    # the text, in 3号 仿宋_GB2312 by its style and by every run
    body_runs = [r for p in document.paragraphs[1:] if p.style.name == "Normal" for r in p.runs]
    assert body_runs
    assert {east_asia(r) for r in body_runs} == {"仿宋_GB2312"}
    normal = document.styles["Normal"]
    assert normal.element.rPr.rFonts.get(qn("w:eastAsia")) == "仿宋_GB2312"
    assert normal.font.size.pt == 16
    defaults = document.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault") + "/" + qn("w:rPr"))
    assert defaults.find(qn("w:rFonts")).get(qn("w:eastAsia")) == "仿宋_GB2312"
    # the headings in 黑体, the tables in 宋体 with 黑体 header rows
    headings = [p for p in document.paragraphs if p.style.name == "Heading 1"]
    assert [p.text for p in headings] == ["一、项目建设", "二、后勤管理", "三、后勤服务", "四、校园安全"]
    assert {east_asia(r) for p in headings for r in p.runs} == {"黑体"}
    assert document.styles["Heading 1"].element.rPr.rFonts.get(qn("w:eastAsia")) == "黑体"
    table = document.tables[0]
    assert {east_asia(r) for c in table.rows[0].cells for p in c.paragraphs for r in p.runs} == {"黑体"}
    assert {east_asia(r) for row in table.rows[1:] for c in row.cells for p in c.paragraphs for r in p.runs} == {
        "宋体"}
    assert document.styles["Table Grid"].element.rPr.rFonts.get(qn("w:eastAsia")) == "宋体"
    # the font table: each face once, GB2312, with the name Word tries when it is missing
    font_table = next(
        p for p in document.part.package.iter_parts() if str(p.partname) == "/word/fontTable.xml"
    )
    root = etree.fromstring(font_table.blob)
    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    fonts = {}
    for font in root.findall(f"{w}font"):
        name = font.get(f"{w}name")
        assert name not in fonts, name
        alt = font.find(f"{w}altName")
        charset = font.find(f"{w}charset")
        fonts[name] = (alt.get(f"{w}val") if alt is not None else None,
                       charset.get(f"{w}val") if charset is not None else None)
    assert fonts["仿宋_GB2312"] == ("仿宋", "86")
    assert fonts["仿宋"] == ("FangSong", "86")
    assert fonts["方正小标宋简体"] == ("黑体", "86")
    assert fonts["黑体"] == ("SimHei", "86")
    assert fonts["宋体"] == ("SimSun", "86")
    assert b"Noto" not in summary.docx_bytes(title=title, body=body)


def test_pdf_names_the_same_faces_with_the_machines_cjk_fonts_after_them(school_a, term):
    SchoolMetrics.objects.create(school=school_a, term=term, values={"assets_fixed_count": 3})
    title, body = summary.school_summary(school=school_a, term=term)
    html = summary.pdf_html(title=title, body=body)
    css = html.split("<style>", 1)[1].split("</style>", 1)[0]
    rules: dict[str, str] = {}
    for rule in css.split("}"):
        if "{" in rule and "@" not in rule.split("{", 1)[0]:
            selector, declarations = rule.split("{", 1)
            rules[selector.strip()] = rules.get(selector.strip(), "") + declarations
    assert rules["body"].startswith("font-family:'仿宋_GB2312','FangSong_GB2312','仿宋','FangSong'")
    assert rules["h1"].startswith("font-family:'方正小标宋简体','FZXiaoBiaoSong-B05S','黑体','SimHei'")
    assert rules["h2,th"].startswith("font-family:'黑体','SimHei'")
    assert rules["table,.caption"].startswith("font-family:'宋体','SimSun'")
    for stack in (summary.PDF_FONTS, summary.PDF_TITLE_FONTS, summary.PDF_HEADING_FONTS, summary.PDF_TABLE_FONTS):
        assert "'Noto Serif CJK SC'" in stack
        assert "'Noto Sans CJK SC'" in stack
    assert f"<h1>{title}</h1>" in html


def test_pdf_has_the_text_and_the_tables(school_a, term):
    SchoolMetrics.objects.create(
        school=school_a,
        term=term,
        values={"assets_fixed_count": 0, "lost_items_found": 3, "drills_held": 0, "drills_required": 4},
    )
    title, body = summary.school_summary(school=school_a, term=term)
    pdf = summary.pdf_bytes(title=title, body=body)
    assert pdf.startswith(b"%PDF-")
    assert len(pdf) > 10_000
    text = pdf_text(pdf).replace("\n", "")
    assert text.startswith(title)
    assert "三、后勤服务" in text
    assert "拾获物品" in text
    assert "指标" in text
    assert "数值" in text
    assert "尚未登记固定资产" in text
    assert "本学期尚未组织应急疏散演练" in text


def test_bureau_summary_names_the_schools_behind_and_pools_its_rates(school_a, school_b, term, bureau_north):
    SchoolMetrics.objects.create(
        school=school_a,
        term=term,
        values={
            "assets_fixed_count": 12,
            "drills_held": 4,
            "drills_required": 4,
            "cameras_working": 6,
            "feedback_received": 5,
            "feedback_callbacks_in_time": 3,
            "feedback_callback_rate": 0.6,
        },
    )
    SchoolMetrics.objects.create(
        school=school_b,
        term=term,
        values={
            "assets_fixed_count": 0,
            "drills_held": 1,
            "drills_required": 4,
            "cameras_working": 0,
            "feedback_received": 7,
            "feedback_callbacks_in_time": 3,
            "feedback_callback_rate": 3 / 7,
        },
    )
    _title, body = summary.bureau_summary(bureau=bureau_north, term=term, schools=bureau_north.schools.all())
    assert _part(body, "一、项目建设") == "本学期暂无该项数据。"  # no figure of that part in any school
    assert "暂无" not in _part(body, "二、后勤管理")
    assert "尚未登记固定资产的学校：贝塔小学。" in body
    assert "全区组织应急疏散演练5次，应开展8次，未达到每月一次要求的学校：贝塔小学。" in body
    assert "尚未登记正常运行视频监控设备的学校：贝塔小学。" in body
    assert "| 24小时回访率 | 50% |" in _part(body, "三、后勤服务")  # 6 of 12, not the mean of 60% and 43%
    assert "24小时回访率需重点关注的学校：贝塔小学（43%）。" in body


def test_drills_say_what_is_due():
    def say(held, required):
        return summary._drills(summary.Figures({"drills_held": held, "drills_required": required}))

    assert say(0, 0) == []  # the term has not begun
    assert say(0, 3) == ["本学期尚未组织应急疏散演练（按每月一次应开展3次）。"]
    assert say(3, 3) == ["组织应急疏散演练3次，达到每月一次的要求（应开展3次）。"]
    assert say(1, 3) == ["组织应急疏散演练1次，应开展3次，未达到每月一次的要求。"]
    kindergarten = summary.Figures({"drills_held": 1, "drills_required": 2, "drill_cadence_months": 3})
    assert summary._drills(kindergarten) == ["组织应急疏散演练1次，应开展2次，未达到每季度一次的要求。"]


def test_a_school_with_nothing_recorded_claims_nothing(school_b, term):
    school_metrics_refresh(school=school_b, term=term)
    body = summary.school_summary(school=school_b, term=term)[1]
    for claim in ("认真排查", "落实到位", "分室保管", "无C、D级校舍", "技防措施得到加强", "服务到位"):
        assert claim not in body
    for gap in (
        "本学期系统中未登记排查出的安全隐患。",
        "尚未登记固定资产",
        "尚未登记经安全鉴定的校舍",
        "尚未登记正常运行的视频监控设备",
        "本学期尚未组织应急疏散演练",
    ):
        assert gap in body
    assert "尚未落实、有待加强的" in body.splitlines()[-1]


def test_a_part_with_rates_has_a_chart_in_both_documents(school_a, term):
    SchoolMetrics.objects.create(
        school=school_a,
        term=term,
        values={
            "hazards_found": 16,
            "hazards_rectified": 11,
            "hazard_rectification_rate": 11 / 16,
            "health_check_completeness": 1.0,
            "cameras_working": 6,
        },
    )
    title, body = summary.school_summary(school=school_a, term=term)
    assert summary.chart_rows([["指标", "数值"], ["整改率", "69%"], ["晨午检完成率", "100%"]]) == [
        ("整改率", 69.0),
        ("晨午检完成率", 100.0),
    ]
    document = Document(BytesIO(summary.docx_bytes(title=title, body=body)))
    assert len(document.inline_shapes) == 1  # only 四、校园安全 has two rates
    assert "图1　校园安全主要比率（%）" in [p.text for p in document.paragraphs]
    text = pdf_text(summary.pdf_bytes(title=title, body=body)).replace("\n", "")
    assert "图1　校园安全主要比率（%）" in text
    assert "晨午检完成率" in text
