"""Demo safety data: the seed's XX路小学 with its own figures, and generated schools with different pictures.

Seed figures (000_398a194b3a7060eb.txt): four sweeps, 16 hazards found and 11 rectified (69%); 6 cameras at 6
key spots; two gate guards with 钢叉, 橡胶警棍 and 辣椒水; a security team of male teachers under 50;
责任状 signed by every teacher, department and the two on-campus units; 481 parent notices and 481 route
safety agreements; 1–2 drills and 2–3 theme class meetings a term; morning/noon checks and disinfection.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.db.models import Case, CharField, F, Func, Value, When
from django.utils import timezone

from schools.models import Department, OnCampusUnit
from tenants.models import Membership, User
from tenants.roles import Role
from tenants.services import membership_grant

from . import services as S
from .choices import (
    AgreementKind,
    Area,
    CameraStatus,
    CheckSession,
    DrillKind,
    EducationKind,
    EquipmentKind,
    HazardGrade,
    ItemResult,
    RoundKind,
    Shift,
    SignedVia,
    TeamKind,
)
from .models import (
    Absence,
    Agreement,
    Disinfection,
    EscortRecord,
    Hazard,
    HealthCheck,
    Patrol,
    Visitor,
)
from .terms import current_term, term_label, term_of, today

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = "子涵浩然一诺欣怡梓轩雨桐宇航思远嘉怡俊杰佳琪明轩若曦"

CHECKLIST = [
    (Area.BUILDINGS, "教学楼墙体、楼梯、扶手、门窗无开裂松动"),
    (Area.BUILDINGS, "围墙、挡土墙无开裂倾斜"),
    (Area.FIRE, "灭火器在有效期内、压力正常"),
    (Area.FIRE, "疏散通道畅通、应急照明和疏散指示完好"),
    (Area.ELECTRICITY, "配电箱上锁、线路无老化裸露"),
    (Area.FOOD, "食堂留样 48 小时、从业人员持健康证"),
    (Area.TRAFFIC, "校门口减速带、警示标志完好"),
    (Area.SURROUNDINGS, "校门周边无流动摊贩、无违章搭建"),
    (Area.EQUIPMENT, "体育器材、游乐设施牢固"),
]
# (category, grade, description, location, rectified?)
SEED_HAZARDS = [
    (Area.BUILDINGS, HazardGrade.MAJOR, "东侧挡土墙及围墙受校外施工影响开裂", "东侧围墙", True),
    (Area.BUILDINGS, HazardGrade.MAJOR, "1号教学楼老化，鉴定为C级", "1号教学楼", False),
    (Area.TRAFFIC, HazardGrade.MAJOR, "校门口XX一路无减速带、无减速标志，车流量大", "校门口XX一路", False),
    (Area.FIRE, HazardGrade.GENERAL, "二楼走廊灭火器 2 具过期", "1号教学楼二楼走廊", True),
    (Area.FIRE, HazardGrade.GENERAL, "三楼应急照明灯不亮", "1号教学楼三楼", True),
    (Area.FIRE, HazardGrade.GENERAL, "食堂后门消防通道堆放杂物", "食堂后门", True),
    (Area.ELECTRICITY, HazardGrade.GENERAL, "微机室插线板串接、线路老化", "微机室", True),
    (Area.ELECTRICITY, HazardGrade.GENERAL, "配电间门锁损坏", "配电间", True),
    (Area.BUILDINGS, HazardGrade.GENERAL, "四年级教室窗户玻璃破损", "2号教学楼 4 楼", True),
    (Area.BUILDINGS, HazardGrade.GENERAL, "西楼梯扶手松动", "1号教学楼西楼梯", True),
    (Area.EQUIPMENT, HazardGrade.GENERAL, "操场篮球架底座锈蚀", "操场", True),
    (Area.FOOD, HazardGrade.GENERAL, "食堂留样记录不全", "食堂", True),
    (Area.SURROUNDINGS, HazardGrade.GENERAL, "放学时段校门口流动摊贩聚集", "校门口", False),
    (Area.BUILDINGS, HazardGrade.GENERAL, "厕所地面湿滑无警示牌", "1号教学楼一楼厕所", False),
    (Area.EQUIPMENT, HazardGrade.GENERAL, "幼儿园通道护栏高度不足", "幼儿园通道", False),
    (Area.ELECTRICITY, HazardGrade.GENERAL, "功能厅音响线路临时拉接", "功能厅", True),
]
CAMERAS = ["校门口", "东侧围墙", "操场", "1号教学楼走廊", "食堂", "幼儿园通道"]
TEACHER_NAMES = [
    "王建国", "李明", "张伟", "刘洋", "陈静", "杨勇", "赵丽", "黄磊", "周敏", "吴强", "徐芳", "孙涛", "胡军",
    "朱红", "高峰", "林霞", "何斌", "郭燕", "马超", "罗娟", "梁辉", "宋丹", "郑刚", "谢琳", "韩冰", "唐亮",
    "冯雪", "于波", "董梅", "萧军", "程杰", "曹颖", "袁飞", "邓玲", "许鹏", "傅婷", "沈浩",
]
DEPARTMENTS = ["校长室", "总务处", "教导处", "大队部", "办公室"]
UNITS = [("XX路小学附属幼儿园", "kindergarten"), ("XX厨师学校", "training_school")]
ZONES = ["1号教学楼", "2号教学楼", "功能厅", "食堂", "厕所", "办公室"]


def _school_days(back: int) -> list[dt.date]:
    day, days = today(), []
    while len(days) < back:
        if day.weekday() < 5:
            days.append(day)
        day -= dt.timedelta(days=1)
    return sorted(days)


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def _teachers(*, school, people, rng, slug: str) -> list[User]:
    """The school's staff accounts, topped up with teachers up to its staff count."""
    members = Membership.objects.active().filter(school=school)
    have = members.values("user").distinct().count()
    for index in range(max(0, min(school.staff_count, len(TEACHER_NAMES)) - have)):
        user, created = User.objects.get_or_create(
            username=f"{slug}-t{index + 1:02d}", defaults={"name": TEACHER_NAMES[index]})
        if created:
            user.set_unusable_password()
            user.save()
        membership_grant(user=user, role=Role.TEACHER, school=school, post="教师")
    return list(User.objects.filter(pk__in=members.filter(role=Role.TEACHER).values("user_id")).order_by("pk"))


