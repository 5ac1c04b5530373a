from django.core.management.base import BaseCommand, CommandError

from tenants.backup import RestoreRefused, school_restore


class Command(BaseCommand):
    help = (
        "Restore one school from a backup set written by infra/backup/backup.sh: its schema's rows, its files, "
        "memberships and history seals, checked against the set (row counts, file hashes, the history chain). "
        "Refuses rows that name users this database does not hold; nothing is written then."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--from", dest="backup_set", required=True, help="the set's folder (…/20260101T023000Z)"
        )
        parser.add_argument(
            "--schema", required=True, help="the school's schema (see schools.txt in the set)"
        )
        parser.add_argument(
            "--as",
            dest="new_schema",
            help="restore under another schema and host name, beside the school if it still exists here",
        )
        parser.add_argument(
            "--with-people",
            action="store_true",
            help="bring the users the school names from the set when this database lacks them",
        )

    def handle(self, *args, **options):
        try:
            report = school_restore(
                backup_set=options["backup_set"],
                schema=options["schema"],
                new_schema=options["new_schema"],
                with_people=options["with_people"],
            )
        except RestoreRefused as exc:
            raise CommandError(
                "Restore refused, nothing was written:\n  " + "\n  ".join(exc.problems)
            ) from None
        school = report.school
        lines = [
            f"Restored {school.name} ({report.source_schema} -> {school.schema_name}) at {school.url()}",
            f"  rows: {report.rows} in {report.tables} tables, each as counted under the backup's snapshot",
            f"  files: {report.files} ({report.file_bytes} bytes), each matching its sha256 in the manifest",
            f"  people: {report.memberships} memberships; every user the school names exists here"
            + (
                f" ({len(report.people_added)} brought from the set: {', '.join(report.people_added)})"
                if report.people_added
                else ""
            ),
            f"  history: {report.seals} seals, chain verified, head {report.chain_head[:16]}",
            "  steps: " + ", ".join(f"{name} {seconds:.2f}s" for name, seconds in report.steps.items()),
            *(f"  note: {note}" for note in report.notes),
        ]
        self.stdout.write("\n".join(lines))
        self.stdout.write(self.style.SUCCESS(f"Restore done in {report.seconds:.1f}s"))
