"""The term work summary (工作总结): Chinese text in the seed's structure, each sentence chosen by what the
figures say (a zero says what is missing, never that it is in place), a table of figures per section, and
its DOCX and PDF exports.

The body is plain text people may edit before exporting: "一、…" lines are headings, lines starting with
"|" are table rows (the first row of a run is its header), every other line is a paragraph.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from io import BytesIO

from django.utils import translation

from tenants import metrics as protocol
from tenants.models import Bureau, School

from . import catalogue
from .models import AwardRecord, MirroredRecord, SchoolMetrics, Term

# The seed's four parts, in its order.
SECTIONS = [
    ("projects", "一、项目建设"),
    ("management", "二、后勤管理"),
    ("service", "三、后勤服务"),
    ("safety", "四、校园安全"),
]
# The part a module's figures go to, unless SECTION_OF_KEY places a figure elsewhere (as the seed does).
SECTION_OF_MODULE = {"schools": "projects", "assets": "management", "repairs": "service", "safety": "safety"}
SECTION_OF_KEY = {
    # The seed: 严格执行政府采购 is 后勤服务 (一); feedback, lost and found and convenience services are
    # services to teachers and pupils.
    "assets_procured_government": "service",
    "assets_procured_other": "service",
    "feedback_received": "service",
    "feedback_callbacks_in_time": "service",
    "feedback_callback_rate": "service",
    "lost_items_found": "service",
    "lost_items_returned": "service",
    "convenience_services": "service",
    "hazards_found": "safety",
    "hazards_rectified": "safety",
    "hazard_rectification_rate": "safety",
}
# The modules' order in a part's table where it is not the protocol's.
TABLE_MODULE_ORDER = {"service": ["assets", "repairs", "schools"]}
CHINESE_NUMERALS = "一二三四五六七八九十"
TABLE_HEADER = "| 指标 | 数值 |"
# A sentence with one of these says what is missing or behind; the closing counts them.
GAP_WORDS = ("尚未", "有待", "未达到", "尚有", "需及时", "需加快", "需尽快", "尚无", "账实不符")
AGREEMENT_PREFIX = "签订率："


def section_of(module: str, key: str) -> str:
    return SECTION_OF_KEY.get(key) or SECTION_OF_MODULE.get(module, "projects")


def _value(values: dict, key: str):
    return catalogue.number(values.get(key))


def _int(number: float) -> int:
    return int(round(number))


def _money(number: float) -> str:
    """Yuan as people write them in a summary: 5.6万元 from ten thousand up, else 4,700元 (2 places if any)."""
    if abs(number) >= 10000:
        return f"{number / 10000:,.2f}".rstrip("0").rstrip(".") + "万元"
    if float(number).is_integer():
        return f"{int(number):,}元"
    return f"{number:,.2f}元"


def _figure(metric: protocol.Metric, value) -> str:
    """A figure for the table: 69%, 1,234.50元, 12, 3.5小时; — when not defined (no data to compute it)."""
    if catalogue.number(value) is None:
        return "—"
    shown = catalogue.display(metric, value)
    if metric.unit in ("percent", "count"):
        return shown
    return f"{shown}{catalogue.unit_label(metric)}"


def hazard_sentence(values: dict) -> str | None:
    """共排查出大小安全隐患16处，整改11处，整改率为69%。 (None when the figures are not defined)."""
    found, fixed = _value(values, "hazards_found"), _value(values, "hazards_rectified")
    if found is None or fixed is None:
        return None
    if not found:
        return "本学期未排查出安全隐患。"
    rate = catalogue.percent(fixed / found)
    return f"共排查出大小安全隐患{int(found)}处，整改{int(fixed)}处，整改率为{rate}%。"


class Figures:
    """One school's stored figures: has(key) — the module defines it; get(key) — its number or None."""

    def __init__(self, values: dict, mirrors: list | None = None):
        self.values = values
        self.mirrors = mirrors or []

    def has(self, *keys: str) -> bool:
        return all(key in self.values for key in keys)

    def get(self, key: str) -> float | None:
        return catalogue.number(self.values.get(key))

    def titles(self, kind: str, limit: int = 10) -> list:
        return [m for m in self.mirrors if m.kind == kind][:limit]


def _projects(f: Figures) -> list[str]:
    stages = {k[len("projects_") :]: f.get(k) or 0 for k in f.values if k.startswith("projects_")}
    if not stages:
        return []
    listed = f.titles("capital_projects", limit=50)
    live = [m for m in listed if m.status != "closed"]
    total = sum(n for stage, n in stages.items() if stage != "closed")
    if not total:
        return ["本学期暂无立项、在建或规划中的基建项目。"]
    if live:
        items = "；".join(
            f"{m.title}（{catalogue.mirror_status('capital_projects', m.status)}）" for m in live[:10]
        )
        return [f"在建及规划项目{_int(total)}项：{items}。"]
    parts = "、".join(
        f"{catalogue.mirror_status('capital_projects', stage)}{_int(n)}项"
        for stage, n in stages.items()
        if n and stage != "closed"
    )
    return [f"在建及规划项目{_int(total)}项，其中{parts}。"]


