from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from tenants.models import Bureau
from tenants.services import school_create


class Command(BaseCommand):
    help = "Create a school (and its schema, cloned from the template) in a bureau."

    def add_arguments(self, parser):
        parser.add_argument("--bureau", required=True, help="bureau code")
        parser.add_argument("--name", required=True)
        parser.add_argument("--slug", required=True, help="host name and schema name")
        parser.add_argument("--students", type=int, default=0)
        parser.add_argument("--staff", type=int, default=0)
        parser.add_argument("--migrate", action="store_true", help="migrate from zero instead of cloning")

    def handle(self, *args, **options):
        bureau = Bureau.objects.filter(code=options["bureau"]).first()
        if bureau is None:
            raise CommandError(f"No bureau with code {options['bureau']!r}.")
        try:
            school = school_create(
                bureau=bureau, name=options["name"], slug=options["slug"], use_template=not options["migrate"],
                student_count=options["students"], staff_count=options["staff"],
            )
        except ValidationError as exc:
            messages = "; ".join(m for msgs in exc.message_dict.values() for m in msgs) if hasattr(exc, "error_dict") else "; ".join(exc.messages)
            raise CommandError(messages)
        self.stdout.write(self.style.SUCCESS(f"Created {school.name} at {school.url()}"))
