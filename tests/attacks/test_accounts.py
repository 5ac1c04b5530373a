"""Account takeover across schools and bureaus (issue 17, item 1), tried as a determined insider would.

Measured on the demo before the fix: binjiang's principal invited XX路小学's principal by phone, was told
「该手机号属于 屈校长…」, invited again with that name (a binjiang membership without consent), pressed "link",
set a new password and signed in at XX路小学 as its principal. Here alice (principal of alpha) plays binjiang's
principal; charlie (principal of beta, same bureau) and a principal of gamma (bureau south) are the victims.
Every attack asserts that nothing changed for the victim's account (password hash, memberships, switched on,
name, e-mail) until its owner accepts, signed in as themself, and that the inviter learns nothing: the invite
answer, the people list, the GraphQL payload and the staff import result are the same for a new number as for
a number of another school's principal (compared whole, with what was typed masked).
"""

from __future__ import annotations

import base64
import json
import re

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import override_settings

from schools.models import StaffMember
from schools.people_services import staff_import
from tenants import people
from tenants.models import (
    Invitation,
    Membership,
    Notification,
    NotificationDelivery,
    RobotChannel,
    SmsMessage,
    User,
)
from tenants.roles import Role
from tenants.sms import SmsError
from tests.people.factories import UserFactory, member, sheet

INVITED = "已向该手机号发出邀请，对方接受后即成为本校成员。"
NOT_SHOWN = "链接不在此显示：该账号属于其本人。"
INVITATION_NOT_SHOWN = "链接不在此显示：邀请已发送到本人的手机。"
NEW_PASSWORD = "Attacker-chosen-2026"
OWNER_PASSWORD = "Owner-chosen-2026"
VICTIM_PHONE = "13800000301"
FRESH_PHONE = "13800000399"
LINK = re.compile(r"https?://[\w.:-]+(/people/invite/[\w-]+/)")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _account(user: User) -> tuple:
    """Everything about an account an attacker would want to change."""
    user = User.objects.get(pk=user.pk)
    memberships = sorted(
        Membership.objects.filter(user=user).values_list("school__slug", "bureau__code", "role", "is_active", "post"),
        key=str,
    )
    return user.password, user.is_active, user.name, user.email, user.phone, user.username, memberships


def _invite(client, name: str, phone: str, role: str = Role.TEACHER, follow: bool = False, **extra):
    return client.post("/people/invite/", {"name": name, "phone": phone, "role": role, "post": "", **extra},
                       follow=follow)