def _buildings(f: Figures) -> list[str]:
    grades = [
        k
        for k in ("buildings_grade_a", "buildings_grade_b", "buildings_grade_c", "buildings_grade_d")
        if f.has(k)
    ]
    if not f.has("buildings_grade_c", "buildings_grade_d"):
        return []
    if all(f.get(k) is None for k in grades):
        return ["学校尚未登记经安全鉴定的校舍，校舍安全等级有待鉴定并录入。"]
    c, d = f.get("buildings_grade_c") or 0, f.get("buildings_grade_d") or 0
    if not c and not d:
        sound = "、".join(f"{k[-1].upper()}级{_int(f.get(k))}栋" for k in grades[:2] if f.get(k))
        return [f"经鉴定，我校{('现有校舍' + sound + '，') if sound else ''}无C、D级校舍。"]
    weak = "、".join(f"{g}级校舍{_int(n)}栋" for g, n in (("C", c), ("D", d)) if n)
    sentence = f"经鉴定，我校有{weak}"
    names = [m.title for m in f.titles("weak_buildings")]
    if names:
        sentence += f"（{'、'.join(names)}）"
    without = f.get("weak_buildings_without_project")
    if without:
        sentence += f"，其中{_int(without)}栋尚未纳入加固改造项目，需尽快争取立项"
    elif without == 0:
        sentence += "，均已纳入加固改造项目"
    return [sentence + "。"]


def _assets(f: Figures) -> list[str]:
    lines = []
    count = f.get("assets_fixed_count")
    if count == 0:
        lines.append("学校尚未登记固定资产，资产台账有待建立，需尽快对各部门设备设施摸底登记。")
    elif count:
        value = f.get("assets_fixed_value")
        worth = f"，总值{_money(value)}" if value else ""
        lines.append(f"学校固定资产{_int(count)}件{worth}，均已登记入账、录入系统，做到条目清楚、有据可查。")
    low, low_value = f.get("assets_low_value_count"), f.get("assets_low_value_value")
    if low:
        lines.append(f"低值易耗品{_int(low)}件" + (f"，价值{_money(low_value)}" if low_value else "") + "。")
    open_, overdue = f.get("assets_loans_open"), f.get("assets_loans_overdue")
    if open_:
        tail = f"，其中逾期未还{_int(overdue)}件，需及时催还" if overdue else "，均在约定期限内"
        lines.append(f"目前借出未还的资产{_int(open_)}件{tail}。")
    gaps = f.get("assets_stocktake_discrepancies")
    if gaps:
        lines.append(f"资产清查发现账实不符{_int(gaps)}处，正在核实处理。")
    return lines


def _procurement(f: Figures) -> list[str]:
    gov, other = f.get("assets_procured_government"), f.get("assets_procured_other")
    if gov is None and other is None:
        return []
    if gov:
        tail = f"，其他渠道采购{_money(other)}" if other else ""
        return [f"严格执行政府采购，本学期通过政府采购渠道采购{_money(gov)}{tail}。"]
    if other:
        return [f"本学期通过政府采购以外的渠道采购{_money(other)}，未发生政府采购。"]
    return ["本学期未发生采购。"]


def _repairs(f: Figures) -> list[str]:
    if not f.has("repairs_received", "repairs_completed"):
        lines = []
    elif not f.get("repairs_received") and not f.get("repairs_completed"):
        return ["本学期未收到报修。"] + _intact(f)
    else:
        lines = [
            f"共受理报修{_int(f.get('repairs_received') or 0)}单，完成维修{_int(f.get('repairs_completed') or 0)}单。"
        ]
    minor, major = f.get("repairs_sla_minor"), f.get("repairs_sla_major")
    if minor is not None:
        lines.append(f"小修不过夜按时完成率为{catalogue.percent(minor)}%。")
    if major is not None:
        lines.append(f"大修三天内按时完成率为{catalogue.percent(major)}%。")
    hours, score = f.get("repairs_mttr_hours"), f.get("repairs_satisfaction")
    if hours is not None:
        lines.append(f"平均修复用时{hours:.1f}小时（不含暂停时间）。")
    if score is not None:
        lines.append(f"报修人对维修的平均评分为{score:.1f}分（满分5分）。")
    return lines + _intact(f)


def _intact(f: Figures) -> list[str]:
    rate = f.get("repairs_intact_rate")
    if rate is not None:
        out = f.get("repairs_facilities_out")
        tail = f"，学期末尚有{_int(out)}处待修" if out else ""
        return [f"设施设备完好率为{catalogue.percent(rate)}%{tail}。"]
    if f.get("repairs_facilities") == 0:
        return ["学校尚未登记房间和设施设备，完好率暂无法统计。"]
    return []


def _feedback(f: Figures) -> list[str]:
    if not f.has("feedback_received"):
        return []
    received = f.get("feedback_received") or 0
    if not received:
        return ["本学期未收到师生意见反馈。"]
    rate = f.get("feedback_callback_rate")
    tail = f"，24小时内回访率为{catalogue.percent(rate)}%" if rate is not None else ""
    return [f"收到师生意见反馈{_int(received)}条{tail}。"]


def _lost_and_found(f: Figures) -> list[str]:
    found, returned = f.get("lost_items_found"), f.get("lost_items_returned")
    services = f.get("convenience_services")
    parts = []
    if found:
        parts.append(f"拾获师生遗失物品{_int(found)}件")
    if returned:
        parts.append(f"归还失主{_int(returned)}件")
    if services:
        parts.append(f"提供开锁、送医等便民服务{_int(services)}次")
    return ["，".join(parts) + "。"] if parts else []