def load_school(*, school, people: dict, seed: bool) -> None:
    rng = random.Random(school.slug)
    slug = "xxlu" if seed else school.slug
    principal, safety = people[Role.PRINCIPAL], people[Role.SAFETY_OFFICER]
    guard, worker = people[Role.GUARD], people[Role.MAINTENANCE_WORKER]
    term = current_term()
    term_start, now_day = term.start, today()
    teachers = _teachers(school=school, people=people, rng=rng, slug=slug)

    if not Department.objects.exists():
        for index, name in enumerate(DEPARTMENTS):
            Department.objects.create(name=name, sort_order=index,
                                      head=principal if name == "校长室" else people[Role.LOGISTICS_DIRECTOR])
    if not OnCampusUnit.objects.exists():
        for name, kind in UNITS:
            OnCampusUnit.objects.create(name=name, kind=kind, contact_user=people.get(Role.UNIT_CONTACT)
                                        if kind == "kindergarten" else None)

    # Classes: the seed's 481 pupils in 12 classes; generated schools by their student count.
    students = school.student_count or 481
    per_grade = 2 if students < 700 else 4
    n_classes = 6 * per_grade
    base, extra = divmod(students, n_classes)
    classes = []
    for index in range(n_classes):
        grade, number = index // per_grade + 1, index % per_grade + 1
        classes.append(S.school_class_create(
            grade=grade, name=f"{'一二三四五六'[grade - 1]}年级{number}班", student_count=base + (1 if index < extra else 0),
            head_teacher=teachers[index % len(teachers)] if teachers else None))

    # Four sweeps this term; the seed's 16 hazards of which 11 are closed after verification.
    hazards = SEED_HAZARDS if seed else rng.sample(SEED_HAZARDS, rng.randint(5, 14))
    round_days = [term_start + dt.timedelta(days=d) for d in (9, 37, 58, 79)]
    round_days = [d for d in round_days if d <= now_day] or [now_day]
    rounds = [
        S.round_open(actor=safety, kind=RoundKind.SWEEP, title=f"第{i + 1}次安全隐患拉网式普查", started_on=day,
                     items=[{"area": a, "text": t} for a, t in CHECKLIST])
        for i, day in enumerate(round_days)
    ]
    for index, (category, grade, description, location, rectified) in enumerate(hazards):
        round_ = rounds[index % len(rounds)]
        major = grade == HazardGrade.MAJOR
        five = {"responsible": worker if not major else people[Role.LOGISTICS_DIRECTOR],
                # A major hazard's rectification is funded (the rule of 重大隐患整改资金 refuses ¥0).
                "measures": "制定整改方案，限期整改",
                "funds": Decimal(rng.choice([500, 1200, 3800, 26000] if major else [0, 500, 1200, 3800, 26000])),
                "deadline": round_.started_on + dt.timedelta(days=30 if not major else 120),
                "contingency_plan": "设置警戒线，专人值守，必要时停用" if major else ""}
        if not seed and not major and rng.random() < 0.3:
            five["deadline"] = now_day - dt.timedelta(days=rng.randint(1, 20))
        item = round_.items.filter(area=category, result=ItemResult.PENDING).first()
        if item is not None:
            S.round_item_check(actor=safety, item=item, result=ItemResult.FAIL, note=description,
                               hazard={"location_text": location, "grade": grade, "found_on": round_.started_on,
                                       **five})
            hazard = Hazard.objects.get(round_item=item)
        else:
            hazard = S.hazard_report(reporter=safety, category=category, grade=grade, description=description,
                                     location_text=location, found_on=round_.started_on, **five)
        if rectified if seed else (rng.random() < 0.7 and not major):
            S.hazard_rectify(actor=worker, hazard=hazard, actions="已按整改措施完成整改")
            S.hazard_verify(actor=principal if major else safety, hazard=hazard, accepted=True, note="复查合格，销号")
    _past_terms_hazards(people=people, rng=rng, seed=seed, term_start=term_start)
    for round_ in rounds[:-1]:
        for item in round_.items.filter(result=ItemResult.PENDING):
            S.round_item_check(actor=safety, item=item, result=ItemResult.PASS)
        S.round_complete(actor=safety, round_=round_)

    # Technical and physical defences.
    n_cameras = 6 if seed else rng.randint(4, 16)
    for index in range(n_cameras):
        S.camera_save(actor=safety, location=CAMERAS[index % len(CAMERAS)] + ("" if index < 6 else f"（{index}）"),
                      status=CameraStatus.WORKING if seed or rng.random() > 0.15 else CameraStatus.FAULTY,
                      retention_days=30, installed_on=term_start + dt.timedelta(days=40))
    for kind in (EquipmentKind.FORK, EquipmentKind.BATON, EquipmentKind.PEPPER_SPRAY):
        S.equipment_save(actor=safety, kind=kind, quantity=2, location="校警务室", checked_on=now_day)
    S.security_member_add(actor=safety, name=guard.display_name, team=TeamKind.GUARD, user=guard, shift=Shift.MORNING)
    S.security_member_add(actor=safety, name="何保安", team=TeamKind.GUARD, shift=Shift.NIGHT)
    # The teachers' security team: male teachers under 50, on noon duty by weekday.
    for index, teacher in enumerate(teachers[:10]):
        S.security_member_add(actor=safety, name=teacher.display_name, team=TeamKind.TEACHER, user=teacher,
                              shift=Shift.NOON, weekday=index % 5 + 1)

    # Class rosters (花名册): the pupils' names for the slips, a guardian's phone for most (not all) families.
    # Their own random stream, so the figures drawn after them stay what they were.
    names = random.Random(f"roster:{school.slug}")
    for school_class in classes:
        S.school_class_roster_set(actor=safety, school_class=school_class, rows=[
            {"seat_no": seat, "name": names.choice(SURNAMES) + "".join(names.sample(GIVEN, names.choice([1, 2]))),
             "guardian_phone": f"139{names.randrange(10 ** 8):08d}" if names.random() < 0.85 else ""}
            for seat in range(1, school_class.student_count + 1)])

    # Agreements: every teacher, department and unit; every parent twice (notice and route agreement).
    label = term_label(term)
    coverage = 1.0 if seed else rng.choice([0.6, 0.8, 0.95, 1.0])
    issued = [
        (AgreementKind.SAFETY, "安全工作责任状", ["teachers", "departments", "units"], ""),
        (AgreementKind.FIRE, "消防安全工作责任状", ["departments", "units"], "部门负责人"),
        (AgreementKind.PARENT_NOTICE, "致家长的一封信（安全告知书）", ["parents"], ""),
        (AgreementKind.ROUTE, "学生路途安全责任书", ["parents"], ""),
    ]
    for kind, title, groups, post in issued:
        template = S.agreement_template_create(
            actor=safety, kind=kind, title=title, post=post,
            body=f"为切实做好学校安全工作，依据有关规定，签订本《{title}》。责任人须认真履行安全职责，落实各项安全制度。")
        campaign = S.agreement_campaign_issue(actor=safety, template=template, term=label, groups=groups,
                                              due_on=term_start + dt.timedelta(days=14))
        rows = list(Agreement.objects.filter(campaign=campaign))
        signed_at = _at(term_start + dt.timedelta(days=rng.randint(2, 12)), 10)
        to_sign = [a.pk for a in rows if seed or rng.random() < coverage]
        # One UPDATE for the campaign (bulk_update's CASE per row took half the demo's time); the digest is
        # S.text_sha256's: SHA-256 of the text as UTF-8, in hex.
        Agreement.objects.filter(pk__in=to_sign).update(
            signed_at=signed_at, signed_via=SignedVia.ONLINE,
            signer_name=Case(When(party_kind="parent", then=Value("家长")), default=F("party_name")),
            text_sha256=Func(F("text"), template="encode(sha256(convert_to(%(expressions)s, 'UTF8')), 'hex')",
                             output_field=CharField()))

    # Drills, plans and education.
    fire_plan = S.emergency_plan_add(actor=safety, title="火灾事故应急预案", kind=DrillKind.FIRE,
                                     adopted_on=term_start, summary="发现火情—报警—疏散—扑救—清点人数")
    quake_plan = S.emergency_plan_add(actor=safety, title="地震应急疏散预案", kind=DrillKind.EARTHQUAKE,
                                      adopted_on=term_start)
    S.emergency_plan_add(actor=safety, title="校园防暴应急预案", kind=DrillKind.INTRUDER, adopted_on=term_start)
    drills = [(DrillKind.FIRE, 20, fire_plan), (DrillKind.EARTHQUAKE, 66, quake_plan)]
    for kind, offset, plan in drills[: 2 if seed else rng.randint(1, 2)]:
        day = min(term_start + dt.timedelta(days=offset), now_day)
        S.drill_record(actor=safety, kind=kind, held_on=day, participants=students + len(teachers),
                       evacuation_seconds=rng.randint(120, 240), plan=plan, review="疏散有序，个别班级集合稍慢")
    for week in range(0, (now_day - term_start).days, 7):
        monday = term_start + dt.timedelta(days=week - term_start.weekday() + 7)
        if monday > now_day:
            break
        S.education_record(actor=safety, kind=EducationKind.FLAG_SPEECH, held_on=monday, title="国旗下讲话：讲安全、会自防",
                           audience=students)
        S.education_record(actor=safety, kind=EducationKind.RADIO, held_on=monday + dt.timedelta(days=4),
                           title="红领巾广播站：安全小故事", audience=students)
    meetings = ["交通安全", "防火自救", "防溺水"][: 3 if seed else rng.randint(1, 3)]
    for index, topic in enumerate(meetings):
        day = min(term_start + dt.timedelta(days=15 + index * 25), now_day)
        for school_class in classes:
            S.education_record(actor=safety, kind=EducationKind.CLASS_MEETING, held_on=day,
                               title=f"主题班会：{topic}", audience=school_class.student_count, school_class=school_class)
    S.education_record(actor=safety, kind=EducationKind.PARENT_LETTER, held_on=term_start + dt.timedelta(days=3),
                       title="致家长的一封信", audience=students)

    # The daily ledgers of the last two weeks, up to this moment: on today's date nothing is recorded that has not
    # happened yet (no night patrol at 21:00 shown at 09:16, no noon check before noon, visitors still inside).
    days = _school_days(10)
    now = timezone.now()
    checks, escorts, disinfections, patrols, visitors = [], [], [], [], []
    for day in days:
        for school_class in classes:
            for session, hour in ((CheckSession.MORNING, 8), (CheckSession.NOON, 14)):
                if _at(day, hour) > now:
                    continue
                absent = 1 if rng.random() < 0.15 else 0
                checks.append(HealthCheck(school_class=school_class, on=day, session=session,
                                          present=school_class.student_count - absent, absent=absent,
                                          fever=0, recorded_by=school_class.head_teacher))
            if school_class.head_teacher_id and _at(day, 17) <= now:
                escorts.append(EscortRecord(on=day, school_class=school_class, teacher_id=school_class.head_teacher_id,
                                            present=rng.random() > 0.03))
        for zone in ZONES:
            if _at(day, 16, 30) <= now:
                disinfections.append(Disinfection(zone=zone, done_at=_at(day, 16, 30), agent="84消毒液（1:100）",
                                                  operator="后勤 " + worker.display_name, recorded_by=worker))
        duty = list(teachers[:10])[day.weekday() % 5:: 5] or teachers[:1]
        for teacher in duty:
            if _at(day, 12, 40) <= now:
                patrols.append(Patrol(patroller=teacher, patroller_name=teacher.display_name, shift=Shift.NOON,
                                      route="教学楼—操场—厕所—校门", started_at=_at(day, 12, 10),
                                      ended_at=_at(day, 12, 40), findings="无异常"))
        if _at(day, 21, 30) <= now:
            patrols.append(Patrol(patroller=guard, patroller_name=guard.display_name, shift=Shift.NIGHT,
                                  route="校门—围墙—食堂—配电间", started_at=_at(day, 21), ended_at=_at(day, 21, 30),
                                  findings="无异常"))
        for n in range(rng.randint(3, 9)):
            in_at = _at(day, 9 + n % 7, rng.randint(0, 59))
            out_at = in_at + dt.timedelta(minutes=rng.randint(10, 90))
            if in_at > now:
                continue
            visitors.append(Visitor(
                name=rng.choice(["张", "王", "李", "赵", "刘"]) + rng.choice(["先生", "女士"]),
                id_number_masked=S.id_number_mask(f"5101{rng.randint(10**13, 10**14 - 1)}"),
                phone="", host_name=rng.choice(teachers).display_name if teachers else "总务处",
                host_verified=True, purpose=rng.choice(["家长来访", "送货", "维修", "检查工作"]),
                in_at=in_at, out_at=out_at if out_at <= now else None, registered_by=guard))
    created = HealthCheck.objects.bulk_create([c for c in checks if c.recorded_by_id])
    Absence.objects.bulk_create([
        Absence(health_check=c, student_name=f"{c.school_class.name}学生", reason=rng.choice(["感冒", "发热就医", "事假"]),
                followed_up=True, follow_up="已电话联系家长，确认原因")
        for c in created if c.absent
    ])
    EscortRecord.objects.bulk_create(escorts)
    Disinfection.objects.bulk_create(disinfections)
    Patrol.objects.bulk_create(patrols)
    Visitor.objects.bulk_create(visitors)
    _rule_ledgers(school=school, people=people, rng=rng, classes=classes, days=days, now=now)


