"""The term work summary (工作总结): Chinese text in the seed's structure, every figure from the metrics,
and its DOCX and PDF exports."""

from __future__ import annotations

from io import BytesIO

from django.utils import translation

from tenants import metrics as protocol
from tenants.models import Bureau, School

from . import catalogue
from .models import AwardRecord, MirroredRecord, SchoolMetrics, Term

# The seed's four parts, and the module whose metrics feed each.
SECTIONS = [
    ("schools", "一、项目建设"),
    ("assets", "二、后勤管理"),
    ("repairs", "三、后勤服务"),
    ("safety", "四、校园安全"),
]
# Mirrored lists quoted in each part (title of the list, kind).
SECTION_MIRRORS = {
    "schools": [("在建及规划项目", "capital_projects"), ("C、D级校舍", "weak_buildings")],
    "repairs": [("超期未完成的维修", "overdue_repairs")],
    "safety": [("挂牌督办的重大隐患", "major_hazards")],
}
CHINESE_NUMERALS = "一二三四五六七八九十"


def _value(values: dict, key: str):
    return catalogue.number(values.get(key))


def _figure(metric: protocol.Metric, value) -> str:
    shown = catalogue.display(metric, value)
    unit = catalogue.unit_label(metric) if metric.unit not in ("percent", "count") else ""
    if metric.unit == "count":
        unit = ""
    return f"{shown}{unit}"


def hazard_sentence(values: dict) -> str | None:
    """共排查出大小安全隐患16处，整改11处，整改率为69%。 (None when the figures are not defined)."""
    found, fixed = _value(values, "hazards_found"), _value(values, "hazards_rectified")
    if found is None or fixed is None:
        return None
    if not found:
        return "本学期未排查出安全隐患。"
    rate = catalogue.percent(fixed / found)
    return f"共排查出大小安全隐患{int(found)}处，整改{int(fixed)}处，整改率为{rate}%。"


# Sentences in the seed's wording, used when the module defines every metric they quote:
# (module, keys, template); {key} is the figure, {key%} a ratio as a whole percent.
SENTENCES = [
    ("safety", ("drills_held",), "组织应急疏散演练{drills_held}次。"),
    ("safety", ("cameras_working",), "视频监控设备正常运行{cameras_working}个，技防设施落实到位。"),
    ("safety", ("visitors",), "严格校门管理，登记来访人员{visitors}人次。"),
    ("repairs", ("repairs_received", "repairs_completed"), "共受理报修{repairs_received}单，完成维修{repairs_completed}单。"),
    ("repairs", ("repairs_sla_minor",), "小修不过夜按时完成率为{repairs_sla_minor%}%。"),
    ("repairs", ("repairs_intact_rate",), "设施设备完好率为{repairs_intact_rate%}%。"),
    ("schools", ("buildings_grade_c", "buildings_grade_d"),
     "经鉴定，C级校舍{buildings_grade_c}栋、D级校舍{buildings_grade_d}栋，加固改造项目正积极争取。",
     lambda v: (v["buildings_grade_c"] or 0) + (v["buildings_grade_d"] or 0) > 0),
    ("schools", ("buildings_grade_c", "buildings_grade_d"), "经鉴定，我校无C、D级校舍。",
     lambda v: v["buildings_grade_c"] == 0 and v["buildings_grade_d"] == 0),
    ("assets", ("assets_fixed_count", "assets_fixed_value"),
     "固定资产{assets_fixed_count}件，总值{assets_fixed_value}元，实行分室保管、专人负责的管理体制。"),
    ("assets", ("assets_procured_government",), "严格执行政府采购，通过政府采购渠道采购{assets_procured_government}元。"),
    ("safety", ("agreement_coverage_safety",), "层层签订《安全工作责任状》，签订率为{agreement_coverage_safety%}%。"),
    ("schools", ("feedback_received", "feedback_callback_rate"),
     "收到师生意见反馈{feedback_received}条，24小时内回访率为{feedback_callback_rate%}%。"),
]


