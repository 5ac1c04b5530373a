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
    from tests.schools.factories import BuildingFactory

    with _in_school(ctx):
        BuildingFactory.create_batch(n)


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
    from tests.schools.factories import ProjectFactory

    with _in_school(ctx):
        ProjectFactory.create_batch(n, created_by=ctx.user)


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
    """Purchase requests, every other one sent by a partner (no person behind it)."""
    from assets.models import PurchaseRequest
    from tests.assets.factories import DepartmentFactory

    with _in_school(ctx):
        department, start = DepartmentFactory(name="采购部门"), PurchaseRequest.objects.count()
        PurchaseRequest.objects.bulk_create(
            PurchaseRequest(number=f"PF{start + i:08d}", title=f"采购{i}", department=department, reason="perf",
                            requested_by=ctx.user if i % 2 else None, requested_by_partner="" if i % 2 else "采购平台")
            for i in range(n)
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
    """Stocktakes, each over its own room with one scanned asset."""
    from assets.models import Stocktake, StocktakeScan

    with _in_school(ctx):
        counted = _lendable(n, ctx, "PD")
        made = Stocktake.objects.bulk_create(Stocktake(name=f"盘点{i}", created_by=ctx.user) for i in range(n))
        Stocktake.rooms.through.objects.bulk_create(
            Stocktake.rooms.through(stocktake=s, room=a.room) for s, a in zip(made, counted, strict=True)
        )
        StocktakeScan.objects.bulk_create(
            StocktakeScan(stocktake=s, room=a.room, code=a.asset_number, asset=a, booked_room=a.room, scanned_by=ctx.user)
            for s, a in zip(made, counted, strict=True)
        )


MAKERS = {
    "notifications": notifications, "schools": schools, "memberships": memberships,
    "departments": departments, "buildings": buildings, "appraisals": appraisals, "rooms": rooms,
    "units": units, "projects": projects, "feedback": feedback, "lost_items": lost_items, "services": services,
    "assets": assets, "consumables": consumables, "purchases": purchases, "acceptances": acceptances,
    "categories": categories, "stock_movements": stock_movements, "requisitions": requisitions, "loans": loans,
    "loan_requests": loan_requests, "transfers": transfers, "disposals": disposals, "stocktakes": stocktakes,
    "work_orders": work_orders, "maintenance_plans": maintenance_plans,
}
