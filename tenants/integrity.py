"""A hash chain over every history (pghistory event) table, per school, checked nightly.

Sealing appends, for each new event row in pgh_id order, the SHA-256 of the row's content and the
SHA-256 of (previous chain hash + pgh_id + row hash). Verifying recomputes both from the rows as they
are now and reports rows that were edited, deleted or moved to another position (reordered).
History tables are already append-only by trigger; the chain also catches changes made around
the trigger (a superuser, a restored dump, a disk edited by hand).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.db import connection, transaction
from django_tenants.utils import schema_context

from .models import HistorySeal, School

GENESIS = "0" * 64


@dataclass(frozen=True)
class Problem:
    table: str
    pgh_id: int
    kind: str  # edited | deleted | reordered | chain

    def __str__(self) -> str:
        return f"{self.table}#{self.pgh_id}: {self.kind}"


def _event_tables(*, tenant: bool) -> list[str]:
    """The history tables of the school apps (tenant=True) or of the public apps."""
    from pghistory.models import Event

    labels = settings.TENANT_APPS if tenant else [a for a in settings.SHARED_APPS if a not in settings.TENANT_APPS]
    labels = {label.split(".")[-1] for label in labels}
    tables = []
    for model in apps.get_models():
        if (
            issubclass(model, Event)
            and not model._meta.abstract
            and model._meta.managed
            and model._meta.app_label in labels
        ):
            tables.append(model._meta.db_table)
    return sorted(set(tables))


def _content_hash(row: dict) -> str:
    content = {k: v for k, v in row.items() if k != "pgh_id"}
    return hashlib.sha256(json.dumps(content, sort_keys=True, default=str, ensure_ascii=False).encode()).hexdigest()


def _chain(previous: str, pgh_id: int, row_hash: str) -> str:
    return hashlib.sha256(f"{previous}:{pgh_id}:{row_hash}".encode()).hexdigest()


def _rows(table: str, after: int | None = None) -> list[dict]:
    with connection.cursor() as cursor:
        where = "WHERE pgh_id > %s" if after is not None else ""
        cursor.execute(f'SELECT * FROM "{table}" {where} ORDER BY pgh_id', [after] if after is not None else [])
        names = [col.name for col in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _scope(school: School | None):
    return schema_context(school.schema_name if school else "public")


def history_seal(*, school: School | None) -> int:
    """Seal every history row written since the last seal; returns how many were sealed."""
    sealed = 0
    with _scope(school):
        tables = _event_tables(tenant=school is not None)
        for table in tables:
            last = (
                HistorySeal.objects.filter(school=school, event_table=table).order_by("-pgh_id").first()
            )
            previous = last.chain_hash if last else GENESIS
            new = []
            for row in _rows(table, after=last.pgh_id if last else None):
                row_hash = _content_hash(row)
                previous = _chain(previous, row["pgh_id"], row_hash)
                new.append(
                    HistorySeal(school=school, event_table=table, pgh_id=row["pgh_id"], row_hash=row_hash,
                                chain_hash=previous)
                )
            with transaction.atomic():
                HistorySeal.objects.bulk_create(new, batch_size=2000)
            sealed += len(new)
    return sealed


def history_verify(*, school: School | None) -> list[Problem]:
    """Compare the sealed chain with the history rows as they are now."""
    problems: list[Problem] = []
    with _scope(school):
        for table in _event_tables(tenant=school is not None):
            seals = list(
                HistorySeal.objects.filter(school=school, event_table=table)
                .order_by("pgh_id")
                .values_list("pgh_id", "row_hash", "chain_hash")
            )
            if not seals:
                continue
            rows = {row["pgh_id"]: _content_hash(row) for row in _rows(table) if row["pgh_id"] <= seals[-1][0]}
            sealed_ids_by_hash = {row_hash: pgh_id for pgh_id, row_hash, _ in seals}
            previous = GENESIS
            for pgh_id, row_hash, chain_hash in seals:
                current = rows.get(pgh_id)
                if current != row_hash:
                    # Another sealed row's content now stands here, or this row's content stands elsewhere.
                    moved_here = current is not None and sealed_ids_by_hash.get(current, pgh_id) != pgh_id
                    moved_away = any(h == row_hash and i != pgh_id for i, h in rows.items())
                    if moved_here or moved_away:
                        kind = "reordered"
                    else:
                        kind = "deleted" if current is None else "edited"
                    problems.append(Problem(table, pgh_id, kind))
                previous = _chain(previous, pgh_id, row_hash)
                if previous != chain_hash:
                    problems.append(Problem(table, pgh_id, "chain"))
                    previous = chain_hash
            unsealed_gaps = set(rows) - {pgh_id for pgh_id, _, _ in seals}
            problems.extend(Problem(table, pgh_id, "inserted") for pgh_id in sorted(unsealed_gaps))
    return problems
