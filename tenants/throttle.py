"""Sign-in throttling that counts the person, not the door.

django-axes keeps the failed sign-ins (its database handler, public schema, so every host shares
them) and refuses a locked sign-in before any password is checked. This module tells it:

- whose account a typed login names (`account_key`): the username, phone and e-mail of one account
  share one count, on every school host, the bureau host and /admin/;
- that a client address has a count of its own with a higher limit (`SignInHandler`), so one
  address cannot spray guesses over many accounts;
- how to answer a locked sign-in (`lockout_response`): the sign-in page with the Chinese message;

and it lets one sign-in per account and per address be checked at a time
(`SerializedSignInMixin`): otherwise 30 parallel guesses all pass the check before the first
failure is recorded. The client address is core.net.client_ip (AXES_CLIENT_IP_CALLABLE).
"""

from __future__ import annotations

import hashlib
import math
from contextlib import contextmanager

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_ip_address, get_cool_off, get_failure_limit
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Sum
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from .backends import account_for_login
from .models import User


def login_account_key(login: str) -> str:
    """One key per account, whichever alias was typed; an unknown login is counted as typed."""
    login = (login or "").strip()
    user = account_for_login(login)
    if user is None and "@" in login:
        matches = list(User.objects.filter(email__iexact=login).order_by("id")[:2])
        user = matches[0] if len(matches) == 1 else None
    return user.username if user is not None else login.lower()[:255]


def account_key(request, credentials: dict | None = None) -> str:
    """AXES_USERNAME_CALLABLE: the account of this attempt (memoised on the request: axes asks often)."""
    login = (credentials or {}).get("username")
    if login is None and request is not None:
        login = request.POST.get("username", "")
    login = login or ""
    memo = request.__dict__.setdefault("_houqin_account_keys", {}) if request is not None else {}
    if login not in memo:
        memo[login] = login_account_key(login)
    return memo[login]


class SignInHandler(AxesDatabaseHandler):
    """Axes' database handler with two limits: AXES_FAILURE_LIMIT per account, LOGIN_IP_FAILURE_LIMIT
    per address (AXES_LOCKOUT_PARAMETERS is ["username", "ip_address"], in that order)."""

    def get_failures(self, request, credentials: dict | None = None) -> int:
        account, address = (
            attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        )
        # Axes compares one number with AXES_FAILURE_LIMIT: an address over its own limit counts as
        # an account at its limit.
        if address >= settings.LOGIN_IP_FAILURE_LIMIT:
            return max(account, get_failure_limit(request, credentials))
        return account

    def reset_user_attempts(self, request, credentials: dict | None = None) -> int:
        # A successful sign-in forgets this account's failures from this address only: not the
        # address's failures on other accounts (signing in to one's own account would give fresh
        # guesses at everyone else's), nor the failures on this account from elsewhere.
        attempts = self.filter_user_attempts(request, credentials)[0]
        count, _ = attempts.filter(ip_address=request.axes_ip_address).delete()
        return count


def _lock_id(kind: str, value: str) -> int:
    digest = hashlib.sha256(f"houqin-sign-in:{kind}:{value}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@contextmanager
def one_sign_in_at_a_time(request, login: str):
    """Hold PostgreSQL advisory locks on the account and the client address for one sign-in check.

    Taken in a fixed order (sorted), so two sign-ins never wait for each other in a cycle; released
    when the transaction ends, right after the failure (if any) has been recorded.
    """
    lock_ids = sorted({_lock_id("account", login_account_key(login)),
                       _lock_id("address", get_client_ip_address(request) or "")})
    with transaction.atomic():
        with connection.cursor() as cursor:
            for lock_id in lock_ids:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock_id])
        yield


class SerializedSignInMixin:
    """For an AuthenticationForm: check-password-and-record-failure is one step per account and address."""

    def clean(self):
        refused = None
        with one_sign_in_at_a_time(self.request, self.cleaned_data.get("username") or ""):
            try:
                return super().clean()
            except ValidationError as exc:  # leave the transaction normally: the failure stays recorded
                refused = exc
        raise refused


class AdminSignInForm(SerializedSignInMixin, AdminAuthenticationForm):
    """/admin/login/: counted and serialized like the sign-in page."""


def lockout_minutes(request=None) -> int:
    return max(1, math.ceil(get_cool_off(request).total_seconds() / 60))


def lockout_response(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: the sign-in page again, saying why and for how long (HTTP 429)."""
    from .forms import LoginForm

    form = LoginForm(request, initial={"username": request.POST.get("username", "")})
    form.cleaned_data = {}  # an unbound form has none; add_error expects it
    form.add_error(None, _("Too many failed attempts. Try again in %(minutes)s minutes.")
                   % {"minutes": lockout_minutes(request)})
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        next_url = ""
    return render(request, "registration/login.html", {"form": form, "next": next_url},
                  status=settings.AXES_HTTP_RESPONSE_CODE)
