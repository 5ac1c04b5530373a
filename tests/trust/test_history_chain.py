"""The nightly hash chain detects an edited, a deleted and a reordered history row."""

import hashlib

import pgtrigger
import pytest
from django.db import connection

from schools.models import Department
from tenants.integrity import history_seal, history_verify
from tenants.tasks import history_integrity_task

EVENT_TABLE = "schools_departmentevent"
BYPASS = "schools.DepartmentEvent:append_only"


@pytest.fixture(autouse=True)
def _anchor_log(settings, tmp_path):
    # The anchor log outlives the test's rolled-back database: each test gets its own.
    settings.HISTORY_ANCHOR_DIR = str(tmp_path / "anchors")


@pytest.fixture
def sealed_history(in_school_a):
    # given three departments written and the history sealed
    rows = [Department.objects.create(name=f"链-{i}") for i in range(3)]
    history_seal(school=in_school_a)
    connection.set_tenant(in_school_a)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT pgh_id FROM {EVENT_TABLE} WHERE pgh_obj_id = ANY(%s) ORDER BY pgh_id", [[d.pk for d in rows]]
        )
        ids = [r[0] for r in cursor.fetchall()]
    return in_school_a, ids


def _tamper(sql: str, params: list) -> None:
    with pgtrigger.ignore(BYPASS), connection.cursor() as cursor:
        cursor.execute(sql, params)


def _kinds(school) -> dict[int, str]:
    return {p.pgh_id: p.kind for p in history_verify(school=school) if p.table == EVENT_TABLE}


def test_untouched_history_verifies(sealed_history):
    school, _ = sealed_history
    assert history_verify(school=school) == []


def test_edited_row_is_detected(sealed_history):
    school, ids = sealed_history
    connection.set_tenant(school)
    _tamper(f"UPDATE {EVENT_TABLE} SET name = %s WHERE pgh_id = %s", ["篡改", ids[1]])
    assert _kinds(school) == {ids[1]: "edited"}


def test_deleted_row_is_detected(sealed_history):
    school, ids = sealed_history
    connection.set_tenant(school)
    _tamper(f"DELETE FROM {EVENT_TABLE} WHERE pgh_id = %s", [ids[0]])
    assert _kinds(school) == {ids[0]: "deleted"}


def test_reordered_rows_are_detected(sealed_history):
    school, ids = sealed_history
    connection.set_tenant(school)
    # swap the positions of two rows by exchanging their ids
    _tamper(f"UPDATE {EVENT_TABLE} SET pgh_id = -1 WHERE pgh_id = %s", [ids[0]])
    _tamper(f"UPDATE {EVENT_TABLE} SET pgh_id = %s WHERE pgh_id = %s", [ids[0], ids[2]])
    _tamper(f"UPDATE {EVENT_TABLE} SET pgh_id = %s WHERE pgh_id = -1", [ids[2]])
    assert _kinds(school) == {ids[0]: "reordered", ids[2]: "reordered"}


def test_nightly_task_reports_tampering_to_operators(sealed_history, oscar):
    school, ids = sealed_history
    connection.set_tenant(school)
    _tamper(f"UPDATE {EVENT_TABLE} SET name = %s WHERE pgh_id = %s", ["改", ids[2]])
    connection.set_schema_to_public()
    problems = history_integrity_task.run(school_id=school.pk)
    assert problems == [f"{EVENT_TABLE}#{ids[2]}: edited"]
    assert oscar.notifications.filter(kind="history_tampered").count() == 1


def test_public_history_is_chained_too(db, alice):
    history_seal(school=None)
    assert history_verify(school=None) == []


def test_upgrade_relinks_existing_seals_with_the_key_and_back(sealed_history):
    # given seals as they were before seals were keyed (migration 0012 run backwards)
    import importlib

    from django.apps import apps

    from tenants.models import HistorySeal

    relink = importlib.import_module("tenants.migrations.0012_historyseal_seq_key_id")
    school, ids = sealed_history
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE public.tenants_historyseal DISABLE TRIGGER USER")  # as 0014 backwards does
    relink.relink_unkeyed(apps, None)
    seal = HistorySeal.objects.get(school=school, event_table=EVENT_TABLE, pgh_id=ids[0])
    previous = HistorySeal.objects.filter(school=school, event_table=EVENT_TABLE, seq=seal.seq - 1).first()
    expected = hashlib.sha256(
        f"{previous.chain_hash if previous else '0' * 64}:{seal.pgh_id}:{seal.row_hash}".encode()
    ).hexdigest()
    assert seal.chain_hash == expected
    assert {p.kind for p in history_verify(school=school)} == {"forged"}

    # when the upgrade runs forwards again, the chain is keyed and verifies
    relink.relink_keyed(apps, None)
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE public.tenants_historyseal ENABLE TRIGGER USER")
    assert history_verify(school=school) == []