def _hazards(f: Figures) -> list[str]:
    sentence = hazard_sentence(f.values)
    if sentence is None:
        lines = []
    elif f.get("hazards_found"):
        lines = ["认真排查隐患，积极消除安全隐患。" + sentence]
    else:  # nothing found may as well be nothing looked for: no claim of a thorough inspection
        lines = ["本学期系统中未登记排查出的安全隐患。"]
    overdue, major = f.get("hazards_overdue"), f.get("major_hazards_open")
    if overdue:
        lines.append(f"尚有{_int(overdue)}处隐患超过整改期限，需加快整改。")
    if major:
        names = [m.title for m in f.titles("major_hazards")]
        listed = f"：{'；'.join(names)}" if names else ""
        lines.append(f"挂牌督办的重大隐患{_int(major)}处尚未销号{listed}。")
    return lines


def _drills(f: Figures) -> list[str]:
    held, required = f.get("drills_held"), f.get("drills_required")
    if held is None:
        return []
    if not required:  # not defined, or the term has not begun: nothing is due yet
        return [f"组织应急疏散演练{_int(held)}次。"] if held else []
    # 教基一厅〔2014〕2号: 中小学每月、幼儿园每季度至少一次 (safety's drill_cadence_months).
    every = "每季度一次" if f.get("drill_cadence_months") == 3 else "每月一次"
    if not held:
        return [f"本学期尚未组织应急疏散演练（按{every}应开展{_int(required)}次）。"]
    if held >= required:
        return [f"组织应急疏散演练{_int(held)}次，达到{every}的要求（应开展{_int(required)}次）。"]
    return [f"组织应急疏散演练{_int(held)}次，应开展{_int(required)}次，未达到{every}的要求。"]


def _agreements(f: Figures, labels: dict) -> list[str]:
    signed, unsigned = [], []
    for key in f.values:
        if not key.startswith("agreement_coverage_") or f.get(key) is None:
            continue
        name = str(labels.get(key, key)).removeprefix(AGREEMENT_PREFIX)
        rate = catalogue.percent(f.get(key))
        (signed if rate else unsigned).append(f"《{name}》签订率为{rate}%" if rate else f"《{name}》")
    lines = []
    if signed:
        lines.append("层层签订安全责任书，" + "，".join(signed) + "。")
    if unsigned:
        lines.append("、".join(unsigned) + "已下发但尚未签订回收。")
    return lines


def _gate(f: Figures) -> list[str]:
    lines = []
    cameras = f.get("cameras_working")
    if cameras == 0:
        lines.append("学校尚未登记正常运行的视频监控设备，技防设施有待落实。")
    elif cameras:
        lines.append(f"视频监控设备正常运行{_int(cameras)}个，技防措施得到加强。")
    visitors = f.get("visitors")
    if visitors == 0:
        lines.append("本学期尚无来访人员登记记录，校门来访登记制度有待落实。")
    elif visitors:
        lines.append(f"严格校门管理，登记来访人员{_int(visitors)}人次。")
    patrols = f.get("patrols_per_day")
    if patrols:
        lines.append(f"安保人员坚持校园巡查，日均巡逻{patrols:g}次。")
    elif f.has("patrols_per_day"):
        lines.append("本学期尚无校园巡查记录。")
    health = f.get("health_check_completeness")
    if health is not None:
        lines.append(f"坚持晨午检，晨午检记录完成率为{catalogue.percent(health)}%。")
    return lines


# What each part says, in the seed's order within the part.
WRITERS: dict[str, list[Callable]] = {
    "projects": [_projects, _buildings],
    "management": [_assets],
    "service": [_procurement, _repairs, _feedback, _lost_and_found],
    "safety": [_hazards, _drills, _agreements, _gate],
}


def _sections(groups) -> dict[str, list[protocol.Metric]]:
    """{part: [Metric, ...]}, each metric in the part the seed gives it, in the order the part's text
    quotes them (后勤服务: procurement, repairs, then feedback, lost and found, convenience services)."""
    parts: dict[str, list[tuple[int, int, protocol.Metric]]] = {part: [] for part, _heading in SECTIONS}
    for rank, (module, metrics) in enumerate(groups):
        for metric in metrics:
            part = section_of(module, metric.key)
            order = TABLE_MODULE_ORDER.get(part, [])
            first = order.index(module) if module in order else len(order) + rank
            parts[part].append((first, len(parts[part]), metric))
    return {part: [m for *_key, m in sorted(rows, key=lambda r: r[:2])] for part, rows in parts.items()}


def _shown_in_table(metric: protocol.Metric, values: dict) -> bool:
    if metric.key not in values:
        return False
    # Stage counts are the board's breakdown: only the stages a project is at.
    return not (metric.key.startswith("projects_") and not catalogue.number(values[metric.key]))


def table_lines(metrics: list[protocol.Metric], values: dict) -> list[str]:
    """The part's figures as "| 指标 | 数值 |" rows (nothing when the part has none)."""
    rows = [
        f"| {metric.label} | {_figure(metric, values[metric.key])} |"
        for metric in metrics
        if _shown_in_table(metric, values)
    ]
    return [TABLE_HEADER, *rows] if rows else []


def _numbered(lines: list[str]) -> list[str]:
    return [f"（{CHINESE_NUMERALS[i]}）{line}" for i, line in enumerate(lines[:10])]


