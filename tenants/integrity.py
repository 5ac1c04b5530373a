"""A keyed hash chain over every history (pghistory event) table, per school, checked nightly.

The adversary is someone with full rights inside the database (a DBA): they can run any SQL, switch
triggers off (`SET session_replication_role = replica`, `ALTER TABLE … DISABLE TRIGGER`), edit or delete
any row, seals included. They hold neither the seal key (HISTORY_SEAL_KEY, from the environment) nor
write access to the anchor log (HISTORY_ANCHOR_DIR, on the application servers). What each mechanism
catches (the Problem kind in brackets):

- Seals. For each new history row, in pgh_id order, a seal numbered 1, 2, 3 … per school and table
  keeps the SHA-256 of the row's content and HMAC-SHA256(key; key id, table, number, pgh_id, row hash,
  previous seal's HMAC). Verifying recomputes both from the rows as they are now: a sealed history row
  edited [edited], deleted [deleted], moved [reordered], or a row slipped in between sealed ones
  [inserted]; a seal recomputed or edited without the key, with plain SHA-256 or with the right
  algorithm and a wrong key [forged]; a seal deleted, which leaves a gap in the numbers
  [seal_missing]; a seal made with a key this installation does not hold [unknown_key]. The seal
  table refuses UPDATE and DELETE by trigger as well, but nothing here relies on that trigger.
- Live rows. Each tracked table's current rows are compared with their latest history row (one query
  per table, a join on the latest event per pgh_obj_id), so a change made with the history triggers
  off is found: a row edited [live_edited], inserted [live_inserted] or deleted [live_deleted]
  without history. When that latest history row is newer than the last seal, either it or the live
  row was changed around the triggers [unsealed_edited]: this is how a row newer than the last seal
  is covered before it is sealed.
- Anchors. Every sealing run appends the heads it moved (table, number, HMAC) to an append-only log
  outside the database, and the nightly run adds the day's head of the whole school, which is also
  sent to the bureau's leaders and the platform operators (and HISTORY_ANCHOR_EMAILS). A chain cut
  back (its last seals deleted, with or without their history rows) and resealed by the next run
  leaves no gap and verifies by the key alone; the anchor it no longer matches shows it
  [anchor_mismatch]. Anchors also keep past heads if the key ever leaks.

Not caught: a history row that is neither sealed yet (sealing runs hourly) nor the latest of its
object, edited in that window; a live row and its newest unsealed history row rewritten together in
that window; a chain cut back to before its last anchor line and never resealed past it is caught,
but seals made after the last anchor line and deleted with their rows before the next run are not.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext
from django_tenants.utils import schema_context

from .models import HistorySeal, School

GENESIS = "0" * 64
# Live-row problems reported per table at most: a mass edit is one finding, not a million.
LIVE_LIMIT = 1000


@dataclass(frozen=True)
class Problem:
    table: str
    pgh_id: int | None
    # edited | deleted | reordered | inserted | forged | seal_missing | unknown_key
    # | live_edited | live_inserted | live_deleted | unsealed_edited | anchor_mismatch | check_failed
    kind: str
    note: str = field(default="", compare=False)

    def __str__(self) -> str:
        where = f"{self.table}#{self.pgh_id}" if self.pgh_id is not None else self.table
        return f"{where}: {self.kind}" + (f" ({self.note})" if self.note else "")


# --- keys ------------------------------------------------------------------------------------------

def _key_id(key: bytes) -> str:
    """A key's public name: a fingerprint, so a rotated or changed key is told apart, never guessed."""
    return hmac.new(key, b"houqin history seal key id", hashlib.sha256).hexdigest()[:12]


def _configured_keys() -> list[bytes]:
    keys = [settings.HISTORY_SEAL_KEY] if settings.HISTORY_SEAL_KEY else []
    if not keys:
        # Development: derived from SECRET_KEY for this purpose only (the salt keeps it apart from
        # sessions, password resets and everything else signed with SECRET_KEY).
        keys.append(salted_hmac("houqin.history-seal", "v1", algorithm="sha256").hexdigest())
    keys += [k for k in settings.HISTORY_SEAL_OLD_KEYS if k]
    return [k.encode() for k in keys]


