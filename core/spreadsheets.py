"""One reader for every spreadsheet import (.xlsx): bounded in bytes, time and memory whatever the file holds.

Every import (asset cards, the category table, the staff sheet) reads its file through `sheet_rows()`.
The checks, in order, each with a clear message and a stable `reason` (GraphQL `extensions.reason`):

1. the upload: its size, that it is a zip by content, named .xlsx when it has a name;
2. the zip's directory, before anything is inflated: how many members, their total declared size, each
   member's compression ratio (a zip bomb is refused without inflating a byte);
3. while reading, the directory is not trusted: every member goes through a bounded stream that stops
   at its declared size and at the whole file's budget, so a header that lies cannot inflate past the
   cap; XML through expat with what defusedxml forbids forbidden (a DTD, entity declarations,
   external references: no billion laughs), no token longer than a cell can be, no nesting deeper
   than a spreadsheet needs, no more distinct names than SpreadsheetML has;
4. the sheet: rows, columns, characters per cell, the size of the shared-string table.

Why not openpyxl's read-only mode: it keeps every parsed element of a sheet under the root (cleared,
but still there), scans a whole sheet once for its dimensions when they are not declared, and loads the
shared strings with no limit, so a few MB of well-formed xlsx grow to GBs (measured in bench/TRUST.md).
Here the workbook's parts are streamed through expat callbacks that keep only the current row;
openpyxl still supplies what it knows best: the built-in number formats, which formats are dates, and
the conversion of Excel serial dates.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
import zlib
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from xml.parsers import expat

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from openpyxl.styles.numbers import builtin_format_code, is_date_format, is_timedelta_format
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel, from_ISO8601

MB = 1024 * 1024
CHUNK = 64 * 1024
ZIP_SIGNATURE = b"PK\x03\x04"
# Below this a member's ratio does not matter: it cannot inflate to much whatever its ratio.
RATIO_FLOOR = 1 * MB
MAX_DEPTH = 64  # SpreadsheetML nests about ten deep
MAX_NAMES = 1000  # distinct element/attribute names and namespace prefixes; expat keeps each one
MAX_STYLES = 65_536  # Excel's own limit is 64,000 cell formats
MAX_RELATIONSHIPS = 10_000
MAX_FORMAT_CHARS = 255  # Excel's limit for a number format code

MAIN_NAMESPACES = ("http://schemas.openxmlformats.org/spreadsheetml/2006/main",
                   "http://purl.oclc.org/ooxml/spreadsheetml/main")
REL_NAMESPACES = ("http://schemas.openxmlformats.org/officeDocument/2006/relationships",
                  "http://purl.oclc.org/ooxml/officeDocument/relationships")
PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"


class Reason:
    """Stable reasons a file is refused (what callers and GraphQL clients may branch on)."""

    TOO_LARGE = "TOO_LARGE"
    NOT_XLSX = "NOT_XLSX"
    NOT_WORKBOOK = "NOT_WORKBOOK"
    DAMAGED = "DAMAGED"
    INFLATES = "INFLATES"
    RATIO = "RATIO"
    XML_DTD = "XML_DTD"
    PADDING = "PADDING"
    TOO_MANY_ROWS = "TOO_MANY_ROWS"
    TOO_MANY_COLUMNS = "TOO_MANY_COLUMNS"
    CELL_TOO_LONG = "CELL_TOO_LONG"
    TOO_MUCH_TEXT = "TOO_MUCH_TEXT"


class SpreadsheetRefused(ValidationError):
    """The file is refused as a whole, before or while it is read; nothing was imported."""

    def __init__(self, message: str, reason: str):
        super().__init__(message, code=reason.lower())
        self.reason = reason


@dataclass(frozen=True)
class SheetLimits:
    """What one import accepts. `max_rows` counts the rows below the first (the header)."""

    max_bytes: int = 10 * MB
    max_uncompressed: int = 100 * MB
    max_ratio: int = 200
    max_members: int = 1000
    max_rows: int = 10_000
    max_columns: int = 100
    max_cell_chars: int = 32_767  # Excel's own limit per cell
    max_shared_strings: int = 1_000_000
    max_shared_chars: int = 20_000_000

    @property
    def max_token_bytes(self) -> int:
        """The longest run of bytes without a '<' an XML part may hold: a cell's text, escaped, with room."""
        return max(64 * 1024, self.max_cell_chars * 12)


