"""Account takeover across schools and bureaus (issue 17, item 1), tried as a determined insider would.

Measured on the demo before the fix: binjiang's principal invited XX路小学's principal by phone, was told
「该手机号属于 屈校长…」, invited again with that name (a binjiang membership without consent), pressed "link",
set a new password and signed in at XX路小学 as its principal. Here alice (principal of alpha) plays binjiang's
principal; charlie (principal of beta, same bureau) and a principal of gamma (bureau south) are the victims.
Every attack asserts that nothing changed for the victim's account (password hash, memberships, switched on,
name, e-mail) until its owner accepts, signed in as themself.
"""

from __future__ import annotations

import base64
import re

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import override_settings

from schools.models import StaffMember
from schools.people_services import staff_import
from tenants import people
from tenants.models import Invitation, Membership, Notification, NotificationDelivery, RobotChannel, User
from tenants.roles import Role
from tests.people.factories import UserFactory, member, sheet

INVITED = "已向该手机号发出邀请，对方接受后即成为本校成员。"
NEW_PASSWORD = "Attacker-chosen-2026"
VICTIM_PHONE = "13800000301"


def _account(user: User) -> tuple:
    """Everything about an account an attacker would want to change."""
    user = User.objects.get(pk=user.pk)
    memberships = sorted(
        Membership.objects.filter(user=user).values_list("school__slug", "bureau__code", "role", "is_active", "post"),
        key=str,
    )
    return user.password, user.is_active, user.name, user.email, user.phone, user.username, memberships


def _invite(client, name: str, phone: str, role: str = Role.TEACHER, **extra):
    return client.post("/people/invite/", {"name": name, "phone": phone, "role": role, "post": "", **extra})


