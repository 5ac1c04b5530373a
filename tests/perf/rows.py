"""Row makers for the query-count tests: make(n, ctx) adds n rows that the page or field lists.

`ctx` carries `user` (the acting user) and `school` (school A). Rows are bulk-inserted and rolled back
with the test. Modules add theirs here (keyed by the name used in budgets.py).
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone


@dataclass
class Context:
    user: object
    school: object


def notifications(n: int, ctx: Context) -> None:
    from tenants.models import Notification

    now = timezone.now()
    Notification.objects.bulk_create(
        Notification(recipient=ctx.user, school=ctx.school if i % 2 else None, kind="perf", title=f"通知{i}",
                     body="正文", url="/", dedupe_key=f"perf-{ctx.user.pk}-{i}-{n}", created_at=now)
        for i in range(n)
    )


def schools(n: int, ctx: Context) -> None:
    """School rows in school A's bureau (bulk: no schema is created, the lists do not need one)."""
    from tenants.models import School

    start = School.objects.count()
    School.objects.bulk_create(
        School(bureau_id=ctx.school.bureau_id, name=f"列表学校{start + i}", slug=f"perf{start + i}",
               schema_name=f"perf{start + i}", student_count=i)
        for i in range(n)
    )


def memberships(n: int, ctx: Context) -> None:
    """n more schools where the user is a teacher (a district-wide team member)."""
    from tenants.models import Membership, School
    from tenants.roles import Role

    before = set(School.objects.values_list("pk", flat=True))
    schools(n, ctx)
    Membership.objects.bulk_create(
        Membership(user=ctx.user, school=school, role=Role.TEACHER)
        for school in School.objects.exclude(pk__in=before)
    )


# --- school-schema rows: made inside school A's schema, with the foreign keys the pages show ---------
@contextmanager
def _in_school(ctx: Context):
    connection.set_tenant(ctx.school)
    try:
        yield
    finally:
        connection.set_schema_to_public()


def departments(n: int, ctx: Context) -> None:
    from tests.schools.factories import DepartmentFactory

    with _in_school(ctx):
        DepartmentFactory.create_batch(n, head=ctx.user)


def buildings(n: int, ctx: Context) -> None:
    """Buildings, each with a room and an appraisal (the lists a building carries)."""
    from schools.models import BuildingAppraisal, Room
    from tests.schools.factories import BuildingFactory

    with _in_school(ctx):
        made = BuildingFactory.create_batch(n)
        Room.objects.bulk_create(Room(building=b, number="101", name="教室") for b in made)
        BuildingAppraisal.objects.bulk_create(
            BuildingAppraisal(building=b, grade="B", appraised_on=timezone.localdate(), recorded_by=ctx.user) for b in made
        )


def appraisals(n: int, ctx: Context) -> None:
    from schools.models import BuildingAppraisal
    from tests.schools.factories import BuildingFactory

    with _in_school(ctx):
        for building in BuildingFactory.create_batch(n):
            BuildingAppraisal.objects.create(building=building, grade="B", appraised_on=timezone.localdate(),
                                             recorded_by=ctx.user)


def rooms(n: int, ctx: Context) -> None:
    from tests.schools.factories import BuildingFactory, DepartmentFactory, RoomFactory

    with _in_school(ctx):
        building, department = BuildingFactory(), DepartmentFactory()
        RoomFactory.create_batch(n, building=building, department=department, custodian=ctx.user)


def units(n: int, ctx: Context) -> None:
    from tests.schools.factories import UnitFactory

    with _in_school(ctx):
        UnitFactory.create_batch(n, contact_user=ctx.user)


def projects(n: int, ctx: Context) -> None:
    """Projects, each on a building with a milestone and a contract."""
    from decimal import Decimal

    from schools.models import Building, Contract, Milestone
    from tests.schools.factories import ProjectFactory

    with _in_school(ctx):
        made = ProjectFactory.create_batch(n, created_by=ctx.user)
        start = Building.objects.count()
        built = Building.objects.bulk_create(Building(name=f"项目楼{start + i}") for i in range(n))
        for project, building in zip(made, built, strict=True):
            project.buildings.add(building)
        Milestone.objects.bulk_create(
            Milestone(project=p, title="审图", planned_on=timezone.localdate()) for p in made
        )
        Contract.objects.bulk_create(
            Contract(project=p, party="建设公司", amount=Decimal("90000.00"), signed_on=timezone.localdate()) for p in made
        )


def feedback(n: int, ctx: Context) -> None:
    from tests.schools.factories import FeedbackFactory

    with _in_school(ctx):
        FeedbackFactory.create_batch(n, submitted_by=ctx.user)


def lost_items(n: int, ctx: Context) -> None:
    from tests.schools.factories import LostItemFactory

    with _in_school(ctx):
        LostItemFactory.create_batch(n, reported_by=ctx.user)


def services(n: int, ctx: Context) -> None:
    from tests.schools.factories import ServiceFactory

    with _in_school(ctx):
        ServiceFactory.create_batch(n, recorded_by=ctx.user)


