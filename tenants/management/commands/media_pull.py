"""Copy the schools' media from the bucket into a folder laid out as MEDIA_ROOT (<schema>/…).

infra/backup/backup.sh runs it (as MEDIA_PULL) after it has taken the database snapshot, when media
lives on an S3 API (MEDIA_S3_BUCKET), so the set tars each school's files as it does local media.
"""

from django.core.management.base import BaseCommand, CommandError

from core.storage import media_pull, s3_media_storage


class Command(BaseCommand):
    help = "Copy every school's media from the S3 bucket into a folder laid out as MEDIA_ROOT."

    def add_arguments(self, parser):
        parser.add_argument("directory")
        parser.add_argument("--schema", action="append", dest="schemas", help="only this school (repeatable)")

    def handle(self, *args, directory, schemas=None, **options):
        storage = s3_media_storage()
        if storage is None:
            raise CommandError("media is not on an S3 API here (MEDIA_S3_BUCKET is not set)")
        count = media_pull(storage=storage, directory=directory, schemas=schemas)
        self.stdout.write(f"{count} files copied from bucket {storage.bucket_name} to {directory}")
