"""Granting and removing roles, several per person, and the role matrix page kept in step with the rules."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError

from tenants.models import Membership, User
from tenants.people import role_grant, role_revoke
from tenants.roles import BUREAU_PERMISSIONS, SCHOOL_PERMISSIONS, SCHOOL_ROLES, Role, role_may

from .factories import member


def _roles(user, school=None, bureau=None) -> set[str]:
    return set(Membership.objects.active().filter(user=user, school=school, bureau=bureau).values_list("role", flat=True))


def test_a_teacher_can_also_be_on_the_security_team(school_a, alice, bob, client_for):
    # when
    response = client_for(alice, school_a).post(f"/people/{bob.pk}/grant/", {"role": Role.GUARD, "post": "安保队"})

    # then
    assert response.status_code == 302
    assert _roles(bob, school_a) == {Role.TEACHER, Role.GUARD}
    page = client_for(alice, school_a).get(f"/people/{bob.pk}/").content.decode()
    assert "门卫 · 安保队" in page


def test_removing_a_role_keeps_the_others(school_a, alice, bob, client_for):
    role_grant(user=bob, role=Role.GUARD, school=school_a)
    response = client_for(alice, school_a).post(f"/people/{bob.pk}/revoke/", {"role": Role.GUARD})
    assert response.status_code == 302
    assert _roles(bob, school_a) == {Role.TEACHER}
    ended = Membership.objects.get(user=bob, school=school_a, role=Role.GUARD)
    assert ended.is_active is False
    assert ended.ended_at is not None


def test_the_last_principal_cannot_be_removed(school_a, alice):
    with pytest.raises(ValidationError) as info:
        role_revoke(user=alice, role=Role.PRINCIPAL, school=school_a)
    assert info.value.messages == ["没有其他人担任校长：请先授予他人。"]
    assert _roles(alice, school_a) == {Role.PRINCIPAL}


def test_a_bureau_role_cannot_be_granted_in_a_school(school_a, bob):
    with pytest.raises(ValidationError):
        role_grant(user=bob, role=Role.BUREAU_LEADER, school=school_a)
    with pytest.raises(ValidationError):
        role_grant(user=bob, role="janitor", school=school_a)
    assert _roles(bob, school_a) == {Role.TEACHER}


@pytest.mark.parametrize("role", sorted(SCHOOL_ROLES))
def test_who_may_grant_roles_follows_the_matrix(school_a, client_for, bob, role):
    # given a person holding only `role` in school A
    actor = member(school=school_a, role=role)

    # when they try to give bob the safety officer role
    response = client_for(actor, school_a).post(f"/people/{bob.pk}/grant/", {"role": Role.SAFETY_OFFICER})

    # then it works exactly for the roles the matrix allows "people.manage"
    allowed = role_may(role, "people.manage")
    assert response.status_code == (302 if allowed else 403)
    assert (Role.SAFETY_OFFICER in _roles(bob, school_a)) is allowed


@pytest.mark.parametrize(("who", "status"), [("anonymous", 302), ("charlie", 403), ("dave", 403)])
def test_outsiders_cannot_grant(school_a, client_for, bob, who, status):
    user = None if who == "anonymous" else User.objects.get(username=who)
    response = client_for(user, school_a).post(f"/people/{bob.pk}/grant/", {"role": Role.SAFETY_OFFICER})
    assert response.status_code == status
    assert _roles(bob, school_a) == {Role.TEACHER}


def test_a_person_of_another_school_is_not_found_here(school_a, alice, charlie, client_for):
    response = client_for(alice, school_a).post(f"/people/{charlie.pk}/grant/", {"role": Role.TEACHER})
    assert response.status_code == 404
    assert _roles(charlie, school_a) == set()


def _matrix(html: str) -> dict[str, list[str]]:
    roles = re.findall(r'<th data-role="([a-z_]+)">', html)
    matrix = {}
    for key, cells in re.findall(r'<tr data-key="([a-z.]+)">(.*?)</tr>', html, re.S):
        marks = re.findall(r"<td>(.*?)</td>", cells, re.S)
        matrix[key] = [role for role, mark in zip(roles, marks, strict=True) if 'data-allowed="1"' in mark]
    return matrix


@pytest.mark.parametrize("who", ["alice", "bob", "dave"])
def test_the_role_matrix_page_shows_the_declared_table(school_a, client_for, who):
    # when a principal, a teacher, or the bureau (reading) opens it
    response = client_for(User.objects.get(username=who), school_a).get("/people/roles/")

    # then every action shows exactly the roles of the table
    assert response.status_code == 200
    shown = _matrix(response.content.decode())
    order = [r for r in Role if r in SCHOOL_ROLES]
    assert shown == {key: [r.value for r in order if r in allowed] for key, _label, allowed in SCHOOL_PERMISSIONS}
    assert shown["people.manage"] == ["principal", "logistics_director"]
    assert "邀请教职工、导入名单、授予和撤销角色、停用权限" in response.content.decode()


def test_the_bureau_matrix_and_bureau_members(bureau_north, dave, client_for):
    response = client_for(dave).get("/people/roles/")
    assert response.status_code == 200
    shown = _matrix(response.content.decode())
    assert shown["bureau.people"] == ["bureau_leader"]
    assert set(shown) == {key for key, _l, _a in BUREAU_PERMISSIONS}


@pytest.mark.parametrize(("who", "allowed"), [("leader", True), ("logistics", False), ("erin", False)])
def test_bureau_leaders_manage_bureau_members(bureau_north, dave, client_for, who, allowed):
    # given a logistics section member of bureau north
    clerk = member(bureau=bureau_north, role=Role.BUREAU_LOGISTICS, name="勤管股员")
    actor = {"leader": dave, "logistics": clerk, "erin": User.objects.get(username="erin")}[who]

    # when they grant the clerk the safety section role too
    response = client_for(actor).post(f"/people/{clerk.pk}/grant/?bureau=north", {"role": Role.BUREAU_SAFETY})

    # then
    assert response.status_code == (302 if allowed else 403)
    expected = {Role.BUREAU_LOGISTICS, Role.BUREAU_SAFETY} if allowed else {Role.BUREAU_LOGISTICS}
    assert _roles(clerk, bureau=bureau_north) == expected


def test_the_people_list_hides_phones_from_teachers(school_a, alice, bob, client_for):
    bob.phone = "13912345678"
    bob.save()
    assert "13912345678" in client_for(alice, school_a).get("/people/").content.decode()
    assert "13912345678" not in client_for(bob, school_a).get("/people/").content.decode()


def test_the_person_is_told_about_a_new_role_once(school_a, alice, bob):
    from tenants.models import Notification

    role_grant(user=bob, role=Role.GUARD, school=school_a)
    role_grant(user=bob, role=Role.GUARD, school=school_a, post="安保队")
    titles = list(Notification.objects.filter(recipient=bob, kind="people.roles").values_list("title", flat=True))
    assert titles == ["您现在是阿尔法小学的门卫"]


def test_the_people_card_on_the_home_page(school_a, alice, bob, client_for):
    bob.set_unusable_password()
    bob.save()
    body = client_for(alice, school_a).get("/").content.decode()
    assert 'data-testid="people-card"' in body
    assert '<div class="fs-4">3</div><div class="small text-muted">在此有角色的人员</div>' in body
    assert '<div class="fs-4">1</div><div class="small text-muted">尚未设置密码</div>' in body
    assert 'data-testid="people-card"' not in client_for(bob, school_a).get("/").content.decode()


@pytest.mark.parametrize("action", ["grant", "revoke", "leave"])
def test_a_logistics_director_cannot_touch_the_principal_role(school_a, alice, bob, client_for, action):
    # given a logistics director, and a second principal (so the last-principal rule is not what stops it)
    director = member(school=school_a, role=Role.LOGISTICS_DIRECTOR, name="王总务")
    deputy = member(school=school_a, role=Role.PRINCIPAL, name="副校长")
    client = client_for(director, school_a)

    # when they try to make themselves principal, or remove/end a principal
    if action == "grant":
        client.post(f"/people/{director.pk}/grant/", {"role": Role.PRINCIPAL})
    elif action == "revoke":
        client.post(f"/people/{deputy.pk}/revoke/", {"role": Role.PRINCIPAL})
    else:
        client.post(f"/people/{deputy.pk}/leave/")

    # then nothing changed
    assert _roles(director, school_a) == {Role.LOGISTICS_DIRECTOR}
    assert _roles(deputy, school_a) == {Role.PRINCIPAL}


def test_a_principal_may_hand_the_principal_role_on(school_a, alice, client_for):
    director = member(school=school_a, role=Role.LOGISTICS_DIRECTOR, name="王总务")
    client_for(alice, school_a).post(f"/people/{director.pk}/grant/", {"role": Role.PRINCIPAL})
    assert _roles(director, school_a) == {Role.LOGISTICS_DIRECTOR, Role.PRINCIPAL}


def test_the_person_page_shows_earlier_roles_and_links_issued(school_a, alice, bob, client_for):
    from tenants.people import invitation_create

    role_grant(user=bob, role=Role.GUARD, school=school_a, post="安保队")
    role_revoke(user=bob, role=Role.GUARD, school=school_a)
    invitation_create(user=bob, created_by=alice, school=school_a)
    body = client_for(alice, school_a).get(f"/people/{bob.pk}/").content.decode()
    assert "<td>门卫</td><td>安保队</td>" in body
    assert "<td>Alice</td><td>邀请</td>" in body
    # a teacher reading the page sees no links issued
    assert 'data-testid="invitations"' not in client_for(bob, school_a).get(f"/people/{bob.pk}/").content.decode()


def test_the_operator_picks_a_bureau_to_manage(oscar, dave, erin, client_for):
    north = client_for(oscar).get("/people/?bureau=north").content.decode()
    south = client_for(oscar).get("/people/?bureau=south").content.decode()
    assert "Dave" in north
    assert "Erin" not in north
    assert "Erin" in south
    assert '<option value="south" selected>南区教育局</option>' in south