def sheet_rows(source, *, limits: SheetLimits | None = None) -> Iterator[tuple[int, tuple]]:
    """The first worksheet's rows as (row number as Excel shows it, cell values), after checking the file.

    `source` is an uploaded file or the file's bytes. The file's container, workbook, styles and shared
    strings are checked at once (SpreadsheetRefused); the rows are then read one at a time, and a row
    past a limit raises SpreadsheetRefused while iterating. Values are what openpyxl gives with
    data_only: str, int, float, bool, datetime (date-formatted numbers), or None for an empty cell;
    rows without cells come as (). Missing rows are skipped (the numbers tell).
    """
    limits = limits or SheetLimits()
    content = _content(source, limits)
    book = _Workbook(content, limits)
    return book.rows()


# ---------------------------------------------------------------- the container


def _refuse_size(size: int, limits: SheetLimits):
    return SpreadsheetRefused(
        _("The file is too large (%(size)s MB); the limit is %(limit)s MB.")
        % {"size": round(size / MB, 1), "limit": round(limits.max_bytes / MB, 1)},
        Reason.TOO_LARGE,
    )


def _not_xlsx() -> SpreadsheetRefused:
    return SpreadsheetRefused(_("This type of file is not accepted. Accepted: %(allowed)s.") % {"allowed": ".xlsx"},
                              Reason.NOT_XLSX)


def _damaged() -> SpreadsheetRefused:
    return SpreadsheetRefused(_("This file could not be read as an .xlsx workbook."), Reason.DAMAGED)


def _not_workbook() -> SpreadsheetRefused:
    return SpreadsheetRefused(_("This is not an Excel workbook (.xlsx)."), Reason.NOT_WORKBOOK)


def _content(source, limits: SheetLimits) -> bytes:
    """The file's bytes, refused when too large or not a zip (by content; by name when it has one)."""
    if source is None:
        raise SpreadsheetRefused(_("Choose a file."), Reason.NOT_XLSX)
    if isinstance(source, (bytes, bytearray, memoryview)):
        content = bytes(source)
    else:
        size = getattr(source, "size", None)
        if size is not None and size > limits.max_bytes:
            raise _refuse_size(size, limits)
        name = (getattr(source, "name", "") or "").lower()
        if name and not name.endswith(".xlsx"):
            raise _not_xlsx()
        source.seek(0)
        content = source.read(limits.max_bytes + 1)
        source.seek(0)
    if len(content) > limits.max_bytes:
        raise _refuse_size(len(content), limits)
    if not content.startswith(ZIP_SIGNATURE):
        raise _not_xlsx()
    return content


class _Budget:
    """Bytes the whole reading may still inflate, across every member."""

    def __init__(self, limit: int):
        self.limit = limit
        self.left = limit

    def spend(self, n: int) -> None:
        self.left -= n
        if self.left < 0:
            raise SpreadsheetRefused(
                _("The file expands to more than %(mb)s MB when opened; it is refused.") % {"mb": round(self.limit / MB)},
                Reason.INFLATES,
            )