def _sentences(module: str, values: dict) -> tuple[list[str], set[str]]:
    lines, used = [], set()
    for owner, keys, template, *when in SENTENCES:
        if owner != module or any(catalogue.number(values.get(k)) is None for k in keys):
            continue
        if when and not when[0]({k: catalogue.number(values[k]) for k in keys}):
            continue
        figures = {}
        for key in keys:
            number = catalogue.number(values[key])
            figures[key] = int(round(number)) if float(number).is_integer() else round(number, 1)
            figures[f"{key}%"] = catalogue.percent(number)
        text = template
        for name, figure in figures.items():
            text = text.replace("{" + name + "}", str(figure))
        lines.append(text)
        used |= set(keys)
    return lines, used


def _metric_clauses(metrics: list[protocol.Metric], values: dict, skip: set[str]) -> list[str]:
    clauses = []
    for metric in metrics:
        if metric.key in skip or metric.key not in values or values.get(metric.key) is None:
            continue
        clauses.append(f"{metric.label}为{_figure(metric, values[metric.key])}")
    return clauses


def school_summary(*, school: School, term: Term) -> tuple[str, str]:
    """(title, body) of one school's work summary for a term, from its stored metrics and mirrors."""
    with translation.override("zh-hans"):
        row = SchoolMetrics.objects.filter(school=school, term=term).first()
        values = row.values if row else {}
        mirrors = list(MirroredRecord.objects.filter(school=school).order_by("kind", "-occurred_on", "pk"))
        awards = list(AwardRecord.objects.filter(school=school).order_by("-granted_on", "title"))
        title = f"{school.name}{term.name}后勤工作总结"
        groups = dict(catalogue.metrics_by_module())
        paragraphs = [
            f"{term.name}（{term.start:%Y年%m月%d日}至{term.end:%Y年%m月%d日}），在{school.bureau.name}的领导下，"
            f"我校后勤部门扎实开展各项工作，现将本学期后勤工作总结如下："
        ]
        for module, heading in SECTIONS:
            paragraphs.append(heading)
            lines = []
            skip: set[str] = set()
            if module == "safety":
                sentence = hazard_sentence(values)
                if sentence:
                    lines.append("认真排查隐患，积极消除安全隐患。" + sentence)
                    skip |= {"hazards_found", "hazards_rectified", "hazard_rectification_rate"}
            sentences, used = _sentences(module, values)
            lines += sentences
            clauses = _metric_clauses(groups.get(module, []), values, skip | used)
            if clauses:
                lines.append("其他指标：" + "，".join(clauses) + "。")
            for list_title, kind in SECTION_MIRRORS.get(module, []):
                titles = [m.title for m in mirrors if m.kind == kind][:10]
                if titles:
                    lines.append(f"{list_title}{len(titles)}项：" + "；".join(titles) + "。")
            if not lines:
                lines.append("本学期暂无该项数据。")
            paragraphs += [f"（{CHINESE_NUMERALS[i]}）{line}" for i, line in enumerate(lines[:10])]
        closing = "总之，本学期我校后勤工作高效管理、优质服务。"
        if awards:
            closing += "我校被评为" + "、".join(a.title for a in awards) + "。"
        closing += "今后我们将继续探索学校精细化管理模式，更加尽心为学校服好务。"
        paragraphs.append(closing)
    return title, "\n".join(paragraphs)


