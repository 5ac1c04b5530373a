"""The backend's table listing: the same answer as django-tenants', read through pg_depend's index."""

from __future__ import annotations

from django.db import connection
from django_tenants.postgresql_backend.introspection import DatabaseSchemaIntrospection

from tenants.postgresql_backend.base import SchemaIntrospection


def _both(schema: str):
    connection.set_schema(schema)
    with connection.cursor() as cursor:
        slow = sorted(DatabaseSchemaIntrospection(connection).get_table_list(cursor))
        fast = sorted(connection.introspection.get_table_list(cursor))
    return slow, fast


def test_the_backend_uses_the_fast_listing():
    assert isinstance(connection.introspection, SchemaIntrospection)


def test_same_tables_as_django_tenants_for_public_and_a_school(school_a):
    for schema in ("public", school_a.schema_name):
        slow, fast = _both(schema)
        assert fast == slow
        assert len(fast) > 20


def test_views_count_and_other_schemas_do_not(school_a, school_b):
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE VIEW "{school_a.schema_name}".bench_view AS SELECT 1 AS one')
        cursor.execute(f'CREATE TABLE "{school_b.schema_name}".only_in_b (id int)')
    slow, fast = _both(school_a.schema_name)
    names = {t.name: t.type for t in fast}
    assert fast == slow
    assert names["bench_view"] == "v"
    assert "only_in_b" not in names
    assert "tenants_school" not in names  # public's tables are not this schema's
    connection.set_schema_to_public()


def test_migration_recorder_sees_the_schema_own_table(school_a):
    from django.db.migrations.recorder import MigrationRecorder

    connection.set_schema(school_a.schema_name, include_public=False)
    assert MigrationRecorder(connection).has_table()
    connection.set_schema_to_public()
