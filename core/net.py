"""The client's real address, for every per-address limit (sign-in lockout, public reports, …).

Behind nginx every request comes from nginx's address: REMOTE_ADDR alone would make all clients one
client. The address a trusted proxy appends to X-Forwarded-For is the real one; anything to its left
was written by the client and proves nothing. So:

- TRUSTED_PROXY_COUNT = 0 (the default): no proxy is trusted, X-Forwarded-For is ignored and the
  address is REMOTE_ADDR — a client talking to the application directly cannot forge another address.
- TRUSTED_PROXY_COUNT = N: N reverse proxies, each appending the address it saw, stand in front of
  the application (nginx alone: 1); the client is the N-th entry from the right of X-Forwarded-For.
- TRUSTED_PROXIES (addresses or networks): if set, X-Forwarded-For is read only when the request
  comes from one of them, so a client that reaches the application past the proxy is not believed.

The chain is parsed by django-ipware (python-ipware): IPv6, ports and malformed entries included.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest
from ipware import get_client_ip


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(p.strip(), strict=False) for p in proxies if p.strip())


def _from_trusted_proxy(remote: str) -> bool:
    proxies = tuple(getattr(settings, "TRUSTED_PROXIES", ()) or ())
    if not proxies:
        return True
    try:
        address = ipaddress.ip_address(remote)
    except ValueError:
        return False
    return any(address in network for network in _networks(proxies))


def client_ip(request: HttpRequest) -> str:
    """The address of the client that sent `request`, as far as the configured proxies vouch for it."""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    count = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0) or 0)
    if count <= 0 or not _from_trusted_proxy(remote):
        return remote
    # ipware counts the proxies listed in the header after the client; the last proxy (the one talking
    # to us) is REMOTE_ADDR and not listed, hence count - 1. Not strict: a client may prepend entries.
    ip, _routable = get_client_ip(
        request, proxy_order="left-most", proxy_count=count - 1,
        request_header_order=("HTTP_X_FORWARDED_FOR",), strict=False,
    )
    return ip or remote