def school_summary(*, school: School, term: Term) -> tuple[str, str]:
    """(title, body) of one school's work summary for a term, from its stored metrics and mirrors."""
    with translation.override("zh-hans"):
        row = SchoolMetrics.objects.filter(school=school, term=term).first()
        values = row.values if row else {}
        mirrors = list(MirroredRecord.objects.filter(school=school).order_by("kind", "-occurred_on", "pk"))
        awards = list(AwardRecord.objects.filter(school=school).order_by("-granted_on", "title"))
        figures = Figures(values, mirrors)
        parts = _sections(catalogue.metrics_by_module())
        labels = {m.key: m.label for metrics in parts.values() for m in metrics}
        title = f"{school.name}{term.name}后勤工作总结"
        paragraphs = [
            f"{term.name}（{term.start:%Y年%m月%d日}至{term.end:%Y年%m月%d日}），在{school.bureau.name}的领导下，"
            f"我校后勤部门扎实开展各项工作，现将本学期后勤工作总结如下："
        ]
        gaps = 0
        for part, heading in SECTIONS:
            lines: list[str] = []
            for writer in WRITERS[part]:
                lines += writer(figures, labels) if writer is _agreements else writer(figures)
            gaps += sum(1 for line in lines if any(word in line for word in GAP_WORDS))
            paragraphs.append(heading)
            paragraphs += _numbered(lines) or ["本学期暂无该项数据。"]
            paragraphs += table_lines(parts[part], values)
        closing = "总之，本学期我校后勤部门围绕学校中心工作，扎实开展各项工作。"
        if awards:
            closing += "我校被评为" + "、".join(a.title for a in awards) + "。"
        if gaps:
            closing += f"对上文所列尚未落实、有待加强的{gaps}项工作，我们将制定计划、明确责任、限期落实。"
        closing += "今后我们将继续探索学校精细化管理模式，更加尽心为学校服好务。"
        paragraphs.append(closing)
    return title, "\n".join(paragraphs)


def bureau_totals(rows: list[SchoolMetrics], metrics: list[protocol.Metric]) -> dict:
    """Counts and money added up over the schools; rates pooled (Σ numerator ÷ Σ denominator) where defined."""
    totals: dict = {}
    for metric in metrics:
        if metric.unit not in ("count", "yuan"):
            continue
        numbers = [catalogue.number(r.values.get(metric.key)) for r in rows if metric.key in r.values]
        if numbers:
            defined = [n for n in numbers if n is not None]
            totals[metric.key] = sum(defined) if defined else None
    for metric in metrics:
        if metric.unit == "percent" and metric.pooled:
            top, bottom = (totals.get(k) for k in metric.pooled)
            if top is not None and bottom is not None:
                totals[metric.key] = top / bottom if bottom else None
    return totals


def _schools_where(rows: list[SchoolMetrics], test) -> list[str]:
    return [r.school.name for r in rows if test(Figures(r.values))]


def _bureau_projects(t: Figures, rows: list[SchoolMetrics]) -> list[str]:
    lines = []
    live = sum(t.get(k) or 0 for k in t.values if k.startswith("projects_") and k != "projects_closed")
    if any(k.startswith("projects_") for k in t.values):
        lines.append(
            f"全区在建及规划项目{_int(live)}项。" if live else "全区暂无立项、在建或规划中的基建项目。"
        )
    if t.has("buildings_grade_c", "buildings_grade_d"):
        unknown = _schools_where(
            rows, lambda f: f.has("buildings_grade_c") and f.get("buildings_grade_c") is None
        )
        c, d = t.get("buildings_grade_c") or 0, t.get("buildings_grade_d") or 0
        if c or d:
            weak = "、".join(f"{g}级校舍{_int(n)}栋" for g, n in (("C", c), ("D", d)) if n)
            without = t.get("weak_buildings_without_project")
            tail = f"，其中{_int(without)}栋尚未纳入加固改造项目" if without else ""
            lines.append(f"经鉴定，全区有{weak}{tail}。")
        elif len(unknown) < len(rows):
            lines.append("经鉴定的校舍中无C、D级校舍。")
        if unknown:
            lines.append(f"尚未登记经安全鉴定校舍的学校：{'、'.join(unknown)}。")
    return lines


def _bureau_management(t: Figures, rows: list[SchoolMetrics]) -> list[str]:
    count, value = t.get("assets_fixed_count"), t.get("assets_fixed_value")
    lines = []
    if count:
        lines.append(
            f"全区学校登记固定资产{_int(count)}件" + (f"，总值{_money(value)}" if value else "") + "。"
        )
    empty = _schools_where(rows, lambda f: f.get("assets_fixed_count") == 0)
    if empty:
        lines.append(f"尚未登记固定资产的学校：{'、'.join(empty)}。")
    overdue = t.get("assets_loans_overdue")
    if overdue:
        lines.append(f"逾期未还的借出资产{_int(overdue)}件。")
    return lines


def _bureau_service(t: Figures, rows: list[SchoolMetrics]) -> list[str]:
    lines = []
    gov = t.get("assets_procured_government")
    if gov:
        lines.append(f"全区通过政府采购渠道采购{_money(gov)}。")
    received, completed = t.get("repairs_received"), t.get("repairs_completed")
    if received is not None:
        lines.append(f"全区共受理报修{_int(received)}单，完成维修{_int(completed or 0)}单。")
    found = t.get("lost_items_found")
    if found:
        lines.append(
            f"全区拾获遗失物品{_int(found)}件，归还失主{_int(t.get('lost_items_returned') or 0)}件。"
        )
    return lines


