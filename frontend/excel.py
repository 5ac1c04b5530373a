"""One ledger writer for every Excel export (openpyxl, streamed), with formula-injection escaping.

A ledger prints the way its paper form does: the school and the ledger's name on top, the term and
the time it was printed, a bold frozen header with filters, columns as wide as what they hold (CJK
characters count double; long text wraps at a cap), money, percentages, dates and times in their
formats, landscape A4 fitted to the page width with the header repeated on every page, page numbers
in the footer and, where the paper ledger has one, the signature line under the rows.

Sheets that are filled in and imported again (templates, error reports) pass `heading=False`: the
header stays on row 1 and nothing follows the rows.
"""

from __future__ import annotations

import datetime as dt
import math
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from io import BytesIO
from itertools import islice
from urllib.parse import quote

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties

from core import progress

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_SHEET_NAME_FORBIDDEN = str.maketrans(dict.fromkeys("[]:*?/\\", "_"))

MONEY_FORMAT = "#,##0.00"
INTEGER_FORMAT = "0"
DECIMAL_FORMAT = "#,##0.0#"
PERCENT_FORMAT = "0.0%"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
TIME_FORMAT = "hh:mm"

MIN_WIDTH = 6
MAX_WIDTH = 50       # wider text wraps inside the column
WIDTH_SAMPLE = 1000  # rows read ahead to fit the widths (openpyxl streams: columns are set before rows)
LINE_HEIGHT = 15     # points per line of 11 pt text

_thin = Side(style="thin", color="808080")
_BORDER = Border(left=_thin, right=_thin, top=_thin, bottom=_thin)
_TITLE_FONT = Font(bold=True, size=14)
_META_FONT = Font(size=9, color="555555")
_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="EEEEEE")
_HEADER_ALIGN = Alignment(horizontal="center", vertical="center", wrap_text=True)
_TITLE_ALIGN = Alignment(horizontal="center", vertical="center")
_META_ALIGN = Alignment(horizontal="right", vertical="center")
_SIGNATURE_ALIGN = Alignment(horizontal="left", vertical="bottom", wrap_text=True)
_CELL_ALIGN = Alignment(vertical="top")
_WRAP_ALIGN = Alignment(vertical="top", wrap_text=True)


@dataclass(frozen=True)
class Formatted:
    """A cell value with its own number format (see `percent`)."""

    value: int | float | Decimal | None
    number_format: str


def percent(fraction, *, places: int = 1) -> Formatted | None:
    """A ratio 0..1 shown as a percentage rounded to `places` (0.857142… → 85.7%); None stays empty."""
    if fraction is None or fraction == "":
        return None
    value = round(float(fraction), places + 2)
    return Formatted(value, "0" + ("." + "0" * places if places else "") + "%")


