"""Excel import of asset cards: column mapping, every row validated, all or nothing, an error report.

The file is read by core.spreadsheets, the reader every import shares: size, type, the zip's directory
(a bomb is refused without inflating it), bounded streams, no DTD or entities, caps on rows, columns
and cell text. People are looked up among this school's members only (使用人).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from core import progress
from core.spreadsheets import SheetLimits, sheet_rows
from schools.models import Department, Room
from tenants.models import User

from .categories import LEGACY_CODE_MAP
from .choices import AssetKind, AssetUse, Condition, ProcurementForm
from .models import Asset, Category, Supplier

IMPORT_MAX_BYTES = getattr(settings, "ASSETS_IMPORT_MAX_BYTES", 10 * 1024 * 1024)
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_ROWS = 50_000
MAX_COLUMNS = 100  # the template has 23; room for columns mapped to "ignore"
BATCH = 1000

# field → (header shown in the template, other accepted headers, required)
COLUMNS: dict[str, tuple] = {
    "asset_number": (gettext_lazy("Asset number"), ("资产编号", "asset_number"), False),
    "name": (gettext_lazy("Name"), ("资产名称", "名称", "name"), True),
    "category": (gettext_lazy("Category code"), ("分类代码", "资产分类代码", "category"), True),
    "kind": (gettext_lazy("Kind"), ("资产类型", "kind"), False),
    "brand": (gettext_lazy("Brand"), ("品牌", "brand"), False),
    "model": (gettext_lazy("Model"), ("型号", "model"), False),
    "spec": (gettext_lazy("Specification"), ("规格", "spec"), False),
    "serial_number": (gettext_lazy("Serial number"), ("序列号", "serial_number"), False),
    "unit_price": (gettext_lazy("Unit price"), ("单价", "unit_price"), True),
    "quantity": (gettext_lazy("Quantity"), ("数量", "quantity"), False),
    "unit": (gettext_lazy("Unit"), ("计量单位", "单位", "unit"), False),
    "original_value": (gettext_lazy("Original value"), ("原值", "original_value"), False),
    "booked_on": (gettext_lazy("Booked on"), ("入账日期", "取得日期", "booked_on"), True),
    "invoice_number": (gettext_lazy("Invoice number"), ("发票号", "invoice_number"), False),
    "funding_source": (gettext_lazy("Funding source"), ("经费来源", "funding_source"), False),
    "procurement_form": (gettext_lazy("Procurement form"), ("采购组织形式", "procurement_form"), False),
    "supplier": (gettext_lazy("Supplier"), ("供应商", "supplier"), False),
    "warranty_end": (gettext_lazy("Warranty end"), ("保修截止日期", "保修截止", "warranty_end"), False),
    "department": (gettext_lazy("Managing department"), ("管理部门", "使用部门", "department"), False),
    "user": (gettext_lazy("User"), ("使用人", "user"), False),
    "use": (gettext_lazy("Use"), ("用途", "use"), False),
    "room": (pgettext_lazy("asset", "Room"), ("存放地点", "房间", "room"), False),
    "condition": (gettext_lazy("Condition"), ("使用状况", "资产状态", "condition"), False),
}

# One row books at most this many identical items (a row of 1e308 would overflow the column).
MAX_QUANTITY = 100_000


@dataclass
class RowError:
    row: int
    column: str
    message: str


@dataclass
class ImportFailed(Exception):
    errors: list[RowError] = field(default_factory=list)

    def __str__(self) -> str:
        return "; ".join(f"{e.row}/{e.column}: {e.message}" for e in self.errors[:5])


def template_headers() -> list[str]:
    """The headers of the import template, in Chinese as users see them."""
    return [aliases[0] for _label, aliases, _required in COLUMNS.values()]


def import_limits() -> SheetLimits:
    """What an asset sheet may be (read when called, so a setting or a test can change the size cap)."""
    return SheetLimits(max_bytes=IMPORT_MAX_BYTES, max_uncompressed=MAX_UNCOMPRESSED_BYTES, max_rows=MAX_ROWS,
                       max_columns=MAX_COLUMNS)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _choice(value: str, choices) -> str | None:
    for key, label in choices.choices:
        if value in (key, str(label)):
            return key
    return None


class _Lookups:
    """Everything a row may refer to, loaded once."""

    def __init__(self):
        self.categories = {c.code: c for c in Category.objects.all()}
        for old_code, new_code in LEGACY_CODE_MAP.items():  # spreadsheets made before the 2022 codes
            if old_code not in self.categories and new_code in self.categories:
                self.categories[old_code] = self.categories[new_code]
        self.rooms = {}
        for room in Room.objects.select_related("building"):
            for key in (f"{room.building.name} {room.number}", f"{room.building.name}{room.number}", room.name):
                if key:
                    self.rooms.setdefault(key, room)
        self.departments = {d.name: d for d in Department.objects.all()}
        self.suppliers = {s.name: s for s in Supplier.objects.all()}
        # 使用人: only this school's members. Anyone else, and a name nobody has, get the same answer, so
        # the import tells nothing about who has an account elsewhere on the platform.
        self.users_by_login: dict[str, User] = {}
        self.users_by_name: dict[str, list[User]] = {}
        from .services import current_school

        school = current_school()
        members = User.objects.filter(
            is_active=True, memberships__school=school, memberships__is_active=True
        ).distinct() if school is not None else User.objects.none()
        for user in members:
            self.users_by_login[user.username] = user
            if user.name:
                self.users_by_name.setdefault(user.name, []).append(user)


def _parse_row(values: dict[str, object], lookups: _Lookups, bureau) -> tuple[dict, list[tuple[str, str]]]:
    errors: list[tuple[str, str]] = []
    data: dict = {}

    def err(field_name: str, message: str) -> None:
        errors.append((field_name, message))

    for key in ("asset_number", "name", "brand", "model", "spec", "serial_number", "unit", "invoice_number",
                "funding_source"):
        text = _text(values.get(key))
        limit = Asset._meta.get_field(key).max_length
        if len(text) > limit:
            err(key, _("At most %(n)s characters.") % {"n": limit})
        data[key] = text
    if not data["name"]:
        err("name", _("This field is required."))
    data["unit"] = data["unit"] or "台"
    code = _text(values.get("category"))
    category = lookups.categories.get(code)
    if not code:
        err("category", _("This field is required."))
    elif category is None:
        err("category", _("Unknown category code %(code)s.") % {"code": code})
    data["category"] = category
    for key, required in (("unit_price", True), ("original_value", False)):
        raw = values.get(key)
        if raw is None or _text(raw) == "":
            if required:
                err(key, _("This field is required."))
            data[key] = None
            continue
        try:
            amount = Decimal(_text(raw).replace(",", "").replace("¥", "").replace("￥", ""))
        except InvalidOperation:
            err(key, _("Not a number: %(value)s.") % {"value": _text(raw)})
            data[key] = None
            continue
        if not amount.is_finite() or amount < 0:
            err(key, _("Must be zero or more."))
            data[key] = None
        elif amount >= Decimal("1e12"):
            err(key, _("Too large."))
            data[key] = None  # quantize would overflow the context's precision
        else:
            data[key] = amount.quantize(Decimal("0.01"))
    raw_quantity = values.get("quantity")
    try:
        quantity = int(Decimal(_text(raw_quantity))) if _text(raw_quantity) else 1
        if quantity < 1 or Decimal(_text(raw_quantity) or "1") != quantity:
            raise ValueError
    except (ValueError, InvalidOperation, OverflowError):  # OverflowError: a float cell of 1e308 reads as inf
        err("quantity", _("Must be a whole number of at least 1."))
        quantity = 1
    if quantity > MAX_QUANTITY:
        err("quantity", _("Too large."))
        quantity = 1
    data["quantity"] = quantity
    for key, required in (("booked_on", True), ("warranty_end", False)):
        raw = values.get(key)
        if isinstance(raw, dt.datetime):
            data[key] = raw.date()
        elif isinstance(raw, dt.date):
            data[key] = raw
        elif _text(raw) == "":
            data[key] = None
            if required:
                err(key, _("This field is required."))
        else:
            text = _text(raw).replace("/", "-").replace(".", "-")
            try:
                data[key] = dt.date.fromisoformat(text)
            except ValueError:
                data[key] = None
                err(key, _("Not a date (use YYYY-MM-DD): %(value)s.") % {"value": _text(raw)})
    if data.get("booked_on") and data["booked_on"] > timezone.localdate():
        err("booked_on", _("The booking date is in the future."))
    for key, choices, default in (
        ("kind", AssetKind, None),
        ("procurement_form", ProcurementForm, ProcurementForm.DECENTRALISED),
        ("use", AssetUse, AssetUse.TEACHING),
        ("condition", Condition, Condition.IN_USE),
    ):
        text = _text(values.get(key))
        if not text:
            data[key] = default
            continue
        value = _choice(text, choices)
        if value is None:
            err(key, _("Unknown value %(value)s.") % {"value": text})
        data[key] = value
    for key, table in (("room", lookups.rooms), ("department", lookups.departments), ("supplier", lookups.suppliers)):
        text = _text(values.get(key))
        data[key] = table.get(text) if text else None
        if text and data[key] is None:
            err(key, _("Unknown %(what)s: %(value)s.") % {"what": COLUMNS[key][0], "value": text})
    user_text = _text(values.get("user"))
    data["user"] = None
    if user_text:
        user = lookups.users_by_login.get(user_text)
        namesakes = lookups.users_by_name.get(user_text, []) if user is None else []
        if len(namesakes) == 1:
            user = namesakes[0]
        elif namesakes:
            err("user", _("Several people of this school are called “%(value)s”; write their login name instead.")
                % {"value": user_text})
        elif user is None:
            err("user", _("“%(value)s” is not a member of this school.") % {"value": user_text})
        data["user"] = user
    if not errors:
        if data["original_value"] is None:
            data["original_value"] = data["unit_price"] * data["quantity"]
        if data["kind"] is None:
            from .services import asset_kind_for

            data["kind"] = asset_kind_for(category=category, unit_price=data["unit_price"])
    return data, errors


def _header_map(header: list, mapping: dict[str, str] | None) -> tuple[dict[int, str], list[RowError]]:
    aliases = {}
    for key, (label, others, _required) in COLUMNS.items():
        for name in (str(label), *others):
            aliases[name.strip().lower()] = key
    for source, target in (mapping or {}).items():
        aliases[source.strip().lower()] = target
    errors: list[RowError] = []
    columns: dict[int, str] = {}
    for index, cell in enumerate(header):
        title = _text(cell)
        if not title:
            continue
        key = aliases.get(title.lower())
        if key == "":
            continue  # mapped to "ignore"
        if key is None or key not in COLUMNS:
            errors.append(RowError(1, title, _("Unknown column.")))
        elif key in columns.values():
            errors.append(RowError(1, title, _("This column appears twice.")))
        else:
            columns[index] = key
    for key, (_label, others, required) in COLUMNS.items():
        if required and key not in columns.values():
            errors.append(RowError(1, others[0], _("Required column is missing.")))
    return columns, errors


def assets_import(*, upload, actor: User, mapping: dict[str, str] | None = None) -> int:
    """Validate every row of the workbook, then create all cards or none; raise ImportFailed with the errors."""
    from .services import asset_numbers_allocate, current_bureau

    rows = sheet_rows(upload, limits=import_limits())  # SpreadsheetRefused (a ValidationError) for a bad file
    first = next(rows, None)
    if first is None:
        raise ImportFailed([RowError(1, "", _("The sheet is empty."))])
    columns, errors = _header_map(list(first[1]), mapping)
    if errors:
        raise ImportFailed(errors)
    labels = {key: COLUMNS[key][1][0] for key in COLUMNS}
    lookups = _Lookups()
    bureau = current_bureau()
    parsed: list[tuple[int, dict]] = []
    seen_numbers: dict[str, int] = {}
    for number, row in progress.counting(rows):  # a background import's bar counts the rows
        values = {key: row[index] for index, key in columns.items() if index < len(row)}
        if all(_text(v) == "" for v in values.values()):
            continue
        data, row_errors = _parse_row(values, lookups, bureau)
        errors.extend(RowError(number, labels[key], message) for key, message in row_errors)
        code = data.get("asset_number")
        if code:
            if code in seen_numbers:
                errors.append(RowError(number, labels["asset_number"],
                                       _("Duplicate of row %(row)s.") % {"row": seen_numbers[code]}))
            seen_numbers.setdefault(code, number)
        parsed.append((number, data))
    if seen_numbers:
        taken = set()
        codes = list(seen_numbers)
        for start in range(0, len(codes), 5000):
            taken.update(Asset.objects.filter(asset_number__in=codes[start:start + 5000]).values_list("asset_number", flat=True))
        for code in sorted(taken, key=seen_numbers.get):
            errors.append(RowError(seen_numbers[code], labels["asset_number"],
                                   _("Asset number %(code)s already exists.") % {"code": code}))
    if not parsed and not errors:
        errors.append(RowError(2, "", _("There are no rows to import.")))
    if errors:
        errors.sort(key=lambda e: (e.row, e.column))
        raise ImportFailed(errors)
    with transaction.atomic():
        missing = [data for _n, data in parsed if not data["asset_number"]]
        for data, code in zip(missing, asset_numbers_allocate(count=len(missing)), strict=True):
            data["asset_number"] = code
        batch: list[Asset] = []
        for _number, data in parsed:
            batch.append(Asset(**data))
            if len(batch) >= BATCH:
                Asset.objects.bulk_create(batch)
                batch = []
        if batch:
            Asset.objects.bulk_create(batch)
    from tenants.services import school_metrics_request_refresh

    school_metrics_request_refresh()
    return len(parsed)


def error_report_rows(errors: list[RowError]) -> tuple[list[str], list[list]]:
    return [_("Row"), _("Column"), _("Message")], [[e.row, e.column, e.message] for e in errors]