def assets(n: int, ctx: Context) -> None:
    from tests.assets.factories import AssetFactory, RoomFactory

    with _in_school(ctx):
        AssetFactory.create_batch(n, room=RoomFactory())


def consumables(n: int, ctx: Context) -> None:
    from tests.assets.factories import ConsumableItemFactory

    with _in_school(ctx):
        ConsumableItemFactory.create_batch(n)


def purchases(n: int, ctx: Context) -> None:
    """Purchase requests, every other one sent by a partner (no person behind it), each with a line and a decision."""
    from decimal import Decimal

    from assets.models import PurchaseApproval, PurchaseLine, PurchaseRequest
    from tests.assets.factories import DepartmentFactory, category

    with _in_school(ctx):
        department, start = DepartmentFactory(name="采购部门"), PurchaseRequest.objects.count()
        made = PurchaseRequest.objects.bulk_create(
            PurchaseRequest(number=f"PF{start + i:08d}", title=f"采购{i}", department=department, reason="perf",
                            requested_by=ctx.user if i % 2 else None, requested_by_partner="" if i % 2 else "采购平台")
            for i in range(n)
        )
        cat = category()
        PurchaseLine.objects.bulk_create(
            PurchaseLine(request=r, name="台式计算机", category=cat, kind="fixed", quantity=2,
                         estimated_unit_price=Decimal("5600.00"))
            for r in made
        )
        PurchaseApproval.objects.bulk_create(
            PurchaseApproval(request=r, level="school", decision="approved", decided_by=ctx.user) for r in made
        )


def acceptances(n: int, ctx: Context) -> None:
    """Acceptances of one approved request, each with a room and an accepted line."""
    from decimal import Decimal

    from assets.models import Acceptance, AcceptanceLine, PurchaseLine, PurchaseRequest
    from tests.assets.factories import DepartmentFactory, RoomFactory, category

    with _in_school(ctx):
        request = PurchaseRequest.objects.create(
            number=f"PA{PurchaseRequest.objects.count():08d}", title="验收", department=DepartmentFactory(name="采购部门"),
            reason="perf", requested_by=ctx.user, status="partly_accepted")
        line = PurchaseLine.objects.create(request=request, name="台式计算机", category=category(), kind="fixed",
                                           quantity=1000, estimated_unit_price=Decimal("5600.00"))
        made = Acceptance.objects.bulk_create(
            Acceptance(request=request, recorded_by=ctx.user, room=RoomFactory(), invoice_number=f"FP{i}")
            for i in range(n)
        )
        AcceptanceLine.objects.bulk_create(
            AcceptanceLine(acceptance=a, line=line, accepted_quantity=1, unit_price=Decimal("5600.00")) for a in made
        )


# --- shared: a fresh building with n rooms, n asset cards in them (bulk) -----------------------------
def _rooms(n: int, ctx: Context, label: str = "楼") -> list:
    from schools.models import Building, Department, Room

    start = Building.objects.count()
    building = Building.objects.create(name=f"{label}{start}")
    department = Department.objects.create(name=f"{label}部门{start}")
    return Room.objects.bulk_create(
        Room(building=building, number=f"{i + 1:03d}", name=f"房间{i}", department=department, custodian=ctx.user)
        for i in range(n)
    )


def _assets(rooms: list, ctx: Context, prefix: str) -> list:
    from decimal import Decimal

    from assets.models import Asset
    from tests.assets.factories import category

    start, cat = Asset.objects.count(), category()
    return Asset.objects.bulk_create(
        Asset(asset_number=f"{prefix}{start + i:08d}", name=f"资产{i}", category=cat, kind="fixed",
              unit_price=Decimal("5600.00"), original_value=Decimal("5600.00"), room=room, user=ctx.user,
              department=room.department)
        for i, room in enumerate(rooms)
    )


def work_orders(n: int, ctx: Context) -> None:
    """Orders in every board column, each with its own room and asset, reported by and assigned to the user."""
    import datetime as dt

    from repairs.choices import Status
    from repairs.models import WorkOrder

    statuses = [Status.REPORTED, Status.ASSIGNED, Status.IN_PROGRESS, Status.PAUSED, Status.COMPLETED]
    now = timezone.now()
    with _in_school(ctx):
        rooms = _rooms(n, ctx, "报修楼")
        assets_ = _assets(rooms, ctx, "WO")
        start = WorkOrder.objects.count()
        WorkOrder.objects.bulk_create(
            WorkOrder(reference=f"BX-PERF-{start + i:05d}", title=f"故障{i}", room=room, asset=asset,
                      location_note="靠窗", reporter=ctx.user, assignee=ctx.user, status=statuses[i % 5],
                      severity="major" if i % 2 else "minor", vendor_name="维修公司" if i % 3 == 0 else "",
                      due_at=now + dt.timedelta(days=1 if i % 4 else -1))
            for i, (room, asset) in enumerate(zip(rooms, assets_, strict=True))
        )


