"""Demo staff of the seed's XX路小学: its 37 teachers and staff, imported from the sheet that ships
in schools/demo_data/ (the same importer a principal uses).

Listed in tenants.demo.DEMO_APPS after the school core; `load_school` has the signature every
`<app>/demo.py` hook has.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from tenants.models import User
from tenants.people import demo_invitations_accept

from .models import Department

SHEET = Path(__file__).resolve().parent / "demo_data" / "xxlu_staff.xlsx"
DEPARTMENTS = ("校长室", "总务处", "教导处", "大队部")

# (name, post, department, roles) — posts from the seed: 后勤, 安全, 门卫 ×2, 班主任, and the 安保队 of
# male teachers under 50 led by the vice principal for logistics and safety.
STAFF: list[tuple[str, str, str, str]] = [
    ("屈校长", "校长", "校长室", ""),
    ("何副校长", "分管后勤安全副校长", "校长室", "安全专干、教师"),
    ("王总务", "总务主任", "总务处", ""),
    ("李安全", "安全", "总务处", ""),
    ("张保管", "后勤", "总务处", ""),
    ("赵师傅", "维修工", "总务处", ""),
    ("刘门卫", "门卫", "", ""),
    ("孙门卫", "门卫", "", ""),
    ("陈老师", "班主任", "教导处", ""),
    ("吴主任", "教导主任", "教导处", "教师"),
    ("郑老师", "大队辅导员", "大队部", "教师"),
    *[(f"{surname}老师", "班主任", "教导处", "") for surname in "黄林罗梁宋唐许韩冯邓曹"],
    *[(f"{surname}老师", "教师", "教导处", "") for surname in "彭曾肖田董袁潘蒋蔡"],
    *[(f"{surname}老师", "安保队", "教导处", "") for surname in "余杜叶程魏苏"],
]
assert len(STAFF) == 37


def staff_phone(index: int) -> str:
    return f"1380731{index + 1:04d}"


def demo_rows() -> list[list[str]]:
    return [[name, staff_phone(i), post, dept, roles] for i, (name, post, dept, roles) in enumerate(STAFF)]


def demo_sheet_bytes() -> bytes:
    """The shipped sheet, or the same sheet built now when the file is missing."""
    if SHEET.exists():
        return SHEET.read_bytes()
    from frontend.excel import workbook_bytes

    from .people_services import TEMPLATE_HEADERS

    return workbook_bytes(title="教职工", headers=list(TEMPLATE_HEADERS), rows=demo_rows(), heading=False)


def load_school(*, school, people, seed: bool) -> None:
    """Import XX路小学's staff sheet; the demo people keep their logins and gain their phones."""
    if not seed:
        return
    from .people_services import staff_import

    for order, name in enumerate(DEPARTMENTS):
        Department.objects.get_or_create(name=name, defaults={"sort_order": order})
    phones = {name: staff_phone(i) for i, (name, *_rest) in enumerate(STAFF)}
    for user in people.values():
        if user.name in phones and not user.phone:
            user.phone = phones[user.name]
            user.save(update_fields=["phone"])
    principal = next((u for u in people.values() if u.name == "屈校长"), None) or next(iter(people.values()))
    result = staff_import(content=demo_sheet_bytes(), by=principal, issue_links=False)
    if result.errors:
        raise RuntimeError(f"demo staff sheet: {[(e.row, e.column, e.message) for e in result.errors]}")
    # The import invited the staff new to the platform (nothing sent: issue_links=False); in the demo they
    # accept at once, with the demo password, and sign in with their phones.
    demo_invitations_accept(school=school, phones=list(phones.values()), password=settings.DEMO_PASSWORD)
    for user in User.objects.filter(phone__in=phones.values()):
        if not user.has_usable_password():
            user.set_password(settings.DEMO_PASSWORD)
            user.save(update_fields=["password"])
