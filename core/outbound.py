"""The outbound-request guard: every request the server makes to an address someone typed goes through here.

Group robots (repairs, notifications), partner webhooks and their ping are addresses a school or a partner
chose, so without a guard they let anyone make the server POST into its own network (a database port, the
cloud metadata service at 169.254.169.254, an admin page on 127.0.0.1). `post` therefore

- takes https only, unless `OUTBOUND_ALLOW_HTTP` (true by default only when DEBUG);
- resolves the host once, refuses it when *any* address is loopback, private, link-local, multicast,
  reserved, unspecified or not globally routable (IPv4-mapped, 6to4, NAT64 and Teredo forms included), and
  then connects to the address it checked, sending the original Host header and TLS server name: a second
  lookup that answers 127.0.0.1 (DNS rebinding) is never made;
- follows no redirect (a 3xx is a failure), bounds the connect and the whole exchange in time, and reads at
  most `max_bytes` of the answer.

`url_validate` is the same rule at save time, without DNS: a form refuses http and an IP literal (or
`localhost`) in a forbidden range with a clear message. The delivery-time check is what holds, since a
hostname can resolve anywhere later.

`OUTBOUND_ALLOWED_HOSTS` lists hosts exempt from the address check (tests deliver to a receiver on
127.0.0.1); production leaves it empty.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import re
import socket
import ssl
import threading
import time
import urllib.parse
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

CONNECT_TIMEOUT_SECONDS = 5.0
TIMEOUT_SECONDS = 10.0
MAX_RESPONSE_BYTES = 64 * 1024
_CHUNK = 8192

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class OutboundError(Exception):
    """The request was not made or not completed; a later attempt may succeed."""

    def __init__(self, message: str, *, status: int | None = None):
        super().__init__(message)
        self.status = status


class OutboundRefused(OutboundError):
    """The guard refused the destination or its answer (not https, an inside address, a redirect)."""


@dataclass(frozen=True)
class OutboundResponse:
    status: int
    body: bytes
    truncated: bool  # the answer was longer than max_bytes; body holds the first max_bytes
    address: str  # the IP address the request was sent to

    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def http_allowed() -> bool:
    """Plain http only in development (DEBUG) or when a test or an operator sets OUTBOUND_ALLOW_HTTP."""
    value = getattr(settings, "OUTBOUND_ALLOW_HTTP", None)
    return bool(settings.DEBUG if value is None else value)


def allowed_hosts() -> frozenset[str]:
    return frozenset(h.lower().strip("[]") for h in getattr(settings, "OUTBOUND_ALLOWED_HOSTS", ()) or ())


def address_forbidden(ip: IPAddress) -> bool:
    """True for every address the server must not send to: anything not on the public internet."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            return address_forbidden(embedded)
        if ip.teredo is not None:
            return True
    return (
        ip.is_loopback or ip.is_private or ip.is_link_local or ip.is_multicast or ip.is_reserved
        or ip.is_unspecified or not ip.is_global
    )


def _literal_ip(host: str) -> IPAddress | None:
    """The address an IP-literal host names, including the forms inet_aton takes (127.1, 0x7f.0.0.1, 2130706433)."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if re.fullmatch(r"[0-9a-fx.]+", host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


@dataclass(frozen=True)
class _Target:
    scheme: str
    host: str
    port: int
    path: str


def _parse(url: str) -> _Target:
    """The parts of an outbound URL, or OutboundRefused with the reason a person can act on."""
    try:
        parts = urllib.parse.urlsplit((url or "").strip())
        port = parts.port
    except ValueError:
        raise OutboundRefused(_("This is not a valid web address."))
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise OutboundRefused(_("Use a web address that starts with https://."))
    if parts.scheme == "http" and not http_allowed():
        raise OutboundRefused(_("The address must start with https://."))
    if parts.username is not None or parts.password is not None:
        raise OutboundRefused(_("The address must not contain a user name or password."))
    host = parts.hostname.lower().rstrip(".")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return _Target(parts.scheme, host, port or (443 if parts.scheme == "https" else 80), path)


def _inside(host: str) -> bool:
    """Without DNS: is this host an address inside the server's network (an IP literal, or localhost)?"""
    if host in allowed_hosts():
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    ip = _literal_ip(host)
    return ip is not None and address_forbidden(ip)


def _inside_message() -> str:
    return _("This address points inside the server's own network; use the service's public https address.")


def url_validate(url: str, *, field: str | None = None) -> str:
    """Save-time check of an outbound URL: https (outside development) and not an inside address.

    Returns the stripped URL or raises ValidationError (keyed by `field` when given) with a Chinese message.
    """
    try:
        target = _parse(url)
        if _inside(target.host):
            raise OutboundRefused(_inside_message())
    except OutboundRefused as exc:
        raise ValidationError({field: str(exc)} if field else str(exc))
    return url.strip()