def maintenance_plans(n: int, ctx: Context) -> None:
    import datetime as dt

    from repairs.models import MaintenancePlan

    with _in_school(ctx):
        rooms = _rooms(n, ctx, "计划楼")
        MaintenancePlan.objects.bulk_create(
            MaintenancePlan(title=f"检修{i}", room=room, assignee=ctx.user, frequency="monthly",
                            next_due_on=timezone.localdate() + dt.timedelta(days=i))
            for i, room in enumerate(rooms)
        )


def categories(n: int, ctx: Context) -> None:
    """Categories under a parent, with codes that sort before the seeded GB/T table (so the first page lists them).

    The seeded table (177 rows) already fills a page; these make sure rows with a parent are on it.
    """
    from assets.models import Category

    with _in_school(ctx):
        parent = Category.objects.get_or_create(code="A00000000", defaults={"name": "测试大类"})[0]
        start = Category.objects.filter(code__startswith="A000").count()
        Category.objects.bulk_create(
            Category(code=f"A000{start + i:05d}", name=f"测试类{i}", parent=parent, service_life_years=6)
            for i in range(n)
        )


def _items(n: int, ctx: Context) -> list:
    from decimal import Decimal

    from assets.models import ConsumableItem
    from tests.assets.factories import category

    start, cat = ConsumableItem.objects.count(), category()
    room = _rooms(1, ctx, "仓库")[0]
    return ConsumableItem.objects.bulk_create(
        ConsumableItem(name=f"耗材{start + i}", unit="包", unit_price=Decimal("3.50"), on_hand=100, category=cat,
                       room=room)
        for i in range(n)
    )


def stock_movements(n: int, ctx: Context) -> None:
    from decimal import Decimal

    from assets.models import StockMovement

    with _in_school(ctx):
        StockMovement.objects.bulk_create(
            StockMovement(item=item, kind="in", quantity=100, balance_after=100, unit_price=Decimal("3.50"),
                          actor=ctx.user, reason="入库")
            for item in _items(n, ctx)
        )


def requisitions(n: int, ctx: Context) -> None:
    """Requisitions of different items by the user, half approved by the user, each with its stock movement."""
    from assets.models import Requisition, StockMovement

    with _in_school(ctx):
        items = _items(n, ctx)
        department = _rooms(1, ctx, "领用")[0].department
        movements = StockMovement.objects.bulk_create(
            StockMovement(item=item, kind="out", quantity=-1, balance_after=99, actor=ctx.user) for item in items
        )
        Requisition.objects.bulk_create(
            Requisition(item=item, quantity=1, requester=ctx.user, department=department, reason="教学",
                        status="issued" if i % 2 else "pending", approved_by=ctx.user if i % 2 else None,
                        movement=movement if i % 2 else None)
            for i, (item, movement) in enumerate(zip(items, movements, strict=True))
        )


def _lendable(n: int, ctx: Context, prefix: str) -> list:
    return _assets(_rooms(n, ctx, prefix), ctx, prefix)


def loans(n: int, ctx: Context) -> None:
    """Open loans of n assets to the user (some overdue), and a pending loan request for each asset."""
    import datetime as dt

    from assets.models import Loan, LoanRequest

    today = timezone.localdate()
    with _in_school(ctx):
        lent = _lendable(n, ctx, "JY")
        Loan.objects.bulk_create(
            Loan(asset=asset, borrower=ctx.user, lent_by=ctx.user, purpose="公开课", lent_on=today - dt.timedelta(days=10),
                 due_on=today + dt.timedelta(days=-1 if i % 3 == 0 else 5))
            for i, asset in enumerate(lent)
        )
        LoanRequest.objects.bulk_create(
            LoanRequest(asset=asset, requester=ctx.user, purpose="续借", due_on=today + dt.timedelta(days=7))
            for asset in lent
        )


def loan_requests(n: int, ctx: Context) -> None:
    import datetime as dt

    from assets.models import LoanRequest

    with _in_school(ctx):
        LoanRequest.objects.bulk_create(
            LoanRequest(asset=asset, requester=ctx.user, purpose="公开课", due_on=timezone.localdate() + dt.timedelta(days=7))
            for asset in _lendable(n, ctx, "JQ")
        )


def transfers(n: int, ctx: Context) -> None:
    """Transfers from each asset's room to another room, department and person."""
    from assets.models import Transfer

    with _in_school(ctx):
        moved = _lendable(n, ctx, "DB")
        targets = _rooms(n, ctx, "调入楼")
        Transfer.objects.bulk_create(
            Transfer(asset=asset, from_department=asset.department, from_room=asset.room, from_user=ctx.user,
                     to_department=to.department, to_room=to, to_user=ctx.user, reason="调整",
                     requested_by=ctx.user, status="pending" if i % 2 else "confirmed",
                     confirmed_by=None if i % 2 else ctx.user)
            for i, (asset, to) in enumerate(zip(moved, targets, strict=True))
        )


def disposals(n: int, ctx: Context) -> None:
    from assets.models import Disposal

    with _in_school(ctx):
        Disposal.objects.bulk_create(
            Disposal(asset=asset, method="scrap", reason="损坏", is_early=bool(i % 2),
                     justification="无法修复" if i % 2 else "", requested_by=ctx.user,
                     status="pending" if i % 3 else "approved", decided_by=None if i % 3 else ctx.user)
            for i, asset in enumerate(_lendable(n, ctx, "BF"))
        )