def seal_key() -> tuple[str, bytes]:
    """The key new seals are made with, and its id."""
    key = _configured_keys()[0]
    return _key_id(key), key


def seal_keys() -> dict[str, bytes]:
    """Every key seals may have been made with (the current one and those named after a rotation)."""
    return {_key_id(k): k for k in _configured_keys()}


def _link(key: bytes, key_id: str, table: str, seq: int, pgh_id: int, row_hash: str, previous: str) -> str:
    message = f"{key_id}|{table}|{seq}|{pgh_id}|{row_hash}|{previous}"
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


# --- tables and rows -------------------------------------------------------------------------------

def _event_models(*, tenant: bool) -> list:
    """The history (event) models of the school apps (tenant=True) or of the public apps, by table."""
    from pghistory.models import Event

    labels = settings.TENANT_APPS if tenant else [a for a in settings.SHARED_APPS if a not in settings.TENANT_APPS]
    labels = {label.split(".")[-1] for label in labels}
    found = {}
    for model in apps.get_models():
        if (
            issubclass(model, Event)
            and not model._meta.abstract
            and model._meta.managed
            and model._meta.app_label in labels
        ):
            found[model._meta.db_table] = model
    return [found[t] for t in sorted(found)]


def _event_tables(*, tenant: bool) -> list[str]:
    return [m._meta.db_table for m in _event_models(tenant=tenant)]


def _content_hash(row: dict) -> str:
    content = {k: v for k, v in row.items() if k != "pgh_id"}
    return hashlib.sha256(json.dumps(content, sort_keys=True, default=str, ensure_ascii=False).encode()).hexdigest()


def _rows(table: str, after: int | None = None, upto: int | None = None):
    """The table's rows in pgh_id order (after < pgh_id <= upto), fetched in batches."""
    clauses, params = [], []
    if after is not None:
        clauses.append("pgh_id > %s")
        params.append(after)
    if upto is not None:
        clauses.append("pgh_id <= %s")
        params.append(upto)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT * FROM "{table}" {where} ORDER BY pgh_id', params)
        names = [col.name for col in cursor.description]
        while batch := cursor.fetchmany(2000):
            for row in batch:
                yield dict(zip(names, row, strict=True))


def _scope(school: School | None):
    return schema_context(school.schema_name if school else "public")


def _heads(school: School | None) -> dict[str, tuple[int, str]]:
    """The last seal of every table of the scope: table -> (number, HMAC), in one query."""
    rows = (
        HistorySeal.objects.filter(school=school)
        .order_by("event_table", "-seq")
        .distinct("event_table")
        .values_list("event_table", "seq", "chain_hash", "pgh_id")
    )
    return {table: (seq, chain) for table, seq, chain, _ in rows}


# --- sealing ---------------------------------------------------------------------------------------

def history_seal_run(*, school: School | None) -> dict[str, tuple[int, str]]:
    """Seal every history row written since the last seal; returns the heads that moved (table -> seal)."""
    key_id, key = seal_key()
    moved: dict[str, tuple[int, str]] = {}
    scope = f"history-seal:{school.pk if school else 'public'}"
    with _scope(school), transaction.atomic():
        # One sealer per scope at a time: the hourly and the nightly run never number the same seal twice.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [scope])
        last = {
            table: (seq, chain, pgh_id)
            for table, seq, chain, pgh_id in HistorySeal.objects.filter(school=school)
            .order_by("event_table", "-seq")
            .distinct("event_table")
            .values_list("event_table", "seq", "chain_hash", "pgh_id")
        }
        for table in _event_tables(tenant=school is not None):
            seq, previous, after = last.get(table, (0, GENESIS, None))
            new = []
            for row in _rows(table, after=after):
                seq += 1
                row_hash = _content_hash(row)
                previous = _link(key, key_id, table, seq, row["pgh_id"], row_hash, previous)
                new.append(
                    HistorySeal(school=school, event_table=table, seq=seq, pgh_id=row["pgh_id"], row_hash=row_hash,
                                chain_hash=previous, key_id=key_id)
                )
                if len(new) >= 2000:
                    HistorySeal.objects.bulk_create(new)
                    new = []
            HistorySeal.objects.bulk_create(new)
            if seq != last.get(table, (0,))[0]:
                moved[table] = (seq, previous)
    return moved