def _bureau_safety(t: Figures, rows: list[SchoolMetrics]) -> list[str]:
    sentence = hazard_sentence(t.values)
    lines = ["全区" + sentence] if sentence else []
    held, required = t.get("drills_held"), t.get("drills_required")
    if held is not None and required:
        short = _schools_where(rows, lambda f: (f.get("drills_held") or 0) < (f.get("drills_required") or 0))
        tail = f"，未达到每月一次要求的学校：{'、'.join(short)}" if short else "，各校均达到每月一次的要求"
        lines.append(f"全区组织应急疏散演练{_int(held)}次，应开展{_int(required)}次{tail}。")
    no_camera = _schools_where(rows, lambda f: f.get("cameras_working") == 0)
    if no_camera:
        lines.append(f"尚未登记正常运行视频监控设备的学校：{'、'.join(no_camera)}。")
    return lines


BUREAU_WRITERS = {
    "projects": _bureau_projects,
    "management": _bureau_management,
    "service": _bureau_service,
    "safety": _bureau_safety,
}


def _attention(metric: protocol.Metric, rows: list[SchoolMetrics]) -> str | None:
    """The (at most three) schools furthest from the best on a rate; none when every school is at the best."""
    rated = [(catalogue.number(r.values.get(metric.key)), r.school.name) for r in rows]
    rated = [(v, n) for v, n in rated if v is not None]
    if len(rated) < 2:
        return None
    best = max(v for v, _n in rated) if metric.higher_is_better else min(v for v, _n in rated)
    behind = [(v, n) for v, n in rated if catalogue.percent(v) != catalogue.percent(best)]
    if not behind:
        return None
    behind.sort(key=lambda p: p[0], reverse=not metric.higher_is_better)
    low = "、".join(f"{n}（{catalogue.percent(v)}%）" for v, n in behind[:3])
    label = str(metric.label)
    if label.startswith(AGREEMENT_PREFIX):
        label = f"《{label.removeprefix(AGREEMENT_PREFIX)}》签订率"
    return f"{label}需重点关注的学校：{low}。"


def bureau_summary(*, bureau: Bureau, term: Term, schools) -> tuple[str, str]:
    """(title, body) across the bureau's schools: totals, pooled rates and the schools behind."""
    with translation.override("zh-hans"):
        rows = list(SchoolMetrics.objects.filter(term=term, school__in=schools).select_related("school"))
        title = f"{bureau.name}{term.name}学校后勤工作总结"
        paragraphs = [f"{term.name}，全区{len(rows)}所学校的后勤工作情况总结如下："]
        parts = _sections(catalogue.metrics_by_module())
        totals = bureau_totals(rows, [m for metrics in parts.values() for m in metrics])
        for part, heading in SECTIONS:
            paragraphs.append(heading)
            lines = BUREAU_WRITERS[part](Figures(totals), rows)
            lines += [line for m in parts[part] if m.unit == "percent" and (line := _attention(m, rows))]
            table = table_lines(parts[part], totals)
            paragraphs += _numbered(lines) or ([] if table else ["本学期暂无该项数据。"])
            paragraphs += table
        awards = list(AwardRecord.objects.filter(school__in=schools).select_related("school"))
        if awards:
            paragraphs.append("获得荣誉：" + "；".join(f"{a.school.name}{a.title}" for a in awards) + "。")
    return title, "\n".join(paragraphs)


# ---------------------------------------------------------------- the summary as data (GraphQL, Excel)


@dataclass
class SummaryFigure:
    """One figure the summary quotes: the board's metric, its value and how the text writes it."""

    key: str
    label: str
    unit: str
    value: float | None
    display: str
    section: str


@dataclass
class SummarySection:
    """One part of the text: its heading, paragraphs in order, and its table rows (header first)."""

    heading: str
    paragraphs: list[str]
    table: list[list[str]]


def summary_values(*, term: Term, school: School | None = None, schools=None) -> dict:
    """The figures behind a summary: a school's stored metrics, or the bureau's totals with pooled rates."""
    if school is not None:
        row = SchoolMetrics.objects.filter(school=school, term=term).first()
        return dict(row.values) if row else {}
    rows = list(SchoolMetrics.objects.filter(term=term, school__in=schools))
    parts = _sections(catalogue.metrics_by_module())
    return bureau_totals(rows, [m for metrics in parts.values() for m in metrics])


def summary_figures(values: dict) -> list[SummaryFigure]:
    """Every figure of the four parts, in the parts' order; a missing one has no value (shown —), never 0."""
    headings = dict(SECTIONS)
    found = []
    with translation.override("zh-hans"):
        for part, metrics in _sections(catalogue.metrics_by_module()).items():
            for metric in metrics:
                value = catalogue.number(values.get(metric.key))
                found.append(SummaryFigure(
                    key=metric.key, label=str(metric.label), unit=metric.unit, value=value,
                    display=_figure(metric, value), section=headings[part],
                ))
    return found


def summary_sections(body: str) -> list[SummarySection]:
    """The body (as saved or generated) cut into its parts; text before the first heading is the preamble ("")."""
    sections = [SummarySection(heading="", paragraphs=[], table=[])]
    for kind, content in blocks(body):
        if kind == "heading":
            sections.append(SummarySection(heading=content, paragraphs=[], table=[]))
        elif kind == "table":
            sections[-1].table += content if not sections[-1].table else content[1:]
        else:
            sections[-1].paragraphs.append(content)
    return [s for s in sections if s.heading or s.paragraphs or s.table]


