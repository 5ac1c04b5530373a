from django.core.management.base import BaseCommand, CommandError

from tenants.backup import school_export
from tenants.models import School


class Command(BaseCommand):
    help = "Write one school (its schema's rows, files, people and history seals) to a .tar.gz archive."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("archive")

    def handle(self, *args, **options):
        school = School.objects.filter(slug=options["slug"]).select_related("bureau").first()
        if school is None:
            raise CommandError(f"No school {options['slug']!r}.")
        manifest = school_export(school=school, path=options["archive"])
        rows = sum(manifest["tables"].values())
        self.stdout.write(self.style.SUCCESS(f"Exported {school.name}: {len(manifest['tables'])} tables, {rows} rows"))
