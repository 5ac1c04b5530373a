"""Excel ledgers print the way the paper ones do (frontend/excel.py, issue 21 part 1).

The writer alone, then real exports through their URLs as the right person: a safety ledger, the asset
ledger, a stocktake, the work orders and the bureau console. Each file is opened with openpyxl and its
properties read: title rows, header, panes, filter, widths, number formats, page set-up, footer, signature.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.utils import timezone, translation
from openpyxl import load_workbook

from frontend.excel import MAX_WIDTH, percent, text_width, workbook_bytes
from tenants.roles import Role
from tenants.services import membership_grant

SIGNATURE = "经办人：__________　　审核人：__________　　负责人：__________　　日期：__________"


def _local(*parts: int) -> dt.datetime:
    """A naive date-time as a spreadsheet holds it (openpyxl reads cells back without a zone)."""
    return dt.datetime(*parts, tzinfo=dt.UTC).replace(tzinfo=None)


def _sheet(content: bytes):
    return load_workbook(BytesIO(content)).active


def _width(sheet, column: str) -> float:
    return sheet.column_dimensions[column].width


def _person(username: str, role: str, school):
    from tenants.models import User

    user = User.objects.create_user(username=username, password="x-pass-42", name=username.title())
    membership_grant(user=user, role=role, school=school)
    return user


def _assert_prints_as_a_ledger(sheet, *, columns: int, header_row: int = 3) -> None:
    """What every ledger has: bold frozen header with a filter, landscape A4 one page wide, header repeated,
    page numbers in the footer."""
    last = chr(ord("A") + columns - 1)
    assert all(sheet.cell(header_row, c).font.b for c in range(1, columns + 1))
    assert sheet.freeze_panes == f"A{header_row + 1}"
    assert sheet.auto_filter.ref.startswith(f"A{header_row}:{last}")
    assert sheet.page_setup.orientation == "landscape"
    assert str(sheet.page_setup.paperSize) == "9"  # A4
    assert (sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight) == (1, 0)
    assert sheet.sheet_properties.pageSetUpPr.fitToPage is True
    assert sheet.print_title_rows == f"${header_row}:${header_row}"
    assert sheet.oddFooter.center.text == "第 &P 页 / 共 &N 页"


def _last_text(sheet) -> str:
    return str(sheet.cell(sheet.max_row, 1).value or "")


# ---------------------------------------------------------------- the writer alone


@pytest.mark.django_db
def test_the_writer_lays_out_a_ledger(settings):
    translation.activate("zh-hans")
    aware = dt.datetime(2026, 12, 4, 2, 30, tzinfo=dt.UTC)  # 10:30 in Asia/Shanghai
    long_text = "巡查发现三楼东侧楼梯扶手松动，已报修并设置警示标志，请后勤处尽快更换。" * 3
    content = workbook_bytes(
        title="安全巡查记录", school="阿尔法小学", term="2026-2027-1", period="2026-09-01 至 2026-12-31",
        signature=True,
        headers=["巡查时间", "日期", "地点", "单价", "次数", "整改率", "发现问题", "公式"],
        rows=[[aware, dt.date(2026, 11, 3), "教学楼", Decimal("12345.6"), 3, percent(6 / 7), long_text,
               "=HYPERLINK(\"http://evil\")"],
              [None, None, "", Decimal("0.5"), 12, percent(None), "短", "@SUM(A1)"]],
    )
    sheet = _sheet(content)

    # title rows: the school and the ledger, then the term, the period and when it was printed (local time)
    assert sheet["A1"].value == "阿尔法小学 · 安全巡查记录"
    assert (sheet["A1"].font.b, sheet["A1"].font.sz) == (True, 14)
    meta = sheet["A2"].value
    assert meta.startswith("学期：2026-2027-1　期间：2026-09-01 至 2026-12-31　打印时间 ")
    printed = dt.datetime.strptime(meta.rsplit("打印时间 ", 1)[1], "%Y-%m-%d %H:%M")  # noqa: DTZ007 (a local time)
    assert abs(printed - timezone.localtime().replace(tzinfo=None)) < dt.timedelta(minutes=2)
    assert {str(r) for r in sheet.merged_cells.ranges} >= {"A1:H1", "A2:H2"}
    assert [c.value for c in sheet[3]] == ["巡查时间", "日期", "地点", "单价", "次数", "整改率", "发现问题", "公式"]
    _assert_prints_as_a_ledger(sheet, columns=8)
    assert sheet.auto_filter.ref == "A3:H5"
    assert sheet.title == "安全巡查记录"

    # number and date formats; an aware datetime is written as naive local time
    row = sheet[4]
    assert (row[0].value, row[0].number_format) == (_local(2026, 12, 4, 10, 30), "yyyy-mm-dd hh:mm")
    assert (row[1].value, row[1].number_format) == (_local(2026, 11, 3), "yyyy-mm-dd")
    assert (row[3].value, row[3].number_format) == (12345.6, "#,##0.00")
    assert (row[4].value, row[4].number_format) == (3, "0")
    assert (row[5].value, row[5].number_format) == (0.857, "0.0%")
    assert sheet["F5"].value is None  # an unknown rate stays empty, not 0 %

    # widths fitted: a datetime column holds yyyy-mm-dd hh:mm, CJK counts double, long text wraps at the cap
    assert _width(sheet, "A") >= len("yyyy-mm-dd hh:mm") + 1
    assert _width(sheet, "B") >= len("yyyy-mm-dd") + 1
    assert _width(sheet, "C") >= text_width("教学楼") == 6
    assert _width(sheet, "D") >= len("12,345.60")
    assert (_width(sheet, "G"), row[6].alignment.wrap_text) == (MAX_WIDTH, True)
    assert sheet.row_dimensions[4].height >= 3 * 15  # the wrapped finding is given its lines
    assert _width(sheet, "E") < 10  # a short column stays short

    # formula-looking text stays text
    assert row[7].value == "'=HYPERLINK(\"http://evil\")"
    assert sheet["H5"].value == "'@SUM(A1)"

    # the signature line of the paper ledger, under a blank row
    assert sheet.cell(sheet.max_row - 1, 1).value is None
    assert _last_text(sheet) == SIGNATURE
    assert sheet.max_row == 7


@pytest.mark.django_db
def test_a_sheet_to_fill_in_keeps_its_header_on_row_one():
    translation.activate("zh-hans")
    sheet = _sheet(workbook_bytes(title="教职工/模板?", headers=["姓名", "手机号"], rows=[["张三", "13800000000"]],
                                  heading=False, signature=True, school="阿尔法小学"))
    assert [c.value for c in sheet[1]] == ["姓名", "手机号"]
    assert sheet.max_row == 2  # no title, no signature: the importer reads it back as it is
    assert sheet.title == "教职工_模板_"
    _assert_prints_as_a_ledger(sheet, columns=2, header_row=1)


@pytest.mark.django_db
def test_a_paper_form_names_its_own_signatures():
    translation.activate("zh-hans")
    sheet = _sheet(workbook_bytes(title="盘点差异", headers=["资产编号"], rows=[], signature=["盘点人", "监盘人"]))
    assert sheet["A1"].value == "盘点差异"
    assert sheet.auto_filter.ref == "A3:A3"
    assert _last_text(sheet) == "盘点人：__________　　监盘人：__________"


# ---------------------------------------------------------------- real exports through their URLs


def test_a_safety_ledger_export_is_titled_dated_and_signed(client_for, school_a, in_school_a):
    from safety.services import patrol_record

    # given a patrol by the safety officer with a long finding
    sam = _person("sam-x", Role.SAFETY_OFFICER, school_a)
    started = dt.datetime(2026, 11, 25, 7, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    patrol_record(actor=sam, shift="morning", route="教学楼—操场—食堂", started_at=started,
                  ended_at=started + dt.timedelta(minutes=40), findings="东侧围墙外有积水，已通知物业处理。" * 4)
    connection.set_schema_to_public()

    # when the safety officer exports the month's patrols
    response = client_for(sam, school_a).get("/safety/l/patrols/?export=xlsx&from=2026-11-01&to=2026-11-30")

    # then
    assert response.status_code == 200
    sheet = _sheet(response.content)
    assert sheet["A1"].value == "阿尔法小学 · 巡逻记录"
    assert sheet["A2"].value.startswith("期间：2026-11-01 至 2026-11-30　打印时间 ")
    _assert_prints_as_a_ledger(sheet, columns=8)  # the patrol's kind (安全巡查 / 防火巡查) is a column
    assert sheet.auto_filter.ref == "A3:H4"
    assert sheet["A4"].value == "2026-11-25 07:30"
    assert _width(sheet, "A") >= len("2026-11-25 07:30")
    assert (_width(sheet, "F"), sheet["F4"].alignment.wrap_text) == (MAX_WIDTH, True)
    assert _last_text(sheet) == SIGNATURE


def test_the_asset_ledger_export_formats_money_and_dates_and_is_signed(client_for, school_a, in_school_a):
    from tests.assets.factories import AssetFactory

    kate = _person("kate-x", Role.CUSTODIAN, school_a)
    AssetFactory(name="交互式电子白板", unit_price=Decimal("15800.00"), quantity=1, booked_on=dt.date(2026, 9, 1))
    connection.set_schema_to_public()

    sheet = _sheet(client_for(kate, school_a).get("/assets/?export=xlsx").content)

    assert sheet["A1"].value == "阿尔法小学 · 资产台账"
    headers = [c.value for c in sheet[3]]
    price, booked = headers.index("单价") + 1, headers.index("入账日期") + 1
    assert (sheet.cell(4, price).value, sheet.cell(4, price).number_format) == (15800, "#,##0.00")
    assert (sheet.cell(4, booked).value, sheet.cell(4, booked).number_format) == (_local(2026, 9, 1), "yyyy-mm-dd")
    _assert_prints_as_a_ledger(sheet, columns=len(headers))
    assert _last_text(sheet) == SIGNATURE


def test_the_stocktake_export_lists_the_discrepancies_for_signature(client_for, school_a, in_school_a):
    from assets import services
    from tests.assets.factories import AssetFactory, RoomFactory

    kate = _person("kate-y", Role.CUSTODIAN, school_a)
    room = RoomFactory(name="科学实验室")
    microscope = AssetFactory(room=room, name="显微镜")
    stocktake = services.stocktake_create(actor=kate, name="2026秋季盘点", rooms=[room])
    services.stocktake_scan(stocktake=stocktake, room=room, code="UNKNOWN-7", actor=kate)
    connection.set_schema_to_public()

    response = client_for(kate, school_a).get(f"/assets/stocktakes/{stocktake.pk}/?export=xlsx")

    assert response.status_code == 200
    sheet = _sheet(response.content)
    assert sheet["A1"].value == "阿尔法小学 · 2026秋季盘点 盘点差异"
    assert [c.value for c in sheet[3]] == ["盘点结果", "代码", "资产", "账面地点", "实盘地点", "处理"]
    # the unknown label scanned (盘盈) and the microscope not found (盘亏)
    assert [[c.value for c in sheet[r]][:3] for r in (4, 5)] == [["盘盈", "UNKNOWN-7", None], ["盘亏", microscope.asset_number, "显微镜"]]
    _assert_prints_as_a_ledger(sheet, columns=6)
    assert _last_text(sheet) == "盘点人：__________　　监盘人：__________　　负责人：__________　　日期：__________"


def test_the_work_order_export_shows_date_times_that_fit(client_for, school_a, in_school_a, bob):
    from repairs.services import work_order_report
    from tests.assets.factories import RoomFactory

    work_order_report(reporter=bob, title="多媒体教室投影仪不亮", room=RoomFactory(name="多媒体教室"))
    connection.set_schema_to_public()

    sheet = _sheet(client_for(bob, school_a).get("/repairs/?export=xlsx").content)

    assert sheet["A1"].value == "阿尔法小学 · 维修工单"
    headers = [c.value for c in sheet[3]]
    reported = headers.index("报修时间") + 1
    cell = sheet.cell(4, reported)
    assert (type(cell.value), cell.number_format) == (dt.datetime, "yyyy-mm-dd hh:mm")
    assert abs(cell.value - timezone.localtime().replace(tzinfo=None)) < dt.timedelta(minutes=5)  # local, naive
    assert _width(sheet, cell.column_letter) >= len("yyyy-mm-dd hh:mm")  # not #####
    _assert_prints_as_a_ledger(sheet, columns=len(headers))
    assert SIGNATURE not in _last_text(sheet)  # the work-order list has no signature line


@pytest.fixture
def district(fake_metrics_module, terms, school_a, school_b, school_c):
    from reporting.services import school_metrics_refresh

    from .conftest import add_hazards

    add_hazards(school_a, found=7, rectified=5)
    add_hazards(school_b, found=4, rectified=4)
    for school in (school_a, school_b, school_c):
        school_metrics_refresh(school=school)
    return terms


def test_the_console_export_rounds_the_district_average(district, client_for, dave):
    # given alpha rectified 5 of 7 hazards and beta 4 of 4: the district's pooled rate is 9/11 = 0.818181…
    response = client_for(dave).get("/bureau/?export=xlsx")

    sheet = _sheet(response.content)
    assert sheet["A1"].value == "北区教育局 · 学校对比"
    assert sheet["A2"].value.startswith("学期：2026–2027 第一学期　打印时间 ")
    headers = [c.value for c in sheet[3]]
    _assert_prints_as_a_ledger(sheet, columns=len(headers))
    rate = headers.index("Rectification rate") + 1
    rows = {sheet.cell(r, 1).value: r for r in range(4, sheet.max_row + 1)}
    average = sheet.cell(rows["全区"], rate)
    assert (average.value, average.number_format) == (0.818, "0.0%")
    assert sheet.cell(rows["阿尔法小学"], rate).value == 0.714
    found = headers.index("Hazards found") + 1
    assert sheet.cell(rows["全区"], found).value == 5.5  # (7 + 4) / 2, one decimal
    assert sheet.auto_filter.ref.endswith(str(rows["全区"]))
