"""Demo rows from the seed: the purchases of the term, rooms and custodians, loans, requisitions, a stocktake."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from schools.models import Building, Department, Room
from tenants.models import Membership
from tenants.roles import Role

from . import services
from .models import Asset, Category, ConsumableItem, PurchaseRequest, Supplier
from .services import AcceptedLine, LineInput


def _room(building: str, number: str, name: str, custodian=None) -> Room:
    building_obj, _created = Building.objects.get_or_create(name=building)
    room = Room.objects.filter(name=name).first() or Room.objects.filter(building=building_obj, number=number).first()
    if room is None:
        room = Room.objects.create(building=building_obj, number=number, name=name)
    if custodian and room.custodian_id is None:
        room.custodian = custodian
        room.save(update_fields=["custodian"])
    return room


def _department(name: str) -> Department:
    department, _created = Department.objects.get_or_create(name=name)
    return department


def _cat(code: str) -> Category:
    return Category.objects.get(code=code)


def _buy(*, people, title, department, channel, lines, reason, accepted_on, room, actual_user, bureau_approver=None,
         supplier=None, funding_source="公用经费") -> PurchaseRequest:
    """Run one purchase through request → approvals → acceptance (everything accepted)."""
    custodian, principal = people[Role.CUSTODIAN], people[Role.PRINCIPAL]
    request = services.purchase_request_create(
        actor=custodian, department=department, title=title, reason=reason, channel=channel, lines=lines,
        funding_source=funding_source, supplier=supplier,
    )
    services.purchase_request_submit(request=request, actor=custodian)
    request = services.purchase_request_decide(request=request, actor=principal, approve=True, comment="同意")
    if request.needs_bureau_approval:
        services.purchase_request_decide(request=request, actor=bureau_approver, approve=True, comment="同意，按政府采购执行")
    services.acceptance_record(
        request=request, actor=custodian, members=[custodian, people[Role.LOGISTICS_DIRECTOR]], actual_user=actual_user,
        lines=[AcceptedLine(line=line, accepted=line.quantity) for line in request.lines.all()],
        accepted_on=accepted_on, invoice_number=f"FP{request.number[-6:]}", room=room,
    )
    return request


def load_school(*, school, people, seed: bool) -> None:
    custodian = people[Role.CUSTODIAN]
    director = people[Role.LOGISTICS_DIRECTOR]
    teacher = people[Role.TEACHER]
    today = timezone.localdate()
    if not seed:
        room = _room("教学楼", "301", "计算机室", custodian)
        for n in range(5):
            services.asset_create(actor=custodian, name="台式计算机", category=_cat("A02010105"),
                                  unit_price=Decimal("4800.00"), booked_on=today - dt.timedelta(days=400 + n), room=room,
                                  department=_department("总务处"), brand="联想")
        item = services.consumable_item_create(name="A4复印纸", unit="箱", actor=custodian, category=_cat("A05040101"),
                                               unit_price=Decimal("160.00"), reorder_level=5)
        services.consumable_receive(item=item, quantity=20, actor=custodian, reason="期初库存")
        return

    bureau_membership = (
        Membership.objects.active().filter(bureau=school.bureau, role=Role.BUREAU_LOGISTICS).select_related("user").first()
    )
    bureau_approver = bureau_membership.user if bureau_membership else None
    computer_room = _room("教学楼", "301", "计算机室", custodian)
    office = _room("综合楼", "201", "教导处办公室", custodian)
    logistics_office = _room("综合楼", "101", "总务处办公室", custodian)
    calligraphy = _room("综合楼", "302", "书法室", custodian)
    hall = _room("综合楼", "401", "多功能厅", custodian)
    nap_room = _room("教学楼", "105", "午休室", custodian)
    store = _room("综合楼", "001", "后勤仓库", custodian)
    health = _room("综合楼", "102", "卫生室", custodian)
    classroom = _room("教学楼", "201", "四(1)班教室", teacher)
    logistics, academic, info = _department("总务处"), _department("教导处"), _department("信息中心")
    supplier, _created = Supplier.objects.get_or_create(name="某某科技有限公司", defaults={"contact": "刘经理", "phone": "0731-8888888"})
    day = lambda n: today - dt.timedelta(days=n)  # noqa: E731

    # ¥56,000 of computers through government procurement (above the bureau's limit: the bureau approves).
    _buy(people=people, title="计算机室电脑更新", department=info, channel="government", supplier=supplier,
         lines=[LineInput(name="台式计算机", category=_cat("A02010105"), quantity=10, estimated_unit_price=Decimal("5600.00"),
                          spec="i5/16G/512G")],
         reason="计算机室电脑老化，按政府采购更新10台", accepted_on=day(60), room=computer_room, actual_user=teacher,
         bureau_approver=bureau_approver, funding_source="义务教育公用经费")
    Asset.objects.filter(name="台式计算机").update(brand="联想", model="启天M435", warranty_end=day(60) + dt.timedelta(days=3 * 365))
    # The new printer for 教导处.
    _buy(people=people, title="教导处打印机", department=academic, channel="decentralised",
         lines=[LineInput(name="激光打印机", category=_cat("A02021003"), quantity=1, estimated_unit_price=Decimal("1850.00"))],
         reason="教导处打印机损坏，新购一台", accepted_on=day(50), room=office, actual_user=people[Role.PRINCIPAL])
    # Desk covers, stools, calligraphy desks, recliners.
    _buy(people=people, title="课桌套和塑料凳", department=logistics, channel="decentralised",
         lines=[LineInput(name="课桌套", category=_cat("A05030000"), quantity=400, estimated_unit_price=Decimal("15.00"), unit="个"),
                LineInput(name="塑料凳", category=_cat("A05010304"), quantity=400, estimated_unit_price=Decimal("25.00"), unit="张")],
         reason="学生课桌套和塑料凳更换", accepted_on=day(45), room=store, actual_user=teacher)
    _buy(people=people, title="书法桌", department=academic, channel="decentralised",
         lines=[LineInput(name="书法桌", category=_cat("A05010203"), quantity=20, estimated_unit_price=Decimal("450.00"), unit="张")],
         reason="书法室建设", accepted_on=day(40), room=calligraphy, actual_user=teacher)
    _buy(people=people, title="二手办公桌", department=logistics, channel="self",
         lines=[LineInput(name="办公桌(二手)", category=_cat("A05010201"), quantity=4, estimated_unit_price=Decimal("75.00"), unit="张")],
         reason="节约开支，购二手办公桌4张", accepted_on=day(38), room=logistics_office, actual_user=director)
    _buy(people=people, title="多功能厅音响", department=logistics, channel="decentralised",
         lines=[LineInput(name="音响设备", category=_cat("A02091200"), quantity=1, estimated_unit_price=Decimal("4700.00"), unit="套")],
         reason="多功能厅活动需要", accepted_on=day(35), room=hall, actual_user=director)
    _buy(people=people, title="午休躺椅", department=logistics, channel="decentralised",
         lines=[LineInput(name="午休躺椅", category=_cat("A05010199"), quantity=35, estimated_unit_price=Decimal("120.00"), unit="张")],
         reason="教师午休", accepted_on=day(30), room=nap_room, actual_user=teacher)
    # Epidemic supplies, about ¥2,000 in all.
    _buy(people=people, title="防疫物资", department=logistics, channel="decentralised",
         lines=[
             LineInput(name="红外测温仪", category=_cat("A02100101"), quantity=2, estimated_unit_price=Decimal("300.00"), unit="把"),
             LineInput(name="口罩", category=_cat("A07000000"), quantity=100, estimated_unit_price=Decimal("1.50"), unit="个"),
             LineInput(name="体温计", category=_cat("A07000000"), quantity=15, estimated_unit_price=Decimal("10.00"), unit="支"),
             LineInput(name="喷雾器", category=_cat("A02320000"), quantity=12, estimated_unit_price=Decimal("60.00"), unit="个"),
             LineInput(name="84消毒液", category=_cat("A05040502"), quantity=4, estimated_unit_price=Decimal("95.00"), unit="箱"),
         ],
         reason="开学防疫准备", accepted_on=day(28), room=health, actual_user=people[Role.SAFETY_OFFICER])
    ConsumableItem.objects.filter(name="口罩").update(reorder_level=30)
    ConsumableItem.objects.filter(name="84消毒液").update(reorder_level=2)

    # Requisitions: masks for a class (received), disinfectant (waiting for approval).
    masks = ConsumableItem.objects.get(name="口罩")
    requisition = services.requisition_create(item=masks, quantity=40, requester=teacher, reason="班级晨午检备用",
                                              department=academic)
    services.requisition_decide(requisition=requisition, actor=people[Role.PRINCIPAL], approve=True)
    services.requisition_issue(requisition=requisition, actor=custodian)
    services.requisition_confirm(requisition=requisition, actor=teacher)
    services.requisition_create(item=ConsumableItem.objects.get(name="84消毒液"), quantity=1, requester=teacher,
                                reason="教室消毒", department=academic)

    # Loans: the audio set lent for an assembly (returned), a thermometer gun still out and overdue.
    audio = Asset.objects.get(name="音响设备")
    services.loan_create(asset=audio, borrower=teacher, actor=custodian, due_on=today + dt.timedelta(days=7), purpose="六一活动")
    services.loan_return(asset=audio, actor=custodian, condition_note="完好")
    gun = Asset.objects.filter(name="红外测温仪").first()
    loan = services.loan_create(asset=gun, borrower=people[Role.GUARD], actor=custodian, due_on=today, purpose="门口晨检")
    type(loan).objects.filter(pk=loan.pk).update(lent_on=day(10), due_on=day(3))

    # A finished stocktake of the computer room: one computer had been moved to a classroom.
    computers = list(Asset.objects.filter(name="台式计算机").order_by("asset_number"))
    moved = computers[-1]
    Asset.objects.filter(pk=moved.pk).update(room=computer_room)
    stocktake = services.stocktake_create(actor=custodian, name="本学期期末资产盘点", rooms=[computer_room, classroom],
                                          planned_on=day(5))
    for computer in computers[:-1]:
        services.stocktake_scan(stocktake=stocktake, room=computer_room, code=computer.asset_number, actor=custodian)
    services.stocktake_scan(stocktake=stocktake, room=classroom, code=moved.asset_number, actor=custodian)
    services.stocktake_resolve(stocktake=stocktake, code=moved.asset_number, action="move_room", actor=custodian,
                               note="已搬至四(1)班教室")
    services.stocktake_finish(stocktake=stocktake, actor=custodian)

    # The library's books as they were booked before the kind rules were fixed (issue 23): a service life of 0
    # ("not depreciated") was read as "used up within a year", so the reference sets of ¥5,000 and ¥1,280 went in
    # as consumables. The re-classification (as migration assets 0011 runs on a real school) corrects them and
    # leaves its report for the custodian to confirm.
    library = _room("综合楼", "203", "图书室", custodian)
    for number, (name, price) in enumerate((("《中国大百科全书》第三版（精装套）", "5000.00"),
                                            ("《四库全书》影印精选本", "1280.00"),
                                            ("儿童绘本（套）", "360.00")), start=1):
        Asset.objects.create(asset_number=f"{today.year}9{number:05d}", name=name, category=_cat("A04010100"),
                             kind="consumable", unit_price=Decimal(price), original_value=Decimal(price), unit="套",
                             room=library, department=logistics, booked_on=day(400))
    services.asset_kinds_reclassify(source="演示数据：按修正后的规则重新分类")
