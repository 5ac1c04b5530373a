"""SMS providers behind one small interface (the notification centre's SMS channel, tenants.notifications).

`SMS_BACKEND` (settings, from the environment) names a class; the notification centre makes one and calls

    backend.send(phone: str, text: str) -> str        # the provider's message id; raise SmsError when refused

`delivers` says whether a message really leaves the server. The default, LocalSmsBackend, sends nothing:
every message stays as an SmsMessage row ("kept here"), which the platform operator reads in the admin
(短信). Development, tests and deployments without a provider use it and keep working: an administrator
passes on a new account's set-password link with the "link" action instead.

A real provider is a class like this one (阿里云短信 SendSms, 腾讯云短信 SendSms; none ships here):

    class AliyunSmsBackend:
        delivers = True

        def __init__(self):
            # keys, the signature (签名) and the template code (模板) from settings / the environment
            ...

        def send(self, phone: str, text: str) -> str:
            # The provider's API over core.outbound (https, no inside address, timeouts). The template has
            # one variable holding `text`. Return the provider's id (BizId, SerialNo); raise SmsError with
            # the provider's code and message when it refuses, so the send is retried and logged.
            ...

Texts are in Chinese and carry the signature the provider checks (【后勤云】). Sends are queued after commit
and retried (tenants.tasks.notification_sms_send_task); a link in a message that has left the server is
masked in its stored copy.
"""

from __future__ import annotations

import secrets
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

DEFAULT_SMS_BACKEND = "tenants.sms.LocalSmsBackend"


class SmsError(Exception):
    """The provider did not accept the message (it may on a retry)."""


class SmsBackend(Protocol):
    delivers: bool

    def send(self, phone: str, text: str) -> str: ...


class LocalSmsBackend:
    """Development, tests, and deployments without a provider: nothing is sent; the message is kept."""

    delivers = False

    def send(self, phone: str, text: str) -> str:
        return f"local-{secrets.token_hex(6)}"


def sms_backend_path() -> str:
    return getattr(settings, "SMS_BACKEND", "") or DEFAULT_SMS_BACKEND


def sms_backend() -> SmsBackend:
    return import_string(sms_backend_path())()


def sms_delivers() -> bool:
    """Whether a text message really reaches a phone (a provider is configured)."""
    return bool(getattr(import_string(sms_backend_path()), "delivers", True))
