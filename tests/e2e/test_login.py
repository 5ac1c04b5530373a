from tests.conftest import PASSWORD


def test_school_member_logs_in_and_sees_home(live_url, page):
    # given alice, principal of alpha, opens her school's host
    page.goto(live_url("alpha.localhost"))

    # when she signs in with her username and password
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")

    # then she lands on the school's home, in Chinese, with her role shown
    page.wait_for_url(live_url("alpha.localhost", "/"))
    body = page.inner_text("body")
    assert "阿尔法小学" in body
    assert "校长" in body
    assert "退出" in body


def test_bureau_leader_sees_district_schools(live_url, page):
    page.goto(live_url("localhost"))
    page.fill("input[name=username]", "dave")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=school-table]")
    table = page.inner_text("[data-testid=school-table]")
    assert "阿尔法小学" in table
    assert "贝塔小学" in table
    assert "伽马中学" not in table


def test_language_switch_to_english(live_url, page):
    page.goto(live_url("alpha.localhost", "/accounts/login/"))
    with page.expect_navigation():
        page.select_option("select[name=language]", "en")
    assert "Sign in" in page.inner_text("body")
