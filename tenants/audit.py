"""Row history by database triggers (django-pghistory), so even a raw SQL change is recorded."""

from __future__ import annotations

import pghistory
from django.db.models import Model
from django.utils.translation import gettext


def partner_field():
    """The partner's name on a row a partner token wrote: a token has no account, so no row is anonymous."""
    from django.db import models
    from django.utils.translation import gettext_lazy

    return models.CharField(gettext_lazy("recorded by partner"), max_length=100, blank=True)


def partner_name_required(name: str | None) -> str:
    """The partner's name to keep on a row a token writes: a partner write without it is refused."""
    from django.core.exceptions import PermissionDenied

    name = (name or "").strip()[:100]
    if not name:
        raise PermissionDenied(gettext("A partner write must name the partner."))
    return name


def partner_label(name: str) -> str:
    """How a row written by a partner token names who did it, e.g. "物业公司 (partner)"."""
    return gettext("%(name)s (partner)") % {"name": name}


def tracked(**kwargs):
    """Decorate a model so every insert, update and delete is kept in its event table."""
    return pghistory.track(
        pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent(), **kwargs
    )


def history_for(obj: Model, *, limit: int = 200) -> list[dict]:
    """The history of one row, newest first, with who did it and which fields changed.

    Each row keeps pghistory's raw ``label``/``diff``/``data`` and carries the readable form of
    ``tenants.history.history_render``: ``action``, ``when``, ``who`` and ``changes``.
    """
    from pghistory.models import Events

    from .history import history_render
    from .models import User

    events = list(Events.objects.tracks(obj).order_by("-pgh_created_at", "-pgh_id")[:limit])
    user_ids = set()
    for event in events:
        metadata = event.pgh_context or {}
        if metadata.get("user"):
            user_ids.add(metadata["user"])
    users = {u.pk: u for u in User.objects.filter(pk__in=user_ids)}
    rows = []
    for event in events:
        metadata = event.pgh_context or {}
        user = users.get(metadata.get("user"))
        if user is None and metadata.get("partner"):
            # A write by a partner token (api/views.py puts the client's name in the context).
            user = partner_label(metadata["partner"])
        rows.append(
            {
                "at": event.pgh_created_at,
                "label": event.pgh_label,
                "user": user,
                "request_id": metadata.get("request_id", ""),
                "diff": event.pgh_diff or {},
                "data": event.pgh_data,
            }
        )
    return history_render(type(obj), rows)