def _token(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


def _normalised(body: str, *secrets: str) -> str:
    """The page without what differs by nature from one request to the next (tokens, the phone typed)."""
    body = re.sub(r"/people/invite/[\w-]+/", "/people/invite/TOKEN/", body)
    body = re.sub(r"\b[A-Za-z0-9]{64}\b", "CSRF", body)  # the (masked) CSRF token, new on every page
    body = re.sub(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", "WHEN", body)
    for secret in secrets:
        body = body.replace(secret, "TYPED")
    return body


@pytest.fixture
def victim(charlie):
    """Charlie, principal of beta, with a phone number alice may have heard of."""
    charlie.phone = VICTIM_PHONE
    charlie.email = "charlie@beta.example.cn"
    charlie.save()
    return charlie


# --- disclosure and the existence oracle -------------------------------------------------------------------


def test_inviting_a_foreign_phone_tells_no_name_and_answers_as_for_a_new_number(school_a, alice, victim, client_for):
    # given
    before = _account(victim)
    client = client_for(alice, school_a)

    # when alice invites the victim's phone under a made-up name, and a number nobody holds under the same name
    foreign = client.post("/people/invite/", {"name": "某某", "phone": VICTIM_PHONE, "role": Role.TEACHER})
    fresh = client.post("/people/invite/", {"name": "某某", "phone": "13800000399", "role": Role.TEACHER})

    # then the two answers are the same page, with no trace of the account behind the phone
    assert foreign.status_code == fresh.status_code == 200
    foreign_body, fresh_body = foreign.content.decode(), fresh.content.decode()
    assert INVITED in foreign_body
    assert "Charlie" not in foreign_body
    assert "charlie" not in foreign_body.lower()
    assert "该手机号属于" not in foreign_body
    assert _normalised(foreign_body, VICTIM_PHONE) == _normalised(fresh_body, "13800000399")
    assert [i.name for i in foreign.context["issued"]] == ["某某"]
    assert [i.login for i in foreign.context["issued"]] == [VICTIM_PHONE]
    assert _account(victim) == before


def test_the_people_list_shows_the_invitation_by_the_typed_name_only(school_a, alice, victim, client_for):
    client = client_for(alice, school_a)
    _invite(client, "某某", VICTIM_PHONE)

    page = client.get("/people/")

    body = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="pending-invitations"' in body
    assert "某某" in body
    assert "Charlie" not in body
    assert list(page.context["pending"].values_list("invited_name", flat=True)) == ["某某"]


def test_an_email_of_an_existing_account_is_invited_the_same_way(school_a, alice, victim, client_for):
    before = _account(victim)
    response = _invite(client_for(alice, school_a), "某某", "13800000398", email="charlie@beta.example.cn")
    assert response.status_code == 200
    assert INVITED in response.content.decode()
    assert "Charlie" not in response.content.decode()
    assert _account(victim) == before
    assert not User.objects.filter(phone="13800000398").exists()
    assert Invitation.objects.get(user=victim, purpose="join").invited_phone == "13800000398"


# --- membership without consent ----------------------------------------------------------------------------


def test_inviting_again_with_the_right_name_makes_no_member(school_a, alice, victim, client_for):
    # given alice learnt the name elsewhere
    before = _account(victim)
    client = client_for(alice, school_a)

    # when she invites with the name the account carries, twice
    for _ in range(2):
        response = _invite(client, "Charlie", VICTIM_PHONE, role=Role.LOGISTICS_DIRECTOR)
        assert response.status_code == 200
        assert INVITED in response.content.decode()

    # then charlie is no member of alpha; one invitation is open (the second replaced the first)
    assert _account(victim) == before
    assert not Membership.objects.filter(user=victim, school=school_a).exists()
    assert Invitation.objects.filter(user=victim, school=school_a, purpose="join", used_at__isnull=True).count() == 1
    # and alpha's pages know nothing of him
    assert client.get(f"/people/{victim.pk}/").status_code == 404


def test_the_invitation_reaches_the_owner_and_no_group_robot(school_a, alice, victim, client_for,
                                                             django_capture_on_commit_callbacks):
    # given alpha relays every notification to its staff group chat
    RobotChannel.objects.create(school=school_a, name="全体教师群", provider="dingtalk",
                                webhook_url="https://oapi.dingtalk.com/robot/send?access_token=x")

    # when alice invites charlie, typing her own e-mail address
    with override_settings(EMAIL_ENABLED=True, EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"), \
            django_capture_on_commit_callbacks(execute=True):
        _invite(client_for(alice, school_a), "某某", VICTIM_PHONE, email="alice@alpha.example.cn")

    # then charlie hears of it in his notification centre and at his own address; the group chat hears nothing
    assert list(Notification.objects.filter(recipient=victim).values_list("title", "url")) == [
        ("阿尔法小学 邀请您加入，担任 教师", "http://alpha.localhost:8000/people/invitations/")]
    assert [m.to for m in mail.outbox] == [["charlie@beta.example.cn"]]
    assert not NotificationDelivery.objects.filter(robot__school=school_a).exists()
    assert not Notification.objects.filter(recipient=alice, kind="people.invited").exists()
    assert User.objects.get(pk=victim.pk).email == "charlie@beta.example.cn"


# --- a password link for a foreign account -------------------------------------------------------------------


def test_the_invitation_link_gives_no_password_form_to_anyone_but_the_signed_in_owner(school_a, alice, victim,
                                                                                      client_for):
    # given the link alice was shown
    before = _account(victim)
    url = _invite(client_for(alice, school_a), "Charlie", VICTIM_PHONE).context["issued"][0].url
    path = f"/people/invite/{_token(url)}/"
    posted = {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD, "answer": "accept"}

    # when alice opens and submits it signed out, and signed in as herself
    anonymous_get = client_for(None, school_a).get(path)
    anonymous_post = client_for(None, school_a).post(path, posted)
    as_alice_get = client_for(alice, school_a).get(path)
    as_alice_post = client_for(alice, school_a).post(path, posted)

    # then she is sent to sign in, or told it is someone else's; no password form, no name
    assert anonymous_get.status_code == anonymous_post.status_code == 302
    assert anonymous_get["Location"] == f"/accounts/login/?next={path}"
    assert as_alice_get.status_code == as_alice_post.status_code == 403
    for response in (as_alice_get, as_alice_post):
        body = response.content.decode()
        assert "new_password1" not in body
        assert "Charlie" not in body
        assert "该邀请是发给另一个账号的" in body
    assert _account(victim) == before


def test_the_link_action_shows_no_link_for_an_account_with_an_owner(school_a, school_b, alice, client_for):
    # given a maintenance worker of alpha and beta who has signed in (the account is his)
    worker = member(school=school_a, role=Role.MAINTENANCE_WORKER, name="赵师傅", phone="13800000302")
    Membership.objects.create(user=worker, school=school_b, role=Role.MAINTENANCE_WORKER)
    before = _account(worker)

    # when alice asks for a new password link from his page
    client = client_for(alice, school_a)
    response = client.post(f"/people/{worker.pk}/link/")

    # then no link is shown: it would go to his own e-mail
    assert response.status_code == 302
    assert response["Location"] == f"/people/{worker.pk}/"
    assert not Invitation.objects.filter(user=worker).exists()
    assert _account(worker) == before
    page = client.get(response["Location"])
    assert "链接不在此显示：该账号属于其本人。" in page.content.decode()


def test_the_link_action_still_serves_an_account_this_school_made_that_never_signed_in(school_a, alice, client_for):
    # given alice invited a newcomer who has not set a password yet
    _invite(client_for(alice, school_a), "新老师", "13800000303")
    newcomer = User.objects.get(phone="13800000303")

    # when she asks for a new link
    response = client_for(alice, school_a).post(f"/people/{newcomer.pk}/link/")

    # then it is shown (nobody else has a claim on the account)
    assert response.status_code == 200
    assert response.context["issued"][0].url.startswith("http://alpha.localhost:8000/people/invite/")


def test_the_link_action_sends_to_the_owners_email_only(school_a, school_b, alice, client_for,
                                                        django_capture_on_commit_callbacks):
    worker = member(school=school_a, role=Role.MAINTENANCE_WORKER, name="赵师傅", phone="13800000304",
                    email="zhao@example.cn")
    Membership.objects.create(user=worker, school=school_b, role=Role.MAINTENANCE_WORKER)
    with override_settings(EMAIL_ENABLED=True, EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"), \
            django_capture_on_commit_callbacks(execute=True):
        response = client_for(alice, school_a).post(f"/people/{worker.pk}/link/")
    assert response.status_code == 302
    assert [m.to for m in mail.outbox] == [["zhao@example.cn"]]
    assert "http://alpha.localhost:8000/people/invite/" in mail.outbox[0].body


def test_a_never_signed_in_account_of_another_school_gets_no_set_password_link(school_a, school_b, alice, charlie,
                                                                               client_for):
    # given beta made an account that has never signed in (no password yet)
    client_for(charlie, school_b).post("/people/invite/", {"name": "钱老师", "phone": "13800000305",
                                                            "role": Role.TEACHER})
    newcomer = User.objects.get(phone="13800000305")
    assert not newcomer.has_usable_password()
    before = _account(newcomer)

    # when alice invites that phone and tries to set its password with the link she gets
    response = _invite(client_for(alice, school_a), "钱老师", "13800000305")
    path = f"/people/invite/{_token(response.context['issued'][0].url)}/"
    tried = client_for(None, school_a).post(path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    over_graphql = client_for(None, school_a).gql(
        "mutation($t: String!, $p: String!) { invitationAccept(token: $t, password: $p) }",
        {"t": _token(response.context["issued"][0].url), "p": NEW_PASSWORD})

    # then the same answer as for a new number, and the account is untouched
    assert INVITED in response.content.decode()
    assert tried.status_code == 302
    assert tried["Location"].startswith("/accounts/login/")
    assert over_graphql["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert _account(newcomer) == before
    assert not User.objects.get(pk=newcomer.pk).has_usable_password()


# --- across bureaus --------------------------------------------------------------------------------------------


def test_a_principal_of_another_bureau_stays_theirs(school_a, school_c, alice, client_for):
    gamma_principal = member(school=school_c, role=Role.PRINCIPAL, name="南校长", phone="13800000306")
    before = _account(gamma_principal)

    response = _invite(client_for(alice, school_a), "南校长", "13800000306", role=Role.PRINCIPAL)

    assert response.status_code == 200
    assert INVITED in response.content.decode()
    assert _account(gamma_principal) == before
    assert client_for(alice, school_a).post(f"/people/{gamma_principal.pk}/link/").status_code == 404


def test_a_bureau_leader_cannot_take_a_member_of_another_bureau(bureau_north, dave, erin, client_for):
    erin.phone = "13800000307"
    erin.save()
    before = _account(erin)

    response = client_for(dave).post("/people/invite/?bureau=north", {
        "name": "某某", "phone": "13800000307", "role": Role.BUREAU_SAFETY, "post": "", "bureau": "north"})

    assert response.status_code == 200
    assert "已向该手机号发出邀请，对方接受后即成为本局成员。" in response.content.decode()
    assert "Erin" not in response.content.decode()
    assert _account(erin) == before
    assert client_for(dave).post(f"/people/{erin.pk}/link/?bureau=north", {"bureau": "north"}).status_code == 404


def test_onboarding_a_school_with_a_foreign_principal_phone_invites_them(bureau_north, dave, victim, client_for):
    from tenants.models import School

    before = _account(victim)
    try:
        response = client_for(dave).post("/platform/schools/", {
            "bureau": bureau_north.pk, "name": "新建小学", "slug": "xinjianacc", "student_count": 1,
            "staff_count": 1, "principal_name": "钱校长", "principal_phone": VICTIM_PHONE, "principal_email": ""})
        body = response.content.decode()
        assert response.status_code == 200
        assert "Charlie" not in body
        assert "该手机号属于" not in body
        assert INVITED in body
        assert _account(victim) == before
    finally:
        connection.set_schema_to_public()
        for school in School.objects.filter(slug="xinjianacc"):
            Invitation.objects.filter(school=school).delete()
            school.delete(force_drop=True)


# --- switched off stays off; leaving one school switches nothing off elsewhere -------------------------------


def test_person_add_does_not_switch_a_deactivated_account_back_on(school_a, alice, client_for):
    # given an account the platform operator switched off
    off = UserFactory(name="停用者", phone="13800000308")
    User.objects.filter(pk=off.pk).update(is_active=False)
    before = _account(off)

    # when alice invites its phone (web) and imports it (sheet)
    response = _invite(client_for(alice, school_a), "停用者", "13800000308")
    connection.set_tenant(school_a)
    result = staff_import(content=sheet([("停用者", "13800000308", "班主任", "", "")]), by=alice)
    connection.set_schema_to_public()

    # then it stays off and belongs nowhere new
    assert INVITED in response.content.decode()
    assert result.errors == []
    assert _account(off) == before


def test_leaving_one_school_switches_nothing_off_elsewhere(school_a, school_b, alice, charlie, client_for):
    # given a teacher of alpha only, with an open invitation from beta
    teacher = member(school=school_a, role=Role.TEACHER, name="孙老师", phone="13800000309")
    _invite(client_for(charlie, school_b), "孙老师", "13800000309")

    # when alpha ends his access
    result = people.person_deactivate(user=teacher, by=alice, school=school_a)

    # then his account stays on, and beta's invitation stays open for him to accept
    assert result["user_deactivated"] is False
    teacher.refresh_from_db()
    assert teacher.is_active is True
    assert Invitation.objects.filter(user=teacher, school=school_b, purpose="join", used_at__isnull=True).count() == 1
    client = client_for(teacher, school_b)
    invitation = Invitation.objects.get(user=teacher, school=school_b, purpose="join")
    assert client.post("/people/invitations/", {"invitation": invitation.pk, "answer": "accept"}).status_code == 302
    assert Membership.objects.active().filter(user=teacher, school=school_b, role=Role.TEACHER).exists()


def test_someone_who_left_is_not_put_back_without_their_consent(school_a, alice, client_for):
    # given a teacher who left alpha (his roster row closed, his account his own)
    teacher = member(school=school_a, role=Role.TEACHER, name="周老师", phone="13800000312")
    connection.set_tenant(school_a)
    row = StaffMember.objects.create(user=teacher, name="周老师", phone="13800000312", post="班主任")
    connection.set_schema_to_public()
    people.person_deactivate(user=teacher, by=alice, school=school_a)
    before = _account(teacher)

    # when alice grants him a role on his page, over GraphQL, and by changing his roster row's post
    client = client_for(alice, school_a)
    web = client.post(f"/people/{teacher.pk}/grant/", {"role": Role.GUARD, "post": "门卫"})
    api = client.gql('mutation($id: ID!) { roleGrant(personId: $id, role: "guard") { name } }', {"id": str(teacher.pk)})
    roster = client.post(f"/staff/{row.pk}/edit/", {"post": "门卫", "department": ""})

    # then he is a member nowhere new: he comes back when invited and he accepts
    assert web.status_code == 302
    assert api["errors"][0]["message"] == "此人已不是这里的成员：请重新邀请。"
    assert roster.status_code == 302
    assert _account(teacher) == before


# --- the same through GraphQL and the staff import -------------------------------------------------------------

INVITE = """mutation($d: PersonInviteInput!) { personInvite(data: $d) { name login url person { name } } }"""


def test_graphql_invite_tells_nothing_and_changes_nothing(school_a, alice, victim, client_for):
    before = _account(victim)
    client = client_for(alice, school_a)

    foreign = client.gql(INVITE, {"d": {"name": "某某", "phone": VICTIM_PHONE, "role": "teacher"}})
    fresh = client.gql(INVITE, {"d": {"name": "某某", "phone": "13800000310", "role": "teacher"}})
    link = client.gql('mutation($id: ID!) { personLink(personId: $id) { url } }', {"id": str(victim.pk)})
    token = _token(foreign["data"]["personInvite"]["url"])
    accept = client_for(None, school_a).gql(
        "mutation($t: String!, $p: String!) { invitationAccept(token: $t, password: $p) }",
        {"t": token, "p": NEW_PASSWORD})

    assert foreign["data"]["personInvite"] == {"name": "某某", "login": VICTIM_PHONE, "person": None,
                                               "url": foreign["data"]["personInvite"]["url"]}
    assert fresh["data"]["personInvite"]["person"] is None
    assert {k: v for k, v in fresh["data"]["personInvite"].items() if k != "url" and k != "login"} == \
        {k: v for k, v in foreign["data"]["personInvite"].items() if k != "url" and k != "login"}
    assert link["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert accept["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert _account(victim) == before


def test_staff_import_tells_nothing_and_changes_nothing(school_a, alice, victim, in_school_a):
    # given
    before = _account(victim)

    # when alice's sheet carries the victim's phone under another name, and a new number
    result = staff_import(content=sheet([("钱师傅", VICTIM_PHONE, "维修工", "", ""),
                                         ("李师傅", "13800000311", "维修工", "", "")]), by=alice)

    # then no row error names anyone, both rows read alike, and the victim is untouched
    assert result.errors == []
    assert (result.invited, result.updated, result.unchanged) == (2, 0, 0)
    assert [(i.name, i.login) for i in result.invitations] == [("钱师傅", VICTIM_PHONE), ("李师傅", "13800000311")]
    connection.set_schema_to_public()
    assert _account(victim) == before
    connection.set_tenant(school_a)
    assert StaffMember.objects.get(phone=VICTIM_PHONE).user_id is None

    # and re-importing the same sheet changes nothing
    again = staff_import(content=sheet([("钱师傅", VICTIM_PHONE, "维修工", "", ""),
                                        ("李师傅", "13800000311", "维修工", "", "")]), by=alice)
    assert (again.invited, again.updated, again.unchanged) == (0, 0, 2)


def test_staff_import_over_graphql_and_the_web_tells_nothing(school_a, alice, victim, client_for):
    before = _account(victim)
    content = sheet([("钱师傅", VICTIM_PHONE, "维修工", "", "")])
    result = client_for(alice, school_a).gql(
        "mutation($c: String!) { staffImport(contentBase64: $c) { ok invited linked errors { message } "
        "invitations { name login } } }", {"c": base64.b64encode(content).decode()})["data"]["staffImport"]
    assert result == {"ok": True, "invited": 1, "linked": 0, "errors": [],
                      "invitations": [{"name": "钱师傅", "login": VICTIM_PHONE}]}
    upload = SimpleUploadedFile("staff.xlsx", sheet([("钱师傅", VICTIM_PHONE, "门卫", "", "")]),
                                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    page = client_for(alice, school_a).post("/staff/import/", {"file": upload})
    assert page.status_code == 200
    assert "Charlie" not in page.content.decode()
    assert _account(victim) == before


# --- the owner accepts, signed in as themself ------------------------------------------------------------------


def test_the_owner_accepts_while_signed_in_and_becomes_a_member(school_a, alice, victim, client_for, in_school_a):
    # given alice imported charlie under the name she knows him by
    staff_import(content=sheet([("查老师", VICTIM_PHONE, "维修工", "", "")]), by=alice)
    connection.set_schema_to_public()
    password = User.objects.get(pk=victim.pk).password
    invitation = Invitation.objects.get(user=victim, school=school_a, purpose="join", used_at__isnull=True)

    # when charlie, signed in on alpha's host, opens his invitations and accepts
    client = client_for(victim, school_a)
    listing = client.get("/people/invitations/")
    answered = client.post("/people/invitations/", {"invitation": invitation.pk, "answer": "accept"})

    # then he is a member of alpha too, nothing else about his account changed, and alice hears of it
    assert listing.status_code == 200
    assert "阿尔法小学 邀请您加入，担任 维修工" in listing.content.decode()
    assert answered.status_code == 302
    assert set(Membership.objects.active().filter(user=victim).values_list("school__slug", "role", "post")) == {
        ("alpha", Role.MAINTENANCE_WORKER, "维修工"), ("beta", Role.PRINCIPAL, "")}
    assert User.objects.get(pk=victim.pk).password == password
    assert Notification.objects.filter(recipient=alice, title="查老师 已接受邀请，现为本单位成员").exists()
    connection.set_tenant(school_a)
    assert StaffMember.objects.get(phone=VICTIM_PHONE).user_id == victim.pk


def test_the_owner_accepts_through_the_link_or_graphql_and_may_decline(school_a, school_c, alice, victim, client_for):
    # through the link, signed in
    url = _invite(client_for(alice, school_a), "某某", VICTIM_PHONE).context["issued"][0].url
    path = f"/people/invite/{_token(url)}/"
    client = client_for(victim, school_a)
    shown = client.get(path)
    assert shown.status_code == 200
    assert "阿尔法小学 邀请您加入，担任 教师" in shown.content.decode()
    assert client.post(path, {"answer": "accept"}).status_code == 302
    assert Membership.objects.active().filter(user=victim, school=school_a, role=Role.TEACHER).exists()

    # through GraphQL, and declining changes nothing
    gamma_principal = member(school=school_c, role=Role.PRINCIPAL, name="伽马校长")
    client_for(gamma_principal, school_c).gql(INVITE, {"d": {"name": "某某", "phone": VICTIM_PHONE, "role": "guard"}})
    mine = client_for(victim).gql("{ invitationList { invitationId schoolName roles } }")["data"]["invitationList"]
    assert [(i["schoolName"], i["roles"]) for i in mine] == [("伽马中学", ["guard"])]
    before = _account(victim)
    declined = client_for(victim).gql('mutation($id: ID!) { invitationAnswer(invitationId: $id, accept: false) }',
                                      {"id": mine[0]["invitationId"]})
    assert declined == {"data": {"invitationAnswer": True}}
    assert _account(victim) == before
    assert client_for(victim).gql("{ invitationList { invitationId } }")["data"]["invitationList"] == []


def test_nobody_else_answers_an_invitation_by_its_number(school_a, alice, bob, victim, client_for):
    _invite(client_for(alice, school_a), "某某", VICTIM_PHONE)
    invitation = Invitation.objects.get(user=victim, purpose="join")
    before = _account(victim)

    by_web = client_for(bob, school_a).post("/people/invitations/", {"invitation": invitation.pk, "answer": "accept"})
    by_graphql = client_for(bob, school_a).gql(
        'mutation($id: ID!) { invitationAnswer(invitationId: $id, accept: true) }', {"id": str(invitation.pk)})

    assert by_web.status_code == 410
    assert by_graphql["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert _account(victim) == before
    assert list(Membership.objects.filter(user=bob).values_list("school__slug", "role")) == [("alpha", Role.TEACHER)]
    assert Invitation.objects.get(pk=invitation.pk).used_at is None
