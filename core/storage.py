"""Media on an S3 API (MinIO, Alibaba OSS, AWS S3) when MEDIA_S3_BUCKET is set (config/settings.py).

Each school's files lie under its schema's prefix (`<MEDIA_S3_PREFIX>/<schema>/safety/hazards/…`), the
same layout as django-tenants' TenantFileSystemStorage under MEDIA_ROOT, so a backup, a restore or a
deletion of one school is one prefix. Objects are private (no public-read ACL, no public URL handed
out): every file reaches a browser through a permission-checked view that streams it from here.
"""

from __future__ import annotations

from django.db import connection
from storages.backends.s3 import S3Storage


class SchoolS3Storage(S3Storage):
    """django-storages' S3 backend with the current school's schema as the key prefix."""

    # Private objects, never overwritten (a second photo of the same name gets a new key), and a URL, if one
    # is ever asked for, only signed and short-lived.
    default_acl = "private"
    file_overwrite = False
    querystring_auth = True
    querystring_expire = 300
    _base_location = ""

    @property
    def location(self) -> str:
        # Read at every call, not at start-up: one storage object serves every school of the process.
        schema = connection.schema_name
        return f"{self._base_location.strip('/')}/{schema}" if self._base_location.strip("/") else schema

    @location.setter
    def location(self, value: str) -> None:
        self._base_location = value or ""
