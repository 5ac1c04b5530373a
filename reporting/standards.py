"""The criteria of 平安校园, 绿色学校 and 花园式学校 as the published standards state them, each with its source.

A bureau starts a programme from one of these and may change the thresholds to its own 评估细则. Each criterion
records the document and the clause it comes from; `points` where the source (or the bureau's 细则 built on it)
scores points; `note` says what is the bureau's local choice rather than the document's words, and where the
clause was entered from the published text without the original at hand (`checked` False: the bureau confirms
it against the document before relying on it). Nothing here was fetched: Houqin runs offline.

Criteria read metrics (SchoolMetrics values): a figure the school has not entered is unknown, never met.
What a standard asks that no figure shows (生态文明教育, 垃圾分类 …) is evidence the school attaches.
"""

from __future__ import annotations

from .choices import AwardKind

SAFETY_23 = "《中小学幼儿园安全管理办法》（教育部等十部门令第23号，2006年）"
JGJ_125 = "《危险房屋鉴定标准》（JGJ 125-2016）"
HAZARD_16 = "《安全生产事故隐患排查治理暂行规定》（国家安全生产监督管理总局令第16号）"
DRILL_GUIDE = "《中小学幼儿园应急疏散演练指南》（教基一厅〔2014〕2号）"
GBT_29315 = "《中小学、幼儿园安全技术防范系统要求》（GB/T 29315-2022）"
GREEN_2020 = "《绿色学校创建行动方案》（教发厅函〔2020〕14号）附件《绿色学校创建标准》"
GREEN_LAND_1993 = "《城市绿化规划建设指标的规定》（建设部 建城〔1993〕784号）"
GARDEN_LOCAL = "地方花园式（园林式）单位标准（如各地绿化委员会的《花园式单位》评选标准）"
SCHOOL_LAND_2002 = "《城市普通中小学校校舍建设标准》（建标〔2002〕102号）"
LOCAL_RULES = "本区评估细则（分值由教育局确定）"


def _c(metric, op, value, *, label, source, clause="", points=None, note="", checked=True) -> dict:
    return {"metric": metric, "op": op, "value": value, "label": label, "source": source, "clause": clause,
            "points": points, "note": note, "checked": checked}


# 平安校园: the national documents set duties, not points; the 100 points are the bureau's 细则 over them.
SAFE_CAMPUS = [
    _c("buildings_grade_d", "<=", 0, points=20,
       label="无D级危房（D级：承重结构已不能满足安全使用要求，构成整幢危房）",
       source=JGJ_125, clause="第6章 危险性鉴定（D级）；另见" + SAFETY_23 + "校舍安全与危房报告制度",
       note="校舍未经鉴定时为“未知”，不按达标计。", checked=False),
    _c("hazard_rectification_rate", ">=", 0.95, points=20, label="安全隐患整改率",
       source=SAFETY_23, clause="校内安全定期检查制度：发现隐患及时整改",
       note="95%为本区细则的阈值；办法要求发现即整改，未给百分比。", checked=False),
    _c("major_hazards_open", "<=", 0, points=20, label="无未整改的重大事故隐患",
       source=HAZARD_16, clause="第十五条（重大事故隐患治理方案：目标、措施、经费、时限、责任人）"),
    _c("drills_held", ">=", 4, points=20, label="每学期应急疏散演练次数",
       source=DRILL_GUIDE, clause="定期组织应急疏散演练",
       note="每学期4次（约每月一次）为本区要求；指南本身的频次以原文为准。", checked=False),
    _c("agreement_coverage_safety", ">=", 1, points=20, label="安全责任书签订率",
       source=SAFETY_23, clause="第二章 安全管理职责（学校安全工作责任制）",
       note="“签订率100%”为本区细则的落实方式。", checked=False),
]
SAFE_CAMPUS_EVIDENCE = ["安全工作台账", "应急演练记录", "视频监控布点图"]

# 绿色学校: the 创建标准 is a checklist of items, not points; a school "达到创建要求" when it meets them.
GREEN = [
    _c("campus_green_space_rate", ">=", 0.35, label="校园绿地率",
       source=GREEN_LAND_1993, clause="单位附属绿地：学校绿地率不低于35%",
       note="创建标准要求校园绿化美化，未给数值；35%取自建设部对学校附属绿地的规定。", checked=False),
    _c("repairs_intact_rate", ">=", 0.9, label="设施设备完好率",
       source=GREEN_2020, clause="建设绿色校园：设施设备节能、运行良好",
       note="90%为本区细则的阈值。", checked=False),
]
GREEN_EVIDENCE = [
    "生态文明教育（课程、主题活动）记录 — " + GREEN_2020,
    "节能节水、垃圾分类措施 — " + GREEN_2020,
]

# 花园式/园林式学校: local standards score 绿地率 and 绿化覆盖率; the thresholds and points here are the
# bureau's, to be set from the standard it names.
GARDEN = [
    _c("campus_green_space_rate", ">=", 0.35, points=40, label="校园绿地率",
       source=GARDEN_LOCAL, clause="绿地率", note="35%与" + GREEN_LAND_1993 + "学校附属绿地指标一致；以本地标准为准。",
       checked=False),
    _c("campus_green_cover_rate", ">=", 0.45, points=40, label="校园绿化覆盖率",
       source=GARDEN_LOCAL, clause="绿化覆盖率", note="45%为示例阈值，以本地标准为准。", checked=False),
    _c("campus_site_area_per_pupil", ">=", 18, points=20, label="生均占地面积（m²）",
       source=SCHOOL_LAND_2002, clause="学校用地面积指标（生均用地）",
       note="18 m²为示例阈值；建设标准按学校类型与规模给出不同指标，以原文为准。", checked=False),
]
GARDEN_EVIDENCE = ["校园绿化测绘图（绿地面积、绿化覆盖面积）", "校园绿化养护记录"]

STANDARDS = {
    AwardKind.SAFE_CAMPUS: (SAFE_CAMPUS, SAFE_CAMPUS_EVIDENCE),
    AwardKind.GREEN: (GREEN, GREEN_EVIDENCE),
    AwardKind.GARDEN: (GARDEN, GARDEN_EVIDENCE),
}


def criteria_of(kind: str) -> list[dict]:
    """A fresh copy of the standard's criteria for an award kind ([] for 其他)."""
    return [dict(c) for c in STANDARDS.get(kind, ([], []))[0]]


def evidence_of(kind: str) -> list[str]:
    return list(STANDARDS.get(kind, ([], []))[1])
