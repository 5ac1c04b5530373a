"""Leavers: memberships and sessions end at once, records stay, open work is listed for reassignment."""

from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.utils import timezone

from schools.models import Building, Room, StaffMember
from tenants import people
from tenants.models import Membership, User, UserSession
from tenants.roles import Role

from .factories import member


def _signed_in(client_for, user, school):
    """A client signed in as the user that has used its session once on the school's host."""
    client = client_for(user, school)
    assert client.get("/people/roles/").status_code == 200
    return client


def _session_user_ids() -> list[str]:
    return [s.get_decoded().get("_auth_user_id") for s in Session.objects.all()]


def test_a_leaver_is_signed_out_at_once_and_their_old_cookie_is_refused(school_a, alice, bob, client_for):
    # given bob is signed in on school A, and his roster row exists
    bobs_client = _signed_in(client_for, bob, school_a)
    cookie = bobs_client.cookies["sessionid"].value
    connection.set_tenant(school_a)
    StaffMember.objects.create(user=bob, name="Bob", post="班主任")
    connection.set_schema_to_public()

    # when alice ends his access
    response = client_for(alice, school_a).post(f"/people/{bob.pk}/leave/")

    # then
    assert response.status_code == 200
    assert "Bob 已无权在此操作；已结束 1 个登录会话。" in response.content.decode()
    bob.refresh_from_db()
    # The school ends its membership, never the account: it stays its owner's (it can join elsewhere).
    assert bob.is_active is True
    assert not Membership.objects.active().filter(user=bob).exists()
    assert str(bob.pk) not in _session_user_ids()
    assert not UserSession.objects.filter(user=bob).exists()
    replay = client_for(None, school_a)
    replay.cookies["sessionid"] = cookie
    denied = replay.get("/people/roles/")
    assert denied.status_code == 302
    assert denied["Location"].startswith("/accounts/login/")
    # and what he recorded stays: his account and his (closed) roster row
    connection.set_tenant(school_a)
    row = StaffMember.objects.get(user=bob)
    assert (row.is_active, row.left_on) == (False, timezone.localdate())


def test_a_person_of_two_schools_keeps_the_other(school_a, school_b, alice, client_for):
    # given a maintenance worker of both schools, signed in on both hosts
    worker = member(school=school_a, role=Role.MAINTENANCE_WORKER, name="赵师傅")
    Membership.objects.create(user=worker, school=school_b, role=Role.MAINTENANCE_WORKER)
    client_a = _signed_in(client_for, worker, school_a)
    client_b = _signed_in(client_for, worker, school_b)

    # when school A ends his access
    result = people.person_deactivate(user=worker, by=alice, school=school_a)

    # then his account and school B stay; only his school A session ended
    assert result == {"memberships": 1, "user_deactivated": False, "sessions": 1}
    worker.refresh_from_db()
    assert worker.is_active is True
    assert client_a.get("/people/roles/").status_code == 302
    assert client_b.get("/people/roles/").status_code == 200


def test_the_leave_page_lists_open_work_for_reassignment(school_a, alice, bob, client_for, monkeypatch):
    # given bob keeps room 101 and another module reports a repair assigned to him
    connection.set_tenant(school_a)
    building = Building.objects.create(name="教学楼")
    Room.objects.create(building=building, number="101", custodian=bob)
    connection.set_schema_to_public()
    monkeypatch.setattr(people, "OPEN_TASK_PROVIDERS", [
        lambda *, user: [{"module": "报修", "label": f"工单 WO-7 指派给 {user.name}", "url": "/repairs/7/"}],
    ])

    # when alice opens his leave page
    response = client_for(alice, school_a).get(f"/people/{bob.pk}/leave/")

    # then both are listed, and nothing has changed yet
    body = response.content.decode()
    assert response.status_code == 200
    assert "保管房间：教学楼 101" in body
    assert '<a href="/repairs/7/">工单 WO-7 指派给 Bob</a>' in body
    assert Membership.objects.active().filter(user=bob, school=school_a).exists()