def xlsx_rows(body: str) -> list[list[str]]:
    """The summary's tables as one sheet: (part, indicator, value) a row."""
    rows = []
    for section in summary_sections(body):
        for cells in section.table[1:]:
            rows.append([section.heading, *cells[:2]])
    return rows


# ---------------------------------------------------------------- exports


def _is_heading(line: str) -> bool:
    return len(line) < 30 and line[:1] in CHINESE_NUMERALS and "、" in line[:3]


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def blocks(body: str) -> list[tuple[str, object]]:
    """The body as ("heading", text), ("paragraph", text) and ("table", [[cell, ...], ...]) in order."""
    found: list[tuple[str, object]] = []
    for raw in body.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("|"):
            if found and found[-1][0] == "table":
                found[-1][1].append(_cells(line))
            else:
                found.append(("table", [_cells(line)]))
        else:
            found.append(("heading" if _is_heading(line) else "paragraph", line))
    return found


# The fonts of 公文 (GB/T 9704-2012 党政机关公文格式): the title in 2号 小标宋, the text in 3号 仿宋, the
# first-level headings in 黑体; tables and page numbers in 宋体. Runs and styles name the face as Word shows it
# in Chinese (w:eastAsia); the font table gives each the name Word tries next when it is missing (w:altName),
# so 仿宋_GB2312 (installed with WPS and on older Windows) falls back to 仿宋, which every Windows Office has,
# and 仿宋 to FangSong; 方正小标宋简体 (a 方正 face offices install) falls back to 黑体. Latin letters and
# digits in Times New Roman.
TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
HEADING_FONT = "黑体"
TABLE_FONT = "宋体"
LATIN_FONT = "Times New Roman"
# name → (w:altName, w:panose1, w:family, w:pitch); charset 86 (GB2312) for all.
FONT_TABLE = {
    "方正小标宋简体": ("黑体", "02000000000000000000", "script", "variable"),
    "仿宋_GB2312": ("仿宋", "02010609030101010101", "modern", "fixed"),
    "仿宋": ("FangSong", "02010609060101010101", "modern", "fixed"),
    "黑体": ("SimHei", "02010609060101010101", "modern", "fixed"),
    "宋体": ("SimSun", "02010600030101010101", "auto", "variable"),
}


def _fonts(rpr, east_asia: str) -> None:
    """Explicit fonts on a w:rPr (no theme fonts, whose East-Asian face is Japanese in the default template)."""
    from docx.oxml.ns import qn

    fonts = rpr.get_or_add_rFonts()
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(theme), None)
    for attr, name in (
        ("w:ascii", LATIN_FONT),
        ("w:hAnsi", LATIN_FONT),
        ("w:eastAsia", east_asia),
        ("w:cs", LATIN_FONT),
    ):
        fonts.set(qn(attr), name)
    fonts.set(qn("w:hint"), "eastAsia")


def _font_table(document) -> None:
    from lxml import etree

    for part in document.part.package.iter_parts():
        if str(part.partname) != "/word/fontTable.xml":
            continue
        w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
        root = etree.fromstring(part.blob)
        for name, (alt, panose, family, pitch) in FONT_TABLE.items():
            for known in root.findall(f"{{{w}}}font"):
                if known.get(f"{{{w}}}name") == name:
                    root.remove(known)
            font = etree.SubElement(root, f"{{{w}}}font", {f"{{{w}}}name": name})
            for tag, value in (
                ("altName", alt),
                ("panose1", panose),
                ("charset", "86"),
                ("family", family),
                ("pitch", pitch),
            ):
                etree.SubElement(font, f"{{{w}}}{tag}", {f"{{{w}}}val": value})
        part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _style(document, name: str, *, font: str, size: float, bold: bool = False):
    from docx.shared import Pt, RGBColor

    style = document.styles[name]
    style.font.size = Pt(size)
    style.font.bold = bold
    style.font.italic = False
    style.font.color.rgb = RGBColor(0, 0, 0)
    _fonts(style.element.get_or_add_rPr(), font)
    return style


def _run(paragraph, text: str, *, font: str = BODY_FONT, bold: bool = False, size: float | None = None):
    from docx.shared import Pt

    run = paragraph.add_run(text)
    run.bold = bold
    if size:
        run.font.size = Pt(size)
    _fonts(run._element.get_or_add_rPr(), font)
    return run


def _title_plain(paragraph) -> None:
    """The default template's Title has a blue rule under it and a theme colour: a 公文 title has neither."""
    from docx.oxml.ns import qn

    ppr = paragraph.style.element.pPr
    if ppr is not None:
        for border in ppr.findall(qn("w:pBdr")):
            ppr.remove(border)


def _page_number(section) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    paragraph = section.footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    # 公文 page numbers: 4号 宋体, "— 1 —".
    _run(paragraph, "— ", font=TABLE_FONT, size=14)
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    paragraph._p.append(field)
    _run(paragraph, " —", font=TABLE_FONT, size=14)


