"""Web security: CSRF, CSP, session rotation, argon2, deploy checks, no stack traces."""

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.test import Client

from tests.conftest import PASSWORD, HostClient

PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "x" * 30 + "production-secret-key-for-the-deploy-check-0123456789",
    "BASE_DOMAIN": "houqin.example.cn",
    "SITE_SCHEME": "https",
    "SECURE_COOKIES": "true",
    "SECURE_SSL_REDIRECT": "true",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
    "SECURE_HSTS_PRELOAD": "true",
    "METRICS_TOKEN": "production-metrics-token",
}


def _run(code: str, extra_env: dict) -> str:
    # A production process: none of the test-only switches (the browser tests set the async one).
    env = {k: v for k, v in os.environ.items() if k not in ("FAST_PASSWORD_HASHER", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    env.update(extra_env)
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          cwd=settings.BASE_DIR, check=False)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return done.stdout + done.stderr


def test_check_deploy_is_clean_with_production_values():
    out = _run("import django,os;os.environ.setdefault('DJANGO_SETTINGS_MODULE','config.settings');django.setup();"
               "from django.core.management import call_command;call_command('check','--deploy')", PRODUCTION_ENV)
    assert "System check identified no issues" in out


def test_production_hashes_passwords_with_argon2():
    out = _run("import django,os;os.environ.setdefault('DJANGO_SETTINGS_MODULE','config.settings');django.setup();"
               "from django.contrib.auth.hashers import make_password;print(make_password('x').split('$')[0])",
               PRODUCTION_ENV)
    assert out.strip().splitlines()[-1] == "argon2"


def test_login_form_requires_csrf_token(db, school_a):
    client = Client(enforce_csrf_checks=True, HTTP_HOST=school_a.host)
    response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 403


def test_graphql_with_session_requires_csrf_token(db, alice, school_a):
    client = Client(enforce_csrf_checks=True, HTTP_HOST=school_a.host)
    client.force_login(alice)
    response = client.post("/graphql/", {"query": "{ viewer { username } }"}, content_type="application/json")
    assert response.status_code == 403


def test_pages_carry_a_content_security_policy(db, school_a):
    response = HostClient(school_a.host).get("/accounts/login/")
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy
    assert response["X-Frame-Options"] == "DENY"


def test_session_key_rotates_on_login(db, school_a):
    client = HostClient(school_a.host)
    client.get("/accounts/login/")
    session = client.session
    session["probe"] = 1
    session.save()
    before = session.session_key
    client.cookies["sessionid"] = before
    client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert client.cookies["sessionid"].value != before


def test_unexpected_page_error_shows_no_stack_trace(db, alice, school_a, monkeypatch):
    import frontend.views

    def broken(request, school):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(frontend.views, "cards_for", broken)
    client = HostClient(school_a.host, raise_request_exception=False)
    client.force_login(alice)
    response = client.get("/")
    body = response.content.decode()
    assert response.status_code == 500
    assert "Traceback" not in body
    assert "secret internals" not in body


def test_unexpected_graphql_error_is_masked(db, alice, school_a, monkeypatch):
    from tenants.graphql import schema as tenant_schema

    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(tenant_schema, "require_school_reader", broken)
    client = HostClient(school_a.host)
    client.force_login(alice)
    result = client.gql("{ school { name } }")
    assert result["errors"][0]["extensions"] == {"code": "INTERNAL_SERVER_ERROR"}
    assert result["errors"][0]["message"] == "Internal server error."
    assert "secret" not in str(result)


@pytest.mark.parametrize("path", ["/accounts/login/", "/graphql/"])
def test_error_responses_never_include_debug_pages(db, path):
    response = HostClient("nosuch.localhost").get(path)
    assert response.status_code == 404
    assert "Traceback" not in response.content.decode()
