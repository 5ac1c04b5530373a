"""Crafted spreadsheets against every import (issue 17, item 4), and the 使用人 oracle (item 6).

Tried as alpha's principal on the staff import (the page `/staff/import/` and the `staffImport` mutation)
and as alpha's custodian on the asset import page (assets have no import mutation). Before the fix the
staff import opened any file with openpyxl: a well-formed 1 MB xlsx holding 1 GiB of whitespace took
minutes and 2.1 GB in one worker, a zip bomb or a billion-laughs sheet came back as HTTP 500. Now one
reader (core/spreadsheets.py) serves every import, and each crafted file gets its clear Chinese message in
the page's form, or a GraphQL error with the stable code UPLOAD_REFUSED and a stable reason; nothing is
created. The big files are made here, while the test runs, by zipfile's streaming writer.

Before the fix the asset import's 使用人 column took any account of the platform and said which names had
none (「找不到此人」): now it takes only this school's active members, and an outsider's name and a name
nobody has get the same error.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import random
import re
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import pytest
from django.db import connection
from openpyxl import Workbook

from assets.models import Asset
from schools.models import StaffMember
from tenants.access import forget_memberships
from tenants.models import Invitation, Membership, User
from tenants.roles import Role
from tenants.services import membership_grant
from tests.conftest import schema_table_counts

MIB = 1 << 20

# --- crafted files -------------------------------------------------------------------------------------------

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>{strings}</Types>'
)
STRINGS_TYPE = ('<Override PartName="/xl/sharedStrings.xml" '
                'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>')
PACKAGE_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
    'Target="sharedStrings.xml"/></Relationships>'
)
SHEET_OPEN = '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
SHEET_CLOSE = "</sheetData></worksheet>"


def _header(*titles: str) -> str:
    cells = "".join(f'<c r="{chr(65 + i)}1" t="inlineStr"><is><t>{t}</t></is></c>' for i, t in enumerate(titles))
    return f'<row r="1">{cells}</row>'


# Each import reads the header first (the asset import stops at a header it does not know), so each
# crafted file carries the header of the import it is sent to: what lies past the header is the attack.
HEADERS = {"staff": _header("姓名", "手机"), "assets": _header("资产名称", "分类代码", "单价", "入账日期")}


class _RepeatingDeflate:
    """zipfile's compressor for a member, with a short cut for a chunk written again and again.

    After a full flush deflate starts afresh, so the same chunk always compresses to the same bytes:
    they are computed once, and writing 1 GiB costs a CRC, not a GiB of compression.
    """

    def __init__(self, chunk: bytes):
        self.chunk = chunk
        self.real = zlib.compressobj(9, zlib.DEFLATED, -15)
        once = zlib.compressobj(9, zlib.DEFLATED, -15)
        self.block = once.compress(chunk) + once.flush(zlib.Z_FULL_FLUSH)

    def compress(self, data: bytes) -> bytes:
        if data is self.chunk:
            return self.block
        return self.real.compress(data) + self.real.flush(zlib.Z_FULL_FLUSH)

    def flush(self) -> bytes:
        return self.real.flush()


def xlsx(sheet: str | None = None, *, header: str = "", strings: str | None = None,
         filler: tuple[bytes, int] | None = None) -> bytes:
    """A minimal, well-formed .xlsx whose sheet is `header` then `sheet` (rows), or then `filler` = (chunk,
    times) streamed in with zipfile's streaming writer (a full sheet when `sheet` starts with '<?xml')."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES.format(strings=STRINGS_TYPE if strings is not None else ""))
        archive.writestr("_rels/.rels", PACKAGE_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        if strings is not None:
            archive.writestr("xl/sharedStrings.xml", strings)
        if sheet is not None and sheet.startswith("<?xml"):
            archive.writestr("xl/worksheets/sheet1.xml", sheet)
        elif sheet is not None:
            archive.writestr("xl/worksheets/sheet1.xml", SHEET_OPEN + "<sheetData>" + header + sheet + SHEET_CLOSE)
        else:
            chunk, times = filler
            with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as stream:
                assert hasattr(stream, "_compressor")  # zipfile's streaming writer, as of Python 3.11
                stream._compressor = _RepeatingDeflate(chunk)
                stream.write((SHEET_OPEN + "<sheetData>" + header).encode())
                for _ in range(times):
                    stream.write(chunk)
                stream.write(SHEET_CLOSE.encode())
    return buffer.getvalue()


def lying_directory(content: bytes, member: str, declared: int) -> bytes:
    """The same zip with a central directory that says `member` inflates to `declared` bytes only."""
    data = bytearray(content)
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        (name_length,) = struct.unpack_from("<H", data, at + 28)
        if data[at + 46:at + 46 + name_length] == member.encode():
            assert struct.unpack_from("<I", data, at + 24)[0] != 0xFFFFFFFF  # sizes in the record, not zip64
            struct.pack_into("<I", data, at + 24, declared)
        at = data.find(b"PK\x01\x02", at + 4)
    return bytes(data)


def whitespace_gib(header: str) -> bytes:
    """The issue's file: well-formed, 1 MB, 1 GiB of whitespace inside the sheet's data."""
    return xlsx(header=header, filler=(b" " * MIB, 1024))


def whitespace_gib_lying(header: str) -> bytes:
    """The same, with a directory that says the sheet inflates to 300 kB: the reader must not believe it."""
    return lying_directory(whitespace_gib(header), "xl/worksheets/sheet1.xml", 300_000)


def zip_bomb(header: str) -> bytes:
    """300 MB of zeros in the sheet, 300 kB to upload."""
    return xlsx(header=header, filler=(b"\0" * MIB, 300))


def ratio_bomb(header: str) -> bytes:
    """Under every size cap (30 MB), but compressed a thousand to one: nothing real is."""
    return xlsx(header=header, filler=(b" " * MIB, 30))


def billion_laughs(header: str) -> bytes:
    entities = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10))
    return xlsx('<?xml version="1.0"?><!DOCTYPE worksheet [' + entities + ']>'
                '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
                + header + '<row r="2"><c r="A2" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>')


