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


# --- backup and restore of the bucket (tenants/backup.py, infra/backup/backup.sh) ----------------------


def s3_media_storage() -> SchoolS3Storage | None:
    """The media storage when it is the bucket, else None (media then lies under MEDIA_ROOT)."""
    from django.core.files.storage import storages

    storage = storages["default"]
    return storage if isinstance(storage, SchoolS3Storage) else None


def _root(storage: SchoolS3Storage) -> str:
    base = storage._base_location.strip("/")
    return f"{base}/" if base else ""


def media_pull(*, storage: SchoolS3Storage, directory, schemas: list[str] | None = None) -> int:
    """Copy every school's objects (or those of `schemas`) to `directory/<schema>/…`, the layout of
    MEDIA_ROOT, so a backup set tars them as it tars local media. Returns the number of files."""
    from pathlib import Path

    directory = Path(directory)
    root = _root(storage)
    prefixes = [f"{root}{schema}/" for schema in schemas] if schemas is not None else [root]
    count = 0
    for prefix in prefixes:
        for item in storage.bucket.objects.filter(Prefix=prefix):
            relative = item.key[len(root):]
            target = (directory / relative).resolve()
            if not str(target).startswith(str(directory.resolve()) + "/") or item.key.endswith("/"):
                continue  # a key that would leave the folder, or a "folder" marker
            target.parent.mkdir(parents=True, exist_ok=True)
            storage.bucket.download_file(item.key, str(target))
            count += 1
    return count


def media_prefix_keys(*, storage: SchoolS3Storage, schema: str) -> list[str]:
    return [item.key for item in storage.bucket.objects.filter(Prefix=f"{_root(storage)}{schema}/")]


def media_push(*, storage: SchoolS3Storage, schema: str, source) -> list[str]:
    """Upload the files under `source` (a restored school's staging folder) to the school's prefix as
    private objects; returns the keys written, so a failed restore can take them back."""
    from pathlib import Path

    source = Path(source)
    written = []
    try:
        for path in sorted(p for p in source.rglob("*") if p.is_file()):
            key = f"{_root(storage)}{schema}/{path.relative_to(source).as_posix()}"
            storage.bucket.upload_file(str(path), key, ExtraArgs={"ACL": storage.default_acl})
            written.append(key)
    except Exception:
        media_remove_keys(storage=storage, keys=written)
        raise
    return written


def media_remove_keys(*, storage: SchoolS3Storage, keys: list[str]) -> None:
    for start in range(0, len(keys), 1000):
        batch = keys[start : start + 1000]
        if batch:
            storage.bucket.delete_objects(Delete={"Objects": [{"Key": k} for k in batch], "Quiet": True})
