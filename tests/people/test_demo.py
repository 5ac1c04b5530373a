"""The demo sheet: XX路小学's 37 staff with the seed's posts, imported by the ordinary importer."""

from __future__ import annotations

from collections import Counter

from schools.models import StaffMember
from schools.people_demo import SHEET, demo_rows, demo_sheet_bytes, load_school
from tenants.models import Membership, User
from tenants.roles import Role


def test_the_shipped_sheet_is_the_generated_one():
    from io import BytesIO

    from openpyxl import load_workbook

    rows = list(load_workbook(BytesIO(SHEET.read_bytes()), read_only=True).active.iter_rows(values_only=True))
    assert [[c or "" for c in r] for r in rows[1:]] == demo_rows()
    assert len(rows) == 38


def test_the_demo_loads_37_staff_with_the_seeds_posts(school_a, alice, in_school_a):
    # given the demo's principal account without a phone yet
    principal = User.objects.create_user(username="demo-principal", name="屈校长")
    Membership.objects.create(user=principal, school=school_a, role=Role.PRINCIPAL, post="校长")

    # when
    load_school(school=school_a, people={Role.PRINCIPAL: principal}, seed=True)

    # then
    assert StaffMember.objects.count() == 37
    posts = Counter(StaffMember.objects.values_list("post", flat=True))
    assert (posts["门卫"], posts["班主任"], posts["安保队"], posts["后勤"], posts["安全"]) == (2, 12, 6, 1, 1)
    principal.refresh_from_db()
    assert principal.phone == "13807310001"
    assert StaffMember.objects.get(name="屈校长").user == principal
    guards = Membership.objects.active().filter(school=school_a, role=Role.GUARD, user__phone__startswith="1380731")
    assert guards.count() == 8  # two gate guards and the six teachers of the security team
    assert User.objects.get(name="余老师").check_password("houqin-demo")

    # and loading again changes nothing
    assert len(demo_sheet_bytes()) > 0
    load_school(school=school_a, people={Role.PRINCIPAL: principal}, seed=True)
    assert StaffMember.objects.count() == 37