def stocktakes(n: int, ctx: Context) -> None:
    """Stocktakes, each over its own room: one asset found in place, one missing (resolved), one misplaced
    (booked in another room) and one unknown label (surplus)."""
    from assets.models import Stocktake, StocktakeResolution, StocktakeScan

    with _in_school(ctx):
        counted, missing, elsewhere = _lendable(n, ctx, "PD"), _lendable(n, ctx, "PM"), _lendable(n, ctx, "PE")
        for a, b in zip(counted, missing, strict=True):
            b.room = a.room
        type(missing[0]).objects.bulk_update(missing, ["room"])
        made = Stocktake.objects.bulk_create(Stocktake(name=f"盘点{i}", created_by=ctx.user) for i in range(n))
        Stocktake.rooms.through.objects.bulk_create(
            Stocktake.rooms.through(stocktake=s, room=a.room) for s, a in zip(made, counted, strict=True)
        )
        StocktakeScan.objects.bulk_create(
            scan
            for s, a, e in zip(made, counted, elsewhere, strict=True)
            for scan in (
                StocktakeScan(stocktake=s, room=a.room, code=a.asset_number, asset=a, booked_room=a.room,
                              scanned_by=ctx.user),
                StocktakeScan(stocktake=s, room=a.room, code=e.asset_number, asset=e, booked_room=e.room,
                              finding="misplaced", scanned_by=ctx.user),
                StocktakeScan(stocktake=s, room=a.room, code=f"UNKNOWN-{s.pk}", finding="surplus", scanned_by=ctx.user),
            )
        )
        StocktakeResolution.objects.bulk_create(
            StocktakeResolution(stocktake=s, asset=m, code=m.asset_number, action="ignore", actor=ctx.user)
            for s, m in zip(made, missing, strict=True)
        )


# --- safety: rows of every ledger, with the classes, rooms, people and plans they point at -------------
def _classes(n: int, ctx: Context) -> list:
    from safety.models import SchoolClass

    start = SchoolClass.objects.count()
    return SchoolClass.objects.bulk_create(
        SchoolClass(grade=1 + i % 6, name=f"{start + i}班", head_teacher=ctx.user, student_count=40) for i in range(n)
    )


def school_classes(n: int, ctx: Context) -> None:
    with _in_school(ctx):
        _classes(n, ctx)


def _hazards(n: int, ctx: Context) -> list:
    """Open hazards found today in rooms, in a round, every fourth one major (and so supervised)."""
    import datetime as dt

    from safety.models import Hazard, InspectionRound

    today = timezone.localdate()
    rooms = _rooms(n, ctx, "隐患楼")
    inspection = InspectionRound.objects.create(kind="sweep", title="全面排查", started_on=today, created_by=ctx.user,
                                                department=rooms[0].department)
    return Hazard.objects.bulk_create(
        Hazard(round=inspection, found_on=today, reporter=ctx.user, room=room, category="fire",
               grade="major" if i % 4 == 0 else "general", supervised=i % 4 == 0, description=f"灭火器过期{i}",
               responsible=ctx.user, deadline=today + dt.timedelta(days=-1 if i % 3 == 0 else 7),
               status="rectified" if i % 5 == 0 else "open", rectified_by=ctx.user if i % 5 == 0 else None,
               rectified_at=timezone.now() if i % 5 == 0 else None)
        for i, room in enumerate(rooms)
    )


def hazards(n: int, ctx: Context) -> None:
    with _in_school(ctx):
        _hazards(n, ctx)


def inspection_rounds(n: int, ctx: Context) -> None:
    from safety.models import ChecklistTemplate, InspectionRound, RoundItem

    with _in_school(ctx):
        departments = [room.department for room in _rooms(n, ctx, "排查")]
        template = ChecklistTemplate.objects.create(name="消防检查表")
        made = InspectionRound.objects.bulk_create(
            InspectionRound(kind="self_check", title=f"自查{i}", template=template, department=department,
                            started_on=timezone.localdate(), created_by=ctx.user)
            for i, department in enumerate(departments)
        )
        RoundItem.objects.bulk_create(RoundItem(round=r, area="fire", text="灭火器在有效期内") for r in made)


def checklist_templates(n: int, ctx: Context) -> None:
    from safety.models import ChecklistItem, ChecklistTemplate

    with _in_school(ctx):
        made = ChecklistTemplate.objects.bulk_create(ChecklistTemplate(name=f"检查表{i}") for i in range(n))
        ChecklistItem.objects.bulk_create(
            ChecklistItem(template=t, area=area, text="检查") for t in made for area in ("fire", "electricity")
        )


def _templates(n: int) -> list:
    from safety.models import AgreementTemplate

    start = AgreementTemplate.objects.count()
    return AgreementTemplate.objects.bulk_create(
        AgreementTemplate(kind="fire", post=f"岗位{start + i}", title=f"消防安全责任书{i}", body="条款") for i in range(n)
    )


def agreement_templates(n: int, ctx: Context) -> None:
    with _in_school(ctx):
        _templates(n)