def _docx_table(document, rows: list[list[str]]) -> None:
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm

    width = max(len(r) for r in rows)
    table = document.add_table(rows=0, cols=width)
    table.style = document.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    widths = [Cm(10 if i == 0 else 5) for i in range(width)]
    for column, column_width in zip(table.columns, widths, strict=True):
        column.width = column_width  # w:gridCol, which LibreOffice and WPS lay the table out by
    for number, cells in enumerate(rows):
        row = table.add_row()
        if number == 0:  # the header repeats on every page the table runs to
            row._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
        for i in range(width):
            cell = row.cells[i]
            cell.width = widths[i]
            paragraph = cell.paragraphs[0]
            paragraph.paragraph_format.first_line_indent = None
            paragraph.paragraph_format.space_after = 0
            if i and number:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            text = cells[i] if i < len(cells) else ""
            _run(paragraph, text, font=HEADING_FONT if number == 0 else TABLE_FONT, bold=False, size=12)
            if number == 0:
                shade = OxmlElement("w:shd")
                for attr, value in (("w:val", "clear"), ("w:color", "auto"), ("w:fill", "E7E6E6")):
                    shade.set(qn(attr), value)
                cell._tc.get_or_add_tcPr().append(shade)
    document.add_paragraph()


# ---------------------------------------------------------------- charts of a part's rates


CHART_FONTS = [
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
]
CHART_BAR = "#4a6fa5"


def chart_rows(rows: list[list[str]]) -> list[tuple[str, float]]:
    """The percent rows of a table as (label, percent), for a bar chart; none when fewer than two."""
    found = []
    for cells in rows[1:]:
        if len(cells) >= 2 and cells[1].endswith("%"):
            try:
                found.append((cells[0], float(cells[1][:-1].replace(",", ""))))
            except ValueError:
                continue
    return found if len(found) >= 2 else []


def chart_caption(number: int, heading: str) -> str:
    """图1　项目建设主要比率 (the part's name without its numeral)."""
    name = heading.split("、", 1)[-1] if heading else ""
    return f"图{number}　{name}主要比率（%）"


def chart_svg(data: list[tuple[str, float]]) -> str:
    """Horizontal bars 0–100 % with their labels and values, for the PDF (WeasyPrint draws inline SVG)."""
    from django.utils.html import escape

    row, label_w, bar_w = 22, 200, 220
    height = row * len(data) + 8
    shapes = []
    for i, (label, value) in enumerate(data):
        y = 4 + i * row
        width = bar_w * min(max(value, 0), 100) / 100
        shapes.append(
            f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end">{escape(label)}</text>'
            f'<rect x="{label_w}" y="{y + 4}" width="{bar_w}" height="13" fill="#e7e6e6"/>'
            f'<rect x="{label_w}" y="{y + 4}" width="{width:.1f}" height="13" fill="{CHART_BAR}"/>'
            f'<text x="{label_w + bar_w + 6}" y="{y + 15}">{value:g}%</text>'
        )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{label_w + bar_w + 50}" height="{height}" '
        f'font-family="\'Noto Sans CJK SC\', sans-serif" font-size="11">{"".join(shapes)}</svg>'
    )


def chart_png(data: list[tuple[str, float]]) -> bytes | None:
    """The same chart as a PNG for the DOCX (None where no CJK font is installed to draw its labels)."""
    import os

    from PIL import Image, ImageDraw, ImageFont

    path = next((p for p in CHART_FONTS if os.path.exists(p)), None)
    if path is None:
        return None
    scale, row, label_w, bar_w = 3, 22, 200, 220
    font = ImageFont.truetype(path, 11 * scale, index=2)  # the .ttc's Simplified Chinese face
    image = Image.new("RGB", ((label_w + bar_w + 50) * scale, (row * len(data) + 8) * scale), "white")
    draw = ImageDraw.Draw(image)
    for i, (label, value) in enumerate(data):
        y = (4 + i * row) * scale
        width = bar_w * min(max(value, 0), 100) / 100
        draw.text(((label_w - 8) * scale, y + 10 * scale), label, font=font, fill="black", anchor="rm")
        draw.rectangle(
            [label_w * scale, y + 4 * scale, (label_w + bar_w) * scale, y + 17 * scale], fill="#e7e6e6"
        )
        if width:
            draw.rectangle(
                [label_w * scale, y + 4 * scale, (label_w + width) * scale, y + 17 * scale], fill=CHART_BAR
            )
        draw.text(
            ((label_w + bar_w + 6) * scale, y + 10 * scale),
            f"{value:g}%",
            font=font,
            fill="black",
            anchor="lm",
        )
    buffer = BytesIO()
    image.save(buffer, format="PNG", dpi=(72 * scale, 72 * scale))
    return buffer.getvalue()