def safe_cell(value):
    """A value safe to put in a cell: text that a spreadsheet would run as a formula is quoted;
    aware datetimes become naive local time (openpyxl refuses aware ones)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Formatted):
        return value.value
    if isinstance(value, (int, float, Decimal)):
        return value
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    if isinstance(value, (dt.date, dt.time)):
        return value.replace(tzinfo=None) if isinstance(value, dt.time) else value
    text = str(value)
    if text.startswith(_FORMULA_PREFIXES):
        return "'" + text
    return text


def _number_format(original, value) -> str | None:
    if isinstance(original, Formatted):
        return original.number_format
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return MONEY_FORMAT
    if isinstance(value, int):
        return INTEGER_FORMAT
    if isinstance(value, float):
        return INTEGER_FORMAT if value.is_integer() else DECIMAL_FORMAT
    if isinstance(value, dt.datetime):
        return DATETIME_FORMAT
    if isinstance(value, dt.date):
        return DATE_FORMAT
    if isinstance(value, dt.time):
        return TIME_FORMAT
    return None


def text_width(text: str) -> int:
    """Columns a line of text takes: CJK (wide and full-width) characters count double."""
    return max((sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)
                for line in text.split("\n")), default=0)


def _shown_width(value, number_format: str | None) -> int:
    if value is None or value == "":
        return 0
    if number_format == DATETIME_FORMAT:
        return len("yyyy-mm-dd hh:mm")
    if number_format == DATE_FORMAT:
        return len("yyyy-mm-dd")
    if number_format == TIME_FORMAT:
        return len("hh:mm")
    if number_format and number_format.endswith("%"):
        return len(f"{float(value) * 100:.1f}%")
    if number_format in (MONEY_FORMAT, DECIMAL_FORMAT):
        return len(f"{float(value):,.2f}")
    return text_width(str(value))


def _lines(value, width: float) -> int:
    """Lines a wrapped text takes in a column of `width` characters."""
    if not isinstance(value, str) or not value:
        return 1
    room = max(1.0, width - 1)
    return sum(max(1, math.ceil(text_width(line) / room)) for line in value.split("\n"))


def _name_of(place) -> str:
    if place is None:
        return ""
    return str(getattr(place, "name", place))


def _sheet_name(title: str) -> str:
    return (title.translate(_SHEET_NAME_FORBIDDEN).strip("'")[:31]) or "Sheet1"


def _signature_labels(signature) -> list[str]:
    if not signature:
        return []
    if signature is True:
        return [_("Handled by"), _("Checked by"), _("Person in charge"), _("Date")]
    return [str(label) for label in signature]


def _footer_text(text: str) -> str:
    return text.replace("&", "&&")


def period_of(request, *, start: str = "from", end: str = "to") -> str:
    """The dates a list was narrowed to (?from=…&to=…) as the title block says them, or ''."""
    def day(name):
        try:
            return dt.date.fromisoformat(request.GET.get(name, "").strip()).isoformat()
        except ValueError:
            return ""

    first, last = day(start), day(end)
    if first and last:
        return _("%(start)s to %(end)s") % {"start": first, "end": last}
    if first:
        return _("from %(day)s") % {"day": first}
    if last:
        return _("until %(day)s") % {"day": last}
    return ""


def workbook_bytes(*, title: str, headers: Sequence[str], rows: Iterable[Sequence], school=None, term: str = "",
                   period: str = "", signature: bool | Sequence[str] = False, heading: bool = True) -> bytes:
    """The .xlsx of one ledger.

    title: the ledger's name (also the sheet's); school: the school (or bureau) whose ledger it is, an
    object with a name or a string; term, period: what the rows cover, where known; signature: True for
    经办人/审核人/负责人/日期, or the labels of the paper form's own line; heading=False for a sheet
    meant to be filled in and imported again (header on row 1, no title, no signature).
    """
    title, name = str(title), _name_of(school)
    headers = [str(h) for h in headers]
    count = len(headers)
    last_column = get_column_letter(max(count, 1))
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_sheet_name(title))
    styler = _Styler(sheet)

    rows = iter(progress.counting(rows))  # a background job's bar counts the rows (core/progress.py)
    sample = [_converted(row) for row in islice(rows, WIDTH_SAMPLE)]
    widths, wrapping = _fit_widths(headers, sample)
    header_row = 3 if heading else 1
    # Everything written before the rows (columns, panes, page properties) is set before the first row.
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    if count:
        sheet.freeze_panes = f"A{header_row + 1}"
    _page_setup(sheet, footer_left=_footer_text(f"{name} {title}".strip()) if heading else "")

    if heading:
        meta = [f"{_('Term')}：{term}" if term else "", f"{_('Period')}：{period}" if period else "",
                f"{_('Printed at')} {timezone.localtime():%Y-%m-%d %H:%M}"]
        sheet.row_dimensions[1].height = 24
        sheet.append([styler.cell(f"{name} · {title}" if name and title else name or title, font=_TITLE_FONT,
                                  alignment=_TITLE_ALIGN)])
        sheet.append([styler.cell("　".join(m for m in meta if m), font=_META_FONT, alignment=_META_ALIGN)])
        if count > 1:
            sheet.merged_cells.add(f"A1:{last_column}1")
            sheet.merged_cells.add(f"A2:{last_column}2")

    header_lines = max((_lines(h, w) for h, w in zip(headers, widths, strict=True)), default=1)
    if header_lines > 1:
        sheet.row_dimensions[header_row].height = header_lines * LINE_HEIGHT + 3
    sheet.append([styler.cell(safe_cell(h), font=_HEADER_FONT, fill=_HEADER_FILL, alignment=_HEADER_ALIGN,
                              border=_BORDER) for h in headers])

    row_number = header_row
    for converted in _chain(sample, rows):
        row_number += 1
        wraps = [(i < count and wrapping[i]) or (isinstance(value, str) and "\n" in value)
                 for i, (value, _format) in enumerate(converted)]
        lines = max((_lines(value, widths[i] if i < count else MIN_WIDTH)
                     for i, (value, _format) in enumerate(converted) if wraps[i]), default=1)
        if lines > 1:
            sheet.row_dimensions[row_number].height = lines * LINE_HEIGHT + 3
        sheet.append([styler.cell(value, number_format=number_format, border=_BORDER,
                                  alignment=_WRAP_ALIGN if wraps[i] else _CELL_ALIGN)
                      for i, (value, number_format) in enumerate(converted)])
    last_data_row = row_number

    labels = _signature_labels(signature) if heading else []
    if labels:
        row_number += 2
        text = "　　".join(f"{label}：__________" for label in labels)
        sheet.row_dimensions[row_number].height = (_lines(text, sum(widths) or MIN_WIDTH) + 1) * LINE_HEIGHT
        sheet.append([])
        sheet.append([styler.cell(text, alignment=_SIGNATURE_ALIGN)])
        if count > 1:
            sheet.merged_cells.add(f"A{row_number}:{last_column}{row_number}")

    if count:
        sheet.auto_filter.ref = f"A{header_row}:{last_column}{last_data_row}"
    sheet.print_title_rows = f"{header_row}:{header_row}"
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _converted(row: Sequence) -> list[tuple[object, str | None]]:
    out = []
    for original in row:
        value = safe_cell(original)
        out.append((value, _number_format(original, value)))
    return out


def _chain(sample: list, rows: Iterator) -> Iterator[list]:
    yield from sample
    for row in rows:
        yield _converted(row)


def _fit_widths(headers: list[str], sample: list[list]) -> tuple[list[float], list[bool]]:
    """Each column's width from its header and the sampled rows, and whether it wraps (too wide)."""
    widths, wrapping = [], []
    for index, header in enumerate(headers):
        widest = max([text_width(header) + 2] +  # bold, and room for the filter's button
                     [_shown_width(row[index][0], row[index][1]) for row in sample if index < len(row)])
        wanted = widest + 2
        widths.append(float(min(MAX_WIDTH, max(MIN_WIDTH, wanted))))
        wrapping.append(wanted > MAX_WIDTH)
    return widths, wrapping