def not_a_zip(_header: str) -> bytes:
    return "姓名,手机\n王一,13700000001\n".encode()


def zip_header_then_garbage(_header: str) -> bytes:
    return b"PK\x03\x04" + b"\x00garbage" * 100


def wide_sheet(header: str) -> bytes:
    """100,000 cells in one row (without references, so nothing stops them at Excel's 16,384 columns)."""
    return xlsx('<row r="2">' + "<c/>" * 100_000 + "</row>", header=header)


def long_sheet(header: str) -> bytes:
    """2,001 rows below the header: one past the staff import's cap."""
    return xlsx("".join(f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>王{n}</t></is></c></row>'
                        for n in range(2, 2003)), header=header)


def far_row(header: str) -> bytes:
    """One row numbered 1,048,576 (Excel's last)."""
    return xlsx('<row r="1048576"><c r="A1048576"><v>1</v></c></row>', header=header)


def long_cell(header: str) -> bytes:
    """One cell of 40,000 characters (Excel's own cap is 32,767)."""
    return xlsx(f'<row r="2"><c r="A2" t="inlineStr"><is><t>{"长" * 40_000}</t></is></c></row>', header=header)


def huge_shared_string(header: str) -> bytes:
    """One shared string of 2 million characters (random letters, so it compresses like text: 1.2 MB)."""
    text = "".join(random.Random(17).choices("abcdefghijklmnopqrstuvwxyz", k=2_000_000))
    strings = ('<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
               f'count="1" uniqueCount="1"><si><t>{text}</t></si></sst>')
    return xlsx('<row r="2"><c r="A2" t="s"><v>0</v></c></row>', header=header, strings=strings)


def oversize(_header: str) -> bytes:
    """A zip signature and 11 MB of noise: over both imports' caps (staff 5 MB, assets 10 MB)."""
    return b"PK\x03\x04" + random.Random(3).randbytes(11 * MIB)