def docx_bytes(*, title: str, body: str) -> bytes:
    """A4 portrait in the fonts of 公文 (小标宋 title, 仿宋 text, 黑体 headings, 宋体 tables; East-Asian fonts set
    explicitly in the styles and every run, their fallbacks in the font table), a table per part."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm, Mm, Pt

    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    defaults = document.styles.element.find(qn("w:docDefaults"))
    if defaults is not None:
        rpr = defaults.find(qn("w:rPrDefault") + "/" + qn("w:rPr"))
        if rpr is not None:
            _fonts(rpr, BODY_FONT)
            if rpr.find(qn("w:lang")) is not None:
                rpr.find(qn("w:lang")).set(qn("w:eastAsia"), "zh-CN")
    normal = _style(document, "Normal", font=BODY_FONT, size=16)  # 3号
    normal.paragraph_format.line_spacing = 1.5
    normal.paragraph_format.space_after = Pt(0)
    rpr = normal.element.get_or_add_rPr()
    language = rpr.find(qn("w:lang"))
    if language is None:
        language = OxmlElement("w:lang")
        rpr.append(language)
    language.set(qn("w:eastAsia"), "zh-CN")
    _style(document, "Title", font=TITLE_FONT, size=22, bold=False)  # 2号
    _style(document, "Heading 1", font=HEADING_FONT, size=16, bold=False)
    _style(document, "Table Grid", font=TABLE_FONT, size=12)  # 小四
    _style(document, "Caption", font=TABLE_FONT, size=11)
    _font_table(document)
    _page_number(section)
    document.core_properties.title = title
    document.core_properties.language = "zh-CN"

    heading = document.add_paragraph(style="Title")
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    heading.paragraph_format.space_after = Pt(18)
    _title_plain(heading)
    _run(heading, title, font=TITLE_FONT)
    heading, figures = "", 0
    for kind, content in blocks(body):
        if kind == "table":
            _docx_table(document, content)
            picture = chart_png(chart_rows(content)) if chart_rows(content) else None
            if picture:
                figures += 1
                paragraph = document.add_paragraph()
                paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
                run = paragraph.add_run()
                _fonts(run._element.get_or_add_rPr(), BODY_FONT)
                run.add_picture(BytesIO(picture), width=Cm(14))
                caption = document.add_paragraph(style="Caption")
                caption.alignment = WD_ALIGN_PARAGRAPH.CENTER
                caption.paragraph_format.space_after = Pt(12)
                _run(caption, chart_caption(figures, heading), font=TABLE_FONT, size=11)
        elif kind == "heading":
            heading = content
            paragraph = document.add_paragraph(style="Heading 1")
            paragraph.paragraph_format.space_before = Pt(12)
            paragraph.paragraph_format.space_after = Pt(6)
            _run(paragraph, content, font=HEADING_FONT)
        else:
            paragraph = document.add_paragraph()
            paragraph.paragraph_format.first_line_indent = Pt(28)
            _run(paragraph, content)
    buffer = BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# The same faces in the PDF, each by its Chinese and its English name, then the CJK faces a Linux server has
# (Debian's fonts-noto-cjk in the image, WenQuanYi, AR PL) as the last fallbacks, so the text is never boxes.
_MACHINE_SERIF = "'Noto Serif CJK SC','Noto Serif SC','Source Han Serif SC','AR PL UMing CN'"
_MACHINE_SANS = "'Noto Sans CJK SC','Noto Sans SC','Source Han Sans SC','WenQuanYi Zen Hei','WenQuanYi Micro Hei'"
PDF_TITLE_FONTS = f"'方正小标宋简体','FZXiaoBiaoSong-B05S','黑体','SimHei',{_MACHINE_SERIF},{_MACHINE_SANS},serif"
PDF_FONTS = f"'仿宋_GB2312','FangSong_GB2312','仿宋','FangSong','STFangsong',{_MACHINE_SERIF},{_MACHINE_SANS},serif"
PDF_HEADING_FONTS = f"'黑体','SimHei','STHeiti',{_MACHINE_SANS},{_MACHINE_SERIF},sans-serif"
PDF_TABLE_FONTS = f"'宋体','SimSun','STSong',{_MACHINE_SERIF},{_MACHINE_SANS},serif"


def pdf_bytes(*, title: str, body: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=pdf_html(title=title, body=body)).write_pdf()


def pdf_html(*, title: str, body: str) -> str:
    """The page the PDF is printed from: the DOCX's layout and fonts in CSS."""
    from django.utils.html import escape

    parts = []
    heading, figures = "", 0
    for kind, content in blocks(body):
        if kind == "heading":
            heading = content
        if kind == "table":
            head, *rows = content
            cells = "".join(f"<th>{escape(c)}</th>" for c in head)
            lines = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows)
            parts.append(f"<table><thead><tr>{cells}</tr></thead><tbody>{lines}</tbody></table>")
            if chart_rows(content):
                figures += 1
                parts.append(
                    f"<div class='chart'>{chart_svg(chart_rows(content))}"
                    f"<div class='caption'>{escape(chart_caption(figures, heading))}</div></div>"
                )
        else:
            tag = "h2" if kind == "heading" else "p"
            parts.append(f"<{tag}>{escape(content)}</{tag}>")
    html = (
        "<html lang='zh-CN'><head><meta charset='utf-8'><style>"
        "@page{size:A4;margin:3.7cm 2.6cm 3.5cm 2.8cm;@bottom-center{content:'— ' counter(page) ' —';"
        f"font-family:{PDF_TABLE_FONTS};font-size:14pt}}}}"
        f"body{{font-family:{PDF_FONTS};font-size:16pt;line-height:1.6}}"
        f"h1{{font-family:{PDF_TITLE_FONTS};font-weight:normal}}"
        f"h2,th{{font-family:{PDF_HEADING_FONTS};font-weight:normal}}"
        "h1{text-align:center;font-size:22pt;margin:0 0 .8em} h2{font-size:16pt;margin:1em 0 .3em}"
        "p{text-indent:2em;margin:0;text-align:justify}"
        f"table,.caption{{font-family:{PDF_TABLE_FONTS}}}"
        "table{border-collapse:collapse;margin:.6em auto 1em;width:85%;font-size:12pt;line-height:1.4}"
        "thead{display:table-header-group} tr{page-break-inside:avoid}"
        ".chart{text-align:center;margin:0 0 1em;page-break-inside:avoid} .caption{font-size:10.5pt}"
        "th,td{border:.6pt solid #000;padding:3pt 6pt} th{background:#e7e6e6} td+td{text-align:right;width:30%}"
        "</style></head><body>"
        f"<h1>{escape(title)}</h1>{''.join(parts)}</body></html>"
    )
    return html