def _campaigns(n: int, ctx: Context) -> list:
    from safety.models import AgreementCampaign
    from safety.terms import current_term, term_label

    term = term_label(current_term())
    return AgreementCampaign.objects.bulk_create(
        AgreementCampaign(template=template, term=term, groups=["teachers"], issued_by=ctx.user)
        for template in _templates(n)
    )


def agreement_campaigns(n: int, ctx: Context) -> None:
    with _in_school(ctx):
        _campaigns(n, ctx)


def agreements(n: int, ctx: Context) -> None:
    """The user's copies, each of its own campaign (this term), with a department, a unit and a class; half signed."""
    from safety.models import Agreement
    from schools.models import OnCampusUnit

    with _in_school(ctx):
        campaigns = _campaigns(n, ctx)
        classes = _classes(n, ctx)
        departments = [room.department for room in _rooms(n, ctx, "责任")]
        units = OnCampusUnit.objects.bulk_create(OnCampusUnit(name=f"承租{i}-{id(campaigns)}") for i in range(n))
        Agreement.objects.bulk_create(
            Agreement(campaign=c, kind=["safety", "fire", "parent_notice", "route"][i % 4], party_kind="teacher",
                      party_name=f"教师{i}", user=ctx.user, department=d, unit=u, school_class=k, text="条款",
                      signed_at=timezone.now() if i % 2 else None, signer_name="签名" if i % 2 else "",
                      text_sha256="0" * 64 if i % 2 else "", signed_via="online" if i % 2 else "")
            for i, (c, k, d, u) in enumerate(zip(campaigns, classes, departments, units, strict=True))
        )


def visitors(n: int, ctx: Context) -> None:
    from safety.models import Visitor

    with _in_school(ctx):
        Visitor.objects.bulk_create(
            Visitor(name=f"访客{i}", id_number_masked="110***********1234", phone="13800000000", host_name="王老师",
                    purpose="家访", in_at=timezone.now(), registered_by=ctx.user)
            for i in range(n)
        )


def staff_exits(n: int, ctx: Context) -> None:
    from safety.models import StaffExit
    from schools.models import StaffMember

    with _in_school(ctx):
        staff = StaffMember.objects.bulk_create(StaffMember(name=f"职工{i}") for i in range(n))
        StaffExit.objects.bulk_create(
            StaffExit(staff=member, name=member.name, reason="办事", out_at=timezone.now(), registered_by=ctx.user)
            for member in staff
        )


def patrols(n: int, ctx: Context) -> None:
    """Patrols by the user, each having opened a hazard (in a room)."""
    from safety.models import Patrol

    with _in_school(ctx):
        Patrol.objects.bulk_create(
            Patrol(patroller=ctx.user, patroller_name="门卫", shift="night", route="东门-操场", started_at=timezone.now(),
                   findings="发现隐患", hazard=hazard)
            for hazard in _hazards(n, ctx)
        )


def security_team_members(n: int, ctx: Context) -> None:
    from safety.models import SecurityTeamMember

    with _in_school(ctx):
        SecurityTeamMember.objects.bulk_create(
            SecurityTeamMember(user=ctx.user, name=f"队员{i}", team="teacher", shift="morning", weekday=1 + i % 5)
            for i in range(n)
        )


def _plans(n: int) -> list:
    from safety.models import EmergencyPlan

    start = EmergencyPlan.objects.count()
    return EmergencyPlan.objects.bulk_create(
        EmergencyPlan(title=f"应急预案{start + i}", kind="fire", adopted_on=timezone.localdate(), summary="摘要")
        for i in range(n)
    )


def emergency_plans(n: int, ctx: Context) -> None:
    with _in_school(ctx):
        _plans(n)


def drills(n: int, ctx: Context) -> None:
    from safety.models import Drill

    with _in_school(ctx):
        Drill.objects.bulk_create(
            Drill(kind="fire", held_on=timezone.localdate(), participants=500, plan=plan, recorded_by=ctx.user)
            for plan in _plans(n)
        )


def education_activities(n: int, ctx: Context) -> None:
    from safety.models import EducationActivity

    with _in_school(ctx):
        EducationActivity.objects.bulk_create(
            EducationActivity(kind="class_meeting", held_on=timezone.localdate(), title=f"班会{i}", school_class=k,
                              audience=40, recorded_by=ctx.user)
            for i, k in enumerate(_classes(n, ctx))
        )


def escort_records(n: int, ctx: Context) -> None:
    from safety.models import EscortRecord

    with _in_school(ctx):
        EscortRecord.objects.bulk_create(
            EscortRecord(on=timezone.localdate(), school_class=k, teacher=ctx.user, present=bool(i % 2))
            for i, k in enumerate(_classes(n, ctx))
        )


def health_checks(n: int, ctx: Context) -> None:
    """Today's morning check of n classes (headed by the user), each with an absent pupil not yet followed up."""
    from safety.models import Absence, HealthCheck

    with _in_school(ctx):
        made = HealthCheck.objects.bulk_create(
            HealthCheck(school_class=k, on=timezone.localdate(), session="morning", present=39, absent=1,
                        recorded_by=ctx.user)
            for k in _classes(n, ctx)
        )
        Absence.objects.bulk_create(Absence(health_check=h, student_name="小明", reason="发烧") for h in made)