class _Styler:
    """Cells of a sheet with a few fixed styles: each style is registered with the workbook once and
    copied onto every cell that wears it (registering per cell hashes the style objects, and cost most of
    an export's time)."""

    def __init__(self, sheet):
        self.sheet = sheet
        self.styles: dict[tuple, StyleArray] = {}

    def cell(self, value, *, font=None, fill=None, alignment=None, border=None, number_format=None) -> WriteOnlyCell:
        key = (id(font), id(fill), id(alignment), id(border), number_format)
        style = self.styles.get(key)
        if style is None:
            model = WriteOnlyCell(self.sheet)
            for name, attribute in (("font", font), ("fill", fill), ("alignment", alignment), ("border", border),
                                    ("number_format", number_format)):
                if attribute is not None:
                    setattr(model, name, attribute)
            style = self.styles[key] = model._style
        cell = WriteOnlyCell(self.sheet, value=value)
        cell._style = StyleArray(style)
        return cell


def _page_setup(sheet, *, footer_left: str) -> None:
    """Landscape A4, fitted to one page wide (as many pages long as it takes), page numbers below."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = "9"  # A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.page_margins.top, sheet.page_margins.bottom = 0.5, 0.6
    sheet.page_margins.footer = 0.3
    sheet.print_options.horizontalCentered = True
    sheet.oddFooter.center.text = _("Page &P of &N")
    sheet.oddFooter.center.size = 9
    if footer_left:
        sheet.oddFooter.left.text = footer_left
        sheet.oddFooter.left.size = 9


def xlsx_response(*, filename: str, headers: Sequence[str], rows: Iterable[Sequence], title: str = "", school=None,
                  term: str = "", period: str = "", signature: bool | Sequence[str] = False,
                  heading: bool = True) -> HttpResponse:
    """An .xlsx download of the given rows, laid out as a printed ledger (see `workbook_bytes`)."""
    content = workbook_bytes(title=str(title or filename), headers=headers, rows=rows, school=school, term=term,
                             period=period, signature=signature, heading=heading)
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(str(filename))}.xlsx"
    return response
