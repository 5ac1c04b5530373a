"""A task sent from a school's context runs in that school's schema, on a real (in-process) worker."""

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import connection

from config.celery import app
from tenants.tasks import current_schema_task


@pytest.fixture(scope="module")
def celery_worker(django_db_blocker):
    # Earlier tests leave tasks in the in-memory queue (metrics refreshes after their writes); drop them
    # so this worker answers the tasks under test, not a backlog that can outlast the timeout.
    app.control.purge()
    with django_db_blocker.unblock(), start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING"):
        yield


@pytest.mark.django_db(transaction=False)
def test_task_sent_from_school_runs_in_its_schema(celery_worker, school_a, school_c):
    results = []
    for school in (school_a, school_c, school_a):
        connection.set_tenant(school)
        results.append((school.schema_name, current_schema_task.delay()))
        connection.set_schema_to_public()
    ran_in = [(sent, result.get(timeout=20)) for sent, result in results]
    assert ran_in == [("alpha", "alpha"), ("gamma", "gamma"), ("alpha", "alpha")]


@pytest.mark.django_db(transaction=False)
def test_task_sent_from_public_runs_in_public(celery_worker):
    connection.set_schema_to_public()
    assert current_schema_task.delay().get(timeout=20) == "public"
