"""Excel import of asset cards: every bad input gives a clear error and imports nothing."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from openpyxl import Workbook

from assets.imports import ImportFailed, assets_import
from assets.models import Asset

from .factories import AssetFactory, RoomFactory


@pytest.fixture(autouse=True)
def _english():
    """Messages are checked in their English source form (the zh_Hans catalogue has its own test)."""
    from django.utils import translation

    with translation.override("en"):
        yield


HEADER = ["资产编号", "资产名称", "分类代码", "单价", "数量", "入账日期", "存放地点"]


def xlsx(rows, header=HEADER) -> SimpleUploadedFile:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile("assets.xlsx", buffer.getvalue())


def good_row(number="A0001", **changes):
    row = {"资产编号": number, "资产名称": "台式计算机", "分类代码": "A02010105", "单价": 5600, "数量": 1,
           "入账日期": dt.date(2025, 9, 1), "存放地点": ""}
    row.update(changes)
    return [row[h] for h in HEADER]


def failed(upload, kate) -> list[tuple]:
    with pytest.raises(ImportFailed) as excinfo:
        assets_import(upload=upload, actor=kate)
    assert Asset.objects.count() == 0
    return [(e.row, e.column, e.message) for e in excinfo.value.errors]


def refused(upload, kate) -> str:
    with pytest.raises(ValidationError) as excinfo:
        assets_import(upload=upload, actor=kate)
    assert Asset.objects.count() == 0
    return " ".join(excinfo.value.messages)


def test_good_file_imports_every_row(in_school_a, kate):
    room = RoomFactory(name="计算机室")
    count = assets_import(upload=xlsx([good_row("A0001", 存放地点="计算机室"), good_row("", 单价="300.50")]), actor=kate)
    assert count == 2
    first = Asset.objects.get(asset_number="A0001")
    assert (first.kind, first.original_value, first.room) == ("fixed", Decimal("5600.00"), room)
    second = Asset.objects.exclude(asset_number="A0001").get()
    assert (second.kind, second.unit_price) == ("low_value", Decimal("300.50"))
    assert second.asset_number.startswith(str(timezone.localdate().year))


def test_old_shipped_codes_still_import(in_school_a, kate):
    assets_import(upload=xlsx([good_row("A0001", 分类代码="2010104"), good_row("A0002", 分类代码=6010300)]), actor=kate)
    assert Asset.objects.get(asset_number="A0001").category.code == "A02010105"
    assert Asset.objects.get(asset_number="A0002").category.code == "A05010300"


def test_missing_column_is_refused(in_school_a, kate):
    header = [h for h in HEADER if h != "单价"]
    errors = failed(xlsx([good_row()[:3] + good_row()[4:]], header=header), kate)
    assert errors == [(1, "单价", "Required column is missing.")]


def test_unknown_column_is_refused(in_school_a, kate):
    errors = failed(xlsx([good_row() + ["x"]], header=HEADER + ["颜色"]), kate)
    assert errors == [(1, "颜色", "Unknown column.")]


def test_column_mapping_renames_a_column(in_school_a, kate):
    header = ["资产编号", "设备名", "分类代码", "单价", "数量", "入账日期", "存放地点"]
    count = assets_import(upload=xlsx([good_row()], header=header), actor=kate, mapping={"设备名": "name"})
    assert count == 1


@pytest.mark.parametrize(
    ("changes", "column", "message"),
    [
        ({"入账日期": "2025-13-45"}, "入账日期", "Not a date (use YYYY-MM-DD): 2025-13-45."),
        ({"入账日期": None}, "入账日期", "This field is required."),
        ({"单价": -5}, "单价", "Must be zero or more."),
        ({"单价": "五百"}, "单价", "Not a number: 五百."),
        ({"分类代码": "9999999"}, "分类代码", "Unknown category code 9999999."),
        ({"数量": 0}, "数量", "Must be a whole number of at least 1."),
        ({"存放地点": "火星"}, "存放地点", "Unknown Room: 火星."),
    ],
)
def test_bad_cell_is_reported_with_row_and_column(in_school_a, kate, changes, column, message):
    errors = failed(xlsx([good_row("A0001"), good_row("A0002", **changes)]), kate)
    assert errors == [(3, column, message)]


def test_duplicate_asset_numbers_in_the_file_and_on_the_books(in_school_a, kate):
    AssetFactory(asset_number="A0009")
    before = Asset.objects.count()
    with pytest.raises(ImportFailed) as excinfo:
        assets_import(upload=xlsx([good_row("A0001"), good_row("A0001"), good_row("A0009")]), actor=kate)
    assert [(e.row, e.column, e.message) for e in excinfo.value.errors] == [
        (3, "资产编号", "Duplicate of row 2."),
        (4, "资产编号", "Asset number A0009 already exists."),
    ]
    assert Asset.objects.count() == before


def test_zip_bomb_is_refused_before_parsing(in_school_a, kate):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            chunk = b"\0" * (1 << 20)
            for _ in range(260):
                member.write(chunk)
    upload = SimpleUploadedFile("bomb.xlsx", buffer.getvalue())
    assert upload.size < 2 * 1024 * 1024
    assert "expands to 260 MB" in refused(upload, kate)


def test_non_xlsx_renamed_is_refused(in_school_a, kate):
    upload = SimpleUploadedFile("assets.xlsx", "资产编号,资产名称\nA1,电脑\n".encode())
    assert "not accepted" in refused(upload, kate)


def test_zip_that_is_not_a_workbook_is_refused(in_school_a, kate):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    assert "not an Excel workbook" in refused(SimpleUploadedFile("a.xlsx", buffer.getvalue()), kate)


def test_file_over_the_upload_limit_is_refused(in_school_a, kate, settings, monkeypatch):
    monkeypatch.setattr("assets.imports.IMPORT_MAX_BYTES", 1000)
    upload = xlsx([good_row(f"A{n:04d}") for n in range(50)])
    assert upload.size > 1000
    assert "too large" in refused(upload, kate)


def test_errors_read_in_chinese_by_default(in_school_a, kate):
    from django.utils import translation

    with translation.override("zh-hans"), pytest.raises(ImportFailed) as excinfo:
        assets_import(upload=xlsx([good_row("A0001", 分类代码="9999999")]), actor=kate)
    assert [(e.row, e.column, e.message) for e in excinfo.value.errors] == [(2, "分类代码", "分类代码 9999999 不存在。")]
