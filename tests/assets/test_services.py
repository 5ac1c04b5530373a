"""The lifecycle rules of a school's property, service by service."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from assets import selectors, services
from assets.choices import AssetKind, Condition, DisposalMethod, PurchaseStatus, RequisitionStatus
from assets.models import Asset, ConsumableItem, Disposal, Loan, PurchaseLine, StockMovement, Stocktake
from assets.services import AcceptedLine, LineInput
from tenants.models import Notification

from .factories import AssetFactory, ConsumableItemFactory, DepartmentFactory, RoomFactory, category


def _request(actor, *, quantity=3, price="5600.00", code="A02010105", name="台式计算机"):
    return services.purchase_request_create(
        actor=actor, department=DepartmentFactory(name="信息中心"), title="电脑", reason="教学", channel="government",
        lines=[LineInput(name=name, category=category(code), quantity=quantity, estimated_unit_price=Decimal(price))],
    )


# ---------------------------------------------------------------- kinds, depreciation, warranty


def test_kind_follows_the_bureau_thresholds(in_school_a):
    computers, desks, masks, instruments = category("A02010105"), category("A05010200"), category("A07000000"), category("A02450100")
    assert services.asset_kind_for(category=computers, unit_price=Decimal("999.99")) == AssetKind.LOW_VALUE
    assert services.asset_kind_for(category=computers, unit_price=Decimal("1000.00")) == AssetKind.FIXED
    assert services.asset_kind_for(category=instruments, unit_price=Decimal("1200.00")) == AssetKind.LOW_VALUE
    assert services.asset_kind_for(category=instruments, unit_price=Decimal("1500.00")) == AssetKind.FIXED
    assert services.asset_kind_for(category=desks, unit_price=Decimal("300.00")) == AssetKind.LOW_VALUE
    assert services.asset_kind_for(category=masks, unit_price=Decimal("2000.00")) == AssetKind.CONSUMABLE


def test_kind_threshold_is_configurable_per_bureau(in_school_a):
    in_school_a.bureau.fixed_asset_threshold = Decimal("800.00")
    assert services.asset_kind_for(category=category("A02010105"), unit_price=Decimal("850.00")) == AssetKind.FIXED


def test_straight_line_depreciation_over_the_category_life(in_school_a):
    # given a computer (6 years = 72 months) of ¥7,200 booked in January 2024
    asset = AssetFactory(original_value=Decimal("7200.00"), booked_on=dt.date(2024, 1, 15))
    # then each month takes ¥100, starting with the month it was booked
    assert asset.accumulated_depreciation(dt.date(2024, 1, 31)) == Decimal("100.00")
    assert asset.accumulated_depreciation(dt.date(2025, 12, 1)) == Decimal("2400.00")
    assert asset.net_value(dt.date(2025, 12, 1)) == Decimal("4800.00")
    assert asset.accumulated_depreciation(dt.date(2040, 1, 1)) == Decimal("7200.00")
    assert asset.net_value(dt.date(2023, 12, 31)) == Decimal("7200.00")


def test_low_value_items_do_not_depreciate(in_school_a):
    asset = AssetFactory(kind=AssetKind.LOW_VALUE, original_value=Decimal("300.00"))
    assert asset.accumulated_depreciation(dt.date(2026, 1, 1)) == Decimal("0.00")


def test_warranty(in_school_a):
    asset = AssetFactory(warranty_end=dt.date(2026, 6, 30))
    assert selectors.asset_under_warranty(asset, on=dt.date(2026, 6, 30)) is True
    assert selectors.asset_under_warranty(asset, on=dt.date(2026, 7, 1)) is False
    assert selectors.asset_under_warranty(AssetFactory(), on=dt.date(2026, 1, 1)) is False


def test_asset_create_generates_numbers_in_sequence(in_school_a, kate):
    first = services.asset_create(actor=kate, name="打印机", category=category("A02021000"), unit_price=Decimal("1800"))
    second = services.asset_create(actor=kate, name="打印机", category=category("A02021000"), unit_price=Decimal("1800"))
    assert int(second.asset_number) == int(first.asset_number) + 1
    assert first.kind == AssetKind.FIXED
    assert first.original_value == Decimal("1800.00")


def test_condition_change_is_in_history_and_disposed_is_final(in_school_a, kate):
    from tenants.audit import history_for

    asset = AssetFactory()
    services.asset_condition_set(asset=asset, condition=Condition.UNDER_REPAIR, actor=kate, reason="屏幕坏")
    assert history_for(asset)[0]["diff"]["condition"] == ["in_use", "under_repair"]
    services.asset_condition_set(asset=asset, condition=Condition.DISPOSED, actor=kate, reason="报废")
    with pytest.raises(ValidationError):
        services.asset_condition_set(asset=asset, condition=Condition.IN_USE, actor=kate, reason="复用")
    assert Asset.objects.get(pk=asset.pk).condition == Condition.DISPOSED


# ---------------------------------------------------------------- consumables


def test_consumable_issue_refuses_more_than_on_hand(in_school_a, kate):
    item = ConsumableItemFactory()
    services.consumable_receive(item=item, quantity=100, actor=kate, reason="采购")
    movement = services.consumable_issue(item=item, quantity=30, actor=kate, reason="晨检", reference="X1")
    assert (movement.quantity, movement.balance_after) == (-30, 70)
    with pytest.raises(ValidationError) as excinfo:
        services.consumable_issue(item=item, quantity=71, actor=kate, reason="晨检", reference="X2")
    assert "quantity" in excinfo.value.message_dict
    assert ConsumableItem.objects.get(pk=item.pk).on_hand == 70
    assert StockMovement.objects.filter(item=item).count() == 2


def test_requisition_is_approved_issued_and_confirmed_by_the_receiver(in_school_a, kate, alice, bob):
    item = ConsumableItemFactory()
    services.consumable_receive(item=item, quantity=10, actor=kate, reason="采购")
    requisition = services.requisition_create(item=item, quantity=4, requester=bob, reason="班级用")
    with pytest.raises(PermissionDenied):
        services.requisition_decide(requisition=requisition, actor=bob, approve=True)
    services.requisition_decide(requisition=requisition, actor=alice, approve=True)
    services.requisition_issue(requisition=requisition, actor=kate)
    with pytest.raises(PermissionDenied):
        services.requisition_confirm(requisition=requisition, actor=kate)
    requisition = services.requisition_confirm(requisition=requisition, actor=bob)
    assert requisition.status == RequisitionStatus.RECEIVED
    assert ConsumableItem.objects.get(pk=item.pk).on_hand == 6


def test_low_stock_is_computed_from_actual_consumption(in_school_a, kate):
    # given 100 masks, reorder level 10, and 60 issued over the last 30 days (2 a day)
    item = ConsumableItemFactory(reorder_level=10)
    services.consumable_receive(item=item, quantity=100, actor=kate, reason="采购")
    services.consumable_issue(item=item, quantity=60, actor=kate, reason="晨检")
    quiet = ConsumableItemFactory(reorder_level=10)
    services.consumable_receive(item=quiet, quantity=40, actor=kate, reason="采购")
    # then 40 left at 2 a day runs out within 14 days? no (20 days); within 30 days: yes
    assert selectors.consumption_per_day(item=item) == Decimal(2)
    assert [i for i, _rate in selectors.consumables_running_low(lead_days=14)] == []
    assert [i.pk for i, _rate in selectors.consumables_running_low(lead_days=30)] == [item.pk]


# ---------------------------------------------------------------- procurement


def test_purchase_under_the_limit_needs_only_the_principal(in_school_a, kate, alice):
    request = _request(kate, quantity=2)
    services.purchase_request_submit(request=request, actor=kate)
    request = services.purchase_request_decide(request=request, actor=alice, approve=True)
    assert request.status == PurchaseStatus.APPROVED
    assert request.needs_bureau_approval is False


def test_purchase_above_the_limit_needs_the_bureau(in_school_a, kate, alice, nora, dave, erin):
    # given ¥56,000 of computers, above north's limit of ¥50,000
    request = _request(kate, quantity=10)
    assert request.estimated_total == Decimal("56000.00")
    services.purchase_request_submit(request=request, actor=kate)
    request = services.purchase_request_decide(request=request, actor=alice, approve=True)
    assert request.status == PurchaseStatus.BUREAU_PENDING
    # the bureau's approvers are told, with a link to the school's host where they decide
    told = Notification.objects.get(recipient=nora, dedupe_key=f"purchase-bureau-{request.pk}")
    assert told.url == in_school_a.url(f"/assets/purchases/{request.pk}/")
    assert not Notification.objects.filter(recipient=erin, dedupe_key=f"purchase-bureau-{request.pk}").exists()
    # the principal cannot approve twice, another bureau's leader cannot approve
    with pytest.raises(PermissionDenied):
        services.purchase_request_decide(request=request, actor=alice, approve=True)
    with pytest.raises(PermissionDenied):
        services.purchase_request_decide(request=request, actor=erin, approve=True)
    request = services.purchase_request_decide(request=request, actor=nora, approve=True)
    assert request.status == PurchaseStatus.APPROVED
    assert [a.level for a in request.approvals.all()] == ["school", "bureau"]


def test_rejection_needs_a_reason(in_school_a, kate, alice):
    request = _request(kate)
    services.purchase_request_submit(request=request, actor=kate)
    with pytest.raises(ValidationError):
        services.purchase_request_decide(request=request, actor=alice, approve=False)
    request = services.purchase_request_decide(request=request, actor=alice, approve=False, comment="预算不足")
    assert request.status == PurchaseStatus.REJECTED


def _approved(kate, alice, **kwargs):
    request = _request(kate, **kwargs)
    services.purchase_request_submit(request=request, actor=kate)
    return services.purchase_request_decide(request=request, actor=alice, approve=True)


def test_partial_acceptance_books_one_card_per_fixed_unit(in_school_a, kate, alice, bob):
    request = _approved(kate, alice, quantity=3)
    line = request.lines.get()
    room = RoomFactory()
    # when 2 are accepted and 0 rejected first
    services.acceptance_record(request=request, actor=kate, members=[kate], actual_user=bob, room=room,
                               lines=[AcceptedLine(line=line, accepted=2)], invoice_number="FP001")
    request.refresh_from_db()
    assert request.status == PurchaseStatus.PARTLY_ACCEPTED
    cards = list(Asset.objects.filter(purchase_line=line).order_by("asset_number"))
    assert [(c.quantity, c.original_value, c.user, c.room, c.invoice_number) for c in cards] == [
        (1, Decimal("5600.00"), bob, room, "FP001")
    ] * 2
    # then the last one is rejected: the request is done
    services.acceptance_record(request=request, actor=kate, members=[kate], actual_user=bob,
                               lines=[AcceptedLine(line=line, accepted=0, rejected=1, note="屏幕碎")])
    request.refresh_from_db()
    assert request.status == PurchaseStatus.ACCEPTED
    assert Asset.objects.filter(purchase_line=line).count() == 2


def test_accepting_more_than_was_ordered_is_refused(in_school_a, kate, alice, bob):
    request = _approved(kate, alice, quantity=3)
    line = request.lines.get()
    with pytest.raises(ValidationError) as excinfo:
        services.acceptance_record(request=request, actor=kate, members=[kate], actual_user=bob,
                                   lines=[AcceptedLine(line=line, accepted=4)])
    assert "lines" in excinfo.value.message_dict
    assert PurchaseLine.objects.get(pk=line.pk).accepted_quantity == 0
    assert Asset.objects.filter(purchase_line=line).count() == 0


def test_acceptance_of_consumables_stocks_in(in_school_a, kate, alice, bob):
    request = _approved(kate, alice, quantity=100, price="1.50", code="A07000000", name="口罩")
    services.acceptance_record(request=request, actor=kate, members=[kate], actual_user=bob,
                               lines=[AcceptedLine(line=request.lines.get(), accepted=100)])
    item = ConsumableItem.objects.get(name="口罩")
    assert (item.on_hand, item.unit_price) == (100, Decimal("1.50"))


def test_acceptance_needs_the_actual_user_and_another_member(in_school_a, kate, alice):
    request = _approved(kate, alice)
    with pytest.raises(ValidationError):
        services.acceptance_record(request=request, actor=kate, members=[], actual_user=kate,
                                   lines=[AcceptedLine(line=request.lines.get(), accepted=1)])


# ---------------------------------------------------------------- loans, transfers, disposal


def test_lending_a_disposed_asset_is_refused(in_school_a, kate, bob):
    asset = AssetFactory(condition=Condition.DISPOSED)
    with pytest.raises(ValidationError) as excinfo:
        services.loan_create(asset=asset, borrower=bob, actor=kate, due_on=dt.date(2030, 1, 1))
    assert "asset" in excinfo.value.message_dict
    assert Loan.objects.count() == 0


def test_returning_an_asset_not_lent_is_refused(in_school_a, kate):
    asset = AssetFactory()
    with pytest.raises(ValidationError) as excinfo:
        services.loan_return(asset=asset, actor=kate)
    assert "asset" in excinfo.value.message_dict


def test_loan_and_return(in_school_a, kate, bob):
    asset = AssetFactory()
    services.loan_create(asset=asset, borrower=bob, actor=kate, due_on=dt.date(2030, 1, 1))
    assert Asset.objects.get(pk=asset.pk).condition == Condition.LENT
    loan = services.loan_return(asset=asset, actor=kate, condition_note="完好")
    assert loan.returned_on is not None
    assert Asset.objects.get(pk=asset.pk).condition == Condition.IN_USE


def test_overdue_loans_are_reminded_once_a_day(in_school_a, kate, bob):
    asset = AssetFactory()
    loan = services.loan_create(asset=asset, borrower=bob, actor=kate, due_on=timezone.localdate())
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    assert services.loans_overdue_notify(today=tomorrow) == 1
    assert services.loans_overdue_notify(today=tomorrow) == 0
    assert Notification.objects.filter(recipient=bob, dedupe_key=f"loan-overdue-{loan.pk}-{tomorrow}").count() == 1


def test_transfer_moves_the_card_only_when_confirmed(in_school_a, kate, bob):
    asset = AssetFactory()
    target = RoomFactory()
    transfer = services.transfer_request(asset=asset, actor=bob, reason="换教室", to_room=target)
    assert Asset.objects.get(pk=asset.pk).room_id != target.pk
    with pytest.raises(PermissionDenied):
        services.transfer_decide(transfer=transfer, actor=bob, confirm=True)
    services.transfer_decide(transfer=transfer, actor=kate, confirm=True)
    assert Asset.objects.get(pk=asset.pk).room_id == target.pk


def test_service_age_counts_whole_months_and_life_zero_sets_no_minimum(in_school_a):
    asset = AssetFactory(booked_on=dt.date(2024, 3, 15), service_life_years=6)
    assert asset.service_age(dt.date(2026, 3, 14)) == (1, 11)
    assert asset.service_age(dt.date(2026, 3, 15)) == (2, 0)
    assert asset.minimum_life_end() == dt.date(2030, 3, 15)
    assert not asset.minimum_life_reached(dt.date(2030, 3, 14))
    assert asset.minimum_life_reached(dt.date(2030, 3, 15))
    leap = AssetFactory(booked_on=dt.date(2024, 2, 29), service_life_years=5)
    assert leap.minimum_life_end() == dt.date(2029, 2, 28)
    unlimited = AssetFactory(booked_on=dt.date(2026, 1, 1), service_life_years=0)
    assert unlimited.minimum_life_end() is None
    assert unlimited.minimum_life_reached()


def test_disposing_an_asset_twice_is_refused(in_school_a, kate, alice):
    asset = AssetFactory(booked_on=dt.date(2010, 1, 1))
    disposal = services.disposal_request(asset=asset, actor=kate, method=DisposalMethod.SCRAP, reason="老化")
    with pytest.raises(ValidationError):
        services.disposal_request(asset=asset, actor=kate, method=DisposalMethod.SCRAP, reason="老化")
    services.disposal_decide(disposal=disposal, actor=alice, approve=True)
    with pytest.raises(ValidationError) as excinfo:
        services.disposal_request(asset=asset, actor=kate, method=DisposalMethod.SELL, reason="变卖")
    assert "asset" in excinfo.value.message_dict
    assert Disposal.objects.filter(asset=asset).count() == 1
    assert Asset.objects.get(pk=asset.pk).condition == Condition.DISPOSED


def test_early_scrapping_needs_justification_and_the_bureau(in_school_a, kate, alice, nora):
    booked = timezone.localdate() - dt.timedelta(days=400)
    asset = AssetFactory(booked_on=booked, service_life_years=6)
    with pytest.raises(ValidationError) as excinfo:
        services.disposal_request(asset=asset, actor=kate, method=DisposalMethod.SCRAP, reason="坏了")
    (message,) = excinfo.value.message_dict["justification"]
    # The refusal says what the minimum is, how old the asset is, and who approves.
    years, months = asset.service_age()
    assert (years, months) in ((1, 1), (1, 0), (1, 2))
    assert booked.isoformat() in message
    assert f"{years} years {months} months" in message or f"{years} 年 {months} 个月" in message
    assert "6" in message
    assert asset.minimum_life_end().isoformat() in message
    assert "bureau" in message or "教育局" in message
    disposal = services.disposal_request(asset=asset, actor=kate, method=DisposalMethod.SCRAP, reason="坏了",
                                         justification="雷击损坏主板，维修费用超过原值。")
    assert disposal.is_early is True
    with pytest.raises(PermissionDenied):
        services.disposal_decide(disposal=disposal, actor=alice, approve=True)
    services.disposal_decide(disposal=disposal, actor=nora, approve=True)
    assert Asset.objects.get(pk=asset.pk).condition == Condition.DISPOSED


# ---------------------------------------------------------------- stocktake


def test_stocktake_lists_surplus_missing_and_misplaced_and_reconciles(in_school_a, kate):
    room_1, room_2 = RoomFactory(), RoomFactory()
    here = AssetFactory(room=room_1)
    gone = AssetFactory(room=room_1)
    moved = AssetFactory(room=room_2)
    stocktake = services.stocktake_create(actor=kate, name="2026秋盘点", rooms=[room_1, room_2])
    services.stocktake_scan(stocktake=stocktake, room=room_1, code=here.asset_number, actor=kate)
    services.stocktake_scan(stocktake=stocktake, room=room_1, code=f"http://x/assets/qr/{moved.asset_number}", actor=kate)
    services.stocktake_scan(stocktake=stocktake, room=room_2, code="UNKNOWN-1", actor=kate)
    found = selectors.stocktake_discrepancies(stocktake=stocktake, user=kate)
    assert [r["code"] for r in found["surplus"]] == ["UNKNOWN-1"]
    assert [r["code"] for r in found["missing"]] == [gone.asset_number]
    assert [r["code"] for r in found["misplaced"]] == [moved.asset_number]
    # when reconciled
    services.stocktake_resolve(stocktake=stocktake, code=gone.asset_number, action="mark_lost", actor=kate)
    services.stocktake_resolve(stocktake=stocktake, code=moved.asset_number, action="move_room", actor=kate)
    with pytest.raises(ValidationError):
        services.stocktake_resolve(stocktake=stocktake, code=here.asset_number, action="mark_lost", actor=kate)
    assert Asset.objects.get(pk=gone.pk).condition == Condition.LOST
    assert Asset.objects.get(pk=moved.pk).room == room_1


def test_stocktake_lists_read_from_a_prefetch_give_the_same_rows(in_school_a, kate, django_assert_num_queries):
    # given a stocktake with a surplus, a missing, a misplaced, a resolved and a disposed asset
    room_1, room_2 = RoomFactory(), RoomFactory()
    here, gone, gone_too, moved = (AssetFactory(room=room_1), AssetFactory(room=room_1), AssetFactory(room=room_2),
                                   AssetFactory(room=room_2))
    AssetFactory(room=room_1, condition=Condition.DISPOSED)
    stocktake = services.stocktake_create(actor=kate, name="2026秋盘点", rooms=[room_1, room_2])
    services.stocktake_scan(stocktake=stocktake, room=room_1, code=here.asset_number, actor=kate)
    services.stocktake_scan(stocktake=stocktake, room=room_1, code=moved.asset_number, actor=kate)
    services.stocktake_scan(stocktake=stocktake, room=room_2, code="UNKNOWN-1", actor=kate)
    services.stocktake_resolve(stocktake=stocktake, code=gone_too.asset_number, action="ignore", actor=kate)
    plain = selectors.stocktake_lists(Stocktake.objects.get(pk=stocktake.pk))

    # when the same lists are read from stocktake_prefetch()
    prefetched = Stocktake.objects.prefetch_related(*selectors.stocktake_prefetch()).get(pk=stocktake.pk)
    with django_assert_num_queries(0):
        found = selectors.stocktake_lists(prefetched)
        rooms = {k: [(str(r["booked_room"] or ""), str(r["scanned_room"] or "")) for r in v] for k, v in found.items()}

    # then they are the same rows, in the same order, without a query
    assert {k: [(r["code"], r["resolution"]) for r in v] for k, v in found.items()} == {
        k: [(r["code"], r["resolution"]) for r in v] for k, v in plain.items()}
    assert [r["code"] for r in found["missing"]] == [gone_too.asset_number, gone.asset_number]
    assert rooms == {k: [(str(r["booked_room"] or ""), str(r["scanned_room"] or "")) for r in v]
                     for k, v in plain.items()}


def test_low_stock_beat_notifies_custodians_once_a_day(in_school_a, kate):
    item = ConsumableItemFactory(reorder_level=10, name="84消毒液")
    services.consumable_receive(item=item, quantity=8, actor=kate, reason="采购")
    assert services.consumables_low_stock_notify() == 1
    assert services.consumables_low_stock_notify() == 0
    assert Notification.objects.filter(recipient=kate, kind="assets.low_stock").count() == 1


def test_metrics(in_school_a, kate, alice, bob):
    from assets.metrics import METRICS
    from tenants.metrics import Period

    AssetFactory(original_value=Decimal("5600.00"))
    AssetFactory(original_value=Decimal("100.00"), condition=Condition.DISPOSED)
    request = _approved(kate, alice, quantity=2)
    services.acceptance_record(request=request, actor=kate, members=[kate], actual_user=bob,
                               lines=[AcceptedLine(line=request.lines.get(), accepted=2)])
    today = timezone.localdate()
    values = {m.key: m.compute(Period(today.replace(day=1), today)) for m in METRICS}
    assert values["assets_fixed_count"] == 3
    assert values["assets_fixed_value"] == Decimal("16800.00")
    assert values["assets_procured_government"] == Decimal("11200.00")
    assert values["assets_procured_other"] == Decimal("0")
    assert values["assets_loans_open"] == 0


@pytest.mark.parametrize(
    "text",
    ["2026000012", " 2026000012 ", "http://alpha.localhost/assets/qr/2026000012/",
     "http://alpha.localhost/assets/qr/2026000012", "/repairs/report/?asset=2026000012&x=1",
     "http://alpha.localhost/assets/qr/2026000012/?label=a5:AbC-_12"],
)
def test_scanned_code_reads_numbers_and_label_urls(text):
    assert services.scanned_code(text) == "2026000012"


def test_full_category_table_import_adds_and_updates(in_school_a, kate, bob):
    from assets.models import Category

    rows = [
        {"code": "A02010105", "name": "台式计算机", "parent": "A02010100", "service_life_years": "5", "is_special_equipment": "0"},
        {"code": "A02010110", "name": "瘦客户机", "parent": "A02010100", "service_life_years": "6", "is_special_equipment": "0"},
        {"code": "A02010200", "name": "网络设备", "parent": "", "service_life_years": "6", "is_special_equipment": "0"},
    ]
    with pytest.raises(PermissionDenied):
        services.category_table_import(rows=rows, actor=bob)
    assert services.category_table_import(rows=rows, actor=kate) == 3
    assert Category.objects.get(code="A02010105").service_life_years == 5
    assert Category.objects.get(code="A02010110").parent.code == "A02010100"
    # a 2022 code left without a parent gets its structural one
    assert Category.objects.get(code="A02010200").parent.code == "A02010000"
    with pytest.raises(ValidationError):
        services.category_table_import(rows=[{"code": "X1", "name": "", "parent": "404"}], actor=kate)


def test_full_category_table_import_checks_the_2022_structure(in_school_a, kate):
    rows = [{"code": "A02010111", "name": "某计算机", "parent": "A02020000", "service_life_years": "6"}]
    with pytest.raises(ValidationError) as excinfo:
        services.category_table_import(rows=rows, actor=kate)
    assert "A02010100" in " ".join(excinfo.value.messages)
    with pytest.raises(ValidationError):
        services.category_table_import(rows=[{"code": "A0201", "name": "短代码"}], actor=kate)
    # all-digit codes (the 2010 edition, a bureau's own table) are refused (tests/assets/test_kind_rules.py)
    with pytest.raises(ValidationError):
        services.category_table_import(rows=[{"code": "9990000", "name": "自定义分类"}], actor=kate)


def test_teacher_asks_to_borrow_and_the_custodian_lends(in_school_a, kate, bob):
    from assets.models import LoanRequest

    asset = AssetFactory()
    request = services.loan_request_create(asset=asset, requester=bob, purpose="公开课", due_on=timezone.localdate())
    with pytest.raises(PermissionDenied):
        services.loan_request_decide(request=request, actor=bob, approve=True)
    request = services.loan_request_decide(request=request, actor=kate, approve=True)
    assert request.loan.borrower == bob
    assert Asset.objects.get(pk=asset.pk).condition == Condition.LENT
    with pytest.raises(ValidationError):
        services.loan_request_decide(request=request, actor=kate, approve=True)
    with pytest.raises(ValidationError):  # a lent asset cannot be asked for
        services.loan_request_create(asset=asset, requester=bob, purpose="再借", due_on=timezone.localdate())
    assert LoanRequest.objects.count() == 1