def _open_zip(content: bytes, limits: SheetLimits) -> zipfile.ZipFile:
    """The archive, after its directory is checked: member count, total declared size, each ratio."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError, IndexError, KeyError):
        raise _damaged() from None
    if len(infos) > limits.max_members:
        raise _damaged()
    declared = sum(info.file_size for info in infos)
    if declared > limits.max_uncompressed:
        raise SpreadsheetRefused(
            _("The file expands to %(mb)s MB when opened, which is over the limit; it is refused.")
            % {"mb": round(declared / MB)},
            Reason.INFLATES,
        )
    for info in infos:
        if info.file_size > RATIO_FLOOR and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            raise SpreadsheetRefused(
                _("The file is compressed %(ratio)s to 1, far more than any spreadsheet; it is refused.")
                % {"ratio": info.file_size // max(info.compress_size, 1)},
                Reason.RATIO,
            )
        if info.flag_bits & 0x1:  # encrypted member: not something Excel writes
            raise _damaged()
    return archive


# ---------------------------------------------------------------- XML through expat


def _forbidden(*_args):
    # What defusedxml forbids, in the same place (expat's handlers): a DTD, hence no entity of any kind.
    raise SpreadsheetRefused(
        _("The file contains XML declarations (a DTD or entities) that no spreadsheet needs; it is refused."),
        Reason.XML_DTD,
    )


class _Handler:
    """Base of the expat callbacks: guards that hold for every part, whatever it is."""

    def __init__(self):
        self.depth = 0
        self.names: set[str] = set()

    def note(self, name: str, attrs: dict) -> None:
        """An element the part's reader ignores: count its name and its attributes' names."""
        names = self.names
        if name not in names:
            names.add(name)
        for key in attrs:
            if key not in names:
                names.add(key)
        if len(names) > MAX_NAMES:
            raise _damaged()

    def namespace(self, prefix, uri) -> None:
        self.note(f"xmlns:{prefix}", {uri or "": None})

    def deeper(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _damaged()


def _parser(handler: _Handler) -> expat.XMLParserType:
    parser = expat.ParserCreate(namespace_separator="}")
    parser.buffer_text = True
    parser.StartDoctypeDeclHandler = _forbidden
    parser.EntityDeclHandler = _forbidden
    parser.UnparsedEntityDeclHandler = _forbidden
    parser.ExternalEntityRefHandler = _forbidden
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartNamespaceDeclHandler = handler.namespace
    parser.StartElementHandler = handler.start
    parser.EndElementHandler = handler.end
    parser.CharacterDataHandler = handler.data
    return parser


def _names(*locals_: str) -> dict[str, str]:
    """{'<namespace>}<local>': local} for SpreadsheetML's namespaces (transitional, strict, none)."""
    return {f"{ns}}}{local}" if ns else local: local for local in locals_ for ns in (*MAIN_NAMESPACES, "")}


def _rel_id(attrs: dict) -> str | None:
    for ns in REL_NAMESPACES:
        value = attrs.get(f"{ns}}}id")
        if value is not None:
            return value
    return None


