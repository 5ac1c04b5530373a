"""One process for `./dev up`'s start-up: migrate when needed, collect static files, load the demo."""

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django_tenants.utils import schema_context, schema_exists

from tenants.demo import demo_loaded, load_demo
from tenants.services import template_schema_name


def _pending(schema: str) -> bool:
    if schema != "public" and not schema_exists(schema):
        return True
    with schema_context(schema):
        executor = MigrationExecutor(connection)
        return bool(executor.migration_plan(executor.loader.graph.leaf_nodes()))


class Command(BaseCommand):
    help = "Prepare the development server: migrate (only when needed), collectstatic, demo data."

    def handle(self, *args, **options):
        if _pending("public") or _pending(template_schema_name()):
            self.stdout.write("[dev] migrating")
            call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        if not demo_loaded():
            self.stdout.write("[dev] loading the demo district (first run only)")
            load_demo(stdout=self.stdout)