def _token(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[-1]


def _texted_link(phone: str) -> str:
    """The path of the link in the latest text message to this phone (what its owner opens)."""
    message = SmsMessage.objects.filter(phone=phone).order_by("-created_at", "-id").first()
    assert message is not None, f"no text message to {phone}"
    return LINK.search(message.text).group(1)


def _normalised(body: str, *typed: str) -> str:
    """The page without what differs by nature from one request to the next (tokens, ids, times, CSRF), and
    with what the inviter typed masked."""
    body = re.sub(r"/people/invite/[\w-]+/", "/people/invite/TOKEN/", body)
    body = re.sub(r"/people/invitations/\d+/", "/people/invitations/ID/", body)
    body = re.sub(r"\b[A-Za-z0-9]{64}\b", "CSRF", body)  # the (masked) CSRF token, new on every page
    body = re.sub(r'nonce="[^"]*"', 'nonce="N"', body)
    body = re.sub(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(\+\d{2}:\d{2})?", "WHEN", body)
    for text in typed:
        body = body.replace(text, "TYPED")
    return body


def _each_from_the_same_state(*cases):
    """Run each case in a savepoint rolled back after it, so every case starts from the same database."""
    answers = []
    for case in cases:
        with transaction.atomic():
            answers.append(case())
            transaction.set_rollback(True)
    return answers


@pytest.fixture
def victim(charlie):
    """Charlie, principal of beta, with a phone number alice may have heard of."""
    charlie.phone = VICTIM_PHONE
    charlie.email = "charlie@beta.example.cn"
    charlie.save()
    return charlie


@pytest.fixture
def southern_principal(school_c):
    """The principal of gamma, in the other bureau."""
    return member(school=school_c, role=Role.PRINCIPAL, name="南校长", phone="13800000306")


def _victims(victim, southern_principal):
    return {"beta": (victim, VICTIM_PHONE), "gamma": (southern_principal, "13800000306")}


# --- the inviter learns nothing: the same answer everywhere they can look -------------------------------------


@pytest.mark.parametrize("whose", ["beta", "gamma"])
def test_the_invite_answer_and_the_people_list_are_the_same_as_for_a_new_number(
        school_a, alice, victim, southern_principal, client_for, whose):
    # given a principal of another school (same bureau, or the other one), and a number nobody holds
    target, phone = _victims(victim, southern_principal)[whose]
    before = _account(target)
    client = client_for(alice, school_a)

    # when alice invites each under the same made-up name, from the same starting point
    foreign, fresh = _each_from_the_same_state(
        lambda: (_invite(client, "某某", phone), client.get("/people/")),
        lambda: (_invite(client, "某某", FRESH_PHONE), client.get("/people/")),
    )

    # then the answer is the same redirect with the same words, and the people list is the same page
    (foreign_answer, foreign_list), (fresh_answer, fresh_list) = foreign, fresh
    assert foreign_answer.status_code == fresh_answer.status_code == 302
    assert foreign_answer["Location"] == fresh_answer["Location"] == "/people/"
    foreign_body, fresh_body = foreign_list.content.decode(), fresh_list.content.decode()
    assert INVITED in foreign_body
    assert 'data-testid="pending-invitations"' in foreign_body
    assert _normalised(foreign_body, phone) == _normalised(fresh_body, FRESH_PHONE)
    # and neither shows a link, a name of the account, or a member more
    for body in (foreign_body, fresh_body):
        assert not LINK.search(body)
        assert target.name not in body
        assert "该手机号属于" not in body
    assert [u.pk for u in foreign_list.context["page_obj"]] == [u.pk for u in fresh_list.context["page_obj"]]
    assert _account(target) == before


def test_the_graphql_answer_is_the_same_as_for_a_new_number(school_a, alice, victim, southern_principal,
                                                            client_for):
    client = client_for(alice, school_a)
    query = """mutation($d: PersonInviteInput!) { personInvite(data: $d) {
      invitationId name login roles post expiresAt url person { name } } }"""
    pending = "{ invitationPendingList { name login roles post } }"
    before = [_account(victim), _account(southern_principal)]

    answers = _each_from_the_same_state(*[
        (lambda phone=phone: (client.gql(query, {"d": {"name": "某某", "phone": phone, "role": "guard"}}),
                              client.gql(pending)))
        for phone in (VICTIM_PHONE, "13800000306", FRESH_PHONE)
    ])

    def masked(answer, phone):
        text = _normalised(json.dumps(answer, ensure_ascii=False), phone)
        return json.loads(re.sub(r'"invitationId": "\d+"', '"invitationId": "ID"', text))

    charlie_answer, gamma_answer, fresh_answer = (masked(a, p) for a, p in
                                                  zip(answers, (VICTIM_PHONE, "13800000306", FRESH_PHONE), strict=True))
    assert charlie_answer == gamma_answer == fresh_answer
    assert fresh_answer[0] == {"data": {"personInvite": {
        "invitationId": "ID", "name": "某某", "login": "TYPED", "roles": ["guard"], "post": "", "expiresAt": "WHEN",
        "url": None, "person": None}}}
    assert fresh_answer[1] == {"data": {"invitationPendingList": [
        {"name": "某某", "login": "TYPED", "roles": ["guard"], "post": ""}]}}
    assert [_account(victim), _account(southern_principal)] == before


def test_the_staff_import_result_is_the_same_as_for_a_new_number(school_a, alice, victim, southern_principal,
                                                                 client_for):
    client = client_for(alice, school_a)
    query = ("mutation($c: String!) { staffImport(contentBase64: $c) { ok invited created linked updated unchanged "
             "errors { row message } invitations { name login url } } }")

    def case(phone):
        content = sheet([("钱师傅", phone, "维修工", "", "")])
        first_over_graphql = _each_from_the_same_state(
            lambda: client.gql(query, {"c": base64.b64encode(content).decode()}))[0]
        upload = SimpleUploadedFile("staff.xlsx", content, content_type=XLSX)
        page = client.post("/staff/import/", {"file": upload})
        again = client.gql(query, {"c": base64.b64encode(content).decode()})  # the same sheet: nothing changes
        listing = client.get("/people/")
        return phone, page, first_over_graphql, again, listing

    # when alice imports a sheet with charlie's number, with the southern principal's, and with a new one
    results = _each_from_the_same_state(*[lambda phone=phone: case(phone)
                                          for phone in (VICTIM_PHONE, "13800000306", FRESH_PHONE)])

    # then the import page, both GraphQL answers and the people list are the same, and nobody is a member
    pages, firsts, agains, listings = (
        [_normalised(r[i].content.decode() if i in (1, 4) else json.dumps(r[i], ensure_ascii=False), r[0])
         for r in results] for i in (1, 2, 3, 4))
    assert pages[0] == pages[1] == pages[2]
    assert "导入完成：1 人已邀请，0 人更新，0 人未变。" in pages[2]
    assert not LINK.search(pages[2])
    assert firsts[0] == firsts[1] == firsts[2]
    assert json.loads(firsts[2]) == {"data": {"staffImport": {
        "ok": True, "invited": 1, "created": 1, "linked": 0, "updated": 0, "unchanged": 0, "errors": [],
        "invitations": [{"name": "钱师傅", "login": "TYPED", "url": None}]}}}
    assert agains[0] == agains[1] == agains[2]
    assert json.loads(agains[2]) == {"data": {"staffImport": {
        "ok": True, "invited": 0, "created": 0, "linked": 0, "updated": 0, "unchanged": 1, "errors": [],
        "invitations": []}}}
    assert listings[0] == listings[1] == listings[2]
    assert "钱师傅" in listings[2]
    assert not Membership.objects.filter(user__phone__in=[VICTIM_PHONE, "13800000306", FRESH_PHONE],
                                         school=school_a).exists()


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
    response = _invite(client_for(alice, school_a), "某某", "13800000398", email="charlie@beta.example.cn",
                       follow=True)
    assert response.status_code == 200
    assert INVITED in response.content.decode()
    assert "Charlie" not in response.content.decode()
    assert _account(victim) == before
    assert not User.objects.filter(phone="13800000398").exists()
    assert Invitation.objects.get(user=victim, purpose="join").invited_phone == "13800000398"
    # the text goes to the account's own phone, never to the number alice typed
    assert list(SmsMessage.objects.values_list("phone", flat=True)) == [VICTIM_PHONE]


# --- membership without consent ----------------------------------------------------------------------------


def test_inviting_again_with_the_right_name_makes_no_member(school_a, alice, victim, client_for):
    # given alice learnt the name elsewhere
    before = _account(victim)
    client = client_for(alice, school_a)

    # when she invites with the name the account carries, twice
    for _ in range(2):
        response = _invite(client, "Charlie", VICTIM_PHONE, role=Role.LOGISTICS_DIRECTOR, follow=True)
        assert response.status_code == 200
        assert INVITED in response.content.decode()

    # then charlie is no member of alpha; one invitation is open (the second replaced the first)
    assert _account(victim) == before
    assert not Membership.objects.filter(user=victim, school=school_a).exists()
    assert Invitation.objects.filter(user=victim, school=school_a, purpose="join", used_at__isnull=True).count() == 1
    # and alpha's pages know nothing of him
    assert client.get(f"/people/{victim.pk}/").status_code == 404


def test_a_new_number_is_no_member_until_its_owner_sets_the_password(school_a, alice, client_for):
    # when alice invites a number nobody holds
    client = client_for(alice, school_a)
    _invite(client, "新老师", FRESH_PHONE, role=Role.GUARD)

    # then the account exists but is nobody's member yet: it waits under the invitations, as any other would
    newcomer = User.objects.get(phone=FRESH_PHONE)
    assert not Membership.objects.filter(user=newcomer).exists()
    assert list(people.invitation_pending_for_place(school=school_a, bureau=None)
                .values_list("invited_name", "purpose", "roles")) == [("新老师", "onboard", [Role.GUARD])]
    assert client.get(f"/people/{newcomer.pk}/").status_code == 404

    # when its owner opens the link texted to the phone and sets a password
    path = _texted_link(FRESH_PHONE)
    shown = client_for(None, school_a).get(path)
    done = client_for(None, school_a).post(path, {"new_password1": OWNER_PASSWORD, "new_password2": OWNER_PASSWORD})

    # then they are a member with the roles offered, and alice hears of it in the same words as for anyone
    assert "阿尔法小学邀请您加入，担任门卫。设置密码即接受邀请。" in shown.content.decode()
    assert done.status_code == 302
    assert list(Membership.objects.active().filter(user=newcomer).values_list("school__slug", "role")) == [
        ("alpha", Role.GUARD)]
    assert Notification.objects.filter(recipient=alice, title="新老师 已接受邀请，现为本单位成员").exists()
    assert not people.invitation_pending_for_place(school=school_a, bureau=None).exists()


def test_the_invitation_reaches_the_owner_and_no_group_robot(school_a, alice, victim, client_for,
                                                             django_capture_on_commit_callbacks):
    # given alpha relays every notification to its staff group chat
    RobotChannel.objects.create(school=school_a, name="全体教师群", provider="dingtalk",
                                webhook_url="https://oapi.dingtalk.com/robot/send?access_token=x")

    # when alice invites charlie, typing her own e-mail address
    with override_settings(EMAIL_ENABLED=True, EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"), \
            django_capture_on_commit_callbacks(execute=True):
        _invite(client_for(alice, school_a), "某某", VICTIM_PHONE, email="alice@alpha.example.cn")

    # then charlie hears of it in his notification centre, at his own address and on his own phone; the group
    # chat hears nothing
    assert list(Notification.objects.filter(recipient=victim).values_list("title", "url")) == [
        ("阿尔法小学 邀请您加入，担任 教师", "http://alpha.localhost:8000/people/invitations/")]
    assert [m.to for m in mail.outbox] == [["charlie@beta.example.cn"]]
    assert list(SmsMessage.objects.values_list("phone", "status", "recipient")) == [(VICTIM_PHONE, "kept", victim.pk)]
    assert not NotificationDelivery.objects.filter(robot__school=school_a).exists()
    assert not Notification.objects.filter(recipient=alice, kind="people.invited").exists()
    assert User.objects.get(pk=victim.pk).email == "charlie@beta.example.cn"


# --- the text message channel ----------------------------------------------------------------------------------


@pytest.mark.parametrize("whose", ["new", "beta"])
def test_the_text_message_reaches_the_owners_phone_with_the_link(school_a, alice, victim, client_for, whose):
    phone = FRESH_PHONE if whose == "new" else VICTIM_PHONE

    _invite(client_for(alice, school_a), "某某", phone)

    message = SmsMessage.objects.get()
    owner = User.objects.get(phone=phone)
    assert (message.phone, message.recipient, message.kind, message.status) == (phone, owner, "people.invited",
                                                                                "kept")
    assert message.text.startswith("【后勤云】阿尔法小学邀请您加入，担任教师。")
    path = LINK.search(message.text).group(1)
    if whose == "new":
        # the link sets the new account's password and accepts
        done = client_for(None, school_a).post(path, {"new_password1": OWNER_PASSWORD,
                                                      "new_password2": OWNER_PASSWORD})
    else:
        # the link asks the owner to sign in as themself and accept
        assert client_for(None, school_a).get(path)["Location"] == f"/accounts/login/?next={path}"
        done = client_for(victim, school_a).post(path, {"answer": "accept"})
    assert done.status_code == 302
    assert Membership.objects.active().filter(user=owner, school=school_a, role=Role.TEACHER).exists()


class _Provider:
    """A provider as tenants/sms.py describes one (no network): records what it was handed."""

    delivers = True
    handed: list[tuple[str, str]] = []
    refuse = False

    def send(self, phone: str, text: str) -> str:
        if _Provider.refuse:
            raise SmsError("isv.BUSINESS_LIMIT_CONTROL")
        _Provider.handed.append((phone, text))
        return "BIZ-1"


def test_a_configured_provider_gets_the_message_after_commit_and_its_copy_hides_the_link(
        school_a, alice, client_for, django_capture_on_commit_callbacks, monkeypatch):
    from tenants import tasks

    # the worker, here in the test's process
    monkeypatch.setattr(tasks.notification_sms_send_task, "delay",
                        lambda **kwargs: tasks.notification_sms_send_task.apply(kwargs=kwargs))
    _Provider.handed, _Provider.refuse = [], False
    with override_settings(SMS_BACKEND="tests.attacks.test_accounts._Provider"), \
            django_capture_on_commit_callbacks(execute=True):
        _invite(client_for(alice, school_a), "新老师", FRESH_PHONE)

    assert [(p, bool(LINK.search(t))) for p, t in _Provider.handed] == [(FRESH_PHONE, True)]
    message = SmsMessage.objects.get()
    assert (message.status, message.provider_id, message.attempts) == ("sent", "BIZ-1", 1)
    assert "/people/invite/" not in message.text
    assert "[链接已隐去]" in message.text


def test_a_provider_that_refuses_is_logged_and_retried(school_a, alice, client_for):
    from tenants.notifications import sms_message_send

    _Provider.handed, _Provider.refuse = [], True
    with override_settings(SMS_BACKEND="tests.attacks.test_accounts._Provider"):
        _invite(client_for(alice, school_a), "新老师", FRESH_PHONE)
        message = SmsMessage.objects.get()
        with pytest.raises(SmsError):
            sms_message_send(message_id=message.pk)
        message.refresh_from_db()
        assert (message.status, message.attempts, message.last_error) == ("failed", 1, "isv.BUSINESS_LIMIT_CONTROL")
        _Provider.refuse = False
        assert sms_message_send(message_id=message.pk).status == "sent"
        assert sms_message_send(message_id=message.pk).attempts == 2  # sent once, never twice
    assert len(_Provider.handed) == 1


def test_invitations_to_one_number_are_limited_the_same_way(school_a, alice, victim, client_for):
    client = client_for(alice, school_a)
    with override_settings(INVITATIONS_PER_PHONE_PER_DAY=2):
        answers = _each_from_the_same_state(*[
            (lambda phone=phone: [_invite(client, "某某", phone, follow=True).content.decode() for _ in range(3)])
            for phone in (VICTIM_PHONE, FRESH_PHONE)])
    foreign, fresh = answers
    assert [_normalised(b, VICTIM_PHONE) for b in foreign] == [_normalised(b, FRESH_PHONE) for b in fresh]
    assert "今天已向该号码发出 2 次邀请，请明天再试。" in fresh[2]


# --- a password link for a foreign account -------------------------------------------------------------------


def test_no_link_reaches_the_inviters_screen_for_an_account_with_an_owner(school_a, alice, victim, client_for):
    # given alice invited charlie
    before = _account(victim)
    client = client_for(alice, school_a)
    answer = _invite(client, "Charlie", VICTIM_PHONE, follow=True)
    invitation = Invitation.objects.get(user=victim, school=school_a)

    # when she looks everywhere a link might show: the answer, the list, send again, "link", GraphQL
    resent = client.post(f"/people/invitations/{invitation.pk}/resend/", follow=True)
    invitation = Invitation.objects.get(user=victim, school=school_a, used_at__isnull=True)
    link = client.post(f"/people/invitations/{invitation.pk}/link/", follow=True)
    over_graphql = client.gql('mutation($id: ID!) { invitationLink(invitationId: $id) { url } }',
                              {"id": str(invitation.pk)})

    # then no page carries a link to the account; the "link" action says it went to the owner's phone
    for response in (answer, resent, link):
        assert response.status_code == 200
        assert not LINK.search(response.content.decode())
    assert INVITATION_NOT_SHOWN in link.content.decode()
    assert over_graphql == {"data": {"invitationLink": None}}
    assert SmsMessage.objects.filter(phone=VICTIM_PHONE).count() == 2  # the invitation and its second sending
    assert _account(victim) == before


def test_the_invitation_link_gives_no_password_form_to_anyone_but_the_signed_in_owner(school_a, alice, victim,
                                                                                      client_for):
    # given the link texted to charlie's phone (alice looked over his shoulder)
    before = _account(victim)
    _invite(client_for(alice, school_a), "Charlie", VICTIM_PHONE)
    path = _texted_link(VICTIM_PHONE)
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

    # then no link is shown: it went to his own phone
    assert response.status_code == 302
    assert response["Location"] == f"/people/{worker.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert NOT_SHOWN in page
    assert not LINK.search(page)
    assert list(Invitation.objects.filter(user=worker).values_list("purpose", flat=True)) == ["reset"]
    assert list(SmsMessage.objects.values_list("phone", flat=True)) == ["13800000302"]
    assert _account(worker) == before


def test_the_link_action_still_serves_an_account_this_school_made_that_never_signed_in(school_a, alice, client_for):
    # given alice invited a newcomer who has not set a password yet
    client = client_for(alice, school_a)
    _invite(client, "新老师", "13800000303")
    invitation = people.invitation_pending_for_place(school=school_a, bureau=None).get()

    # when she asks for a link to print
    response = client.post(f"/people/invitations/{invitation.pk}/link/")

    # then it is shown (nobody else has a claim on the account), replaces the texted one, and works
    assert response.status_code == 200
    issued = response.context["issued"][0]
    assert (issued.name, issued.login) == ("新老师", "13800000303")
    assert issued.url.startswith("http://alpha.localhost:8000/people/invite/")
    texted = _texted_link("13800000303")
    assert client_for(None, school_a).get(texted).status_code == 410
    path = LINK.search(issued.url).group(1)
    done = client_for(None, school_a).post(path, {"new_password1": OWNER_PASSWORD, "new_password2": OWNER_PASSWORD})
    assert done.status_code == 302
    assert Membership.objects.active().filter(user__phone="13800000303", school=school_a, role=Role.TEACHER).exists()


def test_the_link_action_sends_to_the_owners_own_channels_only(school_a, school_b, alice, client_for,
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
    assert _texted_link("13800000304") in mail.outbox[0].body


def test_a_number_pending_at_another_school_is_invited_like_any_account(school_a, school_b, alice, charlie,
                                                                         client_for):
    # given beta invited a number nobody held (the account waits for its owner; beta may print its link)
    beta = client_for(charlie, school_b)
    _invite(beta, "钱老师", "13800000305", role=Role.GUARD)
    newcomer = User.objects.get(phone="13800000305")
    printed = beta.post(f"/people/invitations/{Invitation.objects.get(user=newcomer).pk}/link/")
    printed_path = LINK.search(printed.context["issued"][0].url).group(1)
    before = _account(newcomer)

    # when alice invites that number too
    client = client_for(alice, school_a)
    answer = _invite(client, "钱老师", "13800000305", follow=True)
    mine = Invitation.objects.get(user=newcomer, school=school_a)
    link = client.post(f"/people/invitations/{mine.pk}/link/", follow=True)

    # then it is an invitation like any other (the same words, no link); nothing about the account changed
    assert INVITED in answer.content.decode()
    assert mine.purpose == "join"
    assert INVITATION_NOT_SHOWN in link.content.decode()
    assert _account(newcomer) == before

    # when the owner uses beta's printed link: a member of beta, not of alpha; alpha's invitation waits for them
    done = client_for(None, school_b).post(printed_path, {"new_password1": OWNER_PASSWORD,
                                                          "new_password2": OWNER_PASSWORD})
    assert done.status_code == 302
    assert list(Membership.objects.active().filter(user=newcomer).values_list("school__slug", "role")) == [
        ("beta", Role.GUARD)]
    newcomer.refresh_from_db()
    assert list(people.invitation_list_for(user=newcomer).values_list("school__slug", flat=True)) == ["alpha"]

    # and alpha's texted link now asks them to sign in; signed in, they accept
    texted = _texted_link("13800000305")
    assert client_for(None, school_a).get(texted)["Location"] == f"/accounts/login/?next={texted}"
    assert client_for(newcomer, school_a).post(texted, {"answer": "accept"}).status_code == 302
    assert set(Membership.objects.active().filter(user=newcomer).values_list("school__slug", "role")) == {
        ("beta", Role.GUARD), ("alpha", Role.TEACHER)}


def test_a_school_that_invited_a_pending_number_cannot_set_its_password(school_a, school_b, alice, charlie,
                                                                         client_for):
    # given beta made an account that has never signed in (no password yet), and alpha invited it
    _invite(client_for(charlie, school_b), "钱老师", "13800000305")
    newcomer = User.objects.get(phone="13800000305")
    client = client_for(alice, school_a)
    _invite(client, "钱老师", "13800000305")
    before = _account(newcomer)
    mine = Invitation.objects.get(user=newcomer, school=school_a)

    # when alice tries every way to a password link of the account
    link = client.post(f"/people/invitations/{mine.pk}/link/")
    api = client.gql('mutation($id: ID!) { invitationLink(invitationId: $id) { url } }', {"id": str(mine.pk)})
    person = client.post(f"/people/{newcomer.pk}/link/")

    # then none is shown and the account is untouched (its link went to its owner's phone only)
    assert link.status_code == 302
    assert api == {"data": {"invitationLink": None}}
    assert person.status_code == 404
    assert _account(newcomer) == before
    assert not User.objects.get(pk=newcomer.pk).has_usable_password()
    assert set(SmsMessage.objects.values_list("phone", flat=True)) == {"13800000305"}


def test_the_owner_of_a_never_used_account_accepts_through_the_texted_link(school_a, school_b, alice, charlie,
                                                                           client_for):
    # given beta made an account its owner has not used yet; alpha invites that number
    _invite(client_for(charlie, school_b), "钱老师", "13800000305", role=Role.GUARD)
    beta_path = _texted_link("13800000305")
    _invite(client_for(alice, school_a), "钱老师", "13800000305")
    alpha_path = _texted_link("13800000305")
    newcomer = User.objects.get(phone="13800000305")

    # when the owner opens alpha's texted link and sets a password
    form = client_for(None, school_a).get(alpha_path)
    done = client_for(None, school_a).post(alpha_path, {"new_password1": OWNER_PASSWORD,
                                                        "new_password2": OWNER_PASSWORD})

    # then they are alpha's member; beta's link still reaches them, now as an invitation to accept signed in
    assert "new_password1" in form.content.decode()
    assert done.status_code == 302
    assert list(Membership.objects.active().filter(user=newcomer).values_list("school__slug", flat=True)) == ["alpha"]
    newcomer.refresh_from_db()
    assert newcomer.check_password(OWNER_PASSWORD)
    assert client_for(None, school_b).get(beta_path)["Location"] == f"/accounts/login/?next={beta_path}"
    assert client_for(newcomer, school_b).post(beta_path, {"answer": "accept"}).status_code == 302
    assert set(Membership.objects.active().filter(user=newcomer).values_list("school__slug", flat=True)) == {
        "alpha", "beta"}


# --- across bureaus --------------------------------------------------------------------------------------------


def test_a_principal_of_another_bureau_stays_theirs(school_a, alice, southern_principal, client_for):
    before = _account(southern_principal)

    response = _invite(client_for(alice, school_a), "南校长", "13800000306", role=Role.PRINCIPAL, follow=True)

    assert response.status_code == 200
    assert INVITED in response.content.decode()
    assert _account(southern_principal) == before
    assert client_for(alice, school_a).post(f"/people/{southern_principal.pk}/link/").status_code == 404


def test_a_bureau_leader_cannot_take_a_member_of_another_bureau(bureau_north, dave, erin, client_for):
    erin.phone = "13800000307"
    erin.save()
    before = _account(erin)

    response = client_for(dave).post("/people/invite/?bureau=north", {
        "name": "某某", "phone": "13800000307", "role": Role.BUREAU_SAFETY, "post": "", "bureau": "north"},
        follow=True)

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
            "staff_count": 1, "principal_name": "钱校长", "principal_phone": VICTIM_PHONE, "principal_email": ""},
            follow=True)
        body = response.content.decode()
        assert response.status_code == 200
        # the new school's row shows the name typed, as invited; nothing of charlie's account
        row = body[body.index("<td>新建小学</td>"):].split("</tr>", 1)[0]
        assert "钱校长" in row
        assert "Charlie" not in row
        assert "该手机号属于" not in body
        assert INVITED in body
        assert not LINK.search(body)
        link = client_for(dave).post("/platform/schools/xinjianacc/link/", follow=True)
        assert INVITATION_NOT_SHOWN in link.content.decode()
        assert _account(victim) == before
    finally:
        connection.set_schema_to_public()
        for school in School.objects.filter(slug="xinjianacc"):
            Invitation.objects.filter(school=school).delete()
            SmsMessage.objects.filter(school=school).delete()
            school.delete(force_drop=True)


# --- switched off stays off; leaving one school switches nothing off elsewhere -------------------------------


def test_person_add_does_not_switch_a_deactivated_account_back_on(school_a, alice, client_for):
    # given an account the platform operator switched off
    off = UserFactory(name="停用者", phone="13800000308")
    User.objects.filter(pk=off.pk).update(is_active=False)
    before = _account(off)

    # when alice invites its phone (web) and imports it (sheet)
    response = _invite(client_for(alice, school_a), "停用者", "13800000308", follow=True)
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

INVITE = """mutation($d: PersonInviteInput!) { personInvite(data: $d) { invitationId name login url person { name } } }"""


def test_graphql_invite_tells_nothing_and_changes_nothing(school_a, alice, victim, client_for):
    before = _account(victim)
    client = client_for(alice, school_a)

    foreign = client.gql(INVITE, {"d": {"name": "某某", "phone": VICTIM_PHONE, "role": "teacher"}})
    link = client.gql('mutation($id: ID!) { personLink(personId: $id) { url } }', {"id": str(victim.pk)})
    accept = client_for(None, school_a).gql(
        "mutation($t: String!, $p: String!) { invitationAccept(token: $t, password: $p) }",
        {"t": _token(_texted_link(VICTIM_PHONE)), "p": NEW_PASSWORD})

    assert foreign["data"]["personInvite"] == {"invitationId": foreign["data"]["personInvite"]["invitationId"],
                                               "name": "某某", "login": VICTIM_PHONE, "url": None, "person": None}
    assert link["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert accept["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert _account(victim) == before


def test_staff_import_tells_nothing_and_changes_nothing(school_a, alice, victim, in_school_a):
    # given
    before = _account(victim)

    # when alice's sheet carries the victim's phone under another name, and a new number
    result = staff_import(content=sheet([("钱师傅", VICTIM_PHONE, "维修工", "", ""),
                                         ("李师傅", "13800000311", "维修工", "", "")]), by=alice)

    # then no row error names anyone, both rows read alike, nobody is a member yet, and the victim is untouched
    assert result.errors == []
    assert (result.invited, result.updated, result.unchanged) == (2, 0, 0)
    assert [(i.invited_name, i.invited_phone) for i in result.invitations] == [
        ("钱师傅", VICTIM_PHONE), ("李师傅", "13800000311")]
    connection.set_schema_to_public()
    assert _account(victim) == before
    assert not Membership.objects.filter(school=school_a, user__phone__in=[VICTIM_PHONE, "13800000311"]).exists()
    connection.set_tenant(school_a)
    assert list(StaffMember.objects.filter(phone__in=[VICTIM_PHONE, "13800000311"]).values_list("user", flat=True)) \
        == [None, None]

    # and re-importing the same sheet changes nothing
    again = staff_import(content=sheet([("钱师傅", VICTIM_PHONE, "维修工", "", ""),
                                        ("李师傅", "13800000311", "维修工", "", "")]), by=alice)
    assert (again.invited, again.updated, again.unchanged) == (0, 0, 2)


def test_staff_import_over_graphql_and_the_web_tells_nothing(school_a, alice, victim, client_for):
    before = _account(victim)
    content = sheet([("钱师傅", VICTIM_PHONE, "维修工", "", "")])
    result = client_for(alice, school_a).gql(
        "mutation($c: String!) { staffImport(contentBase64: $c) { ok invited linked errors { message } "
        "invitations { name login url } } }", {"c": base64.b64encode(content).decode()})["data"]["staffImport"]
    assert result == {"ok": True, "invited": 1, "linked": 0, "errors": [],
                      "invitations": [{"name": "钱师傅", "login": VICTIM_PHONE, "url": None}]}
    upload = SimpleUploadedFile("staff.xlsx", sheet([("钱师傅", VICTIM_PHONE, "门卫", "", "")]),
                                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    page = client_for(alice, school_a).post("/staff/import/", {"file": upload})
    assert page.status_code == 200
    assert "Charlie" not in page.content.decode()
    assert not LINK.search(page.content.decode())
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
    # through the texted link, signed in
    _invite(client_for(alice, school_a), "某某", VICTIM_PHONE)
    path = _texted_link(VICTIM_PHONE)
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


@pytest.mark.parametrize("who", ["bob", "charlie", "gina"])
def test_only_the_places_administrators_handle_its_invitations(school_a, alice, victim, client_for, who):
    _invite(client_for(alice, school_a), "新老师", FRESH_PHONE)
    invitation = Invitation.objects.get(user__phone=FRESH_PHONE)
    client = client_for(User.objects.get(username=who), school_a)

    statuses = [client.post(f"/people/invitations/{invitation.pk}/{action}/").status_code
                for action in ("link", "resend", "withdraw")]
    api = client.gql('mutation($id: ID!) { invitationLink(invitationId: $id) { url } }', {"id": str(invitation.pk)})

    assert statuses == [403, 403, 403]
    assert api["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert list(Invitation.objects.filter(user__phone=FRESH_PHONE).values_list("pk", "used_at")) == [
        (invitation.pk, None)]
    assert SmsMessage.objects.count() == 1
