from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from tenants.backup import school_import


class Command(BaseCommand):
    help = "Restore a school archive written by export_school (into this or another database)."

    def add_arguments(self, parser):
        parser.add_argument("archive")
        parser.add_argument("--slug", help="restore under another host name")
        parser.add_argument("--bureau", help="bureau code to restore into (default: the archive's)")

    def handle(self, *args, **options):
        try:
            result = school_import(path=options["archive"], slug=options["slug"], bureau_code=options["bureau"])
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages))
        if result.history_problems:
            raise CommandError(f"Restored, but the history chain does not verify: {result.history_problems[:5]}")
        self.stdout.write(self.style.SUCCESS(
            f"Restored {result.school.name} at {result.school.url()}: {result.tables} tables, {result.rows} rows, "
            f"history chain verified, in {result.seconds:.1f}s"
        ))
