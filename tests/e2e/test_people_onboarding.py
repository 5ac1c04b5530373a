"""A new principal opens the invitation link, sets a password and lands on the first-run checklist."""

from __future__ import annotations

import pytest


@pytest.fixture
def principal_invitation(django_db_setup, django_db_blocker):
    """A committed invitation for a new principal of school alpha (the live server sees it); removed after."""
    from django.db import connection

    from tenants.models import Membership, School, User
    from tenants.people import invitation_create
    from tenants.roles import Role

    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        school = School.objects.get(slug="alpha")
        # The account may be left from an earlier run (users are never deleted: rows elsewhere point to them).
        person, _ = User.objects.get_or_create(username="13300000077", defaults={"name": "冯校长", "phone": "13300000077"})
        person.set_unusable_password()
        person.save()
        Membership.objects.filter(user=person).delete()
        Membership.objects.create(user=person, school=school, role=Role.PRINCIPAL, post="校长")
        issued = invitation_create(user=person, created_by=None, school=school, send_email=False)
        token = issued.url.rstrip("/").rsplit("/", 1)[-1]
    yield token
    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        from django.contrib.sessions.models import Session

        from tenants.models import Invitation, UserSession

        keys = list(UserSession.objects.filter(user=person).values_list("session_key", flat=True))
        Session.objects.filter(session_key__in=keys).delete()
        UserSession.objects.filter(user=person).delete()
        Invitation.objects.filter(user=person).delete()
        Membership.objects.filter(user=person).delete()


def test_principal_accepts_invitation_and_sees_checklist(live_url, page, principal_invitation):
    # given the link the platform operator passed on
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