class _Workbook:
    """An .xlsx opened for reading its first worksheet within the limits."""

    def __init__(self, content: bytes, limits: SheetLimits):
        self.limits = limits
        self.archive = _open_zip(content, limits)
        self.budget = _Budget(limits.max_uncompressed)
        self.members = {info.filename: info for info in self.archive.infolist()}
        workbook_path = self._office_document()
        if workbook_path not in self.members:
            raise _not_workbook()
        rels = self._relationships(workbook_path)
        book = _BookHandler()
        self._parse(workbook_path, book)
        self.epoch = CALENDAR_MAC_1904 if book.date1904 else CALENDAR_WINDOWS_1900
        self.sheet_path = next(
            (rels[rid][1] for rid in book.sheet_ids
             if rid in rels and rels[rid][0] == "worksheet" and rels[rid][1] in self.members),
            None,
        )
        if self.sheet_path is None:
            raise _not_workbook()
        by_type = dict(reversed(list(rels.values())))
        styles_path = by_type.get("styles")
        strings_path = by_type.get("sharedStrings")
        self.date_styles: set[int] = set()
        self.timedelta_styles: set[int] = set()
        if styles_path in self.members:
            self._read_styles(styles_path)
        self.strings: list[str] = []
        if strings_path in self.members:
            handler = _StringsHandler(limits)
            self._parse(strings_path, handler)
            self.strings = handler.strings

    # -- members

    def _chunks(self, path: str) -> Iterator[bytes]:
        """The member's bytes, inflated at most to its declared size and to the file's budget."""
        info = self.members[path]
        limits = self.limits
        token_cap = limits.max_token_bytes
        seen = 0
        since_lt = 0  # bytes since the last '<': a run longer than any cell is padding or a hidden text
        try:
            with self.archive.open(info) as stream:
                while True:
                    chunk = stream.read(CHUNK)
                    if not chunk:
                        break
                    seen += len(chunk)
                    if seen > info.file_size:  # a directory that lies: never inflate past what it said
                        raise _damaged()
                    self.budget.spend(len(chunk))
                    first = chunk.find(b"<")
                    if first < 0:
                        since_lt += len(chunk)
                    else:
                        since_lt += first
                        if since_lt <= token_cap:
                            since_lt = len(chunk) - chunk.rfind(b"<") - 1
                    if since_lt > token_cap:
                        if chunk.strip():  # text: a cell (or a shared string) far past the cap
                            raise _cell_too_long(limits)
                        raise SpreadsheetRefused(
                            _("The file holds a run of text or padding longer than any cell may be; it is refused."),
                            Reason.PADDING,
                        )
                    yield chunk
        except SpreadsheetRefused:
            raise
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError, RuntimeError):
            # A damaged stream, a bad CRC (what a lying header ends in), an unknown method, a password.
            raise _damaged() from None

    def _parse(self, path: str, handler: _Handler) -> None:
        parser = _parser(handler)
        try:
            for chunk in self._chunks(path):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
        except expat.ExpatError:
            raise _damaged() from None

    def _office_document(self) -> str:
        """The workbook part, as the package's relationships name it (xl/workbook.xml in practice)."""
        if "_rels/.rels" in self.members:
            handler = _RelsHandler()
            self._parse("_rels/.rels", handler)
            for _rid, kind, target, external in handler.relationships:
                if kind == "officeDocument" and not external:
                    return _resolve("", target)
        return "xl/workbook.xml"

    def _relationships(self, part: str) -> dict[str, tuple[str, str]]:
        """{relationship id: (type's last word, member path)} of one part."""
        folder, name = posixpath.split(part)
        rels_path = posixpath.join(folder, "_rels", f"{name}.rels")
        if rels_path not in self.members:
            return {}
        handler = _RelsHandler()
        self._parse(rels_path, handler)
        return {rid: (kind, _resolve(folder, target)) for rid, kind, target, external in handler.relationships
                if not external}

    def _read_styles(self, path: str) -> None:
        handler = _StylesHandler()
        self._parse(path, handler)
        verdicts: dict[int, tuple[bool, bool]] = {}
        for index, format_id in enumerate(handler.cell_formats):
            if format_id not in verdicts:
                code = handler.custom.get(format_id) if format_id in handler.custom else builtin_format_code(format_id)
                verdicts[format_id] = (bool(code) and is_date_format(code), bool(code) and is_timedelta_format(code))
            is_date, is_timedelta = verdicts[format_id]
            if is_date:
                self.date_styles.add(index)
            if is_timedelta:
                self.timedelta_styles.add(index)

    # -- the rows

    def rows(self) -> Iterator[tuple[int, tuple]]:
        handler = _SheetHandler(self)
        parser = _parser(handler)
        ready = handler.ready
        try:
            for chunk in self._chunks(self.sheet_path):
                parser.Parse(chunk, False)
                while ready:
                    yield ready.popleft()
            parser.Parse(b"", True)
        except expat.ExpatError:
            raise _damaged() from None
        while ready:
            yield ready.popleft()


def _resolve(folder: str, target: str) -> str:
    if target.startswith("/"):
        return posixpath.normpath(target.lstrip("/"))
    return posixpath.normpath(posixpath.join(folder, target))


class _RelsHandler(_Handler):
    def __init__(self):
        super().__init__()
        self.relationships: list[tuple[str, str, str, bool]] = []

    def start(self, name, attrs):
        self.deeper()
        self.note(name, attrs)
        if name == f"{PACKAGE_RELS}}}Relationship" or name == "Relationship":
            if len(self.relationships) >= MAX_RELATIONSHIPS:
                raise _damaged()
            kind = (attrs.get("Type") or "").rsplit("/", 1)[-1]
            self.relationships.append((attrs.get("Id") or "", kind, attrs.get("Target") or "",
                                       (attrs.get("TargetMode") or "") == "External"))

    def end(self, name):
        self.depth -= 1

    def data(self, text):
        pass


class _BookHandler(_Handler):
    """workbook.xml: the sheets in order, and whether dates count from 1904."""

    KINDS = _names("sheet", "workbookPr")

    def __init__(self):
        super().__init__()
        self.sheet_ids: list[str] = []
        self.date1904 = False

    def start(self, name, attrs):
        self.deeper()
        self.note(name, attrs)
        kind = self.KINDS.get(name)
        if kind == "sheet":
            rid = _rel_id(attrs)
            if rid is not None and len(self.sheet_ids) < MAX_RELATIONSHIPS:
                self.sheet_ids.append(rid)
        elif kind == "workbookPr":
            self.date1904 = (attrs.get("date1904") or "").strip().lower() in ("1", "true")

    def end(self, name):
        self.depth -= 1

    def data(self, text):
        pass


