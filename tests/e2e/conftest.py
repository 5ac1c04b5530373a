"""Browser tests: Debian's chromium driven by Playwright, against a live server on 127.0.0.1."""

from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make around it are
# plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def live_url(django_db_setup, django_db_blocker):
    """A live server sharing the session's committed data (no per-test flush, which would drop it)."""
    from tests.conftest import live_server_port

    with django_db_blocker.unblock(), live_server_port() as port:
        yield lambda host, path="/": f"http://{host}:{port}{path}"


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip("chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    # The browser says English: Houqin must still answer in Chinese until the person switches.
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    yield page
    context.close()
