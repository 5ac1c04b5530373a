"""Demo of the bureau side: three terms, two campaigns, award programmes, the seed school's three titles,
and the metrics of every demo school computed for each term."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from tenants.models import Bureau, Membership, School
from tenants.roles import Role

from . import catalogue, services, standards
from .choices import AwardKind, AwardLevel, area_code
from .models import AwardProgramme, Campaign, CampaignTarget

SEED_SLUG = "xxlu"
SEED_TITLES = [("省级平安校园", AwardLevel.PROVINCE), ("市绿色学校", AwardLevel.CITY), ("市花园式学校", AwardLevel.CITY)]
# The programmes start from the published standards (reporting/standards.py: each criterion with its source,
# clause and points); the district level asks the first three of 平安校园's.
PROGRAMMES = [
    ("区级平安校园", AwardKind.SAFE_CAMPUS, AwardLevel.DISTRICT, standards.SAFE_CAMPUS[:3],
     ["安全工作台账", "应急演练记录"]),
    ("市级平安校园", AwardKind.SAFE_CAMPUS, AwardLevel.CITY, standards.SAFE_CAMPUS,
     ["安全工作台账", "应急演练记录", "责任状签订情况"]),
    ("省级平安校园", AwardKind.SAFE_CAMPUS, AwardLevel.PROVINCE, standards.SAFE_CAMPUS,
     ["安全工作台账", "应急演练记录", "责任状签订情况", "视频监控布点图"]),
    ("市绿色学校", AwardKind.GREEN, AwardLevel.CITY, standards.GREEN, standards.GREEN_EVIDENCE),
    ("市花园式学校", AwardKind.GARDEN, AwardLevel.CITY, standards.GARDEN, standards.GARDEN_EVIDENCE),
]
# Demo campus figures (m², m², %): the seed school, which holds 市花园式学校, above the garden thresholds; the
# generated schools by their order, one of them without figures (its green criteria stay unknown).
SEED_CAMPUS = (Decimal("16800"), Decimal("6300"), Decimal("46.5"))
CAMPUS_PATTERN = [
    (Decimal("12000"), Decimal("3600"), Decimal("38")),
    (Decimal("9500"), Decimal("3800"), Decimal("47")),
    None,
    (Decimal("21000"), Decimal("8000"), Decimal("42")),
]
CAMPAIGNS = [
    ("春季开学安全大检查", [("校舍", "教学楼墙体、楼梯、栏杆有无裂缝松动"), ("消防", "灭火器在有效期内，消防通道畅通"),
                            ("用电", "线路无私拉乱接，配电箱上锁"), ("食堂", "食品留样、从业人员健康证齐全"),
                            ("校门", "门卫值守、来访登记落实")]),
    ("校舍安全排查", [("校舍", "C、D级校舍已停用并设置警示"), ("围墙", "挡土墙、围墙无开裂倾斜"),
                      ("场地", "操场、校道地面无塌陷")]),
]


def _terms(bureau: Bureau) -> list:
    today = timezone.localdate()
    found = []
    day = today
    for _ in range(3):
        name, start, end = services.term_default_bounds(day)
        term = services.Term.objects.filter(bureau=bureau, name=name).first() or services.term_create(
            bureau=bureau, name=name, start=start, end=end)
        found.append(term)
        day = start - dt.timedelta(days=1)
    return found


def load_bureau(*, bureau: Bureau) -> None:
    terms = _terms(bureau)
    leader = Membership.objects.filter(bureau=bureau, role=Role.BUREAU_LEADER, is_active=True).first()
    known = catalogue.metric_map()
    for name, kind, level, criteria, evidence in PROGRAMMES:
        if not AwardProgramme.objects.filter(bureau=bureau, name=name).exists():
            usable = [dict(c) for c in criteria if not known or c["metric"] in known]
            AwardProgramme.objects.create(
                bureau=bureau, name=name, kind=kind, level=level, evidence_required=evidence, criteria=usable,
                is_open=bool(usable),
                description="评选指标取自公开标准（见各指标来源），阈值与分值为本区细则。" if usable else
                "待教育局按评选标准补充评分指标后开放申报。",
            )
    seed = School.objects.filter(slug=SEED_SLUG, bureau=bureau).first()
    if seed is not None:
        for title, level in SEED_TITLES:
            services.award_record_add(school=seed, title=title, level=level, granted_on=terms[1].end,
                                      programme=AwardProgramme.objects.filter(bureau=bureau, name=title).first())
    schools = list(bureau.schools.all().order_by("pk"))
    _campus_figures(schools)
    if leader is not None:
        for title, items in CAMPAIGNS:
            if Campaign.objects.filter(bureau=bureau, title=title).exists():
                continue
            campaign = Campaign.objects.create(
                bureau=bureau, title=title, items=[{"area": area_code(a), "text": t} for a, t in items],
                due_on=timezone.localdate() + dt.timedelta(days=21), issued_by=leader.user,
            )
            CampaignTarget.objects.bulk_create([CampaignTarget(campaign=campaign, school=s) for s in schools])
            for school in schools:
                try:
                    services.campaign_round_open_in_school(campaign_id=campaign.pk, school_id=school.pk)
                except Exception:  # the demo goes on without the safety module
                    services.logger.exception("demo campaign round in %s", school.slug)
    for school in schools:
        for term in terms:
            services.school_metrics_refresh(school=school, term=term, mirrors=term is terms[0])


def _campus_figures(schools: list[School]) -> None:
    """Demo figures for the campus (site, green space, green cover) where a school has none yet."""
    others = iter(CAMPUS_PATTERN * (len(schools) // len(CAMPUS_PATTERN) + 1))
    for school in schools:
        figures = SEED_CAMPUS if school.slug == SEED_SLUG else next(others)
        if figures is None or school.site_area is not None:
            continue
        site, green, cover = figures
        School.objects.filter(pk=school.pk).update(site_area=site, green_area=green, green_cover_rate=cover,
                                                   campus_areas_updated_at=timezone.now())