@pytest.mark.parametrize(("who", "status"), [("anonymous", 302), ("charlie", 403), ("gina", 403), ("dave", 403)])
def test_only_school_admins_end_access(school_a, client_for, bob, who, status):
    user = None if who == "anonymous" else User.objects.get(username=who)
    response = client_for(user, school_a).post(f"/people/{bob.pk}/leave/")
    assert response.status_code == status
    bob.refresh_from_db()
    assert bob.is_active is True
    assert Membership.objects.active().filter(user=bob, school=school_a).count() == 1


def test_an_admin_cannot_end_their_own_access(school_a, alice, client_for):
    response = client_for(alice, school_a).post(f"/people/{alice.pk}/leave/")
    assert response.status_code == 302
    assert Membership.objects.active().filter(user=alice, school=school_a).count() == 1


def test_a_deactivated_person_cannot_use_an_old_invitation(school_a, alice, bob, client_for):
    issued = people.invitation_create(user=bob, created_by=alice, school=school_a)
    people.person_deactivate(user=bob, by=alice, school=school_a)
    token = issued.url.rstrip("/").rsplit("/", 1)[-1]
    response = client_for(None, school_a).get(f"/people/invite/{token}/")
    assert response.status_code == 410
    assert "该链接已被使用，请重新索取。" in response.content.decode()


def test_login_with_phone_or_username(school_a, bob, client_for):
    bob.phone = "13911112222"
    bob.save()
    for login in ("bob", "13911112222"):
        client = client_for(None, school_a)
        response = client.post("/accounts/login/", {"username": login, "password": "correct-horse-42"})
        assert response.status_code == 302
        assert UserSession.objects.filter(user=bob, host="alpha.localhost").exists()


def test_signing_out_and_expiry_forget_the_session(school_a, bob, client_for):
    from datetime import timedelta

    client = client_for(None, school_a)
    client.post("/accounts/login/", {"username": "bob", "password": "correct-horse-42"})
    assert UserSession.objects.filter(user=bob).count() == 1
    client.post("/accounts/logout/")
    assert UserSession.objects.filter(user=bob).count() == 0

    UserSession.objects.create(user=bob, session_key="old", created_at=timezone.now() - timedelta(days=2))
    UserSession.objects.create(user=bob, session_key="new")
    assert people.sessions_prune() == 1
    assert list(UserSession.objects.filter(user=bob).values_list("session_key", flat=True)) == ["new"]


def test_someone_who_left_can_be_invited_back(school_a, alice, bob, client_for):
    people.person_deactivate(user=bob, by=alice, school=school_a)
    bob.phone = "13911113333"
    bob.save()
    response = client_for(alice, school_a).post("/people/invite/", {
        "name": "Bob", "phone": "13911113333", "role": Role.TEACHER, "post": "班主任"}, follow=True)
    # He is invited, and comes back when he accepts, signed in as himself (nothing changes before).
    assert response.status_code == 200
    assert "已向该手机号发出邀请，对方接受后即成为本校成员。" in response.content.decode()
    assert not Membership.objects.active().filter(user=bob).exists()
    invitation = people.invitation_list_for(user=bob).get()
    answered = client_for(bob, school_a).post("/people/invitations/", {"invitation": invitation.pk,
                                                                      "answer": "accept"})
    assert answered.status_code == 302
    bob.refresh_from_db()
    assert bob.is_active is True
    assert list(Membership.objects.active().filter(user=bob).values_list("role", "post")) == [(Role.TEACHER, "班主任")]


def test_a_bureau_leader_ends_a_bureau_members_access(bureau_north, dave, client_for):
    clerk = member(bureau=bureau_north, role=Role.BUREAU_LOGISTICS, name="勤管股员")
    clerks_client = client_for(clerk)
    assert clerks_client.get("/people/roles/").status_code == 200

    response = client_for(dave).post(f"/people/{clerk.pk}/leave/?bureau=north", {"bureau": "north"})

    assert response.status_code == 200
    clerk.refresh_from_db()
    assert clerk.is_active is True  # the account is the clerk's own; the bureau ended its membership
    assert not Membership.objects.active().filter(user=clerk).exists()
    assert clerks_client.get("/people/roles/").status_code == 302
