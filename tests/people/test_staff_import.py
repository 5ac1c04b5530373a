"""The staff sheet import: all or nothing, per-row errors, links, re-import idempotent."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from pghistory.models import Events

from schools.models import StaffMember
from schools.people_services import staff_import
from tenants.models import Invitation, Membership, SmsMessage, User
from tenants.roles import Role

from .factories import member, owners_accept, sheet

GOOD = [
    ("王一", "13700000001", "班主任", "教导处", ""),
    ("王二", "13700000002", "门卫", "", "门卫"),
    ("王三", "13700000003", "安保队", "教导处", "教师、门卫"),
    ("王四", "13700000004", "总务主任", "总务处", "logistics director"),
]


def _counts(school):
    return (
        User.objects.filter(phone__startswith="137").count(),
        Membership.objects.filter(school=school, user__phone__startswith="137").count(),
        StaffMember.objects.count(),
        Invitation.objects.filter(school=school).count(),
    )


def test_import_invites_people_and_they_become_members_when_they_accept(school_a, alice, departments_a):
    # when
    result = staff_import(content=sheet(GOOD), by=alice)

    # then everyone is invited (texted their link), the roster holds the sheet's rows, and nobody is a member yet
    assert result.errors == []
    assert (result.invited, result.updated, result.unchanged) == (4, 0, 0)
    assert [i.invited_name for i in result.invitations] == ["王一", "王二", "王三", "王四"]
    assert not Membership.objects.filter(school=school_a, user__phone__startswith="137").exists()
    assert set(SmsMessage.objects.values_list("phone", flat=True)) == {row[1] for row in GOOD}
    assert all("http://alpha.localhost:8000/people/invite/" in t for t in SmsMessage.objects.values_list("text", flat=True))
    staff = {s.name: (s.phone, s.post, s.department.name if s.department else "", s.user_id)
             for s in StaffMember.objects.all()}
    assert staff == {
        "王一": ("13700000001", "班主任", "教导处", None),
        "王二": ("13700000002", "门卫", "", None),
        "王三": ("13700000003", "安保队", "教导处", None),
        "王四": ("13700000004", "总务主任", "总务处", None),
    }
    user = User.objects.get(phone="13700000001")
    assert user.username == "13700000001"
    assert not user.has_usable_password()

    # when they accept (set their passwords through the links texted to them)
    owners_accept(school=school_a)

    # then they hold the roles the sheet gave them, and their roster rows are theirs
    roles = {
        (m.user.name, m.role, m.post)
        for m in Membership.objects.active().filter(school=school_a, user__phone__startswith="137").select_related("user")
    }
    assert roles == {
        ("王一", Role.TEACHER, "班主任"),
        ("王二", Role.GUARD, "门卫"),
        ("王三", Role.TEACHER, "安保队"),
        ("王三", Role.GUARD, "安保队"),
        ("王四", Role.LOGISTICS_DIRECTOR, "总务主任"),
    }
    assert StaffMember.objects.get(name="王一").user == user


def test_reimporting_the_same_sheet_changes_nothing(school_a, alice, departments_a):
    # given
    staff_import(content=sheet(GOOD), by=alice)
    before = _counts(school_a)
    events_before = Events.objects.count()

    # when
    result = staff_import(content=sheet(GOOD), by=alice)

    # then
    assert result.errors == []
    assert (result.invited, result.updated, result.unchanged) == (0, 0, 4)
    assert result.invitations == []
    assert _counts(school_a) == before
    assert Events.objects.count() == events_before


def test_a_changed_post_moves_the_role(school_a, alice, departments_a):
    # given 王一 is a class teacher
    staff_import(content=sheet(GOOD), by=alice)
    owners_accept(school=school_a)
    changed = [("王一", "13700000001", "门卫", "", ""), *GOOD[1:]]

    # when the sheet says 王一 is now a gate guard
    result = staff_import(content=sheet(changed), by=alice)

    # then
    assert (result.updated, result.unchanged) == (1, 3)
    roles = set(Membership.objects.active().filter(school=school_a, user__name="王一").values_list("role", "post"))
    assert roles == {(Role.GUARD, "门卫")}
    assert StaffMember.objects.get(name="王一").post == "门卫"


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        pytest.param(
            [GOOD[0], ("王五", "13700000001", "班主任", "", "")],
            [(3, "手机号", "该手机号与第 2 行重复。")],
            id="duplicate phone",
        ),
        pytest.param([GOOD[0], ("", "13700000009", "班主任", "", "")], [(3, "姓名", "缺少姓名。")], id="missing name"),
        pytest.param(
            [GOOD[0], ("王五", "13700000009", "班主任", "体育组", "")],
            [(3, "部门", "本校没有“体育组”这个部门。")],
            id="unknown department",
        ),
        pytest.param(
            [GOOD[0], ("王五", "13700000009", "班主任", "", "教师、超级管理员")],
            [(3, "角色", "没有“超级管理员”这个角色。")],
            id="unknown role",
        ),
        pytest.param(
            [GOOD[0], ("王五", "1370000", "班主任", "", "")],
            [(3, "手机号", "请输入 11 位手机号码。")],
            id="short phone",
        ),
    ],
)
def test_a_bad_row_imports_nothing(school_a, alice, departments_a, rows, expected):
    # given
    before = _counts(school_a)

    # when
    result = staff_import(content=sheet(rows), by=alice)

    # then
    assert [(e.row, e.column, e.message) for e in result.errors] == expected
    assert result.invitations == []
    assert _counts(school_a) == before


def test_a_phone_used_in_another_school_invites_the_same_person(school_a, school_b, alice, departments_a):
    # given 赵师傅 is a maintenance worker of school B
    worker = member(school=school_b, role=Role.MAINTENANCE_WORKER, name="赵师傅", phone="13600000001")
    connection.set_tenant(school_a)

    # when school A imports him too
    result = staff_import(content=sheet([("赵师傅", "13600000001", "维修工", "总务处", "")]), by=alice)

    # then he is invited (told as for anyone new), no new account; nothing changes until he accepts
    assert result.invited == 1
    assert User.objects.filter(phone="13600000001").count() == 1
    assert set(Membership.objects.active().filter(user=worker).values_list("school__slug", "role")) == {
        ("beta", Role.MAINTENANCE_WORKER)}
    assert StaffMember.objects.get().user is None
    assert [(i.invited_name, i.invited_phone) for i in result.invitations] == [("赵师傅", "13600000001")]

    # when he accepts, signed in as himself: one person, two memberships, his roster row linked
    from tenants.people import invitation_join_accept, invitation_list_for

    invitation_join_accept(invitation_id=invitation_list_for(user=worker).get().pk, user=worker)
    assert set(Membership.objects.active().filter(user=worker).values_list("school__slug", "role")) == {
        ("alpha", Role.MAINTENANCE_WORKER),
        ("beta", Role.MAINTENANCE_WORKER),
    }
    connection.set_tenant(school_a)
    assert StaffMember.objects.get().user == worker


def test_a_phone_of_a_differently_named_person_is_never_a_merge_nor_told(school_a, school_b, alice, departments_a):
    # given the phone belongs to 赵师傅 of school B
    worker = member(school=school_b, role=Role.MAINTENANCE_WORKER, name="赵师傅", phone="13600000001")
    connection.set_tenant(school_a)

    # when school A's sheet puts another name on that phone
    result = staff_import(content=sheet([GOOD[0], ("钱师傅", "13600000001", "维修工", "", "")]), by=alice)

    # then no row error tells whose phone it is; the account keeps its name and gains no membership
    assert result.errors == []
    assert result.invited == 2
    worker.refresh_from_db()
    assert worker.name == "赵师傅"
    assert not Membership.objects.filter(user=worker, school=school_a).exists()
    assert Invitation.objects.get(user=worker, school=school_a).invited_name == "钱师傅"


def test_a_file_that_is_not_a_workbook_is_refused(school_a, alice, departments_a):
    result = staff_import(content=b"PK\x03\x04 not really a zip", by=alice)
    assert [(e.row, e.message) for e in result.errors] == [(0, "无法作为 .xlsx 工作簿读取此文件。")]


def _upload(content: bytes, name: str = "staff.xlsx"):
    return SimpleUploadedFile(name, content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@pytest.mark.parametrize(
    ("who", "status"),
    [("anonymous", 302), ("charlie", 403), ("bob", 403), ("gina", 403), ("alice", 200)],
)
def test_only_school_admins_may_import(school_a, client_for, who, status, departments_a):
    # given
    user = None if who == "anonymous" else User.objects.get(username=who)
    connection.set_schema_to_public()
    client = client_for(user, school_a)

    # when
    response = client.post("/staff/import/", {"file": _upload(sheet(GOOD))})

    # then
    assert response.status_code == status
    assert User.objects.filter(phone__startswith="137").count() == (4 if who == "alice" else 0)


def test_import_page_shows_links_then_errors_with_a_download(school_a, alice, client_for, departments_a):
    connection.set_schema_to_public()
    client = client_for(alice, school_a)

    # when a good sheet is uploaded, the people are invited; their links went to their own phones only
    response = client.post("/staff/import/", {"file": _upload(sheet(GOOD))})
    body = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="invitation-url"' not in body
    assert "/people/invite/" not in body
    assert "4 人已邀请" in body
    assert "每位受邀人员会在本人手机上收到邀请" in body

    # when a bad sheet is uploaded, the errors are listed and downloadable
    response = client.post("/staff/import/", {"file": _upload(sheet([("", "123", "", "无此部门", "")]))})
    body = response.content.decode()
    assert response.status_code == 422
    assert "缺少姓名。" in body
    assert "本校没有“无此部门”这个部门。" in body
    report = client.get("/staff/import/errors.xlsx")
    assert report.status_code == 200
    from io import BytesIO

    from openpyxl import load_workbook

    rows = list(load_workbook(BytesIO(report.content)).active.iter_rows(values_only=True))
    assert rows == [
        ("行", "列", "问题"),
        (2, "姓名", "缺少姓名。"),
        (2, "手机号", "请输入 11 位手机号码。"),
        (2, "部门", "本校没有“无此部门”这个部门。"),
    ]


def test_a_renamed_csv_is_refused(school_a, alice, client_for, departments_a):
    connection.set_schema_to_public()
    response = client_for(alice, school_a).post("/staff/import/", {"file": _upload(b"name,phone\n", "x.xlsx")})
    assert response.status_code == 200
    assert "不接受此类文件。" in response.content.decode()
    assert User.objects.filter(phone__startswith="137").count() == 0


def test_an_empty_roles_cell_takes_the_roles_of_the_post(school_a, alice, departments_a):
    result = staff_import(content=sheet([("王九", "13700000009", "门卫", "", "、 ")]), by=alice)
    assert result.errors == []
    assert [i.roles for i in result.invitations] == [[Role.GUARD]]


def test_changing_a_post_on_the_page_moves_the_roles(school_a, alice, client_for, departments_a):
    # given 王一 is a class teacher, imported from the sheet (and he accepted)
    staff_import(content=sheet(GOOD), by=alice)
    owners_accept(school=school_a)
    staff = StaffMember.objects.get(name="王一")
    connection.set_schema_to_public()

    # when alice makes him a member of the security team in the 总务处
    response = client_for(alice, school_a).post(f"/staff/{staff.pk}/edit/", {
        "post": "安保队", "department": departments_a["总务处"].pk})

    # then
    assert response.status_code == 302
    assert set(Membership.objects.active().filter(user__phone="13700000001").values_list("role", "post")) == {
        (Role.TEACHER, "安保队"), (Role.GUARD, "安保队")}
    connection.set_tenant(school_a)
    staff.refresh_from_db()
    assert (staff.post, staff.department.name) == ("安保队", "总务处")


@pytest.mark.parametrize("who", ["bob", "charlie"])
def test_others_cannot_edit_a_staff_member(school_a, alice, client_for, departments_a, who):
    staff_import(content=sheet(GOOD), by=alice)
    staff = StaffMember.objects.get(name="王一")
    connection.set_schema_to_public()
    response = client_for(User.objects.get(username=who), school_a).post(f"/staff/{staff.pk}/edit/", {"post": "门卫"})
    assert response.status_code == 403
    connection.set_tenant(school_a)
    staff.refresh_from_db()
    assert staff.post == "班主任"