def history_seal(*, school: School | None) -> int:
    """Seal every history row written since the last seal; returns how many were sealed."""
    before = {t: s for t, (s, _c) in _heads(school).items()}
    moved = history_seal_run(school=school)
    return sum(seq - before.get(table, 0) for table, (seq, _chain) in moved.items())


# --- anchors outside the database -----------------------------------------------------------------

def _anchor_path(school: School | None) -> Path:
    """One append-only file per database and scope (a school's pk and schema, so a new school of the
    same name starts a new file)."""
    name = "public" if school is None else f"school-{school.pk}-{school.schema_name}"
    return Path(settings.HISTORY_ANCHOR_DIR) / str(connection.settings_dict["NAME"]) / f"{name}.jsonl"


def scope_head(heads: dict[str, tuple[int, str]]) -> str:
    """One HMAC over the heads of every table of a scope: the day's head sent to the bureau."""
    _key_id, key = seal_key()
    canonical = json.dumps(sorted([t, s, c] for t, (s, c) in heads.items()), separators=(",", ":"))
    return hmac.new(key, canonical.encode(), hashlib.sha256).hexdigest()


def history_anchor(*, school: School | None, moved: dict[str, tuple[int, str]], daily: bool = False,
                   problems: list[Problem] = ()) -> dict:
    """Append the moved heads (and, nightly, the scope's head) to the anchor log; returns the entry."""
    entry: dict = {
        "at": timezone.now().isoformat(),
        "scope": "public" if school is None else school.schema_name,
        "school_id": school.pk if school else None,
        "key_id": seal_key()[0],
        "heads": {t: [s, c] for t, (s, c) in sorted(moved.items())},
    }
    if daily:
        heads = _heads(school)
        entry.update(
            day=timezone.localdate().isoformat(), head=scope_head(heads), seals=sum(s for s, _ in heads.values()),
            problems=len(problems), first_problems=[str(p) for p in list(problems)[:20]],
        )
    if not entry["heads"] and not daily:
        return entry
    path = _anchor_path(school)
    path.parent.mkdir(parents=True, exist_ok=True)
    line = (json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
    # O_APPEND: each line lands at the end in one write, whoever else appends; the file is never rewritten.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o640)
    try:
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)
    return entry


def history_anchors(*, school: School | None) -> list[dict]:
    """The anchor log of one scope, oldest first (an unreadable line is returned as {"unreadable": n})."""
    path = _anchor_path(school)
    if not path.exists():
        return []
    entries = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entries.append(json.loads(line))
        except ValueError:
            entries.append({"unreadable": number})
    return entries


# --- verifying -------------------------------------------------------------------------------------

def _live_problems(model, *, sealed_upto: int, edited: set[int]) -> list[Problem]:
    """The tracked table's rows that differ from their latest history row: one query per table."""
    tracked = model.pgh_tracked_model
    qn = connection.ops.quote_name
    live, events, pk = qn(tracked._meta.db_table), qn(model._meta.db_table), qn(tracked._meta.pk.column)
    columns = [f.column for f in model._meta.concrete_fields if not f.name.startswith("pgh_")]
    live_row = ", ".join(f"t.{qn(c)}" for c in columns)
    event_row = ", ".join(f"l.{qn(c)}" for c in columns)
    sql = f"""
        WITH latest AS (
            SELECT DISTINCT ON (pgh_obj_id) * FROM {events} ORDER BY pgh_obj_id, pgh_id DESC
        )
        SELECT t.{pk}, l.pgh_obj_id, l.pgh_id, l.pgh_label
        FROM {live} t FULL OUTER JOIN latest l ON l.pgh_obj_id = t.{pk}
        WHERE l.pgh_id IS NULL
           OR (t.{pk} IS NULL) <> (l.pgh_label = 'delete')
           OR (t.{pk} IS NOT NULL AND l.pgh_label <> 'delete' AND ROW({live_row}) IS DISTINCT FROM ROW({event_row}))
        LIMIT {LIVE_LIMIT}
    """
    table = tracked._meta.db_table
    problems = []
    with transaction.atomic(), connection.cursor() as cursor:  # a savepoint: one bad table spoils no other
        cursor.execute(sql)
        for live_pk, obj_id, pgh_id, label in cursor.fetchall():
            if pgh_id is None or (live_pk is not None and label == "delete"):
                kind = "live_inserted"
            elif live_pk is None:
                kind = "live_deleted"
            elif pgh_id in edited:
                continue  # the history row itself was edited: already reported as such
            elif pgh_id > sealed_upto:
                kind = "unsealed_edited"
            else:
                kind = "live_edited"
            problems.append(Problem(table, pgh_id, kind, note=f"row {live_pk if live_pk is not None else obj_id}"))
    return problems


