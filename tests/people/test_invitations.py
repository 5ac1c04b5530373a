"""Invitation links: hashed, time-limited, single use, bound to their school; onboarding by the platform."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from tenants.models import Invitation, Membership, School, SmsMessage, User
from tenants.people import invitation_create, person_create, token_hash
from tenants.roles import Role

NEW_PASSWORD = "Lanterns-and-kites-2026"


def _invite(school, by, name="孙校长", phone="13500000001"):
    person = person_create(name=name, phone=phone)
    Membership.objects.create(user=person, school=school, role=Role.PRINCIPAL, post="校长")
    return person, invitation_create(user=person, created_by=by, school=school)


def _token(issued) -> str:
    return issued.url.rstrip("/").rsplit("/", 1)[-1]


def test_only_the_hash_of_the_token_is_stored(school_a, oscar):
    person, issued = _invite(school_a, oscar)
    token = _token(issued)
    assert issued.url == f"http://alpha.localhost:8000/people/invite/{token}/"
    assert Invitation.objects.get().token_hash == token_hash(token)
    assert not Invitation.objects.filter(token_hash=token).exists()
    assert issued.invitation.expires_at - issued.invitation.created_at == timedelta(hours=72)


def test_the_invitee_sets_a_password_signs_in_and_lands_on_the_checklist(school_a, oscar, client_for):
    # given
    person, issued = _invite(school_a, oscar)
    client = client_for(None, school_a)

    # when
    page = client.get(f"/people/invite/{_token(issued)}/")
    response = client.post(f"/people/invite/{_token(issued)}/",
                           {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    # then
    assert page.status_code == 200
    assert "孙校长" in page.content.decode()
    assert response.status_code == 302
    assert response["Location"] == "/staff/checklist/"
    person.refresh_from_db()
    assert person.check_password(NEW_PASSWORD)
    assert Invitation.objects.get().used_at is not None
    checklist = client.get("/staff/checklist/")
    assert checklist.status_code == 200
    body = checklist.content.decode()
    assert 'data-step="departments" data-done="1"' in body  # the marker department
    assert 'data-step="staff" data-done="0"' in body
    assert 'href="/staff/import/"' in body


def test_a_reused_link_is_refused_with_a_clear_message(school_a, oscar, client_for):
    person, issued = _invite(school_a, oscar)
    client = client_for(None, school_a)
    client.post(f"/people/invite/{_token(issued)}/", {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    password_hash = User.objects.get(pk=person.pk).password

    # when someone opens or posts the same link again
    again = client_for(None, school_a).post(f"/people/invite/{_token(issued)}/",
                                            {"new_password1": "Another-pass-77", "new_password2": "Another-pass-77"})

    # then
    assert again.status_code == 410
    assert "该链接已被使用，请重新索取。" in again.content.decode()
    assert User.objects.get(pk=person.pk).password == password_hash


def test_an_expired_link_is_refused(school_a, oscar, client_for):
    person, issued = _invite(school_a, oscar)
    Invitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))

    response = client_for(None, school_a).post(f"/people/invite/{_token(issued)}/",
                                               {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert response.status_code == 410
    assert "该链接已过期，请重新索取。" in response.content.decode()
    person.refresh_from_db()
    assert not person.has_usable_password()


@pytest.mark.parametrize("host", ["beta", None])
def test_a_link_works_only_on_its_school_host(school_a, school_b, oscar, client_for, host):
    _person, issued = _invite(school_a, oscar)
    school = school_b if host == "beta" else None
    response = client_for(None, school).get(f"/people/invite/{_token(issued)}/")
    assert response.status_code == 410
    assert "该链接无效，请重新索取。" in response.content.decode()


def test_a_weak_password_is_refused_and_the_link_stays_usable(school_a, oscar, client_for):
    _person, issued = _invite(school_a, oscar)
    response = client_for(None, school_a).post(f"/people/invite/{_token(issued)}/",
                                               {"new_password1": "123", "new_password2": "123"})
    assert response.status_code == 200
    assert Invitation.objects.get().used_at is None


def test_a_reset_link_goes_to_the_owners_email_and_replaces_a_forgotten_password(
        school_a, alice, bob, client_for, django_capture_on_commit_callbacks):
    from django.core import mail
    from django.test import override_settings

    # given alice asks for a reset link from bob's page: the account is bob's, so it goes to his own e-mail
    bob.email = "bob@example.cn"
    bob.save()
    with override_settings(EMAIL_ENABLED=True, EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"), \
            django_capture_on_commit_callbacks(execute=True):
        response = client_for(alice, school_a).post(f"/people/{bob.pk}/link/")
    assert response.status_code == 302
    assert [m.to for m in mail.outbox] == [["bob@example.cn"]]
    path = "/people/invite/" + mail.outbox[0].body.split("/people/invite/", 1)[1].split("/", 1)[0] + "/"

    # when bob opens it and sets a new password
    done = client_for(None, school_a).post(path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    # then he lands on the home page (he administers nothing) and the new password works
    assert done.status_code == 302
    assert done["Location"] == "/"
    bob.refresh_from_db()
    assert bob.check_password(NEW_PASSWORD)


@pytest.mark.parametrize(("who", "allowed"), [("bob", False), ("charlie", False), ("gina", False), ("alice", True)])
def test_only_school_admins_issue_links(school_a, client_for, alice, who, allowed):
    # given a newcomer alice invited, who has not set a password yet (the one case a link is shown)
    client_for(alice, school_a).post("/people/invite/", {"name": "孙老师", "phone": "13500000005",
                                                          "role": Role.TEACHER})
    newcomer = User.objects.get(phone="13500000005")
    invitation = Invitation.objects.get(user=newcomer)
    response = client_for(User.objects.get(username=who), school_a).post(f"/people/invitations/{invitation.pk}/link/")
    assert response.status_code == (200 if allowed else 403)
    assert Invitation.objects.filter(user=newcomer).count() == (2 if allowed else 1)


def test_a_link_for_an_account_with_an_owner_is_never_shown(school_a, alice, bob, client_for):
    response = client_for(alice, school_a).post(f"/people/{bob.pk}/link/")
    assert response.status_code == 302
    assert Invitation.objects.filter(user=bob).count() == 0  # no e-mail configured: nothing to send


# --- the platform creates a school and invites its principal --------------------------------------

SCHOOL_FORM = {
    "name": "新建小学", "slug": "xinjian", "student_count": 300, "staff_count": 25,
    "principal_name": "钱校长", "principal_phone": "13500000009", "principal_email": "",
}


@pytest.fixture
def cleanup_school():
    yield
    connection.set_schema_to_public()
    for school in School.objects.filter(slug="xinjian"):
        school.delete(force_drop=True)


@pytest.mark.django_db(transaction=False)
@pytest.mark.parametrize(("who", "status"), [("anonymous", 302), ("alice", 403), ("erin", 200), ("dave", 302), ("oscar", 302)])
def test_who_may_create_a_school_in_bureau_north(bureau_north, client_for, who, status, cleanup_school):
    user = None if who == "anonymous" else User.objects.get(username=who)
    response = client_for(user).post("/platform/schools/", {**SCHOOL_FORM, "bureau": bureau_north.pk})
    assert response.status_code == status
    created = School.objects.filter(slug="xinjian").first()
    if who in ("dave", "oscar"):
        assert created is not None
        assert created.bureau == bureau_north
        # the principal is invited: a member when they set their password through the link texted to them
        assert not Membership.objects.filter(school=created).exists()
        invitation = Invitation.objects.get(school=created)
        assert (invitation.invited_name, invitation.invited_phone, invitation.roles) == (
            "钱校长", "13500000009", [Role.PRINCIPAL])
        assert response["Location"] == "/platform/schools/"
        text = SmsMessage.objects.get(phone="13500000009").text
        assert "http://xinjian.localhost:8000/people/invite/" in text
        listing = client_for(user).get("/platform/schools/").content.decode()
        assert "http://xinjian.localhost:8000/people/invite/" not in listing
        # the bureau may print it: the school made the account and nobody has used it
        printed = client_for(user).post("/platform/schools/xinjian/link/")
        assert printed.status_code == 200
        assert "http://xinjian.localhost:8000/people/invite/" in printed.content.decode()
    else:
        # erin (bureau south) gets the form back: bureau north is not hers to choose
        assert created is None


@pytest.mark.django_db(transaction=False)
def test_a_principal_phone_of_someone_else_invites_them_and_tells_nothing(bureau_north, client_for, oscar, alice,
                                                                          cleanup_school):
    alice.phone = "13500000009"
    alice.save()
    password = User.objects.get(pk=alice.pk).password
    response = client_for(oscar).post("/platform/schools/", {**SCHOOL_FORM, "bureau": bureau_north.pk}, follow=True)
    body = response.content.decode()
    assert response.status_code == 200
    # the new school's row shows the name typed (alice is listed as alpha's principal, which oscar may see)
    row = body[body.index("<td>新建小学</td>"):].split("</tr>", 1)[0]
    assert "钱校长" in row
    assert "Alice" not in row
    assert "已向该手机号发出邀请，对方接受后即成为本校成员。" in body
    school = School.objects.get(slug="xinjian")
    # alice is invited to be its principal; nothing about her account changes until she accepts
    assert not Membership.objects.filter(user=alice, school=school).exists()
    assert Invitation.objects.get(user=alice, school=school).invited_name == "钱校长"
    assert User.objects.get(pk=alice.pk).password == password


def test_the_inviter_hears_when_the_link_is_used(school_a, oscar, client_for):
    from tenants.models import Notification

    _person, issued = _invite(school_a, oscar)
    client_for(None, school_a).post(f"/people/invite/{_token(issued)}/",
                                    {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert list(Notification.objects.filter(recipient=oscar).values_list("kind", "title")) == [
        ("people.invited", "孙校长 已设置密码，可以登录了")]


def test_the_link_is_emailed_when_email_is_configured(school_a, alice, django_capture_on_commit_callbacks):
    from django.core import mail
    from django.test import override_settings

    person = person_create(name="孙老师", phone="13500000002", email="sun@example.cn")
    with override_settings(EMAIL_ENABLED=True, EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"), \
            django_capture_on_commit_callbacks(execute=True):
        issued = invitation_create(user=person, created_by=alice, school=school_a)
    assert [m.to for m in mail.outbox] == [["sun@example.cn"]]
    assert mail.outbox[0].subject == "您在阿尔法小学的后勤云账号"
    assert issued.url in mail.outbox[0].body


def test_bureau_members_are_invited_on_the_bureau_host(bureau_north, dave, client_for):
    response = client_for(dave).post("/people/invite/?bureau=north", {
        "name": "韩股长", "phone": "13500000003", "role": Role.BUREAU_SAFETY, "post": "安全股", "bureau": "north"})
    assert response.status_code == 302
    assert response["Location"] == "/people/?bureau=north"
    text = SmsMessage.objects.get(phone="13500000003").text
    url = text[text.index("http://"):].split()[0]
    assert url.startswith("http://localhost:8000/people/invite/")
    token = url.rstrip("/").rsplit("/", 1)[-1]
    done = client_for(None).post(f"/people/invite/{token}/", {"new_password1": NEW_PASSWORD,
                                                              "new_password2": NEW_PASSWORD})
    assert done.status_code == 302
    assert done["Location"] == "/"
    assert Membership.objects.get(user__phone="13500000003").bureau == bureau_north


def test_the_operator_adds_a_bureau(oscar, dave, client_for):
    from tenants.models import Bureau

    assert client_for(dave).post("/platform/bureaus/", {"name": "西区教育局", "code": "west"}).status_code == 403
    assert not Bureau.objects.filter(code="west").exists()
    response = client_for(oscar).post("/platform/bureaus/", {"name": "西区教育局", "code": "west", "region": "西区"})
    assert response.status_code == 302
    assert Bureau.objects.get(code="west").name == "西区教育局"


ONBOARD = """mutation($d: SchoolOnboardInput!) { schoolOnboard(data: $d) {
  school { slug host } invitation { url name login } } }"""


@pytest.mark.django_db(transaction=False)
@pytest.mark.parametrize(("who", "code"), [("dave", None), ("erin", "FORBIDDEN"), ("alice", "FORBIDDEN")])
def test_onboarding_over_graphql(bureau_north, client_for, who, code, cleanup_school):
    data = {"bureauCode": "north", "name": "新建小学", "slug": "xinjian", "principalName": "钱校长",
            "principalPhone": "13500000009"}
    result = client_for(User.objects.get(username=who)).gql(ONBOARD, {"d": data})
    if code is None:
        assert result["data"]["schoolOnboard"]["school"] == {"slug": "xinjian", "host": "xinjian.localhost"}
        assert result["data"]["schoolOnboard"]["invitation"]["name"] == "钱校长"
        assert result["data"]["schoolOnboard"]["invitation"]["login"] == "13500000009"
        assert result["data"]["schoolOnboard"]["invitation"]["url"] is None  # texted to the principal's phone
        assert "http://xinjian.localhost:8000/people/invite/" in SmsMessage.objects.get(phone="13500000009").text
    else:
        assert result["errors"][0]["extensions"]["code"] == code
        assert not School.objects.filter(slug="xinjian").exists()


def test_pages_with_links_are_never_cached(school_a, oscar, alice, bob, client_for):
    _person, issued = _invite(school_a, oscar)
    assert "no-store" in client_for(None, school_a).get(f"/people/invite/{_token(issued)}/")["Cache-Control"]
    assert "no-store" in client_for(alice, school_a).post(f"/people/{bob.pk}/link/")["Cache-Control"]


@pytest.mark.django_db(transaction=False)
def test_a_school_can_be_prepared_in_the_background(bureau_north, oscar, client_for, cleanup_school,
                                                    django_capture_on_commit_callbacks, monkeypatch):
    from django.core import mail
    from django.test import override_settings

    from tenants import tasks

    queued = []
    monkeypatch.setattr(tasks.school_onboard_task, "delay", lambda **kwargs: queued.append(kwargs))
    with override_settings(EMAIL_ENABLED=True, EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        # when the operator asks for the school to be prepared in the background
        with django_capture_on_commit_callbacks(execute=True):
            response = client_for(oscar).post("/platform/schools/", {
                **SCHOOL_FORM, "bureau": bureau_north.pk, "principal_email": "qian@example.cn", "in_background": "on"})
        # then nothing is made yet, one task is queued; the worker then makes it and e-mails the link
        assert response.status_code == 302
        assert not School.objects.filter(slug="xinjian").exists()
        assert len(queued) == 1
        with django_capture_on_commit_callbacks(execute=True):
            school_id = tasks.school_onboard_task.apply(kwargs=queued[0]).get()
    school = School.objects.get(pk=school_id)
    assert school.slug == "xinjian"
    assert [m.to for m in mail.outbox] == [["qian@example.cn"]]
    assert "http://xinjian.localhost:8000/people/invite/" in mail.outbox[0].body
    # running the task again changes nothing
    assert tasks.school_onboard_task.apply(kwargs=queued[0]).get() == school_id


@pytest.fixture
def fresh_rate_limits():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def test_forgot_password_tells_the_admins_without_revealing_who_exists(school_a, alice, bob, client_for,
                                                                       fresh_rate_limits):
    from tenants.models import Notification

    bob.phone = "13911114444"
    bob.save()
    login_page = client_for(None, school_a).get("/accounts/login/").content.decode()
    assert 'href="/people/password-help/"' in login_page

    known = client_for(None, school_a).post("/people/password-help/", {"phone": "13911114444"})
    unknown = client_for(None, school_a).post("/people/password-help/", {"phone": "13900009999"})

    assert known.status_code == unknown.status_code == 200
    assert "如果该号码属于这里的人员" in known.content.decode()
    assert "如果该号码属于这里的人员" in unknown.content.decode()
    # the reset link goes to bob's own phone only; with no SMS provider configured the admins are told too
    assert list(Notification.objects.filter(kind="people.invited").values_list("recipient__username", "title")) == [
        ("alice", "Bob 忘记了密码，请为其发送新链接")]
    assert list(Invitation.objects.filter(user=bob).values_list("purpose", flat=True)) == ["reset"]
    assert list(SmsMessage.objects.values_list("phone", flat=True)) == ["13911114444"]


def test_forgot_password_emails_a_link_when_email_is_set_up(school_a, bob, client_for, fresh_rate_limits,
                                                            django_capture_on_commit_callbacks):
    from django.core import mail
    from django.test import override_settings

    bob.phone, bob.email = "13911114444", "bob@example.cn"
    bob.save()
    with override_settings(EMAIL_ENABLED=True, EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"), \
            django_capture_on_commit_callbacks(execute=True):
        for _ in range(2):
            client_for(None, school_a).post("/people/password-help/", {"phone": "13911114444"})
    assert [m.to for m in mail.outbox] == [["bob@example.cn"]]
    assert Invitation.objects.get(user=bob).purpose == "reset"


def test_forgot_password_is_rate_limited(school_a, alice, bob, client_for, fresh_rate_limits):
    from tenants.models import Notification

    bob.phone = "13911114444"
    bob.save()
    for _ in range(5):
        client_for(None, school_a).post("/people/password-help/", {"phone": "13900009999"})
    client_for(None, school_a).post("/people/password-help/", {"phone": "13911114444"})
    assert not Notification.objects.filter(kind="people.invited").exists()