def _small_int(text) -> int | None:
    if text and len(text) < 10 and text.isdigit():
        return int(text)
    return None


class _StylesHandler(_Handler):
    """styles.xml: the number format of each cell format (only to tell dates from numbers)."""

    KINDS = _names("numFmt", "cellXfs", "xf")

    def __init__(self):
        super().__init__()
        self.custom: dict[int, str] = {}
        self.cell_formats: list[int] = []
        self.in_cell_xfs = False

    def start(self, name, attrs):
        self.deeper()
        self.note(name, attrs)
        kind = self.KINDS.get(name)
        if kind == "xf":
            if self.in_cell_xfs and len(self.cell_formats) < MAX_STYLES:
                self.cell_formats.append(_small_int(attrs.get("numFmtId")) or 0)
        elif kind == "cellXfs":
            self.in_cell_xfs = True
        elif kind == "numFmt":
            format_id, code = _small_int(attrs.get("numFmtId")), attrs.get("formatCode") or ""
            if format_id is not None and len(code) <= MAX_FORMAT_CHARS and len(self.custom) < MAX_STYLES:
                self.custom[format_id] = code

    def end(self, name):
        self.depth -= 1
        if self.KINDS.get(name) == "cellXfs":
            self.in_cell_xfs = False

    def data(self, text):
        pass


def _cell_too_long(limits: SheetLimits) -> SpreadsheetRefused:
    return SpreadsheetRefused(
        _("A cell holds more than %(max)s characters; it is refused.") % {"max": limits.max_cell_chars},
        Reason.CELL_TOO_LONG,
    )


class _StringsHandler(_Handler):
    """sharedStrings.xml: the table of texts cells point to, within the limits."""

    KINDS = _names("si", "t", "rPh")

    def __init__(self, limits: SheetLimits):
        super().__init__()
        self.limits = limits
        self.strings: list[str] = []
        self.total = 0
        self.parts: list[str] | None = None  # inside <si>
        self.length = 0
        self.collect = False
        self.in_phonetic = 0

    def start(self, name, attrs):
        self.deeper()
        kind = self.KINDS.get(name)
        if kind is None or attrs:
            self.note(name, attrs)
        if kind == "si":
            self.parts, self.length = [], 0
        elif kind == "t":
            self.collect = self.parts is not None and not self.in_phonetic
        elif kind == "rPh":
            self.in_phonetic += 1

    def end(self, name):
        self.depth -= 1
        kind = self.KINDS.get(name)
        if kind == "t":
            self.collect = False
        elif kind == "rPh":
            self.in_phonetic -= 1
        elif kind == "si" and self.parts is not None:
            limits = self.limits
            if len(self.strings) >= limits.max_shared_strings or self.total > limits.max_shared_chars:
                raise SpreadsheetRefused(
                    _("The file holds more text than a sheet of this size can; it is refused."), Reason.TOO_MUCH_TEXT
                )
            # As openpyxl reads it: Excel writes a literal "_x…_" escaped as "_x005F_x…_".
            self.strings.append("".join(self.parts).replace("x005F_", ""))
            self.parts = None

    def data(self, text):
        if self.collect:
            self.length += len(text)
            self.total += len(text)
            if self.length > self.limits.max_cell_chars:
                raise _cell_too_long(self.limits)
            self.parts.append(text)


def _column(ref: str, limit: int) -> int:
    """The column number of a reference such as "AB12" (1-based); past `limit` only as limit + 1."""
    number = 0
    for char in ref:
        code = ord(char) & ~0x20  # upper case
        if 65 <= code <= 90:
            number = number * 26 + code - 64
            if number > limit:
                return limit + 1
        else:
            break
    return number


def _number(text: str):
    """A number cell's text as openpyxl casts it; the text itself when it is no number."""
    try:
        if "." in text or "E" in text or "e" in text:
            return float(text)
        return int(text)
    except ValueError:
        return text


