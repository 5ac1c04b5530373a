from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from strawberry.printer import print_schema

SCHEMA_PATH = Path(settings.BASE_DIR) / "graphql" / "schema.graphql"


def current_schema_sdl() -> str:
    from api.schema import schema

    return print_schema(schema) + "\n"


class Command(BaseCommand):
    help = "Write the GraphQL contract to graphql/schema.graphql (a test fails when it is stale)."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="exit 1 if the committed file is stale")
        parser.add_argument("--baseline", action="store_true",
                            help="also write graphql/schema.baseline.graphql (after recording breaking changes "
                                 "in graphql/CHANGELOG.md)")

    def handle(self, *args, **options):
        sdl = current_schema_sdl()
        if options["check"]:
            if not SCHEMA_PATH.exists() or SCHEMA_PATH.read_text(encoding="utf-8") != sdl:
                self.stderr.write("graphql/schema.graphql is stale: run ./dev manage export_schema")
                raise SystemExit(1)
            self.stdout.write("graphql/schema.graphql is current.")
            return
        SCHEMA_PATH.write_text(sdl, encoding="utf-8")
        self.stdout.write(f"Wrote {SCHEMA_PATH.relative_to(settings.BASE_DIR)}")
        if options["baseline"]:
            from api.contract import BASELINE_PATH, CHANGELOG_PATH, unrecorded_breaking_changes

            if BASELINE_PATH.exists():
                changelog = CHANGELOG_PATH.read_text(encoding="utf-8") if CHANGELOG_PATH.exists() else ""
                missing = unrecorded_breaking_changes(BASELINE_PATH.read_text(encoding="utf-8"), sdl, changelog)
                if missing:
                    self.stderr.write("Record these breaking changes in graphql/CHANGELOG.md first:")
                    for change in missing:
                        self.stderr.write(f"- {change}")
                    raise SystemExit(1)
            BASELINE_PATH.write_text(sdl, encoding="utf-8")
            self.stdout.write(f"Wrote {BASELINE_PATH.relative_to(settings.BASE_DIR)}")