RATIO = "RATIO"  # the message names the file's own ratio: computed from its directory
INFLATES_300 = "该文件解压后达 300 MB，超过上限，已拒收。"
INFLATES_1024 = "该文件解压后达 1024 MB，超过上限，已拒收。"
DAMAGED = "无法作为 .xlsx 工作簿读取此文件。"
DTD = "该文件含有表格不需要的 XML 声明（DTD 或实体），已拒收。"
NOT_XLSX = "不接受此类文件。可接受：.xlsx。"
CELL = "有单元格超过 32767 个字符，已拒收。"
# (attack, build, reason, message on the staff import, message on the asset import; None: not sent there)
CRAFTED = [
    ("zip-bomb", zip_bomb, "INFLATES", INFLATES_300, INFLATES_300),
    ("whitespace-1gib", whitespace_gib, "INFLATES", INFLATES_1024, INFLATES_1024),
    ("whitespace-1gib-lying-directory", whitespace_gib_lying, "DAMAGED", DAMAGED, DAMAGED),
    ("ratio-bomb", ratio_bomb, "RATIO", RATIO, RATIO),
    ("billion-laughs", billion_laughs, "XML_DTD", DTD, DTD),
    ("not-a-zip", not_a_zip, "NOT_XLSX", NOT_XLSX, NOT_XLSX),
    ("zip-header-then-garbage", zip_header_then_garbage, "DAMAGED", DAMAGED, DAMAGED),
    ("100000-columns", wide_sheet, "TOO_MANY_COLUMNS", "表格超过 50 列。", "表格超过 100 列。"),
    ("rows-past-the-cap", long_sheet, "TOO_MANY_ROWS", "表格超过 2000 行。", None),  # assets: its own test below
    ("row-1048576", far_row, "TOO_MANY_ROWS", "表格超过 2000 行。", "表格超过 50000 行。"),
    ("40000-character-cell", long_cell, "CELL_TOO_LONG", CELL, CELL),
    ("huge-shared-string", huge_shared_string, "CELL_TOO_LONG", CELL, CELL),
    ("oversize", oversize, "TOO_LARGE", "文件过大（11.0 MB），上限为 5.0 MB。", "文件过大（11.0 MB），上限为 10.0 MB。"),
]
IDS = [name for name, *_rest in CRAFTED]
ASSET_CASES = [case for case in CRAFTED if case[4] is not None]

_built: dict[tuple[str, str], bytes] = {}


def crafted(name: str, build, target: str) -> bytes:
    """Each file is made once per run (the 1 GiB ones take a second or two)."""
    if (name, target) not in _built:
        _built[name, target] = build(HEADERS[target])
    return _built[name, target]


def expected(message: str, content: bytes) -> str:
    if message != RATIO:
        return message
    info = max(zipfile.ZipFile(io.BytesIO(content)).infolist(), key=lambda i: i.file_size)
    return f"该文件的压缩比达 {info.file_size // info.compress_size} 比 1，远超任何正常表格，已拒收。"


def _form_error(body: str) -> list[str]:
    return re.findall(r'data-field-error="file">([^<]*)</div>', body)


# --- people and counts ---------------------------------------------------------------------------------------


@pytest.fixture
def kate(school_a):
    """Custodian of alpha (the asset import is the custodian's and the logistics director's)."""
    user, _created = User.objects.get_or_create(username="kate", defaults={"name": "Kate"})
    membership_grant(user=user, role=Role.CUSTODIAN, school=school_a)
    forget_memberships(user)
    return user


def _public_counts() -> tuple[int, int, int]:
    return User.objects.count(), Membership.objects.count(), Invitation.objects.count()


def _everything(school) -> tuple:
    """Every row of alpha's schema, and the public people tables: a refused file changes none of them."""
    connection.set_schema_to_public()
    counts = (schema_table_counts(school.schema_name), _public_counts())
    return counts


