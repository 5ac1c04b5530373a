"""The shipped GB/T 14885-2022 table is a well-formed tree, and 0006 moves old codes onto it."""

from __future__ import annotations

import importlib
from decimal import Decimal

from django.apps import apps

from assets import selectors
from assets.categories import (
    LEGACY_CODE_MAP,
    code_level,
    is_gbt_2022_code,
    shipped_rows,
    structural_parent,
    top_code,
)
from assets.models import Asset, Category, ConsumableItem

from .factories import AssetFactory, category

remap = importlib.import_module("assets.migrations.0007_categories_gbt14885_2022").remap


# ---------------------------------------------------------------- the shipped table


def test_shipped_table_is_a_well_formed_tree():
    rows = shipped_rows()
    codes = [row["code"] for row in rows]
    assert len(codes) == len(set(codes)), "codes are unique"
    by_code = {row["code"]: row for row in rows}
    for row in rows:
        code, parent = row["code"], row["parent"]
        assert is_gbt_2022_code(code), f"{code}: A and eight digits"
        assert row["name"].strip(), code
        assert parent == structural_parent(code), f"{code}: parent {parent!r} does not match the code"
        if parent:
            assert parent in by_code, f"{code}: parent {parent} is not in the table"
            assert code.startswith(parent.rstrip("0")), f"{code}: prefix of {parent}"
            assert code_level(code) == code_level(parent) + 1, f"{code}: one level below {parent}"
        else:
            assert code_level(code) == 1, f"{code}: only a 门类 has no parent"
        assert int(row["service_life_years"]) >= 0, code
        assert row["is_special_equipment"] in ("0", "1"), code
        assert row["sources"], f"{code}: every row says where it was checked"


def test_every_old_code_has_a_home_in_the_table():
    codes = {row["code"] for row in shipped_rows()}
    assert set(LEGACY_CODE_MAP.values()) <= codes


def test_code_structure_helpers():
    assert [code_level(c) for c in ("A05000000", "A05010000", "A05010300", "A05010304")] == [1, 2, 3, 4]
    assert structural_parent("A05010304") == "A05010300"
    assert structural_parent("A02021000") == "A02020000"
    assert structural_parent("A05000000") == ""
    assert top_code("A05010304") == "A05000000"
    assert top_code("2010104") == "2000000"
    assert code_level("2010104") == 0


def test_the_schema_holds_the_shipped_table(in_school_a):
    loaded = {c.code: c for c in Category.objects.select_related("parent")}
    for row in shipped_rows():
        assert loaded[row["code"]].name == row["name"]
        assert (loaded[row["code"]].parent.code if loaded[row["code"]].parent else "") == row["parent"]
    assert not Category.objects.filter(code__in=LEGACY_CODE_MAP).exists()


def test_asset_totals_group_by_the_2022_门类(in_school_a, bob):
    AssetFactory(original_value=Decimal("100.00"))
    AssetFactory(category=category("A05010304"), original_value=Decimal("30.00"))
    names = {entry["name"]: entry["count"] for entry in selectors.asset_totals(user=bob)["by_category"]}
    assert names == {"A02000000 设备": 1, "A05000000 家具和用具": 1}


# ---------------------------------------------------------------- migration 0006


def _legacy(code: str, name: str, *, life: int = 6, parent: Category | None = None) -> Category:
    return Category.objects.create(code=code, name=name, service_life_years=life, parent=parent)


def test_migration_renames_an_old_row_in_place_and_keeps_its_assets(in_school_a):
    Category.objects.filter(code="A02010109").delete()  # as before 0006: only the old code exists
    old = _legacy("2010106", "平板式微型计算机", parent=category("A02010100"))
    asset = AssetFactory(name="平板电脑", category=old)

    remap(apps, None)

    asset.refresh_from_db()
    assert asset.category_id == old.pk
    renamed = Category.objects.get(pk=old.pk)
    assert (renamed.code, renamed.name, renamed.parent.code) == ("A02010109", "平板式计算机", "A02010100")
    assert not Category.objects.filter(code="2010106").exists()


def test_migration_merges_old_rows_without_losing_an_asset(in_school_a, kate):
    from assets import services

    lab = _legacy("3400100", "实验仪器", life=5)
    masks = _legacy("8020100", "口罩", life=0)
    old_computers = _legacy("2010100", "计算机设备")
    own = _legacy("2010199", "其他计算机设备", parent=old_computers)  # a school's own row under an old one
    microscope = AssetFactory(name="显微镜", category=lab)
    item = services.consumable_item_create(name="口罩", unit="个", actor=kate, category=masks)

    remap(apps, None)

    microscope.refresh_from_db()
    item.refresh_from_db()
    own.refresh_from_db()
    assert microscope.category.code == "A02100000"
    assert item.category.code == "A07000000"
    assert (own.code, own.parent.code) == ("2010199", "A02010100")
    assert not Category.objects.filter(code__in=["3400100", "8020100", "2010100"]).exists()
    assert Asset.objects.filter(name="显微镜").count() == 1
    assert ConsumableItem.objects.filter(name="口罩").count() == 1


def test_migration_is_a_no_op_on_the_2022_table(in_school_a):
    before = list(Category.objects.order_by("pk").values_list("pk", "code", "name", "parent_id", "service_life_years"))
    remap(apps, None)
    after = list(Category.objects.order_by("pk").values_list("pk", "code", "name", "parent_id", "service_life_years"))
    assert after == before