def _past_terms_hazards(*, people: dict, rng: random.Random, seed: bool, term_start: dt.date) -> None:
    """The two terms before this one: hazards found then, most closed, so the bureau's trends (整改率, hazards
    found) have points to draw. Dated in the middle of each term (inside the bureau's terms too)."""
    safety, worker = people[Role.SAFETY_OFFICER], people[Role.MAINTENANCE_WORKER]
    general = [h for h in SEED_HAZARDS if h[1] == HazardGrade.GENERAL]
    day = term_start
    for back, share in ((1, 0.85), (2, 0.65)):
        period = term_of(day - dt.timedelta(days=1))
        day = period.start
        found = general[:8] if seed else rng.sample(general, rng.randint(3, 8))
        for index, (category, grade, description, location, _rectified) in enumerate(found):
            found_on = period.start + dt.timedelta(days=30 + index * 11)
            hazard = S.hazard_report(
                reporter=safety, category=category, grade=grade, description=f"{description}（上学期）" if back == 1
                else f"{description}（前学期）", location_text=location, found_on=found_on, responsible=worker,
                measures="制定整改方案，限期整改", deadline=found_on + dt.timedelta(days=30),
                contingency_plan="")
            if (index + 1) / len(found) <= share:
                S.hazard_rectify(actor=worker, hazard=hazard, actions="已按整改措施完成整改")
                S.hazard_verify(actor=safety, hazard=hazard, accepted=True,
                                note="复查合格，销号")


