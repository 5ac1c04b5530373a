"""Warranty routing (催修), vendor refusal out of warranty, parts from consumables stock, asset condition."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from assets.choices import Condition
from assets.models import StockMovement
from repairs.choices import Severity, Source, Status
from repairs.models import PartUsage, WorkOrder
from repairs.services import (
    work_order_complete,
    work_order_part_add,
    work_order_report,
    work_order_triage,
)
from tests.assets.factories import AssetFactory, ConsumableItemFactory, SupplierFactory


@pytest.fixture
def supplier(in_school_a):
    return SupplierFactory(name="联想售后")


@pytest.fixture
def under_warranty(room, supplier):
    return AssetFactory(room=room, supplier=supplier, warranty_end=timezone.localdate() + dt.timedelta(days=30))


@pytest.fixture
def out_of_warranty(room, supplier):
    return AssetFactory(room=room, supplier=supplier, warranty_end=timezone.localdate() - dt.timedelta(days=1))


def test_asset_under_warranty_routes_to_its_supplier(under_warranty, bob, supplier):
    order = work_order_report(reporter=bob, title="电脑无法开机", asset=under_warranty)
    assert (order.vendor_name, order.supplier, order.status) == ("联想售后", supplier, Status.ASSIGNED)
    assert order.room == under_warranty.room
    assert order.vendor_due_at is not None


def test_asset_out_of_warranty_stays_with_the_school(out_of_warranty, bob):
    order = work_order_report(reporter=bob, title="电脑无法开机", asset=out_of_warranty)
    assert (order.vendor_name, order.status) == ("", Status.REPORTED)


def test_vendor_assignment_for_an_asset_out_of_warranty_is_refused(out_of_warranty, bob, lena):
    order = work_order_report(reporter=bob, title="电脑无法开机", asset=out_of_warranty)
    with pytest.raises(ValidationError) as info:
        work_order_triage(order=order, actor=lena, severity=Severity.MAJOR, vendor_name="联想售后")
    assert "vendor_name" in info.value.message_dict
    order.refresh_from_db()
    assert (order.vendor_name, order.vendor_due_at, order.severity, order.status) == ("", None, Severity.MINOR,
                                                                                       Status.REPORTED)
    out_of_warranty.refresh_from_db()
    assert out_of_warranty.condition == Condition.IN_USE


def test_asset_is_under_repair_while_a_worker_fixes_it(out_of_warranty, bob, lena, mario):
    order = work_order_report(reporter=bob, title="电脑无法开机", asset=out_of_warranty)
    work_order_triage(order=order, actor=lena, severity=Severity.MINOR, assignee=mario)
    out_of_warranty.refresh_from_db()
    assert out_of_warranty.condition == Condition.UNDER_REPAIR
    work_order_complete(order=order, actor=mario, closing_note="换了电源")
    out_of_warranty.refresh_from_db()
    assert out_of_warranty.condition == Condition.IN_USE


@pytest.fixture
def assigned(room, bob, lena, mario):
    order = work_order_report(reporter=bob, title="灯不亮", room=room)
    return work_order_triage(order=order, actor=lena, severity=Severity.MINOR, assignee=mario)


def test_parts_are_issued_from_consumables_stock(assigned, mario):
    item = ConsumableItemFactory(name="LED灯管", unit="根", on_hand=10)
    work_order_part_add(order=assigned, actor=mario, name="", quantity=Decimal("3"), item=item)
    item.refresh_from_db()
    assert item.on_hand == 7
    movement = StockMovement.objects.get(item=item)
    assert (movement.quantity, movement.reference) == (-3, assigned.reference)
    assert list(PartUsage.objects.values_list("name", "unit", "quantity")) == [("LED灯管", "根", Decimal("3.00"))]


def test_more_parts_than_in_stock_is_refused_and_nothing_changes(assigned, mario):
    item = ConsumableItemFactory(name="水龙头", on_hand=2)
    with pytest.raises(ValidationError):
        work_order_part_add(order=assigned, actor=mario, name="", quantity=Decimal("5"), item=item)
    item.refresh_from_db()
    assert item.on_hand == 2
    assert PartUsage.objects.count() == 0


def test_public_page_opened_by_an_asset_label(client_for, school_a, under_warranty):
    from assets.labels import asset_label_token

    public = client_for(None, school_a)
    path = f"/repairs/report/?label={asset_label_token(school_a, under_warranty)}"
    page = public.get(path)
    assert page.status_code == 200
    assert under_warranty.asset_number in page.content.decode()
    response = public.post(path, {"title": "屏幕花屏"})
    assert response.status_code == 302
    order = WorkOrder.objects.get()
    assert (order.asset, order.source, order.vendor_name) == (under_warranty, Source.PUBLIC, "联想售后")
    # the number alone (a label printed before tokens) opens nothing
    assert public.get(f"/repairs/report/?asset={under_warranty.asset_number}").status_code == 404
    assert public.get("/repairs/report/?asset=NOPE").status_code == 404


def test_vendor_assignment_out_of_warranty_is_refused_on_the_page(client_for, school_a, out_of_warranty, bob, lena):
    order = work_order_report(reporter=bob, title="电脑无法开机", asset=out_of_warranty)
    client = client_for(lena, school_a)
    response = client.post(f"/repairs/{order.pk}/triage/", {"severity": "major", "vendor_name": "联想售后"}, follow=True)
    assert "已过保修期" in response.content.decode()
    order.refresh_from_db()
    assert (order.vendor_name, order.severity, order.status) == ("", Severity.MINOR, Status.REPORTED)


def test_bureau_reader_sees_the_order_but_no_forms(client_for, school_a, room, bob, dave):
    order = work_order_report(reporter=bob, title="灯不亮", room=room)
    page = client_for(dave, school_a).get(f"/repairs/{order.pk}/").content.decode()
    assert order.reference in page
    assert "/note/" not in page
    assert "/triage/" not in page


def test_graphql_reports_against_an_asset_and_shows_the_routing(client_for, school_a, under_warranty, bob):
    result = client_for(bob, school_a).gql(
        "mutation($n: String!) { workOrderReport(data: {title: \"电脑蓝屏\", assetNumber: $n}) "
        "{ assetNumber vendorName status } }", {"n": under_warranty.asset_number})
    assert result["data"]["workOrderReport"] == {
        "assetNumber": under_warranty.asset_number, "vendorName": "联想售后", "status": "ASSIGNED"}  # the WorkOrderStatus enum
