"""Other ways one school could reach another's data: tasks, savepoints, media URLs."""

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import IntegrityError, connection, transaction

from config.celery import app
from schools.models import Department
from tenants.tasks import current_schema_task
from tests.conftest import MARKER, HostClient


@pytest.fixture(scope="module")
def celery_worker(django_db_blocker):
    # Earlier tests leave tasks in the in-memory queue (metrics refreshes after their writes); drop them
    # so this worker answers the tasks under test, not a backlog that can outlast the timeout.
    app.control.purge()
    with django_db_blocker.unblock(), start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING"):
        yield


@pytest.mark.django_db(transaction=False)
def test_a_thousand_tasks_from_mixed_schools_each_run_in_their_own_schema(
    celery_worker, school_a, school_b, school_c, record_property
):
    schools = [school_a, school_b, school_c, None]
    sent = []
    for i in range(1000):
        school = schools[i % 4]
        if school is None:
            connection.set_schema_to_public()
        else:
            connection.set_tenant(school)
        sent.append((school.schema_name if school else "public", current_schema_task.delay()))
    connection.set_schema_to_public()
    misrouted = [(expected, got) for expected, result in sent if (got := result.get(timeout=60)) != expected]
    record_property("tasks_routed", len(sent))
    record_property("tasks_misrouted", len(misrouted))
    assert len(sent) == 1000
    assert misrouted == []


def test_after_error_and_savepoint_rollback_queries_stay_in_the_school(in_school_a):
    Department.objects.create(name="唯一部门")
    with pytest.raises(IntegrityError), transaction.atomic():
        Department.objects.create(name="唯一部门")
    # the next query still reads school A's rows, not public's or another school's
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        assert cursor.fetchone()[0] == "alpha"
    assert Department.objects.filter(name=MARKER["alpha"]).exists()
    assert not Department.objects.filter(name=MARKER["beta"]).exists()


@pytest.mark.parametrize("host", ["alpha.localhost", "beta.localhost", "localhost"])
def test_media_paths_are_never_served_directly(db, host, client_for, alice, school_a):
    # Files are only served by views that check permission; the raw media path is not a route.
    anonymous = HostClient(host).get("/media/alpha/buildings/report.pdf")
    signed_in = client_for(alice, school_a).get("/media/alpha/buildings/report.pdf")
    assert anonymous.status_code == 404
    assert signed_in.status_code == 404
