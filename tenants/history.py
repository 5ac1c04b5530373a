"""A row's history as a person reads it: the field's label, the choice's label, names, local times.

pghistory keeps each event as raw column values (``status: open → rectified``, ``room_id: — → 12``,
UTC ISO times). ``history_render`` turns the rows of ``tenants.audit.history_for`` into what every
history view shows, in the active language and the active time zone (the school's, settings.TIME_ZONE):
the action as 新建 / 修改 / 作废, who did it, and one line per changed field that means something to a
person. Ids, hashes, tokens and internal columns are left out. One renderer for every app.
"""

from __future__ import annotations

import datetime as dt
import decimal
import os
import re
from collections import defaultdict
from collections.abc import Iterable

from django.db import models
from django.utils import dateformat, timezone
from django.utils.functional import Promise
from django.utils.translation import gettext, pgettext

# Status values that take a row out of use: the event that sets one reads 作废, not 修改.
VOID_VALUES = frozenset({"cancelled", "canceled", "voided", "void"})

# Column names that are machine bookkeeping, not facts a person reads (ids, hashes, credentials, chains).
_INTERNAL_NAME = re.compile(
    r"(^|_)(id|pk|uid|uuid|hash|token|secret|digest|chain|signature|search|vector)(_|$)"
)
# Columns whose values only some roles may read (phones, ID numbers): the history says they changed, not to what.
_PERSONAL_NAME = re.compile(r"(^|_)(phone|mobile|id_number|id_card|identity|password)(_|$)")
_INTERNAL_TYPES: tuple[type[models.Field], ...] = (models.AutoField, models.BigAutoField, models.UUIDField)

try:  # only with django.contrib.postgres installed
    from django.contrib.postgres.search import SearchVectorField

    _INTERNAL_TYPES += (SearchVectorField,)
except ImportError:  # pragma: no cover
    pass


def action_label(label: str, diff: dict, model: type[models.Model]) -> str:
    """新建 for an insert, 作废 for a delete or a change to a cancelled state, 修改 otherwise."""
    if label == "insert":
        return pgettext("history action", "Created")
    if label == "delete":
        return pgettext("history action", "Voided")
    status = diff.get("status")
    if status and _has_field(model, "status") and str(status[1]) in VOID_VALUES:
        return pgettext("history action", "Voided")
    return pgettext("history action", "Changed")


def _has_field(model: type[models.Model], name: str) -> bool:
    return _field(model, name) is not None


def _field(model: type[models.Model], key: str) -> models.Field | None:
    """The concrete field behind a column of the event row (``room_id`` → the ``room`` foreign key)."""
    try:
        field = model._meta.get_field(key)
    except Exception:  # noqa: BLE001 — a column the model no longer has
        return None
    if not getattr(field, "concrete", False) or field.many_to_many:
        return None
    return field


def is_shown(field: models.Field) -> bool:
    """Whether a person reads this field: not a key, hash, token or column without a label of its own."""
    if field.primary_key or isinstance(field, _INTERNAL_TYPES):
        return False
    if not field.is_relation and _INTERNAL_NAME.search(field.name):
        return False
    # A field nobody gave a (translated) name is bookkeeping: Django made its label from the column name.
    verbose = field.verbose_name
    made_from_column = not isinstance(verbose, Promise) and verbose == field.name.replace("_", " ")
    return not made_from_column


def _is_empty(value) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _format_value(field: models.Field, raw, names: dict) -> str | None:
    """The value as a person reads it; None when it has no readable form (a blob of internal state)."""
    if _is_empty(raw):
        return ""
    if field.is_relation:
        name = names.get((field.related_model, str(raw)))
        return name if name is not None else pgettext("history", "(removed)")
    if field.flatchoices:
        choices = {str(k): v for k, v in field.flatchoices}
        return str(choices.get(str(raw), raw))
    if isinstance(field, models.BooleanField):
        return gettext("Yes") if raw else gettext("No")
    if isinstance(field, models.DateTimeField):
        value = field.to_python(raw)
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return dateformat.format(value, "Y-m-d H:i")
    if isinstance(field, models.DateField):
        return dateformat.format(field.to_python(raw), "Y-m-d")
    if isinstance(field, models.TimeField):
        return dateformat.time_format(field.to_python(raw), "H:i")
    if isinstance(field, models.DecimalField):
        value = decimal.Decimal(str(raw))
        if field.decimal_places is not None:
            value = value.quantize(decimal.Decimal(1).scaleb(-field.decimal_places))
        return str(value)
    if isinstance(field, models.FileField):
        return os.path.basename(str(raw))
    if isinstance(field, models.JSONField):
        if isinstance(raw, list) and all(isinstance(v, (str, int, float)) for v in raw):
            return "、".join(str(v) for v in raw)
        return None
    if isinstance(raw, (dt.date, dt.datetime)):  # pragma: no cover — values come from JSON
        return dateformat.format(raw, "Y-m-d")
    return str(raw)


