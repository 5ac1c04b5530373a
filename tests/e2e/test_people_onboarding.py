"""A new principal opens the invitation texted to them, sets a password (which accepts it) and lands on the
first-run checklist as the school's principal."""

from __future__ import annotations

import pytest


@pytest.fixture
def principal_invitation(django_db_setup, django_db_blocker):
    """A committed invitation for a new principal of school alpha, as the platform sends it: the account waits
    with no membership, and the link goes to the principal's phone (the live server sees it); removed after."""
    import re
    import secrets

    from django.db import connection
    from django.utils import timezone

    from tenants.models import Invitation, Membership, School, SmsMessage, User
    from tenants.people import person_invite
    from tenants.roles import Role

    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        school = School.objects.get(slug="alpha")
        # A number no earlier run used: users are never deleted, and an account left by a run that set its
        # password is an existing account now (it would get an invitation to join, not a new account's link).
        phone = f"133{secrets.randbelow(10**8):08d}"
        while User.objects.filter(username=phone).exists():
            phone = f"133{secrets.randbelow(10**8):08d}"
        person_invite(name="冯校长", phone=phone, roles=[Role.PRINCIPAL], by=None, school=school, post="校长")
        text = SmsMessage.objects.filter(phone=phone).order_by("-created_at", "-id").first().text
        token = re.search(r"/people/invite/([\w-]+)/", text).group(1)
        person = User.objects.get(username=phone)
    yield token
    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        from django.contrib.sessions.models import Session

        from tenants.models import UserSession

        keys = list(UserSession.objects.filter(user=person).values_list("session_key", flat=True))
        Session.objects.filter(session_key__in=keys).delete()
        UserSession.objects.filter(user=person).delete()
        # Kept, used up: the record that alpha made the account (its next run's invitation is alpha's again).
        Invitation.objects.filter(user=person, used_at__isnull=True).update(used_at=timezone.now())
        SmsMessage.objects.filter(phone=phone).delete()
        Membership.objects.filter(user=person).delete()


def test_principal_accepts_invitation_and_sees_checklist(live_url, page, principal_invitation):
    # given the link texted to the new principal's phone
    page.goto(live_url("alpha.localhost", f"/people/invite/{principal_invitation}/"))
    assert "冯校长" in page.inner_text("body")

    # when the principal sets a password
    page.fill("input[name=new_password1]", "Spring-lanterns-2026")
    page.fill("input[name=new_password2]", "Spring-lanterns-2026")
    page.click("button[type=submit]")

    # then they are signed in on the first-run checklist, in Chinese
    page.wait_for_url(live_url("alpha.localhost", "/staff/checklist/"))
    body = page.inner_text("body")
    assert "开始使用" in body
    assert "导入教职工名单" in body or "教职工（导入名单）" in body
    assert "冯校长" in body
    steps = page.locator("[data-testid=checklist] li")
    assert steps.count() == 4

    # and the link cannot be used a second time
    page.goto(live_url("alpha.localhost", f"/people/invite/{principal_invitation}/"))
    assert "该链接已被使用，请重新索取。" in page.inner_text("body")
