"""The bureau console in a browser: the district's schools, charts drawn by ECharts under the CSP."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from tests.conftest import PASSWORD
from tests.reporting import fake_metrics


@pytest.fixture
def committed_figures(django_db_setup, django_db_blocker, monkeypatch):
    """Terms and metrics the live server can see (committed), removed afterwards."""
    from reporting.models import SchoolMetrics, Term
    from reporting.services import school_metrics_refresh
    from schools.models import Department
    from tenants import metrics as protocol
    from tenants.models import Bureau, School

    monkeypatch.setattr(protocol, "_module", lambda app: fake_metrics if app == "schools" else None)
    with django_db_blocker.unblock():
        today = timezone.localdate()
        for bureau in Bureau.objects.filter(code__in=["north", "south"]):
            Term.objects.create(bureau=bureau, name="E2E 学期", start=today - dt.timedelta(days=30),
                                end=today + dt.timedelta(days=30))
        schools = list(School.objects.filter(slug__in=["alpha", "beta", "gamma"]))
        alpha = next(s for s in schools if s.slug == "alpha")
        connection.set_tenant(alpha)
        for i in range(7):
            Department.objects.create(name=f"隐患e2e{i}", is_active=i >= 5)
        connection.set_schema_to_public()
        for school in schools:
            school_metrics_refresh(school=school)
        try:
            yield
        finally:
            connection.set_tenant(alpha)
            Department.objects.filter(name__startswith="隐患e2e").delete()
            connection.set_schema_to_public()
            SchoolMetrics.objects.all().delete()
            Term.objects.filter(name="E2E 学期").delete()


def _sign_in(page, live_url, username):
    page.goto(live_url("localhost", "/accounts/login/?next=/bureau/"))
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


def test_bureau_console_table_and_charts(live_url, page, committed_figures):
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    _sign_in(page, live_url, "dave")
    page.wait_for_selector("[data-testid=comparison-table]")
    table = page.inner_text("[data-testid=comparison-table]")
    assert "阿尔法小学" in table
    assert "贝塔小学" in table
    assert "伽马中学" not in table
    assert "全区" in table
    page.wait_for_selector("[data-testid=chart-bars][data-rendered='1']")
    page.wait_for_selector("[data-testid=chart-trend][data-rendered='1']")
    assert page.locator("[data-testid=chart-bars] canvas").count() == 1
    # no script error and no CSP refusal (a missing favicon is not ours)
    assert [e for e in errors if "favicon" not in e and "404" not in e] == []


def test_work_summary_page_shows_the_generated_text(live_url, page, committed_figures):
    from tenants.models import School

    alpha = School.objects.get(slug="alpha")
    _sign_in(page, live_url, "dave")
    page.wait_for_selector("[data-testid=comparison-table]")
    page.goto(live_url("localhost", f"/bureau/summary/?school={alpha.pk}"))
    body = page.input_value("textarea[name=body]")
    assert "共排查出大小安全隐患7处，整改5处，整改率为71%。" in body
    assert "四、校园安全" in body


def test_school_user_cannot_open_the_console(live_url, page, committed_figures):
    _sign_in(page, live_url, "alice")
    page.goto(live_url("localhost", "/bureau/"))
    assert "阿尔法小学" not in page.inner_text("body") or "403" in page.content()
    assert page.locator("[data-testid=comparison-table]").count() == 0


def test_the_console_redraws_itself_when_a_school_writes(live_url, page, committed_figures, django_db_blocker):
    from reporting.services import school_metrics_refresh
    from schools.models import Department
    from tenants.models import School

    _sign_in(page, live_url, "dave")
    page.wait_for_selector("[data-testid=comparison-table]")
    assert page.get_attribute("[data-live-region]", "data-live-swaps") is None
    # when alpha rectifies another hazard and its figures are refreshed
    with django_db_blocker.unblock():
        alpha = School.objects.get(slug="alpha")
        connection.set_tenant(alpha)
        Department.objects.create(name="隐患e2e-live", is_active=False)
        connection.set_schema_to_public()
        school_metrics_refresh(school=alpha)
    # then, without a reload, the table shows it within a few seconds (8 found now), charts drawn again
    page.wait_for_selector("[data-live-region][data-live-swaps='1']", timeout=10_000)
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1
    page.wait_for_selector("[data-testid=chart-bars][data-rendered='1']")
    assert "数据截至" in page.inner_text("[data-testid=live-note]")