def resolve(host: str, port: int) -> list[str]:
    """Every address the host resolves to, checked: OutboundRefused when any of them is forbidden."""
    literal = _literal_ip(host)
    if literal is not None:
        addresses = [str(literal)]
    else:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            raise OutboundError(_("The address %(host)s could not be resolved: %(error)s") % {"host": host, "error": exc})
        addresses = list(dict.fromkeys(info[4][0] for info in infos))
        if not addresses:
            raise OutboundError(_("The address %(host)s could not be resolved: %(error)s") % {"host": host, "error": "-"})
    if host in allowed_hosts():
        return addresses
    for address in addresses:
        try:
            ip = ipaddress.ip_address(address.split("%")[0])
        except ValueError:
            raise OutboundRefused(_inside_message())
        if address_forbidden(ip):
            raise OutboundRefused(_inside_message())
    return addresses


def _connect(address: str, port: int, timeout: float) -> socket.socket:
    sock = socket.create_connection((address, port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """http.client to a checked address: the Host header names the original host, the socket goes to `address`."""

    def __init__(self, host: str, port: int, *, address: str, connect_timeout: float, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._address = address
        self._connect_timeout = connect_timeout

    def connect(self) -> None:
        self.sock = _connect(self._address, self.port, self._connect_timeout)
        self.sock.settimeout(self.timeout)


class _PinnedHTTPSConnection(_PinnedHTTPConnection):
    """The same over TLS: the certificate is checked against the original host name (SNI too)."""

    default_port = 443

    def connect(self) -> None:
        super().connect()
        context = ssl.create_default_context()
        self.sock = context.wrap_socket(self.sock, server_hostname=self.host)


def _read(response: http.client.HTTPResponse, max_bytes: int) -> tuple[bytes, bool]:
    """At most max_bytes of the body, and whether there was more."""
    chunks: list[bytes] = []
    size = 0
    while size <= max_bytes:
        chunk = response.read(min(_CHUNK, max_bytes + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    body = b"".join(chunks)
    return body[:max_bytes], len(body) > max_bytes


def post(
    url: str,
    *,
    body: bytes,
    headers: dict[str, str] | None = None,
    connect_timeout: float = CONNECT_TIMEOUT_SECONDS,
    timeout: float = TIMEOUT_SECONDS,
    max_bytes: int = MAX_RESPONSE_BYTES,
) -> OutboundResponse:
    """POST `body` to `url` through the guard; any status but 3xx is returned, the caller judges it.

    Raises OutboundRefused before any connection when the URL or its resolved address is forbidden, or when
    the answer is a redirect; OutboundError when the network fails. `timeout` bounds the whole exchange after
    the connection (a server that trickles its answer is cut off).
    """
    target = _parse(url)
    if _inside(target.host):
        raise OutboundRefused(_inside_message())
    addresses = resolve(target.host, target.port)
    factory = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    last_error: Exception | None = None
    for address in addresses:
        conn = factory(target.host, target.port, address=address, connect_timeout=connect_timeout, timeout=timeout)
        try:
            conn.connect()
        except (OSError, ssl.SSLError) as exc:
            conn.close()
            last_error = exc
            continue
        try:
            return _exchange(conn, target, address, body, headers or {}, timeout, max_bytes)
        finally:
            conn.close()
    raise OutboundError(_("Could not connect to %(host)s: %(error)s") % {"host": target.host, "error": last_error})


def _exchange(conn: _PinnedHTTPConnection, target: _Target, address: str, body: bytes, headers: dict[str, str],
              timeout: float, max_bytes: int) -> OutboundResponse:
    # The deadline for the whole exchange: a per-read timeout alone lets a server trickle a byte at a time.
    sock = conn.sock
    expired = threading.Event()

    def cut() -> None:
        expired.set()
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)

    timer = threading.Timer(timeout, cut)
    timer.daemon = True
    started = time.monotonic()
    timer.start()
    try:
        conn.request("POST", target.path, body=body, headers=headers)
        response = conn.getresponse()
        if 300 <= response.status < 400:
            raise OutboundRefused(
                _("The address answered with a redirect (HTTP %(status)s), which is not followed.")
                % {"status": response.status}, status=response.status,
            )
        content, truncated = _read(response, max_bytes)
    except (OSError, http.client.HTTPException) as exc:
        if not expired.is_set():
            raise OutboundError(_("Could not connect to %(host)s: %(error)s") % {"host": target.host, "error": exc})
    finally:
        timer.cancel()
    if expired.is_set():  # cut off: what was read may look complete (a shut-down socket reads as the end)
        raise OutboundError(_("%(host)s did not answer within %(seconds)s seconds.")
                            % {"host": target.host, "seconds": round(time.monotonic() - started)})
    return OutboundResponse(status=response.status, body=content, truncated=truncated, address=address)