def disinfections(n: int, ctx: Context) -> None:
    from safety.models import Disinfection

    with _in_school(ctx):
        Disinfection.objects.bulk_create(
            Disinfection(zone=f"教室{i}", done_at=timezone.now(), agent="84消毒液", operator="保洁", recorded_by=ctx.user)
            for i in range(n)
        )


def cameras(n: int, ctx: Context) -> None:
    from safety.models import Camera

    with _in_school(ctx):
        Camera.objects.bulk_create(Camera(location=f"走廊{i}") for i in range(n))


def security_equipment(n: int, ctx: Context) -> None:
    from safety.models import SecurityEquipment

    with _in_school(ctx):
        SecurityEquipment.objects.bulk_create(
            SecurityEquipment(kind="fork", quantity=2, location=f"门卫室{i}") for i in range(n)
        )


def fire_inspections(n: int, ctx: Context) -> None:
    """Fire inspections of a department each, one having opened a hazard."""
    from safety.models import FireInspection
    from schools.models import Department

    with _in_school(ctx):
        start = Department.objects.count()
        departments = Department.objects.bulk_create(Department(name=f"受检部门{start + i}") for i in range(n))
        hazards = _hazards(1, ctx)
        FireInspection.objects.bulk_create(
            FireInspection(inspected_on=timezone.localdate(), department=d, area="配电间", inspector=ctx.user,
                           inspector_name="检查人", head_name="负责人", head_signed_at=timezone.now(),
                           hazard=hazards[0] if i == 0 else None)
            for i, d in enumerate(departments)
        )


def meal_accompaniments(n: int, ctx: Context) -> None:
    from safety.models import MealAccompaniment

    with _in_school(ctx):
        start = MealAccompaniment.objects.count()
        MealAccompaniment.objects.bulk_create(
            MealAccompaniment(on=timezone.localdate(), meal="lunch", leader=ctx.user, leader_name=f"校长{start + i}",
                              place="食堂", findings="饭菜温度适宜")
            for i in range(n)
        )


def _pupils(n: int, ctx: Context) -> list:
    from safety.models import Student

    return Student.objects.bulk_create(
        Student(school_class=k, seat_no=1, name=f"学生{k.pk}") for k in _classes(n, ctx))


def authorised_collectors(n: int, ctx: Context) -> None:
    """A collector for each of n pupils, each pupil in a class of its own."""
    from safety.models import AuthorisedCollector

    with _in_school(ctx):
        AuthorisedCollector.objects.bulk_create(
            AuthorisedCollector(student=s, name="家长", relation="mother", added_by=ctx.user) for s in _pupils(n, ctx))


def pupil_collections(n: int, ctx: Context) -> None:
    """n pupils handed over by the user, each to their own collector."""
    from safety.models import AuthorisedCollector, PupilCollection

    with _in_school(ctx):
        collectors = AuthorisedCollector.objects.bulk_create(
            AuthorisedCollector(student=s, name="家长", relation="father", added_by=ctx.user) for s in _pupils(n, ctx))
        PupilCollection.objects.bulk_create(
            PupilCollection(student_id=c.student_id, collector=c, collected_at=timezone.now(), handed_over_by=ctx.user)
            for c in collectors
        )


# --- people, robots, platform, partners -----------------------------------------------------------------
def _people(n: int, tag: str) -> list:
    from tenants.models import User

    start = User.objects.count()
    return User.objects.bulk_create(
        User(username=f"perf-{tag}-{start + i}", name=f"成员{start + i}", phone=f"139{start + i:08d}") for i in range(n)
    )


def school_members(n: int, ctx: Context) -> None:
    """n people of school A, each a teacher with a post and a second role; half also on the staff roster."""
    from schools.models import Department, StaffMember
    from tenants.models import Membership
    from tenants.roles import Role

    people = _people(n, "school")
    Membership.objects.bulk_create(
        Membership(user=person, school=ctx.school, role=role, post="班主任")
        for person in people for role in (Role.TEACHER, Role.CUSTODIAN)
    )
    with _in_school(ctx):
        department = Department.objects.create(name=f"成员部门{people[0].pk}")
        StaffMember.objects.bulk_create(
            StaffMember(user=person, name=person.name, post="班主任", department=department) for person in people[::2]
        )


def bureau_members(n: int, ctx: Context) -> None:
    """n people of school A's bureau, each in two sections."""
    from tenants.models import Membership
    from tenants.roles import Role

    Membership.objects.bulk_create(
        Membership(user=person, bureau_id=ctx.school.bureau_id, role=role, post="科员")
        for person in _people(n, "bureau") for role in (Role.BUREAU_LOGISTICS, Role.BUREAU_SAFETY)
    )