def _anchored(school: School | None, problems: list[Problem]) -> dict[str, dict[int, list[tuple[str, str]]]]:
    """The anchored seals of the scope: table -> {number: [(HMAC, when anchored), …]}, oldest first (a
    seal resealed differently after being anchored is anchored twice, and the first one counts)."""
    anchored: dict[str, dict[int, list[tuple[str, str]]]] = {}
    for entry in history_anchors(school=school):
        if "unreadable" in entry:
            problems.append(Problem("anchor log", None, "anchor_mismatch", note=f"line {entry['unreadable']} unreadable"))
            continue
        for table, (seq, chain) in entry.get("heads", {}).items():
            anchored.setdefault(table, {}).setdefault(int(seq), []).append((chain, entry.get("at", "")))
    return anchored


def history_verify(*, school: School | None) -> list[Problem]:
    """Compare the sealed chain with the history rows, the live rows with their history, and the seals
    with the anchors kept outside the database."""
    problems: list[Problem] = []
    keys = seal_keys()
    anchored = _anchored(school, problems)
    with _scope(school):
        for model in _event_models(tenant=school is not None):
            table = model._meta.db_table
            table_problems, sealed_upto = _verify_table(school, table, keys, anchored.pop(table, {}))
            problems += table_problems
            edited = {p.pgh_id for p in table_problems if p.kind in ("edited", "reordered")}
            try:
                problems += _live_problems(model, sealed_upto=sealed_upto, edited=edited)
            except DatabaseError as exc:
                problems.append(Problem(model.pgh_tracked_model._meta.db_table, None, "check_failed", note=str(exc)[:200]))
        for table, seals in anchored.items():  # anchored tables the scope no longer knows
            for seq in sorted(seals):
                problems.append(Problem(table, None, "anchor_mismatch", note=f"seal {seq} anchored {seals[seq][0][1]}"))
    return problems


