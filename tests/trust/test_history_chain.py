"""The nightly hash chain detects an edited, a deleted and a reordered history row."""

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
