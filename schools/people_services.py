"""The staff roster's writes: the .xlsx staff import (all or nothing) and a roster row per person."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from core.progress import counting
from core.spreadsheets import SheetLimits, SpreadsheetRefused, sheet_rows
from tenants.models import Invitation, Membership, School, User
from tenants.people import (
    account_for_contact,
    invitation_pending_for_place,
    person_check,
    person_invite,
    role_grant,
    role_revoke,
)
from tenants.roles import POST_ROLES, SCHOOL_ROLES, Role, role_from_name

from .models import Department, StaffMember

MAX_ROWS = 2000
# A staff sheet is small: 2,000 rows of five columns are well under 1 MB of XML.
SHEET_LIMITS = SheetLimits(max_bytes=5 * 1024 * 1024, max_uncompressed=50 * 1024 * 1024, max_rows=MAX_ROWS,
                           max_columns=50, max_shared_strings=200_000, max_shared_chars=5_000_000)
# Column → the headers a sheet may use for it (Chinese or English, case-insensitive).
COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "name"),
    "phone": ("手机", "手机号", "手机号码", "phone", "mobile"),
    "post": ("岗位", "职务", "post"),
    "department": ("部门", "department"),
    "roles": ("角色", "roles", "role"),
}
COLUMN_LABELS = {
    "name": pgettext_lazy("person", "Name"),
    "phone": gettext_lazy("Mobile phone"),
    "post": gettext_lazy("Post"),
    "department": gettext_lazy("Department"),
    "roles": gettext_lazy("Roles"),
}
TEMPLATE_HEADERS = ("姓名", "手机", "岗位", "部门", "角色")
ROLE_SPLIT = re.compile(r"[、,，;；/\n　]+")
PHONE_RE = re.compile(r"^1\d{10}$")


@dataclass
class RowError:
    """One problem of the sheet: its row (as Excel numbers it), column and message."""

    row: int
    column: str
    message: str


@dataclass
class StaffRow:
    row: int
    name: str
    phone: str
    post: str
    department: Department | None
    roles: tuple[str, ...]


@dataclass
class ImportResult:
    """What an import did (or, when `errors` is not empty, why it did nothing).

    `invited` counts the people new to this school, each sent an invitation its owner accepts (a new
    account's owner by setting the password through the link); `invitations` are those invitations, by the
    name and phone the sheet typed, without their links. The sheet's importer is told the same whether or not
    a phone had an account (no existence oracle).
    """

    errors: list[RowError] = field(default_factory=list)
    invited: int = 0
    updated: int = 0
    unchanged: int = 0
    invitations: list[Invitation] = field(default_factory=list)
    # The file itself was refused (too large, a zip bomb, …); its message is errors[0].
    refused: SpreadsheetRefused | None = None

    @property
    def ok(self) -> bool:
        return not self.errors


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def staff_sheet_read(*, content: bytes | File) -> tuple[list[dict], list[RowError]]:
    """The sheet's rows as {column: text, "_row": n}; header problems come back as errors.

    The file is read by core.spreadsheets (the reader every import shares): a file it refuses raises
    SpreadsheetRefused, a ValidationError whose `reason` is stable.
    """
    rows_iter = sheet_rows(content, limits=SHEET_LIMITS)
    header = next(rows_iter, (1, ()))[1]
    positions: dict[str, int] = {}
    for index, title in enumerate(header):
        text = _cell_text(title).lower()
        for column, names in COLUMNS.items():
            if text in names and column not in positions:
                positions[column] = index
    missing = [c for c in ("name", "phone") if c not in positions]
    if missing:
        return [], [
            RowError(1, str(COLUMN_LABELS[c]), _("The header row has no column for this.")) for c in missing
        ]
    rows = []
    for number, values in rows_iter:
        texts = {c: _cell_text(values[i]) if i < len(values) else "" for c, i in positions.items()}
        if not any(texts.values()):
            continue
        texts["_row"] = number
        rows.append(texts)
    return rows, []


def staff_rows_validate(*, rows: list[dict]) -> tuple[list[StaffRow], list[RowError]]:
    """Check every row (nothing is saved): names, phones, departments, roles, people behind phones."""
    errors: list[RowError] = []
    departments = {d.name: d for d in Department.objects.all()}
    seen_phones: dict[str, int] = {}
    result: list[StaffRow] = []
    label = {k: str(v) for k, v in COLUMN_LABELS.items()}
    for raw in rows:
        number = raw["_row"]
        before = len(errors)
        name, phone = raw.get("name", ""), raw.get("phone", "").replace(" ", "").replace("-", "")
        post, dept_name = raw.get("post", ""), raw.get("department", "")
        if not name:
            errors.append(RowError(number, label["name"], _("The name is missing.")))
        if not phone:
            errors.append(RowError(number, label["phone"], _("The phone number is missing.")))
        elif not PHONE_RE.match(phone):
            errors.append(RowError(number, label["phone"], _("Enter an 11-digit mainland mobile number.")))
        elif phone in seen_phones:
            errors.append(RowError(number, label["phone"], _("This phone number is also on row %(row)s.")
                                       % {"row": seen_phones[phone]}))
        else:
            seen_phones[phone] = number
        department = None
        if dept_name:
            department = departments.get(dept_name)
            if department is None:
                errors.append(RowError(number, label["department"],
                                           _("There is no department “%(name)s” in this school.") % {"name": dept_name}))
        roles: list[str] = []
        for role_name in [r.strip() for r in ROLE_SPLIT.split(raw.get("roles", "")) if r.strip()]:
            role = role_from_name(role_name)
            if role is None or role not in SCHOOL_ROLES:
                errors.append(RowError(number, label["roles"],
                                           _("There is no role “%(name)s”.") % {"name": role_name}))
            elif role not in roles:
                roles.append(role)
        if not roles:
            roles = list(POST_ROLES.get(post, (Role.TEACHER,)))
        if len(errors) == before:
            try:
                person_check(name=name, phone=phone)
            except ValidationError as exc:
                for column, messages in exc.message_dict.items():
                    for message in messages:
                        errors.append(RowError(number, label.get(column, column), message))
        if len(errors) == before:
            result.append(StaffRow(number, name, phone, post, department, tuple(roles)))
    return result, errors


def _school() -> School:
    tenant = getattr(connection, "tenant", None)
    if not isinstance(tenant, School):
        raise ValidationError(_("Staff are imported inside a school."))
    return tenant


@transaction.atomic
def staff_import(*, content: bytes | File, by: User | None, issue_links: bool = True) -> ImportResult:
    """Import the staff sheet: all rows or none; new people get a one-time invitation link.

    Re-importing the same sheet changes nothing; a changed post or roles column moves the roles.
    """
    school = _school()
    try:
        rows, errors = staff_sheet_read(content=content)  # before the lock: a crafted file must not hold it
    except SpreadsheetRefused as exc:
        return ImportResult(errors=[RowError(0, "", exc.messages[0])], refused=exc)
    # One import per school at a time: two uploads of the same sheet must not both create its people.
    School.objects.select_for_update().filter(pk=school.pk).first()
    if errors:
        return ImportResult(errors=errors)
    if not rows:
        return ImportResult(errors=[RowError(2, "", _("The sheet has no staff rows."))])
    staff_rows, errors = staff_rows_validate(rows=rows)
    if errors:
        return ImportResult(errors=errors)
    result = ImportResult()
    try:
        with transaction.atomic():
            # counting(): a background job's progress bar follows the rows; nothing listens in a request.
            for row in counting(staff_rows):
                _import_row(row=row, school=school, by=by, result=result, issue_links=issue_links)
    except ValidationError as exc:
        # A rule only the whole sheet can break (e.g. it removes the last principal): nothing is kept.
        result = ImportResult(errors=[RowError(0, "", m) for m in exc.messages])
    return result


def _roster_row_save(*, row: StaffRow, user: User | None, existing: StaffMember | None) -> bool:
    """Write the sheet's row on the school's roster; True when something changed."""
    values = {"name": row.name, "phone": row.phone, "post": row.post, "department": row.department,
              "is_active": True, "left_on": None}
    if existing is None:
        staff = StaffMember(user=user, joined_on=timezone.localdate(), **values)
        staff.full_clean()
        staff.save()
        return True
    dirty = [k for k, v in values.items() if getattr(existing, k) != v]
    if user is not None and existing.user_id != user.pk:
        dirty.append("user")
    if not dirty:
        return False
    for key, value in values.items():
        setattr(existing, key, value)
    if user is not None:
        existing.user = user
    existing.full_clean()
    existing.save()
    return True


def _import_row(*, row: StaffRow, school: School, by: User | None, result: ImportResult, issue_links: bool) -> None:
    account = account_for_contact(phone=row.phone)
    member_here = account is not None and Membership.objects.active().filter(user=account, school=school).exists()
    if not member_here:
        _import_newcomer(row=row, school=school, by=by, result=result, issue_links=issue_links, account=account)
        return
    # A member here: the sheet moves their roles and post here (this school's own memberships), nothing else.
    user = account
    changed = False
    current = {m.role: m for m in Membership.objects.active().filter(user=user, school=school)}
    for role in row.roles:
        membership = current.get(role)
        if membership is None or membership.post != row.post:
            role_grant(user=user, role=role, school=school, post=row.post, by=by)
            changed = True
    for role in set(current) - set(row.roles):
        role_revoke(user=user, role=role, school=school, by=by)
        changed = True
    staff = StaffMember.objects.filter(user=user).first() or StaffMember.objects.filter(
        user__isnull=True, phone=row.phone
    ).first()
    changed = _roster_row_save(row=row, user=user, existing=staff) or changed
    if changed:
        result.updated += 1
    else:
        result.unchanged += 1


def _import_newcomer(
    *, row: StaffRow, school: School, by: User | None, result: ImportResult, issue_links: bool, account: User | None
) -> None:
    """Someone new to this school: the same service as the invite page (person_invite).

    Whether or not the phone has an account, its owner gets an invitation and nothing else changes until they
    accept: no membership, and the roster row keeps what the sheet typed, unlinked (person_joined links it).
    """
    pending = None
    if account is not None:
        pending = invitation_pending_for_place(school=school, bureau=None).filter(user=account).first()
    # A roster row of a former member here is the school's own; otherwise the row waits unlinked.
    staff = (StaffMember.objects.filter(user=account).first() if account is not None else None) or (
        StaffMember.objects.filter(user__isnull=True, phone=row.phone).first()
    )
    if pending is not None and sorted(pending.roles) == sorted(row.roles) and pending.post == row.post \
            and pending.invited_name == row.name and pending.invited_phone == row.phone:
        # The same invitation is open already: re-importing the sheet changes nothing.
        if _roster_row_save(row=row, user=None, existing=staff):
            result.updated += 1
        else:
            result.unchanged += 1
        return
    added = person_invite(name=row.name, phone=row.phone, roles=row.roles, by=by, school=school, post=row.post,
                          issue_link=issue_links)
    _roster_row_save(row=row, user=None, existing=staff)
    if pending is not None:
        result.updated += 1
    else:
        result.invited += 1
    if added.invitation is not None:
        result.invitations.append(added.invitation)


def staff_template_rows() -> list[list[str]]:
    """Two example rows for the downloadable template."""
    return [["张三", "13800000001", "班主任", "教导处", "教师"], ["李四", "13800000002", "门卫", "", "门卫"]]


@transaction.atomic
def staff_member_update(*, staff: StaffMember, by: User | None, post: str, department: Department | None) -> StaffMember:
    """Change one person's post or department; a post that implies roles moves their roles with it."""
    school = _school()
    old_post, post = staff.post, (post or "").strip()
    staff.post, staff.department = post, department
    staff.full_clean()
    staff.save()
    if staff.user_id is None or old_post == post:
        return staff
    if not Membership.objects.active().filter(user_id=staff.user_id, school=school).exists():
        # Someone who left keeps their closed row; roles come back only when they accept a new invitation.
        return staff
    old_roles, new_roles = set(POST_ROLES.get(old_post, ())), set(POST_ROLES.get(post, ()))
    current = set(Membership.objects.active().filter(user=staff.user, school=school).values_list("role", flat=True))
    for role in new_roles:
        role_grant(user=staff.user, role=role, school=school, post=post, by=by)
    for role in (old_roles - new_roles) & current:
        role_revoke(user=staff.user, role=role, school=school, by=by)
    Membership.objects.active().filter(user=staff.user, school=school).update(post=post)
    return staff
