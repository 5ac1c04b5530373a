"""The audit chain against a DBA: five tamperings done with raw SQL around every trigger, each found.

A DBA can run any SQL, switch triggers off (`SET session_replication_role = replica`,
`ALTER TABLE … DISABLE TRIGGER`) and edit or delete seals; they hold neither the seal key (it comes
from the environment) nor the anchor log (a file outside the database). Before the fix, 1 of these 5
was found (an edited history row); the seals were plain SHA-256, unnumbered and unprotected, live rows
were never compared with their history, rows newer than the last seal were not looked at, and the
nightly task stopped sealing once it had found a problem.
"""

from __future__ import annotations

import hashlib
import hmac
from contextlib import contextmanager

import pytest
from django.core import mail
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from schools.models import Department
from tenants.integrity import _content_hash, history_anchors, history_verify, seal_key
from tenants.models import HistorySeal
from tenants.tasks import history_anchor_send_task, history_integrity_task, history_seal_task

LIVE = "schools_department"
EVENTS = "schools_departmentevent"


@pytest.fixture(autouse=True)
def _anchor_log(settings, tmp_path):
    # The anchor log outlives the test's rolled-back database: each test gets its own.
    settings.HISTORY_ANCHOR_DIR = str(tmp_path / "anchors")


@contextmanager
def triggers_off():
    """As a DBA: no trigger fires (history is not written, append-only protections do not refuse)."""
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        try:
            yield cursor
        finally:
            cursor.execute("SET session_replication_role = DEFAULT")


@contextmanager
def seal_protection_off():
    """As a DBA: the seal table's append-only trigger disabled (rolled back with the test)."""
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE public.tenants_historyseal DISABLE TRIGGER USER")
        try:
            yield cursor
        finally:
            cursor.execute("ALTER TABLE public.tenants_historyseal ENABLE TRIGGER USER")


