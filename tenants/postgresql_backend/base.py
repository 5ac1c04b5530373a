"""django-tenants' PostgreSQL backend, with a table listing that does not grow with the number of schools.

Django lists a schema's tables by scanning all of pg_class and asking pg_table_is_visible() of every row.
With a thousand school schemas pg_class holds about a million rows, and `migrate` asks for the list four
times per schema (MigrationRecorder.has_table): 0.25 s per call at 540 schools, 2 s per schema at 1,000.
Here the same list (tables, views, materialized views, partitioned and foreign tables of the current
schema only, as django-tenants' introspection answers) is read through pg_depend's index on the
referenced object: every relation depends on its namespace. About 5 ms whatever the number of schools.
"""

from __future__ import annotations

from django.db.backends.postgresql.introspection import TableInfo
from django_tenants.postgresql_backend.base import DatabaseWrapper as TenantDatabaseWrapper
from django_tenants.postgresql_backend.introspection import DatabaseSchemaIntrospection

_TABLES = """
    SELECT
        c.relname,
        CASE
            WHEN c.relispartition THEN 'p'
            WHEN c.relkind IN ('m', 'v') THEN 'v'
            ELSE 't'
        END,
        obj_description(c.oid, 'pg_class')
    FROM pg_catalog.pg_depend d
    JOIN pg_catalog.pg_class c ON c.oid = d.objid
    WHERE d.refclassid = 'pg_catalog.pg_namespace'::regclass
        AND d.refobjid = (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = %s)
        AND d.classid = 'pg_catalog.pg_class'::regclass
        AND d.objsubid = 0
        AND d.deptype = 'n'
        AND c.relkind IN ('f', 'm', 'p', 'r', 'v')
"""


class SchemaIntrospection(DatabaseSchemaIntrospection):
    def get_table_list(self, cursor):
        """The tables and views of the current schema (not of public, not of the search_path's others)."""
        cursor.execute(_TABLES, [self.connection.schema_name])
        return [TableInfo(*row) for row in cursor.fetchall() if row[0] not in self.ignored_tables]


class DatabaseWrapper(TenantDatabaseWrapper):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.introspection = SchemaIntrospection(self)
