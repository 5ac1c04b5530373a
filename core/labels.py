"""Label tokens: what a printed QR label names — one room or one asset of one school — and nothing else.

A token is the thing it names ("r12": room 12, "a7": asset 7) signed with the site's key under a salt
that carries the school's schema, so it cannot be guessed from a room or asset number, and a label of
school A means nothing on school B's host. It needs no row of its own: every label of a room prints the
same token, and a label is reprinted at will. Rotating SECRET_KEY keeps old labels valid while the
old key stays in SECRET_KEY_FALLBACKS; bumping LABEL_VERSION retires every printed label at once.
"""

from __future__ import annotations

from typing import Literal

from django.core import signing

LABEL_VERSION = "v1"
ROOM = "r"
ASSET = "a"
Kind = Literal["r", "a"]


def _signer(schema_name: str) -> signing.Signer:
    return signing.Signer(salt=f"houqin.label.{LABEL_VERSION}:{schema_name}")


def label_token(*, schema_name: str, kind: Kind, pk: int) -> str:
    """The token a label of this room or asset carries in its QR code."""
    if kind not in (ROOM, ASSET):
        raise ValueError(kind)
    return _signer(schema_name).sign(f"{kind}{int(pk)}")


def label_read(*, schema_name: str, token: str) -> tuple[Kind, int] | None:
    """(kind, pk) a token of this school names, or None for anything else (forged, another school's, old)."""
    if not token or len(token) > 100:
        return None
    try:
        value = _signer(schema_name).unsign(token)
    except signing.BadSignature:
        return None
    kind, digits = value[:1], value[1:]
    if kind not in (ROOM, ASSET) or not digits.isdigit():
        return None
    return kind, int(digits)  # type: ignore[return-value]
