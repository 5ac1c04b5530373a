"""Asset kinds by the register's thresholds (issue 23): life 0 is "not depreciated", a hand-typed kind obeys the
threshold, acceptance books by the accepted price, and category codes have the GB/T 14885-2022 shape."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from assets import services
from assets.categories import code_shape_ok
from assets.choices import AssetKind
from assets.models import Asset, Category
from assets.services import AcceptedLine, LineInput

from .factories import DepartmentFactory, category


def _messages(excinfo) -> str:
    return " ".join(excinfo.value.messages)


def test_a_library_book_of_5000_with_life_0_is_a_fixed_asset(in_school_a):
    books = category("A04010100")
    assert books.service_life_years == 0
    assert services.asset_kind_for(category=books, unit_price=Decimal("5000.00")) == AssetKind.FIXED
    assert services.asset_kind_for(category=books, unit_price=Decimal("999.99")) == AssetKind.LOW_VALUE
    # life 0 of supplies and materials is still used up: copy paper, pens, materials stay consumables
    for code in ("A05040101", "A05040401", "A07000000"):
        assert services.asset_kind_for(category=category(code), unit_price=Decimal("5000.00")) == AssetKind.CONSUMABLE


def test_a_book_card_of_5000_booked_without_a_kind_is_fixed(in_school_a, kate):
    asset = services.asset_create(actor=kate, name="古籍影印本", category=category("A04010100"),
                                  unit_price=Decimal("5000.00"), unit="套")
    assert asset.kind == AssetKind.FIXED


def test_a_10_yuan_pen_typed_as_fixed_is_refused_with_the_rule_named(in_school_a, kate):
    with pytest.raises(ValidationError) as excinfo:
        services.asset_create(actor=kate, name="签字笔", category=category("A05010201"), kind=AssetKind.FIXED,
                              unit_price=Decimal("10.00"), unit="支")
    text = _messages(excinfo)
    assert "固定资产" in text or "Fixed asset threshold" in text
    assert "财政部令第68号" in text
    assert not Asset.objects.filter(name="签字笔").exists()


def test_the_threshold_edge_by_hand(in_school_a, kate):
    desks = category("A05010201")
    at = services.asset_create(actor=kate, name="会议桌", category=desks, kind=AssetKind.FIXED,
                               unit_price=Decimal("1000.00"), unit="张")
    assert at.kind == AssetKind.FIXED
    with pytest.raises(ValidationError):
        services.asset_create(actor=kate, name="会议桌2", category=desks, kind=AssetKind.FIXED,
                              unit_price=Decimal("999.99"), unit="张")
    with pytest.raises(ValidationError):  # a durable at the threshold typed as low-value
        services.asset_create(actor=kate, name="会议桌3", category=desks, kind=AssetKind.LOW_VALUE,
                              unit_price=Decimal("1000.00"), unit="张")
    with pytest.raises(ValidationError):  # correcting the price under the threshold keeps the rule
        services.asset_update(asset=at, actor=kate, unit_price=Decimal("50.00"))
    at.refresh_from_db()
    assert at.unit_price == Decimal("1000.00")


def test_special_equipment_uses_its_own_threshold_by_hand(in_school_a, kate):
    special = Category.objects.filter(is_special_equipment=True, service_life_years__gt=1).first()
    if special is None:
        pytest.skip("no special equipment category shipped")
    with pytest.raises(ValidationError):
        services.asset_create(actor=kate, name="仪器", category=special, kind=AssetKind.FIXED,
                              unit_price=Decimal("1200.00"))


def test_a_purchase_line_typed_fixed_below_the_threshold_is_refused(in_school_a, kate):
    with pytest.raises(ValidationError) as excinfo:
        services.purchase_request_create(
            actor=kate, department=DepartmentFactory(name="教务处"), title="笔", reason="教学", channel="self",
            lines=[LineInput(name="签字笔", category=category("A05010201"), quantity=10,
                             estimated_unit_price=Decimal("10.00"), kind=AssetKind.FIXED)],
        )
    assert "lines" in excinfo.value.message_dict


def _approved(kate, alice, *, price: str, code: str = "A02010105"):
    request = services.purchase_request_create(
        actor=kate, department=DepartmentFactory(name="信息中心"), title="设备", reason="教学", channel="self",
        lines=[LineInput(name="设备", category=category(code), quantity=2, estimated_unit_price=Decimal(price))],
    )
    services.purchase_request_submit(request=request, actor=kate)
    return services.purchase_request_decide(request=request, actor=alice, approve=True)


def test_acceptance_books_by_the_accepted_price_not_the_estimate(in_school_a, kate, alice, bob):
    # estimated ¥1,200 (fixed), accepted at ¥900: low-value durables
    request = _approved(kate, alice, price="1200.00")
    line = request.lines.get()
    assert line.kind == AssetKind.FIXED
    services.acceptance_record(request=request, actor=kate, members=[kate], actual_user=bob,
                               lines=[AcceptedLine(line=line, accepted=2, unit_price=Decimal("900.00"))])
    kinds = set(Asset.objects.filter(purchase_line=line).values_list("kind", flat=True))
    assert kinds == {AssetKind.LOW_VALUE}
    line.refresh_from_db()
    assert line.kind == AssetKind.LOW_VALUE
    # estimated ¥900 (low-value), accepted at ¥1,200: one fixed card per unit
    request = _approved(kate, alice, price="900.00")
    line = request.lines.get()
    services.acceptance_record(request=request, actor=kate, members=[kate], actual_user=bob,
                               lines=[AcceptedLine(line=line, accepted=2, unit_price=Decimal("1200.00"))])
    cards = Asset.objects.filter(purchase_line=line)
    assert cards.count() == 2
    assert set(cards.values_list("kind", flat=True)) == {AssetKind.FIXED}


@pytest.mark.parametrize(("code", "ok"), [
    ("A02010105", True), ("A04000000", True), ("A04019900", True),
    ("2010104", False), ("02010105", False), ("A0201", False), ("A02000100", False), ("A00010000", False),
])
def test_category_code_shape(code, ok):
    assert code_shape_ok(code) is ok


def test_a_category_of_the_2010_edition_is_refused(in_school_a, kate):
    with pytest.raises(ValidationError) as excinfo:
        Category(code="2010104", name="台式机").full_clean()
    assert "GB/T 14885-2022" in _messages(excinfo)
    with pytest.raises(ValidationError) as excinfo:
        services.category_table_import(rows=[{"code": "9990000", "name": "自定义分类"}], actor=kate)
    assert "9990000" in _messages(excinfo)
    assert not Category.objects.filter(code="9990000").exists()
