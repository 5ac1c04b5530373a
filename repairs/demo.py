"""Demo data: a year of repair orders per school, the seed's preventive plans, and a few open orders.

The seed's property company received 4,200+ slips a year; to keep `./dev up` fast the seed school gets
REPAIRS_DEMO_SEED_ORDERS orders (default 360) and each generated school REPAIRS_DEMO_ORDERS (default 120).
"""

from __future__ import annotations

import datetime as dt
import os
import random
from collections import Counter

from django.utils import timezone

from tenants.roles import Role

from .choices import DONE_STATUSES, ClockEventKind, Frequency, Severity, Source, Status
from .models import ClockEvent, MaintenancePlan, ReferenceCounter, RepairSettings, WorkOrder
from .services import plan_next_due, sla_due_at

FAULTS_MINOR = [
    "灯管不亮", "水龙头漏水", "冲水阀坏了", "门锁打不开", "窗户关不严", "插座没电", "课桌椅松动", "黑板灯闪烁",
    "吊扇异响", "窗帘轨道脱落", "纱窗破损", "下水道堵塞", "门把手脱落", "开关面板损坏",
]
FAULTS_MAJOR = [
    "寝室之间电线错乱", "屋顶漏水", "空调不制冷", "热水器不出热水", "配电箱跳闸", "外墙瓷砖脱落", "水管爆裂",
    "多媒体投影仪故障", "监控摄像头离线",
]
VENDORS = ["格力空调售后", "联想售后服务", "海尔热水器售后", "XX建筑公司（保修期）", "海康威视售后"]
SEED_PLANS = [
    ("开学前水电检修", "开学前全面检修水电线路、水龙头和照明。", Frequency.TERMLY, Severity.MAJOR),
    ("杀白蚁", "花坛、树木和木结构定期喷洒白蚁灵。", Frequency.MONTHLY, Severity.MINOR),
    ("校园除草", "清除操场、花坛、校道周边杂草（除草剂金百秀、甘草磷）。", Frequency.MONTHLY, Severity.MINOR),
    ("灯泡更换巡检", "巡查各教室、寝室灯泡，坏的即换。", Frequency.QUARTERLY, Severity.MINOR),
    ("水龙头与冲水阀更换巡检", "巡查水龙头和冲水阀，漏水的即换。", Frequency.QUARTERLY, Severity.MINOR),
]


def _rooms():
    from schools.models import Building, Room

    rooms = list(Room.objects.all()[:200])
    if rooms:
        return rooms
    # The schools module's demo normally provides the buildings; without it, a small campus.
    teaching, _ = Building.objects.get_or_create(name="1号教学楼", defaults={"floors": 4})
    dorm, _ = Building.objects.get_or_create(name="学生公寓", defaults={"floors": 5})
    for floor in range(1, 5):
        for n in range(1, 5):
            Room.objects.get_or_create(building=teaching, number=f"{floor}0{n}", defaults={"floor": floor})
            Room.objects.get_or_create(building=dorm, number=f"{floor}1{n}",
                                        defaults={"floor": floor, "purpose": "dormitory"})
    return list(Room.objects.all())


def _facility_count(rooms) -> int:
    from assets.models import Asset

    return len(rooms) + Asset.objects.count()