def _verify_table(
    school, table: str, keys: dict[str, bytes], anchored: dict[int, list[tuple[str, str]]]
) -> tuple[list[Problem], int]:
    """One table's seals against its history rows and its anchors; also the last sealed pgh_id."""
    problems: list[Problem] = []
    seals = list(
        HistorySeal.objects.filter(school=school, event_table=table)
        .order_by("seq")
        .values_list("seq", "pgh_id", "row_hash", "chain_hash", "key_id")
    )
    if not seals:
        problems += [
            Problem(table, None, "anchor_mismatch", note=f"seal {seq} anchored {entries[0][1]}")
            for seq, entries in sorted(anchored.items())
        ]
        return problems, 0
    upto = max(s[1] for s in seals)
    rows = {row["pgh_id"]: _content_hash(row) for row in _rows(table, upto=upto)}
    sealed_ids_by_hash = {row_hash: pgh_id for _seq, pgh_id, row_hash, _c, _k in seals}
    hashes_at = {}
    for pgh_id, row_hash in rows.items():
        hashes_at.setdefault(row_hash, set()).add(pgh_id)
    previous, expected, unknown = GENESIS, 1, set()
    for seq, pgh_id, row_hash, chain_hash, key_id in seals:
        linked = True
        if seq != expected:
            missing = f"seal {expected}" if seq == expected + 1 else f"seals {expected}–{seq - 1}"
            problems.append(Problem(table, None, "seal_missing", note=missing))
            linked = False  # the link to the missing seal cannot be checked
        current = rows.get(pgh_id)
        if current != row_hash:
            # Another sealed row's content now stands here, or this row's content stands elsewhere.
            moved_here = current is not None and sealed_ids_by_hash.get(current, pgh_id) != pgh_id
            moved_away = bool(hashes_at.get(row_hash, set()) - {pgh_id})
            if moved_here or moved_away:
                kind = "reordered"
            else:
                kind = "deleted" if current is None else "edited"
            problems.append(Problem(table, pgh_id, kind))
        key = keys.get(key_id)
        if key is None:
            if key_id not in unknown:
                unknown.add(key_id)
                problems.append(Problem(table, pgh_id, "unknown_key", note=f"key {key_id or '-'}"))
        elif linked and not hmac.compare_digest(
            _link(key, key_id, table, seq, pgh_id, row_hash, previous), chain_hash
        ):
            problems.append(Problem(table, pgh_id, "forged", note=f"seal {seq}"))
        differing = [at for chain, at in anchored.pop(seq, []) if not hmac.compare_digest(chain, chain_hash)]
        if differing:
            problems.append(Problem(table, pgh_id, "anchor_mismatch", note=f"seal {seq} anchored {differing[0]}"))
        previous, expected = chain_hash, seq + 1
    problems += [
        Problem(table, None, "anchor_mismatch", note=f"seal {seq} anchored {entries[0][1]}")
        for seq, entries in sorted(anchored.items())
    ]
    sealed_ids = {s[1] for s in seals}
    problems += [Problem(table, pgh_id, "inserted") for pgh_id in sorted(set(rows) - sealed_ids)]
    return problems, upto


# --- the day's heads, sent to the bureau and the operators ------------------------------------------

def _daily_entry(school: School | None, day: str) -> dict | None:
    entries = [e for e in history_anchors(school=school) if e.get("day") == day and "head" in e]
    return entries[-1] if entries else None


def _head_line(name: str, entry: dict | None) -> str:
    if entry is None:
        return gettext("%(name)s: not sealed today") % {"name": name}
    return gettext("%(name)s: head %(head)s, %(seals)s seals, %(problems)s problems") % {
        "name": name, "head": entry["head"], "seals": entry["seals"], "problems": entry["problems"],
    }


def history_anchor_send(*, day: str | None = None) -> int:
    """Send each bureau's leaders and the platform operators the day's head of every school of the
    bureau (and HISTORY_ANCHOR_EMAILS an e-mail of all heads): copies of the anchors outside the database."""
    from django.core.mail import send_mail

    from .models import Bureau, Membership
    from .notifications import notify
    from .roles import Role

    day = day or timezone.localdate().isoformat()
    operators = [
        m.user for m in Membership.objects.active().filter(role=Role.PLATFORM_OPERATOR).select_related("user")
    ]
    title = gettext("History seal heads of %(day)s") % {"day": day}
    sent = 0
    every_line = [_head_line(gettext("Platform (public schema)"), _daily_entry(None, day))]
    notify(kind="history.anchor", title=title, body=every_line[0], users=operators, school=None,
           dedupe_key=f"history-anchor:public:{day}")
    for bureau in Bureau.objects.order_by("code"):
        schools = list(bureau.schools.exclude(status="archived").order_by("slug"))
        if not schools:
            continue
        lines = [_head_line(s.name, _daily_entry(s, day)) for s in schools]
        every_line += [f"{bureau.name} · {line}" for line in lines]
        notify(kind="history.anchor", title=f"{title} · {bureau.name}", body="\n".join(lines), users=operators,
               roles=[Role.BUREAU_LEADER], bureau=bureau, dedupe_key=f"history-anchor:{bureau.pk}:{day}")
        sent += 1
    emails = [address for address in settings.HISTORY_ANCHOR_EMAILS if address]
    if emails:
        send_mail(title, "\n".join(every_line), None, emails)
    return sent