class _SheetHandler(_Handler):
    """A worksheet: each finished row is queued on `ready`; nothing else of the sheet is kept."""

    KINDS = _names("row", "c", "v", "is", "t", "rPh")
    # Attributes SpreadsheetML gives these elements; any other name is counted like an unknown element's.
    ATTRS = frozenset({"r", "s", "t", "cm", "vm", "ph", "spans", "customFormat", "ht", "hidden", "customHeight",
                       "outlineLevel", "collapsed", "thickTop", "thickBot", "sb", "eb",
                       "http://www.w3.org/XML/1998/namespace}space",
                       "http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac}dyDescent"})

    def __init__(self, book: _Workbook):
        super().__init__()
        self.book = book
        self.limits = book.limits
        self.ready: deque[tuple[int, tuple]] = deque()
        self.row_number = 0
        self.rows_seen = 0
        self.cells: dict[int, object] | None = None  # inside <row>
        self.cell_count = 0
        self.column = 0
        self.in_cell = False
        self.kind = "n"
        self.style = 0
        self.parts: list[str] = []
        self.length = 0
        self.collect = False
        self.inline = False
        self.in_phonetic = 0
        self.has_value = False

    def start(self, name, attrs):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _damaged()
        kind = self.KINDS.get(name)
        if kind is None:
            self.note(name, attrs)
            return
        if attrs and not self.ATTRS.issuperset(attrs):
            self.note(name, attrs)
        if kind == "c":
            if self.cells is None:
                raise _damaged()
            limits = self.limits
            self.cell_count += 1
            ref = attrs.get("r")
            self.column = _column(ref, limits.max_columns) if ref else self.column + 1
            if self.column > limits.max_columns or self.cell_count > limits.max_columns:
                raise SpreadsheetRefused(
                    _("The sheet has more than %(max)s columns.") % {"max": limits.max_columns}, Reason.TOO_MANY_COLUMNS
                )
            self.in_cell = True
            self.kind = attrs.get("t") or "n"
            self.style = _small_int(attrs.get("s")) or 0
            self.parts, self.length = [], 0
            self.inline = self.has_value = False
        elif kind == "v":
            self.collect = self.in_cell
            self.has_value = True
        elif kind == "row":
            number = attrs.get("r")
            self.row_number = (_small_int(number) or self.row_number + 1) if number else self.row_number + 1
            self.rows_seen += 1
            limit = self.limits.max_rows + 1
            if self.row_number > limit or self.rows_seen > limit:
                raise SpreadsheetRefused(
                    _("The sheet has more than %(max)s rows.") % {"max": self.limits.max_rows}, Reason.TOO_MANY_ROWS
                )
            self.cells, self.cell_count, self.column = {}, 0, 0
        elif kind == "is":
            self.inline = self.has_value = self.in_cell
        elif kind == "t":
            self.collect = self.inline and not self.in_phonetic
        elif kind == "rPh":
            self.in_phonetic += 1

    def end(self, name):
        self.depth -= 1
        kind = self.KINDS.get(name)
        if kind == "v" or kind == "t":
            self.collect = False
        elif kind == "c":
            if self.in_cell and self.has_value:
                value = self.value("".join(self.parts))
                if value is not None:
                    self.cells[self.column] = value
            self.in_cell = False
        elif kind == "row":
            cells = self.cells
            if cells:
                width = max(cells)
                self.ready.append((self.row_number, tuple(cells.get(i) for i in range(1, width + 1))))
            else:
                self.ready.append((self.row_number, ()))
            self.cells = None
        elif kind == "rPh":
            self.in_phonetic -= 1

    def data(self, text):
        if self.collect:
            self.length += len(text)
            if self.length > self.limits.max_cell_chars:
                raise _cell_too_long(self.limits)
            self.parts.append(text)

    def value(self, text: str):
        """The cell's value as openpyxl gives it with data_only=True."""
        kind = self.kind
        if kind == "inlineStr":
            return text if self.inline else None
        if not text:
            return None
        if kind == "n":
            number = _number(text)
            book = self.book
            if self.style in book.date_styles and not isinstance(number, str):
                try:
                    return from_excel(number, book.epoch, timedelta=self.style in book.timedelta_styles)
                except (OverflowError, ValueError):
                    return number
            return number
        if kind == "s":
            index = _small_int(text.strip())
            if index is None or index >= len(self.book.strings):
                raise _damaged()
            return self.book.strings[index]
        if kind == "b":
            return {"1": True, "0": False, "true": True, "false": False}.get(text.strip(), text)
        if kind == "d":
            try:
                return from_ISO8601(text)
            except (ValueError, TypeError):
                return text
        return text  # "str" (a formula's text), "e" (an error such as #N/A)