def _rule_ledgers(*, school, people, rng, classes, days, now) -> None:
    """The ledgers the rules read (issue 23): a fire inspection in each quarter of the term already over, a
    leader's lunch on most school days; a kindergarten's daily and nightly fire patrols, its pupils' collectors
    and pick-ups."""
    from .choices import Meal, PatrolKind, Relation
    from .duties import profile, quarter_end
    from .models import AuthorisedCollector, FireInspection, MealAccompaniment, PupilCollection, Student

    principal, safety, guard = people[Role.PRINCIPAL], people[Role.SAFETY_OFFICER], people[Role.GUARD]
    term, day_now = current_term(), today()
    department = Department.objects.order_by("sort_order").select_related("head").first()
    start = term.start
    while start <= day_now:
        end = quarter_end(start.year, (start.month - 1) // 3 + 1)
        if end < day_now:  # the current quarter's inspection is still due (the safety officer's to-do shows it)
            on = min(start + dt.timedelta(days=10), end)
            FireInspection.objects.create(
                inspected_on=on, department=department, area="教学楼、食堂、配电间、消防通道", findings="消防设施完好，通道畅通",
                inspector=safety, inspector_name=safety.display_name,
                head_name=department.head.display_name if department and department.head_id else "部门负责人",
                head_signed_at=_at(on, 11))
        start = end + dt.timedelta(days=1)
    MealAccompaniment.objects.bulk_create(
        MealAccompaniment(on=day, meal=Meal.LUNCH, leader=principal, leader_name=principal.display_name, place="学生食堂",
                          findings="饭菜温度适宜，分量充足")
        for day in days if _at(day, 12, 30) <= now and rng.random() < 0.8)
    if not profile(school).kindergarten:
        return
    patrols = []
    for day in days:
        if _at(day, 9, 30) <= now:
            patrols.append(Patrol(patroller=guard, patroller_name=guard.display_name, kind=PatrolKind.FIRE,
                                  shift=Shift.MORNING, route="活动室—午睡室—厨房—配电间", started_at=_at(day, 9),
                                  ended_at=_at(day, 9, 30), findings="无异常"))
        if _at(day, 22, 30) <= now:
            patrols.append(Patrol(patroller=guard, patroller_name=guard.display_name, kind=PatrolKind.FIRE,
                                  shift=Shift.NIGHT, route="全园", started_at=_at(day, 22), ended_at=_at(day, 22, 30),
                                  findings="无异常"))
    Patrol.objects.bulk_create(patrols)
    pupils = list(Student.objects.filter(school_class=classes[0]).order_by("seat_no"))
    collectors = AuthorisedCollector.objects.bulk_create(
        AuthorisedCollector(student=pupil, name=f"{pupil.name[:1]}{'妈妈' if i % 2 else '爸爸'}",
                            relation=Relation.MOTHER if i % 2 else Relation.FATHER, added_by=safety)
        for i, pupil in enumerate(pupils))
    PupilCollection.objects.bulk_create(
        PupilCollection(student=c.student, collector=c, collected_at=_at(day, 16, 40),
                        handed_over_by=classes[0].head_teacher)
        for day in days[-3:] if _at(day, 16, 40) <= now for c in collectors)
