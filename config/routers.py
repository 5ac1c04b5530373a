"""Reporting reads on a PostgreSQL read replica.

Active only when REPLICA_DATABASE_URL is set (config/settings.py then adds the `replica` database and
puts this router first). Reads of the apps in settings.REPLICA_READ_APPS (the bureau's read-models:
`reporting`) go to the replica, in the same schema as the request's primary connection, so a bureau
comparison over 1,000 schools does not load the primary that takes the schools' writes. Writes, and
every read inside a transaction (read-your-writes: a metrics refresh reads what it just wrote), stay
on the primary. The replica is never migrated: it follows the primary by streaming replication.
"""

from __future__ import annotations

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"


class ReplicaRouter:
    @staticmethod
    def active() -> bool:
        return REPLICA in settings.DATABASES

    def db_for_read(self, model, **hints):
        if not self.active() or model._meta.app_label not in getattr(settings, "REPLICA_READ_APPS", ()):
            return None
        primary = connections[DEFAULT_DB_ALIAS]
        if primary.in_atomic_block:
            return None
        replica = connections[REPLICA]
        tenant = getattr(primary, "tenant", None)
        if tenant is not None and getattr(replica, "schema_name", None) != primary.schema_name:
            replica.set_tenant(tenant, include_public=primary.include_public_schema)
        return REPLICA

    def db_for_write(self, model, **hints):
        return None

    def allow_relation(self, obj1, obj2, **hints):
        if {obj1._state.db, obj2._state.db} <= {DEFAULT_DB_ALIAS, REPLICA}:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return False if db == REPLICA else None