def _upload(content: bytes, name: str = "sheet.xlsx"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


# --- the staff import: the page and the mutation -------------------------------------------------------------


@pytest.mark.parametrize(("name", "build", "reason", "staff_message", "_asset_message"), CRAFTED, ids=IDS)
def test_crafted_file_on_the_staff_import_page(school_a, alice, client_for, name, build, reason, staff_message,
                                               _asset_message):
    content = crafted(name, build, "staff")
    before = _everything(school_a)

    response = client_for(alice, school_a).post("/staff/import/", {"file": _upload(content)})

    assert response.status_code == 200
    assert _form_error(response.content.decode()) == [expected(staff_message, content)]
    assert _everything(school_a) == before


STAFF_IMPORT = "mutation($c: String!) { staffImport(contentBase64: $c) { ok invited errors { message } } }"


@pytest.mark.parametrize(("name", "build", "reason", "staff_message", "_asset_message"), CRAFTED, ids=IDS)
def test_crafted_file_on_the_staff_import_mutation(school_a, alice, client_for, name, build, reason, staff_message,
                                                   _asset_message):
    content = crafted(name, build, "staff")
    before = _everything(school_a)

    answer = client_for(alice, school_a).gql(STAFF_IMPORT, {"c": base64.b64encode(content).decode()})

    assert answer["data"] is None
    [error] = answer["errors"]
    assert (error["message"], error["extensions"]["code"], error["extensions"]["reason"]) == (
        expected(staff_message, content), "UPLOAD_REFUSED", reason)
    assert _everything(school_a) == before


# --- the asset import page (there is no asset import mutation) ----------------------------------------------


@pytest.mark.parametrize(("name", "build", "reason", "_staff_message", "asset_message"), ASSET_CASES,
                         ids=[c[0] for c in ASSET_CASES])
def test_crafted_file_on_the_asset_import_page(school_a, kate, client_for, name, build, reason, _staff_message,
                                               asset_message):
    content = crafted(name, build, "assets")
    before = _everything(school_a)

    response = client_for(kate, school_a).post("/assets/import/", {"file": _upload(content), "mapping": ""})

    assert response.status_code == 200
    assert _form_error(response.content.decode()) == [expected(asset_message, content)]
    assert _everything(school_a) == before


CATEGORY_CASES = [case for case in ASSET_CASES if case[0] in (
    "zip-bomb", "whitespace-1gib-lying-directory", "billion-laughs", "100000-columns", "huge-shared-string")]


@pytest.mark.parametrize(("name", "build", "reason", "_staff_message", "asset_message"), CATEGORY_CASES,
                         ids=[c[0] for c in CATEGORY_CASES])
def test_crafted_file_on_the_category_table_import(school_a, kate, client_for, name, build, reason, _staff_message,
                                                   asset_message):
    """The category table (资产分类) is imported on its list page through the same reader (before: a 500)."""
    content = crafted(name, build, "assets")
    before = _everything(school_a)

    response = client_for(kate, school_a).post("/assets/categories/", {"file": _upload(content)})

    assert response.status_code == 200
    assert _form_error(response.content.decode()) == [expected(asset_message, content)]
    assert _everything(school_a) == before


def test_asset_rows_past_the_cap_are_refused(in_school_a, kate):
    """50,001 rows below the header: the reader stops at the cap (the staff case above has 2,001)."""
    from django.core.exceptions import ValidationError

    from assets.imports import assets_import

    rows = "".join(f'<row r="{n}"><c r="A{n}"><v>{n}</v></c></row>' for n in range(2, 50_003))
    with pytest.raises(ValidationError) as refused:
        assets_import(upload=_upload(xlsx(rows, header=HEADERS["assets"])), actor=kate)
    assert (refused.value.reason, refused.value.messages) == ("TOO_MANY_ROWS", ["表格超过 50000 行。"])
    assert Asset.objects.count() == 0


# --- memory: the file read in a worker of its own ----------------------------------------------------

MEASURE = """
import io, json, os, resource, sys, time
import django
django.setup()
from schools.people_services import staff_sheet_read
from core.spreadsheets import SpreadsheetRefused
content = sys.stdin.buffer.read()
started = time.perf_counter()
try:
    staff_sheet_read(content=content)
    outcome = "read"
except SpreadsheetRefused as exc:
    outcome = exc.reason
try:  # this process's own peak (ru_maxrss would include the parent's, taken over when it was spawned)
    with open("/proc/self/status") as status:
        peak_kb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
except OSError:
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"outcome": outcome, "seconds": time.perf_counter() - started, "peak_mb": peak_kb / 1024}))
"""


@pytest.mark.parametrize(("name", "make", "outcome"), [
    ("whitespace-1gib", whitespace_gib, "INFLATES"),
    ("whitespace-1gib-lying-directory", whitespace_gib_lying, "DAMAGED"),
    ("huge-shared-string", huge_shared_string, "CELL_TOO_LONG"),
])
def test_reading_a_crafted_file_stays_under_300_mb(name, make, outcome):
    """Peak RSS of a fresh process (Django loaded, about 100 MB of it) that reads the file: was 2.1 GB."""
    result = subprocess.run([sys.executable, "-c", MEASURE], input=crafted(name, make, "staff"), capture_output=True,
                            cwd=Path(__file__).resolve().parents[2], timeout=300, check=True)
    figures = json.loads(result.stdout.decode().strip().splitlines()[-1])
    assert figures["outcome"] == outcome
    assert figures["peak_mb"] < 300


# --- 使用人: this school's members only, and no oracle -------------------------------------------------------


def _asset_sheet(person: str) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["资产编号", "资产名称", "分类代码", "单价", "入账日期", "使用人"])
    sheet.append(["A0001", "台式计算机", "A02010105", 5600, dt.date(2025, 9, 1), person])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _import_errors(client, person: str) -> list[tuple[str, str, str]]:
    """The error table of the asset import page ([] when it imported, and redirected to the list)."""
    response = client.post("/assets/import/", {"file": _upload(_asset_sheet(person)), "mapping": ""})
    if response.status_code == 302:
        return []
    assert response.status_code == 200
    return re.findall(r"<tr><td>(\d+)</td><td>([^<]*)</td><td>([^<]*)</td></tr>", response.content.decode())


