"""Demo data of the school core. The seed school (XX路小学) carries the seed's own facts.

Rooms every demo school has (other modules' demo loaders look them up by name with
`schools.selectors.room_by_name`): see STANDARD_ROOMS below.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tenants.roles import Role

from . import services
from .choices import (
    DocumentKind,
    FeedbackCategory,
    FeedbackChannel,
    FundingSource,
    Handling,
    ProcurementChannel,
    ProjectKind,
    ProjectStage,
    RoomPurpose,
    SafetyGrade,
    ServiceKind,
    UnitKind,
)
from .models import Building, CapitalProject, Department, Room

DEPARTMENTS = ["校长室", "办公室", "总务处", "教导处", "大队部", "语文教研组", "数学教研组", "综合教研组"]

# (building, floor, number, name, purpose, department, area m²) — in every demo school.
STANDARD_ROOMS = [
    ("1号教学楼", 1, "101", "一年级一班", RoomPurpose.CLASSROOM, "教导处", None),
    ("1号教学楼", 1, "102", "一年级二班", RoomPurpose.CLASSROOM, "教导处", None),
    ("1号教学楼", 2, "201", "二年级一班", RoomPurpose.CLASSROOM, "教导处", None),
    ("1号教学楼", 2, "202", "二年级二班", RoomPurpose.CLASSROOM, "教导处", None),
    ("1号教学楼", 3, "301", "三年级一班", RoomPurpose.CLASSROOM, "教导处", None),
    ("1号教学楼", 3, "302", "三年级二班", RoomPurpose.CLASSROOM, "教导处", None),
    ("2号教学楼", 1, "101", "四年级一班", RoomPurpose.CLASSROOM, "教导处", None),
    ("2号教学楼", 1, "102", "四年级二班", RoomPurpose.CLASSROOM, "教导处", None),
    ("2号教学楼", 2, "201", "五年级一班", RoomPurpose.CLASSROOM, "教导处", None),
    ("2号教学楼", 2, "202", "五年级二班", RoomPurpose.CLASSROOM, "教导处", None),
    ("2号教学楼", 3, "301", "六年级一班", RoomPurpose.CLASSROOM, "教导处", None),
    ("2号教学楼", 3, "302", "六年级二班", RoomPurpose.CLASSROOM, "教导处", None),
    ("综合楼", 1, "101", "校长室", RoomPurpose.OFFICE, "校长室", None),
    ("综合楼", 1, "102", "办公室", RoomPurpose.OFFICE, "办公室", None),
    ("综合楼", 1, "103", "总务处", RoomPurpose.OFFICE, "总务处", None),
    ("综合楼", 1, "104", "教导处", RoomPurpose.OFFICE, "教导处", None),
    ("综合楼", 1, "105", "大队部", RoomPurpose.OFFICE, "大队部", None),
    ("综合楼", 2, "201", "教研组办公室", RoomPurpose.OFFICE, "语文教研组", None),
    ("综合楼", 2, "202", "微机室", RoomPurpose.COMPUTER_ROOM, "教导处", Decimal("80")),
    ("综合楼", 2, "203", "功能厅", RoomPurpose.FUNCTION_HALL, "办公室", Decimal("90")),
    ("综合楼", 3, "301", "实验室", RoomPurpose.LAB, "教导处", None),
    ("综合楼", 3, "302", "器材室", RoomPurpose.STORE, "总务处", None),
    ("综合楼", 1, "106", "总务仓库", RoomPurpose.STORE, "总务处", None),
    ("综合楼", 1, "107", "隔离观察室", RoomPurpose.OTHER, "总务处", None),
    ("门卫室", 1, "1", "门卫室", RoomPurpose.GUARD_ROOM, "总务处", None),
    ("门卫室", 1, "2", "警务室", RoomPurpose.GUARD_ROOM, "总务处", None),
    ("门卫室", 1, "3", "接待室", RoomPurpose.OFFICE, "办公室", None),
]

# (name, floors, area, structure, use) of the standard buildings.
STANDARD_BUILDINGS = [
    ("1号教学楼", 3, Decimal("1860.00"), "砖混结构", "教学"),
    ("2号教学楼", 4, Decimal("2400.00"), "框架结构", "教学"),
    ("综合楼", 3, Decimal("1500.00"), "框架结构", "办公、功能室"),
    ("门卫室", 1, Decimal("60.00"), "砖混结构", "门卫、警务"),
]


def _pdf(name: str, text: str) -> SimpleUploadedFile:
    body = f"%PDF-1.4\n% {text}\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    return SimpleUploadedFile(name, body.encode("utf-8"), content_type="application/pdf")


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=timezone.get_current_timezone())


def _walk(project: CapitalProject, to_stage: str, actor) -> CapitalProject:
    """Advance a project stage by stage (its required records must already exist)."""
    order = [s.value for s in ProjectStage]
    while order.index(project.stage) < order.index(to_stage):
        project = services.project_advance(actor=actor, project=project, to_stage=order[order.index(project.stage) + 1])
    return project


def _organisation(people, rng: random.Random | None) -> dict[str, Department]:
    departments = {}
    for index, name in enumerate(DEPARTMENTS):
        head = people.get(Role.LOGISTICS_DIRECTOR) if name == "总务处" else (
            people.get(Role.PRINCIPAL) if name == "校长室" else None)
        departments[name] = services.department_save(actor=None, name=name, sort_order=index, head=head, is_active=True)
    return departments


def _buildings_and_rooms(people, departments, *, year_built: dict[str, int | None]) -> dict[str, Building]:
    buildings = {}
    for name, floors, area, structure, use in STANDARD_BUILDINGS:
        buildings[name] = services.building_save(
            actor=None, name=name, floors=floors, floor_area=area, structure=structure, use=use,
            year_built=year_built.get(name), notes="",
        )
    custodian = people.get(Role.CUSTODIAN)
    for building, floor, number, name, purpose, department, area in STANDARD_ROOMS:
        services.room_save(
            actor=None, building=buildings[building], floor=floor, number=number, name=name, purpose=purpose,
            area=area, department=departments[department],
            custodian=custodian if purpose in (RoomPurpose.STORE, RoomPurpose.COMPUTER_ROOM) else None,
        )
    return buildings


def load_school(*, school, people, seed: bool) -> None:
    """Departments, buildings and rooms, units, projects and services of one demo school."""
    if seed:
        _load_seed(people)
    else:
        _load_generated(school, people)


def _load_seed(people) -> None:
    today = timezone.localdate()
    director = people.get(Role.LOGISTICS_DIRECTOR)
    departments = _organisation(people, None)
    buildings = _buildings_and_rooms(people, departments, year_built={"2号教学楼": 2003, "综合楼": 2010, "门卫室": 2010})

    # 1号教学楼: graded C in last year's national school-building safety survey, demolition advised.
    services.building_appraise(
        actor=director, building=buildings["1号教学楼"], grade=SafetyGrade.C, appraised_on=dt.date(2025, 10, 20),
        appraised_by="全国中小学校舍安全工程排查鉴定机构", handling=Handling.DEMOLISH,
        notes="年久失修，校舍破旧老化严重，安全隐患突出；鉴定为安全性C级、建议拆除",
    )
    for name, grade in (("2号教学楼", SafetyGrade.B), ("综合楼", SafetyGrade.B), ("门卫室", SafetyGrade.A)):
        services.building_appraise(actor=director, building=buildings[name], grade=grade,
                                   appraised_on=dt.date(2025, 10, 20), appraised_by="全国中小学校舍安全工程排查鉴定机构",
                                   handling=Handling.OBSERVE)

    services.unit_save(actor=director, name="幼儿园", kind=UnitKind.KINDERGARTEN, contact_name="周园长",
                       contact_phone="13900000001", contact_user=people.get(Role.UNIT_CONTACT),
                       lease_start=dt.date(2024, 9, 1), lease_end=dt.date(2027, 8, 31), headcount=12,
                       notes="校内租赁单位；以提供餐饮抵代部分房租，须签订安全责任书，人员经校门统一管理")
    services.unit_save(actor=director, name="厨师学校", kind=UnitKind.TRAINING_SCHOOL, contact_name="厨师学校负责人",
                       contact_phone="13900000002", lease_start=dt.date(2024, 9, 1), lease_end=dt.date(2027, 8, 31),
                       headcount=20, notes="校内租赁单位；为学校37名教师及门卫提供早、中餐抵代房租")

    _seed_projects(director, buildings, today)
    _seed_services(people, today)


def _seed_projects(director, buildings, today) -> None:
    # 1号教学楼加固及改造: proposal, request and renovation plan; approved 6月3日; now in procurement,
    # the drawings at the city's review office and the feasibility report still being written.
    reinforcement = services.project_save(
        actor=director, title="1号教学楼加固及改造", kind=ProjectKind.REINFORCEMENT, buildings=[buildings["1号教学楼"]],
        budget=Decimal("0"), funding_source=FundingSource.FISCAL, procurement_channel=ProcurementChannel.GOVERNMENT,
        description="校舍加固改造；加固经费通过政府采购渠道进行中，加固方案已送市审图办审查，计划暑假动工",
        approval_number="区教育局、区政府批复", approval_date=dt.date(2026, 6, 3),
        planned_start=dt.date(2026, 7, 10), planned_end=dt.date(2027, 8, 31),
    )
    for title in ("加固改造建议书", "请示", "装修方案"):
        kind = DocumentKind.PROPOSAL if title != "装修方案" else DocumentKind.DESIGN
        services.document_upload(actor=director, project=reinforcement, upload=_pdf(f"{title}.pdf", title),
                                 title=title, kind=kind)
    _walk(reinforcement, ProjectStage.PROCUREMENT, director)
    services.milestone_save(actor=director, project=reinforcement, title="区教育局和区政府批复",
                            planned_on=dt.date(2026, 6, 3), done_on=dt.date(2026, 6, 3))
    services.milestone_save(actor=director, project=reinforcement, title="可行性研究报告完成",
                            planned_on=dt.date(2026, 7, 31), notes="正在完成当中")
    services.milestone_save(actor=director, project=reinforcement, title="市审图办审图通过",
                            planned_on=today + dt.timedelta(days=20), notes="加固方案已送审")
    services.milestone_save(actor=director, project=reinforcement, title="政府采购完成",
                            planned_on=today + dt.timedelta(days=35))

    # 盘活土地资源: school–business partnership; market study, written plan and two design drafts done.
    land = services.project_save(
        actor=director, title="盘活土地资源（校商合作）", kind=ProjectKind.LAND, funding_source=FundingSource.PARTNERSHIP,
        budget=Decimal("0"), description="吸纳外来资金、校商合作改善办学条件；多次市场调研、反复论证，文图资料已作为日后招商引资依据",
    )
    for title, kind in (("项目建设文字方案", DocumentKind.PROPOSAL), ("前期市场调研文字论述", DocumentKind.STUDY),
                        ("平面图效果设计图（方案一）", DocumentKind.DESIGN), ("平面图效果设计图（方案二）", DocumentKind.DESIGN)):
        services.document_upload(actor=director, project=land, upload=_pdf(f"{title}.pdf", title), title=title, kind=kind)
    _walk(land, ProjectStage.FEASIBILITY, director)
    services.milestone_save(actor=director, project=land, title="市场调研与论证", planned_on=dt.date(2026, 4, 30),
                            done_on=dt.date(2026, 4, 28))
    services.milestone_save(actor=director, project=land, title="设计院完成两套效果设计图", planned_on=dt.date(2026, 6, 30),
                            done_on=dt.date(2026, 6, 20))

    # 校园文化: design contract with 成都三顾茅庐校园文化策划公司, the design under way.
    culture = services.project_save(
        actor=director, title="校园文化建设", kind=ProjectKind.CAMPUS_CULTURE, funding_source=FundingSource.FISCAL,
        budget=Decimal("0"), procurement_channel=ProcurementChannel.SELF, approval_number="区教育局牵头立项",
        approval_date=dt.date(2026, 4, 20), description="五一假期从外地购运两车观赏石；校徽及相关元素设计进展迅速",
    )
    services.document_upload(actor=director, project=culture, upload=_pdf("校园文化建设请示.pdf", "请示"),
                             title="校园文化建设请示", kind=DocumentKind.PROPOSAL)
    services.contract_add(actor=director, project=culture, party="成都三顾茅庐校园文化策划公司", subject="校园文化设计合同",
                          amount=Decimal("0"), signed_on=dt.date(2026, 5, 20))
    _walk(culture, ProjectStage.DESIGN, director)
    services.milestone_save(actor=director, project=culture, title="购运观赏石两车", planned_on=dt.date(2026, 5, 3),
                            done_on=dt.date(2026, 5, 3))
    services.milestone_save(actor=director, project=culture, title="校徽及相关元素设计", planned_on=today + dt.timedelta(days=40))

    # The ~90 m² function hall, renovated for ¥20,000 raised by the school.
    hall = services.project_save(
        actor=director, title="功能厅改造（约90平方米）", kind=ProjectKind.REINFORCEMENT, buildings=[buildings["综合楼"]],
        budget=Decimal("20000.00"), funding_source=FundingSource.SELF, procurement_channel=ProcurementChannel.GOVERNMENT,
        approval_number="校务会决定", approval_date=dt.date(2026, 3, 2), drawing_review_passed_on=dt.date(2026, 3, 20),
        construction_started_on=dt.date(2026, 4, 1), accepted_on=dt.date(2026, 5, 15),
        description="筹集2万元资金改造出约90平方米功能厅，可开展大型教研活动、举办会议",
    )
    services.document_upload(actor=director, project=hall, upload=_pdf("功能厅改造申请.pdf", "申请"),
                             title="功能厅改造申请", kind=DocumentKind.PROPOSAL)
    services.contract_add(actor=director, project=hall, party="装修施工单位", subject="功能厅装修",
                          amount=Decimal("20000.00"), signed_on=dt.date(2026, 3, 25))
    _walk(hall, ProjectStage.CLOSED, director)

    # The east wall: retaining wall cracked by the neighbouring housing works, rebuilt by the developer at no cost.
    wall = services.project_save(
        actor=director, title="东侧挡土墙及围墙加固重建", kind=ProjectKind.OTHER, funding_source=FundingSource.SOCIAL,
        budget=Decimal("0"), procurement_channel=ProcurementChannel.SELF, approval_number="与开发方、代建方协调纪要",
        approval_date=dt.date(2025, 10, 15), drawing_review_passed_on=dt.date(2025, 11, 10),
        construction_started_on=dt.date(2025, 12, 1), accepted_on=dt.date(2026, 3, 28),
        description="校外安居房施工致近8米高挡土墙开裂、20多米围墙及墙边地面开裂；代建方加固与重建，学校未花一分钱",
    )
    services.document_upload(actor=director, project=wall, upload=_pdf("围墙隐患报告.pdf", "报告"),
                             title="围墙隐患情况报告", kind=DocumentKind.PROPOSAL)
    services.contract_add(actor=director, project=wall, party="安居房项目代建方", subject="挡土墙及围墙加固重建（代建方出资）",
                          amount=Decimal("0"), signed_on=dt.date(2025, 11, 1))
    _walk(wall, ProjectStage.CLOSED, director)


def _seed_services(people, today) -> None:
    guard = people.get(Role.GUARD)
    director = people.get(Role.LOGISTICS_DIRECTOR)
    teacher = people.get(Role.TEACHER)
    rng = random.Random(398)
    start = today - dt.timedelta(days=330)

    def some_day(span: int = 320) -> dt.date:
        return start + dt.timedelta(days=rng.randrange(span))

    # Lost and found, as the property company counted them: 2 phones, 9 wallets, 1,000+ yuan, 200+ campus cards.
    items = [("手机", 1, None)] * 2 + [("钱包", 1, None)] * 9 + [("现金", 1, Decimal(a)) for a in ("500", "320", "230")]
    items += [("校园卡", n, None) for n in (18, 22, 15, 19, 25, 17, 21, 16, 20, 14, 23, 18)]  # 228 cards
    for index, (item, quantity, amount) in enumerate(items):
        found = _at(some_day(), 8 + index % 9)
        place = rng.choice(["操场", "食堂", "教学楼走廊", "学生公寓大厅", "校门口", "图书室"])
        lost = services.lost_item_report(actor=guard, item=item, quantity=quantity, amount=amount, found_place=place,
                                         found_at=found, finder="物业保安", kept_at="门卫室")
        if index % 7 != 3:
            services.lost_item_return(actor=guard, lost=lost, claimant="失主（学生）",
                                      identified_by="核对证件及物品特征", returned_at=found + dt.timedelta(hours=rng.randint(2, 72)))

    # Convenience services: 8 hospital trips, 10+ doors opened through windows, unlocking, pump lending.
    for _ in range(8):
        services.convenience_service_log(actor=guard, kind=ServiceKind.HOSPITAL, done_on=some_day(),
                                         beneficiary="生病学生", handled_by="物业保安")
    for _ in range(12):
        services.convenience_service_log(actor=guard, kind=ServiceKind.WINDOW, done_on=some_day(),
                                         beneficiary="忘带钥匙的学生", handled_by="物业保安")
    for _ in range(6):
        services.convenience_service_log(actor=guard, kind=ServiceKind.UNLOCK, done_on=some_day(),
                                         beneficiary="学生", handled_by="物业保安", notes="免费开锁")
    for month_back in range(10):
        services.convenience_service_log(actor=guard, kind=ServiceKind.PUMP, done_on=today - dt.timedelta(days=30 * month_back + 3),
                                         count=rng.randint(8, 20), beneficiary="骑车学生", handled_by="物业保安",
                                         notes="免费提供打气筒")

    # Feedback through the six channels, called back within 24 h; one still open and overdue.
    entries = [
        (FeedbackChannel.BOX, FeedbackCategory.SUGGESTION, "公寓大厅晚上灯光太暗"),
        (FeedbackChannel.BOX, FeedbackCategory.REPAIR, "三楼卫生间水龙头漏水"),
        (FeedbackChannel.FORM, FeedbackCategory.SUGGESTION, "建议保洁增加午间清扫走廊"),
        (FeedbackChannel.PHONE, FeedbackCategory.COMPLAINT, "保安登记来访时态度生硬"),
        (FeedbackChannel.FACE, FeedbackCategory.COMPLAINT, "垃圾箱清理不及时"),
        (FeedbackChannel.ONLINE, FeedbackCategory.PRAISE, "保安送生病同学去医院，表示感谢"),
    ] + [(FeedbackChannel.FORUM, FeedbackCategory.SUGGESTION, f"第{i}次学生座谈会意见汇总") for i in range(1, 7)]
    for index, (channel, category, content) in enumerate(entries):
        received = _at(some_day(300), 9 + index % 8)
        feedback = services.feedback_submit(actor=teacher, channel=channel, category=category, content=content,
                                            received_at=received, reporter_name="师生")
        services.feedback_callback(actor=director, feedback=feedback, outcome="已回访，问题已处理并告知",
                                   satisfaction=rng.choice([4, 5, 5]),
                                   callback_at=received + dt.timedelta(hours=rng.randint(2, 20)))
    services.feedback_submit(actor=teacher, channel=FeedbackChannel.BOX, category=FeedbackCategory.REPAIR,
                             content="二楼饮水机不出热水", received_at=timezone.now() - dt.timedelta(hours=30),
                             reporter_name="五年级一班")
    services.feedback_submit(actor=teacher, channel=FeedbackChannel.PHONE, category=FeedbackCategory.SUGGESTION,
                             content="希望延长图书室开放时间", received_at=timezone.now() - dt.timedelta(hours=3),
                             reporter_name="陈老师")


def _load_generated(school, people) -> None:
    rng = random.Random(school.slug)
    today = timezone.localdate()
    director = people.get(Role.LOGISTICS_DIRECTOR)
    departments = _organisation(people, rng)
    buildings = _buildings_and_rooms(
        people, departments, year_built={name: rng.randint(1975, 2018) for name, *_ in STANDARD_BUILDINGS}
    )
    for name, building in buildings.items():
        grade = rng.choices([SafetyGrade.A, SafetyGrade.B, SafetyGrade.C, SafetyGrade.D], weights=[4, 5, 2, 1])[0]
        handling = {SafetyGrade.A: Handling.OBSERVE, SafetyGrade.B: Handling.OBSERVE, SafetyGrade.C: Handling.TREAT,
                    SafetyGrade.D: Handling.STOP}[grade]
        services.building_appraise(actor=director, building=building, grade=grade,
                                   appraised_on=today - dt.timedelta(days=rng.randint(60, 700)),
                                   appraised_by="区建设工程质量检测站", handling=handling)
        if grade in (SafetyGrade.C, SafetyGrade.D) and rng.random() < 0.5:
            project = services.project_save(
                actor=director, title=f"{name}加固改造", kind=ProjectKind.REINFORCEMENT, buildings=[building],
                budget=Decimal(rng.randint(20, 300) * 10000), funding_source=FundingSource.FISCAL,
                procurement_channel=ProcurementChannel.GOVERNMENT,
                approval_number=f"区教发〔{today.year}〕{rng.randint(1, 60)}号",
                approval_date=today - dt.timedelta(days=rng.randint(30, 120)),
            )
            services.document_upload(actor=director, project=project, upload=_pdf("建议书.pdf", "建议书"),
                                     title="加固改造建议书", kind=DocumentKind.PROPOSAL)
            _walk(project, rng.choice([ProjectStage.FEASIBILITY, ProjectStage.APPROVAL, ProjectStage.PROCUREMENT]), director)
            services.milestone_save(actor=director, project=project, title="审图",
                                    planned_on=today + dt.timedelta(days=rng.randint(-20, 40)))
    services.unit_save(actor=director, name="校内小卖部", kind=UnitKind.SHOP, contact_name="店主",
                       lease_start=dt.date(today.year - 1, 9, 1), lease_end=dt.date(today.year + 1, 8, 31), headcount=2)
    for _ in range(rng.randint(3, 8)):
        received = timezone.now() - dt.timedelta(hours=rng.randint(30, 2000))
        feedback = services.feedback_submit(actor=people.get(Role.TEACHER), channel=rng.choice(FeedbackChannel.values),
                                            content="后勤服务意见", received_at=received)
        if rng.random() < 0.8:
            services.feedback_callback(actor=director, feedback=feedback, outcome="已回访",
                                       satisfaction=rng.randint(3, 5),
                                       callback_at=received + dt.timedelta(hours=rng.randint(1, 40)))
    for _ in range(rng.randint(2, 6)):
        lost = services.lost_item_report(actor=people.get(Role.GUARD), item=rng.choice(["水杯", "校园卡", "雨伞", "钱包"]),
                                         found_place="操场", found_at=timezone.now() - dt.timedelta(days=rng.randint(1, 90)))
        if rng.random() < 0.6:
            services.lost_item_return(actor=people.get(Role.GUARD), lost=lost, claimant="学生", identified_by="班主任确认")
    for kind in (ServiceKind.UNLOCK, ServiceKind.HOSPITAL, ServiceKind.PUMP):
        services.convenience_service_log(actor=people.get(Role.GUARD), kind=kind,
                                         done_on=today - dt.timedelta(days=rng.randint(0, 60)), count=rng.randint(1, 6))


__all__ = ["load_school", "STANDARD_ROOMS", "Room"]