def _events(pks: list[int]) -> list[tuple[int, int, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT pgh_id, pgh_obj_id, pgh_label FROM {EVENTS} WHERE pgh_obj_id = ANY(%s) ORDER BY pgh_id", [pks]
        )
        return list(cursor.fetchall())


def _found(school) -> list[tuple[str, int | None, str, str]]:
    return [(p.table, p.pgh_id, p.kind, p.note) for p in history_verify(school=school)]


def _seals(school) -> list[tuple[int, int, str]]:
    return list(
        HistorySeal.objects.filter(school=school, event_table=EVENTS).order_by("seq")
        .values_list("seq", "pgh_id", "chain_hash")
    )


@pytest.fixture
def sealed(in_school_a):
    """Three departments, the first renamed, sealed and anchored by the nightly task.

    Events: insert d0, insert d1, insert d2, update d0 (d0's insert is no longer its latest).
    """
    school = in_school_a
    rows = [Department.objects.create(name=f"审计-{i}") for i in range(3)]
    rows[0].name = "审计-0-改名"
    rows[0].save()
    connection.set_schema_to_public()
    assert history_integrity_task.run(school_id=school.pk) == []
    connection.set_tenant(school)
    events = _events([d.pk for d in rows])
    assert [label for _, _, label in events] == ["insert", "insert", "insert", "update"]
    return school, rows, [pgh_id for pgh_id, _, _ in events]


def test_untouched_history_verifies_and_is_anchored(sealed):
    school, _rows, ids = sealed
    assert _found(school) == []
    daily = [e for e in history_anchors(school=school) if "head" in e]
    assert len(daily) == 1
    assert daily[0]["problems"] == 0
    assert daily[0]["heads"][EVENTS][0] == _seals(school)[-1][0]


# --- 1. a live row edited with triggers off ---------------------------------------------------------

@pytest.mark.parametrize(
    ("sql", "kind"),
    [
        (f"UPDATE {LIVE} SET name = '偷改' WHERE id = %(pk)s", "live_edited"),
        (f"DELETE FROM {LIVE} WHERE id = %(pk)s", "live_deleted"),
        (f"INSERT INTO {LIVE} (id, name, sort_order, is_active) VALUES (%(new)s, '偷加', 0, true)", "live_inserted"),
    ],
)
def test_live_row_changed_with_triggers_off_is_found(sealed, sql, kind):
    school, rows, ids = sealed
    pk = rows[1].pk
    new = max(Department.objects.values_list("pk", flat=True)) + 100
    before = _events([pk, new])
    with triggers_off() as cursor:
        cursor.execute(sql, {"pk": pk, "new": new})
    assert _events([pk, new]) == before  # the triggers were off: no history was written

    row = new if kind == "live_inserted" else pk
    latest = None if kind == "live_inserted" else ids[1]
    assert _found(school) == [(LIVE, latest, kind, f"row {row}")]


# --- 2. a history row edited --------------------------------------------------------------------------

def test_edited_history_row_is_found(sealed):
    school, _rows, ids = sealed
    with triggers_off() as cursor:
        cursor.execute(f"UPDATE {EVENTS} SET name = '从未叫过' WHERE pgh_id = %s", [ids[0]])
    assert _found(school) == [(EVENTS, ids[0], "edited", "")]


# --- 3. seals recomputed without the key ---------------------------------------------------------------

def _sha256_link(previous: str, pgh_id: int, row_hash: str) -> str:
    return hashlib.sha256(f"{previous}:{pgh_id}:{row_hash}".encode()).hexdigest()


def _guessed_key_link(previous: str, key_id: str, seq: int, pgh_id: int, row_hash: str) -> str:
    # The right algorithm and message layout (they are in the source), a guessed key.
    guess = b"dev-insecure-houqin-secret-key-change-me-in-production-0123456789"
    message = f"{key_id}|{EVENTS}|{seq}|{pgh_id}|{row_hash}|{previous}"
    return hmac.new(guess, message.encode(), hashlib.sha256).hexdigest()


@pytest.mark.parametrize("algorithm", ["sha256", "hmac-guessed-key"])
def test_seals_recomputed_without_the_key_are_found(sealed, algorithm):
    school, _rows, ids = sealed
    # the DBA edits a history row, then recomputes its seal and every seal after it
    with triggers_off() as cursor:
        cursor.execute(f"UPDATE {EVENTS} SET name = '从未叫过' WHERE pgh_id = %s", [ids[0]])
        cursor.execute(f"SELECT * FROM {EVENTS} WHERE pgh_id >= %s ORDER BY pgh_id", [ids[0]])
        names = [c.name for c in cursor.description]
        rows = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
    seals = _seals(school)
    position = [pgh_id for _, pgh_id, _ in seals].index(ids[0])
    previous = seals[position - 1][2] if position else "0" * 64
    with seal_protection_off() as cursor:
        for (seq, pgh_id, _chain), row in zip(seals[position:], rows, strict=True):
            row_hash = _content_hash(row)
            if algorithm == "sha256":
                previous = _sha256_link(previous, pgh_id, row_hash)
            else:
                previous = _guessed_key_link(previous, seal_key()[0], seq, pgh_id, row_hash)
            cursor.execute(
                "UPDATE public.tenants_historyseal SET row_hash = %s, chain_hash = %s "
                "WHERE school_id = %s AND event_table = %s AND seq = %s",
                [row_hash, previous, school.pk, EVENTS, seq],
            )
    # the edited row now matches its seal, but no recomputed seal carries the key; the anchor
    # still holds the true head
    last_seq = seals[-1][0]
    assert _found(school) == [
        *[(EVENTS, pgh_id, "forged", f"seal {seq}") for seq, pgh_id, _ in seals[position:]],
        (EVENTS, ids[3], "anchor_mismatch", f"seal {last_seq} anchored "
         f"{history_anchors(school=school)[-1]['at']}"),
    ]


# --- 4. a seal deleted -----------------------------------------------------------------------------------

def test_deleted_seal_is_found(sealed):
    school, _rows, ids = sealed
    seals = _seals(school)
    position = [pgh_id for _, pgh_id, _ in seals].index(ids[0])
    # the DBA deletes d0's first history row and its seal, and re-links the later seals as before the fix
    with triggers_off() as cursor:
        cursor.execute(f"DELETE FROM {EVENTS} WHERE pgh_id = %s", [ids[0]])
    with seal_protection_off() as cursor:
        cursor.execute(
            "DELETE FROM public.tenants_historyseal WHERE school_id = %s AND event_table = %s AND seq = %s",
            [school.pk, EVENTS, seals[position][0]],
        )
        previous = seals[position - 1][2] if position else "0" * 64
        for seq, pgh_id, _chain in seals[position + 1:]:
            row_hash = HistorySeal.objects.get(school=school, event_table=EVENTS, seq=seq).row_hash
            previous = _sha256_link(previous, pgh_id, row_hash)
            cursor.execute(
                "UPDATE public.tenants_historyseal SET chain_hash = %s WHERE school_id = %s AND event_table = %s "
                "AND seq = %s", [previous, school.pk, EVENTS, seq],
            )
    found = _found(school)
    assert found[0] == (EVENTS, None, "seal_missing", f"seal {seals[position][0]}")
    # the seal right after the gap cannot be checked (its link is gone); every later one is forged
    assert found[1:] == [(EVENTS, pgh_id, "forged", f"seal {seq}") for seq, pgh_id, _ in seals[position + 2:]] + [
        (EVENTS, ids[3], "anchor_mismatch", f"seal {seals[-1][0]} anchored {history_anchors(school=school)[-1]['at']}")
    ]


def test_seal_table_refuses_update_and_delete(sealed):
    school, _rows, _ids = sealed
    seal = HistorySeal.objects.filter(school=school).order_by("-seq").first()
    for sql in ("UPDATE public.tenants_historyseal SET chain_hash = 'x' WHERE id = %s",
                "DELETE FROM public.tenants_historyseal WHERE id = %s"):
        with pytest.raises(DatabaseError, match="Cannot update or delete"), transaction.atomic(), \
                connection.cursor() as cursor:
            cursor.execute(sql, [seal.pk])
    assert HistorySeal.objects.get(pk=seal.pk).chain_hash == seal.chain_hash


# --- 5. a row newer than the last seal edited ----------------------------------------------------------

def test_row_newer_than_the_last_seal_edited_is_found(sealed):
    school, rows, _ids = sealed
    # a legitimate change after the nightly seal: its history row is not sealed yet
    rows[2].name = "审计-2-新名"
    rows[2].save()
    newest = _events([rows[2].pk])[-1][0]
    assert not HistorySeal.objects.filter(school=school, event_table=EVENTS, pgh_id=newest).exists()
    # the DBA rewrites what that unsealed history row says
    with triggers_off() as cursor:
        cursor.execute(f"UPDATE {EVENTS} SET name = '审计-2-假名' WHERE pgh_id = %s", [newest])

    assert _found(school) == [(LIVE, newest, "unsealed_edited", f"row {rows[2].pk}")]
    # sealing it does not bless it: the next night it is still found, as a live row that is not its history
    connection.set_schema_to_public()
    history_integrity_task.run(school_id=school.pk)
    assert HistorySeal.objects.filter(school=school, event_table=EVENTS, pgh_id=newest).exists()
    assert _found(school) == [(LIVE, newest, "live_edited", f"row {rows[2].pk}")]


# --- the nightly task goes on after a problem -----------------------------------------------------------

def test_nightly_task_reports_a_problem_and_still_seals(sealed, oscar, dave):
    school, _rows, ids = sealed
    with triggers_off() as cursor:
        cursor.execute(f"UPDATE {EVENTS} SET name = '从未叫过' WHERE pgh_id = %s", [ids[1]])
    connection.set_tenant(school)
    later = Department.objects.create(name="审计-之后")
    newest = _events([later.pk])[-1][0]
    connection.set_schema_to_public()

    found = history_integrity_task.run(school_id=school.pk)

    assert found == [f"{EVENTS}#{ids[1]}: edited"]
    alert = oscar.notifications.get(kind="history_tampered")
    assert alert.title == f"历史记录核查发现 1 个问题：{school.name}"
    assert alert.body == f"{EVENTS}#{ids[1]}: edited"
    assert not dave.notifications.filter(kind="history_tampered").exists()
    # the new row was sealed all the same, and the day's anchor records the problem outside the database
    assert HistorySeal.objects.filter(school=school, event_table=EVENTS, pgh_id=newest).exists()
    daily = [e for e in history_anchors(school=school) if "head" in e]
    assert daily[-1]["problems"] == 1
    assert daily[-1]["first_problems"] == found
    # the next night: same finding, no second alert, and sealing still goes on
    connection.set_tenant(school)
    again = Department.objects.create(name="审计-再之后")
    connection.set_schema_to_public()
    assert history_integrity_task.run(school_id=school.pk) == found
    assert oscar.notifications.filter(kind="history_tampered").count() == 1
    connection.set_tenant(school)
    assert HistorySeal.objects.filter(school=school, event_table=EVENTS, pgh_id=_events([again.pk])[-1][0]).exists()


# --- anchors outside the database -------------------------------------------------------------------------

def test_chain_cut_back_and_resealed_is_found_by_the_anchor(sealed, settings):
    school, rows, ids = sealed
    seals = _seals(school)
    # the DBA rewrites the last change consistently (history row and live row), deletes its seal so the
    # chain ends one earlier and verifies, and lets the hourly run seal the rewritten row again
    with triggers_off() as cursor:
        cursor.execute(f"UPDATE {EVENTS} SET name = '审计-0-假名' WHERE pgh_id = %s", [ids[3]])
        cursor.execute(f"UPDATE {LIVE} SET name = '审计-0-假名' WHERE id = %s", [rows[0].pk])
    with seal_protection_off() as cursor:
        cursor.execute(
            "DELETE FROM public.tenants_historyseal WHERE school_id = %s AND event_table = %s AND seq = %s",
            [school.pk, EVENTS, seals[-1][0]],
        )
    connection.set_schema_to_public()
    history_seal_task.run(school_id=school.pk)
    resealed = _seals(school)
    assert [s[:2] for s in resealed] == [s[:2] for s in seals]
    assert resealed[-1][2] != seals[-1][2]

    anchored_at = [e for e in history_anchors(school=school) if "head" in e][0]["at"]
    assert _found(school) == [(EVENTS, ids[3], "anchor_mismatch", f"seal {seals[-1][0]} anchored {anchored_at}")]
    # without the anchor log the rewrite would verify: the key alone cannot see a chain cut back
    settings.HISTORY_ANCHOR_DIR = settings.HISTORY_ANCHOR_DIR + "-elsewhere"
    assert _found(school) == []


def test_every_seal_of_a_table_deleted_is_found_by_the_anchor(sealed):
    school, _rows, _ids = sealed
    with seal_protection_off() as cursor:
        cursor.execute("DELETE FROM public.tenants_historyseal WHERE school_id = %s AND event_table = %s",
                       [school.pk, EVENTS])
    anchored = [e for e in history_anchors(school=school) if "head" in e][0]
    assert _found(school) == [
        (EVENTS, None, "anchor_mismatch", f"seal {anchored['heads'][EVENTS][0]} anchored {anchored['at']}")
    ]


def test_day_head_goes_to_the_bureau_and_the_operators(sealed, settings, oscar, dave, erin):
    school, _rows, _ids = sealed
    settings.HISTORY_ANCHOR_EMAILS = ["audit@north.example.cn"]
    connection.set_schema_to_public()
    history_integrity_task.run(school_id=None)
    head = [e for e in history_anchors(school=school) if "head" in e][-1]["head"]

    assert history_anchor_send_task.run() >= 1

    to_dave = dave.notifications.get(kind="history.anchor")
    assert to_dave.title == f"{timezone.localdate().isoformat()} 历史记录封存摘要 · {school.bureau.name}"
    assert f"{school.name}：摘要 {head}，" in to_dave.body
    assert head in to_dave.body
    assert oscar.notifications.filter(kind="history.anchor", body__contains=head).count() == 1
    assert not erin.notifications.filter(kind="history.anchor", body__contains=head).exists()  # another bureau
    assert [m.to for m in mail.outbox] == [["audit@north.example.cn"]]
    assert head in mail.outbox[0].body
    # sent once a day, however often the task runs
    history_anchor_send_task.run()
    assert dave.notifications.filter(kind="history.anchor").count() == 1


def test_anchor_log_is_appended_never_rewritten(sealed):
    school, _rows, _ids = sealed
    connection.set_tenant(school)
    Department.objects.create(name="审计-追加")
    connection.set_schema_to_public()
    before = history_anchors(school=school)
    history_seal_task.run(school_id=school.pk)
    history_seal_task.run(school_id=school.pk)  # nothing new: no line
    after = history_anchors(school=school)
    assert after[: len(before)] == before
    assert len(after) == len(before) + 1
    assert list(after[-1]["heads"]) == [EVENTS]


# --- keys ----------------------------------------------------------------------------------------------------

def test_seals_by_a_rotated_key_verify_while_the_old_key_is_kept(sealed, settings):
    school, _rows, _ids = sealed
    old_id, old_key = seal_key()
    # rotate: a new key seals from now on, the old one is kept for verifying
    settings.HISTORY_SEAL_KEY = "rotated-key-" + "9" * 40
    settings.HISTORY_SEAL_OLD_KEYS = [old_key.decode()]
    new_id = seal_key()[0]
    connection.set_tenant(school)
    Department.objects.create(name="审计-新钥匙")
    connection.set_schema_to_public()
    history_seal_task.run(school_id=school.pk)

    key_ids = set(HistorySeal.objects.filter(school=school, event_table=EVENTS).values_list("key_id", flat=True))
    assert key_ids == {old_id, new_id}
    assert old_id != new_id
    assert history_verify(school=school) == []
    # the old key dropped: its seals can no longer be checked, and verification says so
    settings.HISTORY_SEAL_OLD_KEYS = []
    assert {p.kind for p in history_verify(school=school)} == {"unknown_key"}


def test_development_key_is_derived_for_this_purpose_only(settings):
    settings.HISTORY_SEAL_KEY = ""
    key_id, key = seal_key()
    assert key != settings.SECRET_KEY.encode()
    assert len(key_id) == 12
    settings.SECRET_KEY = settings.SECRET_KEY + "-other"
    assert seal_key()[0] != key_id  # another SECRET_KEY is another key, under another id
    settings.HISTORY_SEAL_KEY = "production-key-" + "1" * 40
    assert seal_key()[1] == b"production-key-" + b"1" * 40