def bureau_summary(*, bureau: Bureau, term: Term, schools) -> tuple[str, str]:
    """(title, body) across the bureau's schools: totals and the weakest schools, from SchoolMetrics."""
    with translation.override("zh-hans"):
        rows = list(SchoolMetrics.objects.filter(term=term, school__in=schools).select_related("school"))
        title = f"{bureau.name}{term.name}学校后勤工作总结"
        paragraphs = [f"{term.name}，全区{len(rows)}所学校的后勤工作情况总结如下："]
        groups = dict(catalogue.metrics_by_module())
        totals: dict[str, float] = {}
        for row in rows:
            for key, value in row.values.items():
                number = catalogue.number(value)
                if number is not None:
                    totals[key] = totals.get(key, 0) + number
        for module, heading in SECTIONS:
            paragraphs.append(heading)
            lines = []
            skip: set[str] = set()
            if module == "safety":
                sentence = hazard_sentence(totals)
                if sentence:
                    lines.append("全区" + sentence)
                    skip |= {"hazards_found", "hazards_rectified", "hazard_rectification_rate"}
            summable = [m for m in groups.get(module, []) if m.unit not in ("percent", "score", "days", "hours")]
            clauses = _metric_clauses(summable, totals, skip)
            if clauses:
                lines.append("全区合计：" + "，".join(clauses) + "。")
            for metric in groups.get(module, []):
                if metric.unit != "percent":
                    continue
                rated = [(catalogue.number(r.values.get(metric.key)), r.school.name) for r in rows]
                rated = [(v, n) for v, n in rated if v is not None]
                if rated:
                    rated.sort(key=lambda p: p[0], reverse=not metric.higher_is_better)
                    low = "、".join(f"{n}（{catalogue.percent(v)}%）" for v, n in rated[:3])
                    lines.append(f"{metric.label}需重点关注的学校：{low}。")
            if not lines:
                lines.append("本学期暂无该项数据。")
            paragraphs += [f"（{CHINESE_NUMERALS[i]}）{line}" for i, line in enumerate(lines[:10])]
        awards = list(AwardRecord.objects.filter(school__in=schools).select_related("school"))
        if awards:
            paragraphs.append("获得荣誉：" + "；".join(f"{a.school.name}{a.title}" for a in awards) + "。")
    return title, "\n".join(paragraphs)


# ---------------------------------------------------------------- exports


def _is_heading(line: str) -> bool:
    return len(line) < 30 and line[:1] in "一二三四五六七八九十" and "、" in line[:3]


def docx_bytes(*, title: str, body: str) -> bytes:
    from docx import Document
    from docx.oxml.ns import qn
    from docx.shared import Pt

    document = Document()
    style = document.styles["Normal"]
    style.font.name = "Noto Sans CJK SC"
    style.font.size = Pt(12)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "Noto Sans CJK SC")
    heading = document.add_heading(title, level=1)
    for run in heading.runs:
        run.font.name = "Noto Sans CJK SC"
        run._element.rPr.rFonts.set(qn("w:eastAsia"), "Noto Sans CJK SC")
    for line in body.splitlines():
        if not line.strip():
            continue
        paragraph = document.add_paragraph()
        run = paragraph.add_run(line.strip())
        run.bold = _is_heading(line.strip())
        if not run.bold:
            paragraph.paragraph_format.first_line_indent = Pt(24)
    buffer = BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def pdf_bytes(*, title: str, body: str) -> bytes:
    from django.utils.html import escape
    from weasyprint import HTML

    parts = []
    for line in body.splitlines():
        if line.strip():
            tag = "h2" if _is_heading(line.strip()) else "p"
            parts.append(f"<{tag}>{escape(line.strip())}</{tag}>")
    html = (
        "<html><head><meta charset='utf-8'><style>"
        "@page{size:A4;margin:2cm} body{font-family:'Noto Sans CJK SC','Noto Serif CJK SC',sans-serif;"
        "font-size:12pt;line-height:1.8} h1{text-align:center;font-size:18pt} h2{font-size:13pt;margin:1em 0 .3em}"
        "p{text-indent:2em;margin:.2em 0}</style></head><body>"
        f"<h1>{escape(title)}</h1>{''.join(parts)}</body></html>"
    )
    return HTML(string=html).write_pdf()