@pytest.mark.parametrize("outsider", ["Charlie", "charlie", "Dave", "oscar"])
def test_a_person_of_another_school_and_a_name_nobody_has_get_the_same_error(school_a, kate, charlie, dave, oscar,
                                                                            client_for, outsider):
    # given charlie is beta's principal, dave a bureau leader, oscar the platform operator: none is alpha's
    client = client_for(kate, school_a)
    before = _everything(school_a)

    # when alpha's custodian names one of them as an asset's 使用人, and then a name nobody has
    outside = _import_errors(client, outsider)
    nobody = _import_errors(client, "无此人")

    # then both are refused alike, and the answer does not tell which one has an account
    assert outside == [("2", "使用人", f"“{outsider}”不是本校人员。")]
    assert nobody == [("2", "使用人", "“无此人”不是本校人员。")]
    assert _everything(school_a) == before


def test_a_member_of_this_school_is_accepted_by_name_or_login(school_a, kate, bob, client_for):
    client = client_for(kate, school_a)
    assert _import_errors(client, "Bob") == []
    connection.set_tenant(school_a)
    assert Asset.objects.get(asset_number="A0001").user == bob


def test_a_former_member_is_no_longer_accepted(school_a, kate, gina, client_for):
    # given gina's membership at alpha has ended
    Membership.objects.filter(user=gina, school=school_a).update(is_active=False)
    forget_memberships(gina)

    assert _import_errors(client_for(kate, school_a), "gina") == [("2", "使用人", "“gina”不是本校人员。")]
    connection.set_tenant(school_a)
    assert not Asset.objects.exists()


def test_a_name_two_members_share_asks_for_the_login(school_a, kate, bob, client_for):
    from tests.people.factories import member

    member(school=school_a, role=Role.TEACHER, name="Bob", username="bob2")
    assert _import_errors(client_for(kate, school_a), "Bob") == [
        ("2", "使用人", "本校有多人名为“Bob”，请改填其登录名。")]
    assert _import_errors(client_for(kate, school_a), "bob2") == []


def test_the_staff_roster_is_untouched_by_a_refused_file(school_a, alice, client_for):
    """The roster and invitations stay as they were (a direct look, besides the table counts above)."""
    client_for(alice, school_a).post("/staff/import/", {"file": _upload(crafted("billion-laughs", billion_laughs, "staff"))})
    connection.set_tenant(school_a)
    assert not StaffMember.objects.exists()
    connection.set_schema_to_public()
    assert not Invitation.objects.exists()
