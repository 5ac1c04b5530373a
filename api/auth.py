"""Bearer-token authentication of partners: `Authorization: Bearer hq_<prefix>_<secret>`.

Every request reads the token row again (one indexed query): a revoked or expired token, or a
changed grant, takes effect on the very next request — nothing is cached across requests.
"""

from __future__ import annotations

import hmac
import re
from datetime import timedelta

from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from tenants.models import School

from .models import ApiToken, PartnerClient
from .services import token_hash

TOKEN_RE = re.compile(r"^hq_([0-9a-f]{8})_[A-Za-z0-9_\-]{20,100}$")
# last_used_at is written at most this often per token (it is informative, not a security control).
LAST_USED_RESOLUTION = timedelta(seconds=60)


class InvalidToken(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class PartnerPrincipal:
    """The partner behind a request: what api.permissions asks (may_access_school, has_scope)."""

    is_authenticated = True

    def __init__(self, token: ApiToken):
        self.token = token
        self.client: PartnerClient = token.client
        self.scopes = frozenset(self.client.scopes)
        self._school_ids = frozenset(self.client.schools.values_list("pk", flat=True))

    def __repr__(self) -> str:
        return f"<PartnerPrincipal {self.client.name} token={self.token.prefix}>"

    @property
    def id(self) -> int:
        return self.client.pk

    def may_access_school(self, school: School | None) -> bool:
        if school is None or school.is_public:
            return False
        if self.client.grant_bureau_id is not None and school.bureau_id == self.client.grant_bureau_id:
            return True
        return school.pk in self._school_ids

    def has_scope(self, scope: str | None) -> bool:
        return scope is not None and scope in self.scopes

    def schools(self):
        """Every school of the grant (for the base domain's reporting and the partner's own view)."""
        from django.db.models import Q

        query = Q(pk__in=self._school_ids)
        if self.client.grant_bureau_id is not None:
            query |= Q(bureau_id=self.client.grant_bureau_id)
        return School.objects.filter(query).exclude(schema_name="public").order_by("slug")


def bearer_token(request) -> str | None:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    return header[len("Bearer "):].strip()


def authenticate_token(raw: str) -> PartnerPrincipal:
    """The principal of a presented token, or InvalidToken with the reason (malformed/unknown/revoked/expired)."""
    match = TOKEN_RE.match(raw or "")
    if match is None:
        raise InvalidToken("malformed")
    token = ApiToken.objects.select_related("client").filter(prefix=match.group(1)).first()
    # Compare in constant time even when the prefix is unknown.
    expected = token.token_hash if token is not None else "0" * 64
    if not hmac.compare_digest(expected, token_hash(raw)) or token is None:
        raise InvalidToken("unknown")
    if token.revoked_at is not None:
        raise InvalidToken("revoked")
    if token.is_expired:
        raise InvalidToken("expired")
    if not token.client.is_active:
        raise InvalidToken("client disabled")
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return PartnerPrincipal(token)


def authenticate_request(request) -> PartnerPrincipal | None:
    """Set request.partner (and an anonymous request.user) when a bearer token is sent.

    Raises InvalidToken when a token is sent but not valid; returns None when none is sent.
    """
    raw = bearer_token(request)
    request.partner = None
    if raw is None:
        return None
    principal = authenticate_token(raw)
    request.partner = principal
    # A partner never acts as the person whose session cookie might ride along.
    request.user = AnonymousUser()
    return principal
