"""The words that collided between the apps' catalogues read right on the pages where people saw them wrong.

Before the catalogues had contexts, Django's merged catalogue gave asset names 姓名, an asset's place 房间,
parents 上级分类, the work order's Start button 开始日期, a rejected purchase 未通过 and a repair rating 意见.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.db import connection
from openpyxl import load_workbook

from assets import services as asset_services
from assets.models import Category
from assets.services import LineInput
from repairs.choices import Severity
from repairs.services import work_order_complete, work_order_report, work_order_triage
from safety.choices import AgreementKind
from safety.services import agreement_campaign_issue, agreement_template_create, school_class_create
from schools.models import Building, Department, Room
from tenants.access import forget_memberships
from tenants.models import User
from tenants.roles import Role
from tenants.services import membership_grant

TH = re.compile(r"<th[^>]*>([^<]*)</th>")


def _person(username: str, role: str, school) -> User:
    user = User.objects.create_user(username=username, password="x-pass-42", name=username.title())
    membership_grant(user=user, role=role, school=school)
    forget_memberships(user)
    return user


def _in(school, fn):
    connection.set_tenant(school)
    try:
        return fn()
    finally:
        connection.set_schema_to_public()


def _room():
    building, _created = Building.objects.get_or_create(name="1号教学楼")
    return Room.objects.create(building=building, number="305", name="计算机室")


@pytest.fixture
def room(school_a):
    return _in(school_a, _room)


def _page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.content.decode()


def test_asset_pages_name_the_asset_and_its_place(client_for, school_a, alice, room):
    # given an asset card in a room
    def book():
        return asset_services.asset_create(
            actor=alice,
            name="台式计算机",
            category=Category.objects.get(code="A02010105"),
            unit_price=Decimal("5600.00"),
            original_value=Decimal("5600.00"),
            booked_on=dt.date(2024, 1, 15),
            room=room,
        )

    asset = _in(school_a, book)
    client = client_for(alice, school_a)
    # then the list's columns are the asset's 名称 and 存放地点, not a person's 姓名 or a bare 房间
    headers = TH.findall(_page(client, "/assets/"))
    assert "名称" in headers
    assert "存放地点" in headers
    assert "姓名" not in headers
    assert "房间" not in headers
    # and the card says where it is kept
    detail = _page(client, f"/assets/{asset.pk}/")
    assert ">存放地点</dt>" in detail


def test_a_rejected_purchase_reads_yibohui(client_for, school_a, alice):
    custodian = _person("cat-custodian", Role.CUSTODIAN, school_a)

    def reject():
        purchase = asset_services.purchase_request_create(
            actor=custodian,
            department=Department.objects.create(name="信息中心"),
            title="电脑",
            reason="教学",
            channel="government",
            lines=[
                LineInput(
                    name="台式计算机",
                    category=Category.objects.get(code="A02010105"),
                    quantity=2,
                    estimated_unit_price=Decimal("5600"),
                )
            ],
        )
        asset_services.purchase_request_submit(request=purchase, actor=custodian)
        return asset_services.purchase_request_decide(
            request=purchase, actor=alice, approve=False, comment="预算不足"
        )

    purchase = _in(school_a, reject)
    page = _page(client_for(alice, school_a), f"/assets/purchases/{purchase.pk}/")
    assert "<strong data-status>已驳回</strong>" in page
    assert "未通过" not in page
    # the acceptance columns count quantities
    assert {"合格数量", "拒收数量"} <= set(TH.findall(page))


def test_the_work_order_start_button_reads_kaigong(client_for, school_a, bob, room):
    director = _person("cat-director", Role.LOGISTICS_DIRECTOR, school_a)
    worker = _person("cat-worker", Role.MAINTENANCE_WORKER, school_a)

    def assign():
        order = work_order_report(reporter=bob, title="水龙头漏水", room=room)
        work_order_triage(order=order, actor=director, severity=Severity.MINOR, assignee=worker)
        return order

    order = _in(school_a, assign)
    page = _page(client_for(worker, school_a), f"/repairs/{order.pk}/")
    assert '<button class="btn btn-sm btn-primary">开工</button>' in page
    assert "开始日期" not in page


def test_the_reporter_rates_a_repair_with_pingjia(client_for, school_a, bob, room):
    director = _person("cat-director", Role.LOGISTICS_DIRECTOR, school_a)
    worker = _person("cat-worker", Role.MAINTENANCE_WORKER, school_a)

    def complete():
        order = work_order_report(reporter=bob, title="灯不亮", room=room)
        work_order_triage(order=order, actor=director, severity=Severity.MINOR, assignee=worker)
        return work_order_complete(order=order, actor=worker, closing_note="换了灯管")

    order = _in(school_a, complete)
    page = _page(client_for(bob, school_a), f"/repairs/{order.pk}/")
    assert re.search(r"<label[^>]*>评价</label>", page)
    assert not re.search(r"<label[^>]*>意见</label>", page)
    assert "已完工" in page


def test_agreement_lists_name_parents_jiazhang(client_for, school_a, alice):
    officer = _person("cat-safety", Role.SAFETY_OFFICER, school_a)

    def issue():
        school_class_create(grade=1, name="一年级1班", student_count=2)
        template = agreement_template_create(
            actor=officer,
            kind=AgreementKind.ROUTE,
            title="学生路途安全责任书",
            body="家长负责学生上下学路途安全。",
        )
        return agreement_campaign_issue(
            actor=officer, template=template, term="2026-2027-1", groups=["parents"]
        )

    campaign = _in(school_a, issue)
    client = client_for(officer, school_a)
    page = _page(client, f"/safety/campaigns/{campaign.pk}/")
    # the party column, and the filter's option
    assert page.count("<td>家长</td>") == 2
    assert re.search(r'<option value="parent"[^>]*>家长</option>', page)
    assert "上级分类" not in page
    # and the signing list exported to Excel
    export = client.get(f"/safety/campaigns/{campaign.pk}/?export=xlsx")
    assert export.status_code == 200
    cells = [c.value for row in load_workbook(io.BytesIO(export.content)).active.iter_rows() for c in row]
    assert cells.count("家长") == 2
    assert "上级分类" not in cells
