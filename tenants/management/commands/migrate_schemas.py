"""migrate_schemas that also keeps the template schema, which new schools are cloned from, current."""

from django.core.management.commands import makemigrations
from django_tenants.management.commands.migrate_schemas import MigrateSchemasCommand

from tenants.services import template_schema_migrate


class Command(MigrateSchemasCommand):
    # pgtrigger patches makemigrations' autodetector; migrate must use the same one (Django 5.2 check).
    autodetector = makemigrations.Command.autodetector

    def handle(self, *args, **options):
        super().handle(*args, **options)
        # A clone of a stale template would be faked up to date and miss tables: migrate it with
        # the schools whenever tenant migrations run for all of them.
        if self.sync_tenant and self.schema_name in (None, "", self.PUBLIC_SCHEMA_NAME):
            template_schema_migrate(verbosity=options.get("verbosity", 1))