def staff(n: int, ctx: Context) -> None:
    """Roster rows of school A in departments, each linked to an account."""
    from schools.models import Department, StaffMember

    people = _people(n, "staff")
    with _in_school(ctx):
        start = Department.objects.count()
        departments = Department.objects.bulk_create(Department(name=f"教研组{start + i}") for i in range(n))
        StaffMember.objects.bulk_create(
            StaffMember(user=person, name=person.name, phone=person.phone, post="教师", department=department)
            for person, department in zip(people, departments, strict=True)
        )


def robots(n: int, ctx: Context) -> None:
    """Group robots of school A, each with a delivery of a notification."""
    from tenants.models import NotificationDelivery, RobotChannel

    start = RobotChannel.objects.count()
    made = RobotChannel.objects.bulk_create(
        RobotChannel(school=ctx.school, name=f"群机器人{start + i}", provider="dingtalk",
                     webhook_url=f"https://oapi.dingtalk.com/robot/send?access_token={start + i}", kinds=["repairs"])
        for i in range(n)
    )
    NotificationDelivery.objects.bulk_create(
        NotificationDelivery(channel="robot", robot=robot, school=ctx.school, dedupe_key=f"perf-robot-{robot.pk}",
                             subject="报修", body="新报修单")
        for robot in made
    )


def notification_kinds(n: int, ctx: Context) -> None:
    """Notifications of n kinds the user received, with a preference for each."""
    from tenants.models import Notification, NotificationPreference

    start = Notification.objects.count()
    kinds = [f"perf.kind{start + i}" for i in range(n)]
    Notification.objects.bulk_create(
        Notification(recipient=ctx.user, school=ctx.school, kind=kind, title="通知", dedupe_key=f"perf-kind-{kind}")
        for kind in kinds
    )
    NotificationPreference.objects.bulk_create(
        NotificationPreference(user=ctx.user, kind=kind, channel="digest") for kind in kinds
    )


def schools_with_principals(n: int, ctx: Context) -> None:
    """Schools of school A's bureau (no schema: the lists do not need one), each with its principal."""
    from tenants.models import Membership, School
    from tenants.roles import Role

    before = set(School.objects.values_list("pk", flat=True))
    schools(n, ctx)
    made = School.objects.exclude(pk__in=before).order_by("pk")
    Membership.objects.bulk_create(
        Membership(user=person, school=school, role=Role.PRINCIPAL)
        for person, school in zip(_people(n, "principal"), made, strict=True)
    )


def partner_clients(n: int, ctx: Context) -> None:
    """Partner clients managed by school A's bureau, granted its schools and one school each."""
    from api.models import PartnerClient

    start = PartnerClient.objects.count()
    made = PartnerClient.objects.bulk_create(
        PartnerClient(name=f"合作方{start + i}", kind="物业", contact="李经理", bureau_id=ctx.school.bureau_id,
                      grant_bureau_id=ctx.school.bureau_id, scopes=["repairs:read"], created_by=ctx.user)
        for i in range(n)
    )
    PartnerClient.schools.through.objects.bulk_create(
        PartnerClient.schools.through(partnerclient=client, school=ctx.school) for client in made
    )


# --- reporting: the bureau's read-models (public schema), for school A's bureau ---------------------------
def _current_term(ctx: Context):
    from reporting.services import term_current

    return term_current(bureau=ctx.school.bureau)


def terms(n: int, ctx: Context) -> None:
    """n past terms of the bureau (30 days each, long before the current one)."""
    import datetime as dt

    from reporting.models import Term

    start = Term.objects.filter(bureau_id=ctx.school.bureau_id).count()
    first = dt.date(1980, 1, 1)
    Term.objects.bulk_create(
        Term(bureau_id=ctx.school.bureau_id, name=f"旧学期{start + i}", start=first + dt.timedelta(days=31 * (start + i)),
             end=first + dt.timedelta(days=31 * (start + i) + 30))
        for i in range(n)
    )


def school_metrics(n: int, ctx: Context) -> None:
    """n schools of the bureau with metrics for the current term and the one before it."""
    import datetime as dt

    from reporting.models import SchoolMetrics, Term
    from tenants.metrics import all_metrics
    from tenants.models import School

    current = _current_term(ctx)
    previous = Term.objects.get_or_create(
        bureau_id=ctx.school.bureau_id, name="上一学期",
        defaults={"start": current.start - dt.timedelta(days=180), "end": current.start - dt.timedelta(days=1)})[0]
    before = set(School.objects.values_list("pk", flat=True))
    schools(n, ctx)
    keys = [m.key for m in all_metrics()]
    SchoolMetrics.objects.bulk_create(
        SchoolMetrics(school=school, term=term, values=dict.fromkeys(keys, i % 7 / 7))
        for i, school in enumerate(School.objects.exclude(pk__in=before)) for term in (current, previous)
    )


def mirrored_records(n: int, ctx: Context) -> None:
    """Mirrored lists of school A (major hazards, weak buildings, projects)."""
    from reporting.models import MirroredRecord

    start = MirroredRecord.objects.count()
    kinds = ["major_hazards", "weak_buildings", "capital_projects"]
    MirroredRecord.objects.bulk_create(
        MirroredRecord(school=ctx.school, kind=kinds[i % 3], ref=f"perf:{start + i}", title=f"清单{start + i}",
                       status="open", occurred_on=timezone.localdate(), data={"n": i})
        for i in range(n)
    )