def load_school(*, school, people, seed: bool) -> None:
    rng = random.Random(f"repairs-{school.schema_name}")
    preset = RepairSettings.current()
    rooms = _rooms()
    worker = people.get(Role.MAINTENANCE_WORKER)
    reporters = [people[r] for r in (Role.TEACHER, Role.GUARD, Role.CUSTODIAN, Role.UNIT_CONTACT) if r in people]
    today = timezone.localdate()

    for title, description, frequency, severity in SEED_PLANS:
        next_due = plan_next_due(frequency=frequency, after=today)
        MaintenancePlan.objects.get_or_create(title=title, defaults={
            "description": description, "frequency": frequency, "severity": severity, "assignee": worker,
            "next_due_on": next_due, "lead_days": 7 if frequency == Frequency.TERMLY else 2,
        })

    total = int(os.environ.get("REPAIRS_DEMO_SEED_ORDERS" if seed else "REPAIRS_DEMO_ORDERS", 360 if seed else 120))
    open_target = max(1, round(_facility_count(rooms) * 0.02))  # the seed's 98% intact rate
    tz = timezone.get_current_timezone()
    now = timezone.now()
    per_day: Counter = Counter()
    orders = []
    for i in range(total):
        is_open = i >= total - open_target
        days_ago = rng.randint(0, 2) if is_open else rng.randint(3, 364)
        day = today - dt.timedelta(days=days_ago)
        reported_at = dt.datetime.combine(day, dt.time(rng.randint(7, 17), rng.randint(0, 59)), tzinfo=tz)
        if reported_at > now:
            reported_at = now - dt.timedelta(minutes=rng.randint(5, 120))
            day = timezone.localtime(reported_at).date()
        major = rng.random() < 0.2
        severity = Severity.MAJOR if major else Severity.MINOR
        vendor = rng.random() < (0.35 if major else 0.03)
        per_day[day] += 1
        order = WorkOrder(
            reference=f"BX-{day:%Y%m%d}-{per_day[day]:04d}",
            source=rng.choices([Source.WEB, Source.PUBLIC, Source.PREVENTIVE], [60, 35, 5])[0],
            room=rng.choice(rooms),
            title=rng.choice(FAULTS_MAJOR if major else FAULTS_MINOR),
            severity=severity,
            reported_at=reported_at,
            triaged_at=reported_at + dt.timedelta(minutes=rng.randint(5, 60)),
            due_at=sla_due_at(severity=severity, reported_at=reported_at, preset=preset),
            assignee=None if vendor else worker,
            vendor_name=rng.choice(VENDORS) if vendor else "",
        )
        reporter = rng.choice(reporters) if reporters and order.source == Source.WEB else None
        order.reporter = reporter
        order.reporter_name = reporter.display_name if reporter else rng.choice(["", "学生家长", "值周老师", "宿管"])
        if vendor:
            order.vendor_due_at = reported_at + dt.timedelta(days=preset.vendor_due_days)
        if is_open:
            order.status = rng.choice([Status.ASSIGNED, Status.IN_PROGRESS, Status.PAUSED])
            if order.status == Status.PAUSED:
                order.paused_at = now - dt.timedelta(hours=1)
                order.pause_reason = "等配件"
        else:
            late = rng.random() < (0.08 if major else 0.03) or (vendor and rng.random() < 0.3)
            if major:
                hours = rng.uniform(74, 140) if late else rng.uniform(4, 70)
                completed_at = reported_at + dt.timedelta(hours=hours)
            else:
                completed_at = order.due_at + dt.timedelta(hours=rng.uniform(1, 20)) if late else \
                    reported_at + dt.timedelta(minutes=rng.randint(20, max(30, int((order.due_at - reported_at)
                                                                                  .total_seconds() // 60) - 5)))
            completed_at = min(completed_at, now - dt.timedelta(minutes=5))
            order.completed_at = completed_at
            order.started_at = reported_at + (completed_at - reported_at) / 3
            order.closing_note = "已修复" if not vendor else "厂家上门维修完毕"
            order.labour_minutes = rng.randint(15, 90) if not major else rng.randint(60, 480)
            if order.reporter_id and rng.random() < 0.85:
                order.status = Status.CONFIRMED
                order.confirmed_at = completed_at + dt.timedelta(hours=rng.randint(1, 30))
                order.rating = rng.choices([5, 4, 3, 2], [70, 22, 6, 2])[0]
            else:
                order.status = Status.COMPLETED
            if rng.random() < 0.03:
                order.reopen_count = 1
        orders.append(order)
    WorkOrder.objects.bulk_create(orders, batch_size=500)
    events = []
    for order in WorkOrder.objects.only("pk", "reported_at", "due_at", "completed_at", "status", "paused_at",
                                        "pause_reason"):
        events.append(ClockEvent(order=order, kind=ClockEventKind.STARTED, at=order.reported_at,
                                 new_due_at=order.due_at))
        if order.status in DONE_STATUSES:
            events.append(ClockEvent(order=order, kind=ClockEventKind.STOPPED, at=order.completed_at))
        if order.status == Status.PAUSED:
            events.append(ClockEvent(order=order, kind=ClockEventKind.PAUSED, at=order.paused_at,
                                     reason=order.pause_reason))
    ClockEvent.objects.bulk_create(events, batch_size=1000)
    # Later references continue after the demo's.
    for day, last in per_day.items():
        ReferenceCounter.objects.update_or_create(day=day, defaults={"last": last})
