from django.core.management.base import BaseCommand

from tenants.backup import backup_set_create


class Command(BaseCommand):
    help = (
        "Write a backup set of this database and MEDIA_ROOT with infra/backup/backup.sh (one snapshot for "
        "every schema, each school's files and their sha256); prints the set's folder."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", help="where the dated set folder is written")
        parser.add_argument("--jobs", type=int, default=2, help="schemas dumped at once")

    def handle(self, *args, **options):
        folder = backup_set_create(directory=options["directory"], jobs=options["jobs"])
        schools = (folder / "schools.txt").read_text().split()
        self.stdout.write(f"{folder}  ({len(schools)} schools)")