def campaigns(n: int, ctx: Context) -> None:
    """Bureau campaigns sent to school A and school B; school A's round is mirrored (opened, half done)."""
    from reporting.models import Campaign, CampaignTarget, MirroredRecord
    from reporting.selectors import CAMPAIGN_MIRROR_KIND
    from tenants.models import School

    others = list(School.objects.filter(bureau_id=ctx.school.bureau_id, slug="beta"))
    made = Campaign.objects.bulk_create(
        Campaign(bureau_id=ctx.school.bureau_id, title=f"专项检查{i}", items=[{"area": "fire", "text": "灭火器"}],
                 due_on=timezone.localdate(), issued_by=ctx.user)
        for i in range(n)
    )
    CampaignTarget.objects.bulk_create(
        CampaignTarget(campaign=c, school=school) for c in made for school in [ctx.school, *others]
    )
    MirroredRecord.objects.bulk_create(
        MirroredRecord(school=ctx.school, kind=CAMPAIGN_MIRROR_KIND, ref=c.mirror_ref, title=c.title, status="open",
                       data={"items_total": 1, "items_checked": i % 2, "hazards_found": 1})
        for i, c in enumerate(made)
    )


def awards(n: int, ctx: Context) -> None:
    """Award programmes of the bureau, each with school A's application (half reviewed) and a title it holds."""
    from reporting.models import AwardApplication, AwardProgramme, AwardRecord
    from tenants.models import User

    term = _current_term(ctx)
    applicant = User.objects.get(username="alice")
    start = AwardProgramme.objects.count()
    made = AwardProgramme.objects.bulk_create(
        AwardProgramme(bureau_id=ctx.school.bureau_id, name=f"平安校园{start + i}", kind="safe_campus",
                       criteria=[{"metric": "hazard_rectification_rate", "op": ">=", "value": 0.9}],
                       evidence_required=["制度文件"])
        for i in range(n)
    )
    applications = AwardApplication.objects.bulk_create(
        AwardApplication(programme=p, school=ctx.school, term=term, status="submitted" if i % 2 else "granted",
                         applied_by=applicant, reviewed_by=None if i % 2 else applicant, readiness=80)
        for i, p in enumerate(made)
    )
    AwardRecord.objects.bulk_create(
        AwardRecord(school=ctx.school, programme=p, title=p.name, level="district", granted_on=timezone.localdate(),
                    application=a)
        for p, a in zip(made, applications, strict=True)
    )


def gate(n: int, ctx: Context) -> None:
    """Visitors still inside today and staff members out, as the guard's page lists them."""
    visitors(n, ctx)
    staff_exits(n, ctx)


def bureaus(n: int, ctx: Context) -> None:
    """Bureaus with a school each (bulk: no schema is created)."""
    from tenants.models import Bureau, School

    start = Bureau.objects.count()
    made = Bureau.objects.bulk_create(Bureau(name=f"列表教育局{start + i}", code=f"perf-bureau-{start + i}") for i in range(n))
    School.objects.bulk_create(
        School(bureau=b, name=f"{b.name}学校", slug=f"perfb{b.pk}", schema_name=f"perfb{b.pk}") for b in made
    )


MAKERS = {
    "notifications": notifications, "schools": schools, "memberships": memberships,
    "departments": departments, "buildings": buildings, "appraisals": appraisals, "rooms": rooms,
    "units": units, "projects": projects, "feedback": feedback, "lost_items": lost_items, "services": services,
    "assets": assets, "consumables": consumables, "purchases": purchases, "acceptances": acceptances,
    "categories": categories, "stock_movements": stock_movements, "requisitions": requisitions, "loans": loans,
    "loan_requests": loan_requests, "transfers": transfers, "disposals": disposals, "stocktakes": stocktakes,
    "work_orders": work_orders, "maintenance_plans": maintenance_plans,
    "school_classes": school_classes, "hazards": hazards, "inspection_rounds": inspection_rounds,
    "checklist_templates": checklist_templates, "agreement_templates": agreement_templates,
    "agreement_campaigns": agreement_campaigns, "agreements": agreements, "visitors": visitors,
    "staff_exits": staff_exits, "patrols": patrols, "security_team_members": security_team_members,
    "emergency_plans": emergency_plans, "drills": drills, "education_activities": education_activities,
    "escort_records": escort_records, "health_checks": health_checks, "disinfections": disinfections,
    "cameras": cameras, "security_equipment": security_equipment,
    "fire_inspections": fire_inspections, "meal_accompaniments": meal_accompaniments,
    "authorised_collectors": authorised_collectors, "pupil_collections": pupil_collections,
    "school_members": school_members, "bureau_members": bureau_members, "staff": staff, "robots": robots,
    "notification_kinds": notification_kinds, "schools_with_principals": schools_with_principals,
    "partner_clients": partner_clients,
    "terms": terms, "school_metrics": school_metrics, "mirrored_records": mirrored_records, "campaigns": campaigns,
    "awards": awards, "gate": gate, "bureaus": bureaus,
}
