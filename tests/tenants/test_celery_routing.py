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


@pytest.mark.parametrize(
    ("task", "queue"),
    [
        ("reporting.tasks.school_metrics_refresh_task", "metrics"),
        ("reporting.tasks.metrics_nightly_task", "metrics"),
        ("api.tasks.webhook_deliver_task", "webhooks"),
        ("tenants.tasks.notification_delivery_send_task", "notifications"),
        ("repairs.tasks.robot_message_post_task", "notifications"),
        ("repairs.tasks.repairs_escalate_all_task", "celery"),
        ("tenants.tasks.school_provision_task", "celery"),
    ],
)
def test_tasks_go_to_their_workload_queue(task, queue):
    assert task in app.tasks, task
    assert app.amqp.router.route({}, task)["queue"].name == queue


def test_every_task_goes_to_a_declared_queue_and_a_plain_worker_consumes_them_all():
    declared = {q.name for q in app.conf.task_queues}
    assert declared == {"celery", "metrics", "webhooks", "notifications"}
    ours = [name for name in app.tasks if name.split(".")[0] in ("tenants", "schools", "assets", "repairs",
                                                                  "safety", "reporting", "api")]
    assert len(ours) > 20
    assert {app.amqp.router.route({}, name)["queue"].name for name in ours} <= declared
    assert set(app.amqp.queues) == declared  # what a worker started without -Q consumes


@pytest.mark.django_db(transaction=False)
def test_task_on_another_queue_runs_in_its_schema(celery_worker, school_a):
    connection.set_tenant(school_a)
    result = current_schema_task.apply_async(queue="metrics")
    connection.set_schema_to_public()
    assert result.get(timeout=20) == "alpha"
