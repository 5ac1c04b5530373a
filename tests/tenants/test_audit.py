"""History by triggers: the acting user and the request id are recorded with each change."""

from pghistory.models import Events

from schools.models import Department
from tenants.audit import history_for


def test_raw_sql_change_is_recorded(in_school_a):
    department = Department.objects.create(name="总务处-审计")
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("UPDATE schools_department SET name = %s WHERE id = %s", ["总务处-改", department.pk])
    labels = [e.pgh_label for e in Events.objects.tracks(department).order_by("pgh_id")]
    assert labels == ["insert", "update"]


def test_history_carries_user_and_request_id(client_for, alice, school_a):
    # given a write through a request on A's host
    from django.db import connection

    connection.set_tenant(school_a)
    department = Department.objects.create(name="教导处-审计")
    connection.set_schema_to_public()
    import pghistory

    # when the change is made inside a request-like context
    connection.set_tenant(school_a)
    with pghistory.context(user=alice.pk, request_id="req-123"):
        department.name = "教导处-改名"
        department.save()

    # then the history row names alice and the request
    rows = history_for(department)
    assert rows[0]["label"] == "update"
    assert rows[0]["user"] == alice
    assert rows[0]["request_id"] == "req-123"
    assert rows[0]["diff"]["name"] == ["教导处-审计", "教导处-改名"]


def test_history_rows_cannot_be_updated_or_deleted(in_school_a):
    import pytest
    from django.db import DatabaseError, transaction

    department = Department.objects.create(name="只增不改")
    event_model = Department.pgh_event_models["insert"] if hasattr(Department, "pgh_event_models") else None
    from django.apps import apps

    event_model = event_model or apps.get_model("schools", "DepartmentEvent")
    event = event_model.objects.get(pgh_obj_id=department.pk)
    with pytest.raises(DatabaseError), transaction.atomic():
        event_model.objects.filter(pk=event.pk).update(name="篡改")
    with pytest.raises(DatabaseError), transaction.atomic():
        event_model.objects.filter(pk=event.pk).delete()
    assert event_model.objects.get(pk=event.pk).name == "只增不改"
