"""A logistics director records a building graded C and sees it flagged on the school home."""

from __future__ import annotations

import pytest
from django.db import connection

from tests.conftest import PASSWORD

BUILDING = "E2E实验楼"


@pytest.fixture
def director(django_db_blocker, live_url):
    """A logistics director of alpha, committed for the live server and removed afterwards."""
    from tenants.models import Membership, School, User
    from tenants.roles import Role
    from tenants.services import membership_grant

    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        school = School.objects.get(slug="alpha")
        # Users are not deleted (their rows are referenced from school schemas); the membership is.
        user = User.objects.filter(username="e2e-lily").first() or User.objects.create_user(
            username="e2e-lily", password=PASSWORD, name="王总务"
        )
        Membership.objects.filter(user=user).delete()
        membership_grant(user=user, role=Role.LOGISTICS_DIRECTOR, school=school)
    yield user
    with django_db_blocker.unblock():
        from schools.models import Building, BuildingAppraisal

        connection.set_tenant(school)
        BuildingAppraisal.objects.filter(building__name=BUILDING).delete()
        Building.objects.filter(name=BUILDING).delete()
        connection.set_schema_to_public()
        Membership.objects.filter(user=user).delete()


def test_logistics_director_creates_a_c_grade_building_and_sees_it_flagged(live_url, page, director):
    # given the logistics director signed in on her school's host
    page.goto(live_url("alpha.localhost", "/accounts/login/"))
    page.fill("input[name=username]", "e2e-lily")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(live_url("alpha.localhost", "/"))

    # when she creates a building …
    page.goto(live_url("alpha.localhost", "/school/buildings/new/"))
    page.fill("input[name=name]", BUILDING)
    page.fill("input[name=floors]", "3")
    page.fill("input[name=floor_area]", "1860")
    page.click("main button[type=submit]")
    page.wait_for_selector("text=登记鉴定")

    # … and records its appraisal: grade C, demolition advised
    page.click("text=登记鉴定")
    page.select_option("select[name=grade]", "C")
    page.fill("input[name=appraised_on]", "2025-10-20")
    page.select_option("select[name=handling]", "demolish")
    page.click("main button[type=submit]")

    # then the building page warns that no reinforcement project covers it
    page.wait_for_selector("[data-testid=flag]")
    assert "没有在建的加固改造项目" in page.inner_text("[data-testid=flag]")
    assert "整体拆除" in page.inner_text("body")

    # and the school home flags it too
    page.goto(live_url("alpha.localhost", "/"))
    assert BUILDING in page.inner_text("[data-testid=weak-building-flag]")