def _default_of(field: models.Field):
    if not field.has_default() or callable(field.default):
        return None
    default = field.default
    return default.value if hasattr(default, "value") else default


def _pairs(row: dict, model: type[models.Model]) -> list[tuple[models.Field, object, object]]:
    """(field, old, new) for each shown field the event changed; an insert lists the values it set."""
    pairs = []
    if row["label"] == "insert":
        for key, new in (row.get("data") or {}).items():
            field = _field(model, key)
            if field is None or not is_shown(field) or _is_empty(new) or new == _default_of(field):
                continue
            pairs.append((field, None, new))
    else:
        for key, change in (row.get("diff") or {}).items():
            field = _field(model, key)
            if field is None or not is_shown(field):
                continue
            pairs.append((field, change[0], change[1]))
    # In the model's field order, as the detail page lists them.
    order = {f.attname: i for i, f in enumerate(model._meta.concrete_fields)}
    return sorted(pairs, key=lambda p: order.get(p[0].attname, len(order)))


def _related_names(pairs_per_row: Iterable[list]) -> dict:
    """The names of every related object the rows mention: one query per related model."""
    wanted: dict[type[models.Model], set] = defaultdict(set)
    for pairs in pairs_per_row:
        for field, old, new in pairs:
            if field.is_relation:
                for value in (old, new):
                    if not _is_empty(value):
                        wanted[field.related_model].add(value)
    names = {}
    for related, pks in wanted.items():
        # The names often read one level up (a room says its building): joined, not one query each.
        joins = [
            f.name for f in related._meta.concrete_fields if f.is_relation and (f.many_to_one or f.one_to_one)
        ]
        for obj in related._base_manager.filter(pk__in=pks).select_related(*joins):
            names[(related, str(obj.pk))] = str(obj)
    return names


def _who(user) -> str:
    if user is None:
        return ""
    return getattr(user, "display_name", None) or str(user)


def history_render(model: type[models.Model], rows: list[dict]) -> list[dict]:
    """Each raw history row with its action, local time, who and readable changes added.

    The raw keys (``label``, ``diff``, ``data``) stay as they are; added are ``action`` (新建/修改/作废),
    ``when`` ("2026-12-04 09:06" in the active time zone), ``who`` and ``changes``: a list of
    ``{"field", "label", "old", "new"}`` with the field's verbose name and the values by their labels.
    """
    pairs_per_row = [_pairs(row, model) for row in rows]
    names = _related_names(pairs_per_row)
    rendered = []
    for row, pairs in zip(rows, pairs_per_row, strict=True):
        changes = []
        for field, old, new in pairs:
            old_text, new_text = _format_value(field, old, names), _format_value(field, new, names)
            if _PERSONAL_NAME.search(field.name) and old_text != new_text:
                old_text = ""
                new_text = pgettext("history", "(recorded)") if new_text else pgettext("history", "(cleared)")
            if old_text is None or new_text is None or old_text == new_text:
                continue
            changes.append(
                {"field": field.name, "label": str(field.verbose_name), "old": old_text, "new": new_text}
            )
        at = row["at"]
        rendered.append(
            {
                **row,
                "action": action_label(row["label"], row.get("diff") or {}, model),
                "when": dateformat.format(timezone.localtime(at), "Y-m-d H:i") if at else "",
                "who": _who(row.get("user")),
                "changes": changes,
            }
        )
    return rendered
