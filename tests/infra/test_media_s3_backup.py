"""A backup set brings a school's media back when the media lives on an S3 API: backup.sh copies the
bucket out after the snapshot (MEDIA_PULL → manage.py media_pull), and a restore uploads the school's
files under the restored school's prefix — or, when it refuses, leaves nothing in the bucket."""

from __future__ import annotations

import hashlib
import shutil

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.test import override_settings

from bench.topology import free_port
from schools.models import Building
from tenants.backup import RestoreRefused, backup_set_create, school_restore
from tenants.integrity import history_seal
from tenants.models import Bureau, School
from tenants.services import school_create

boto3 = pytest.importorskip("boto3")
moto_server = pytest.importorskip("moto.server")

pytestmark = [
    pytest.mark.skipif(shutil.which("pg_dump") is None, reason="pg_dump is not installed"),
    pytest.mark.django_db,
]

BUCKET = "houqin-backup-media"
SCHEMA = "baks3"
REPORT = b"%PDF-1.4 appraisal report kept in the bucket"
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "region_name": "us-east-1"}


def _storages(endpoint: str, base_storages: dict) -> dict:
    return {**base_storages, "default": {"BACKEND": "core.storage.SchoolS3Storage", "OPTIONS": {
        "bucket_name": BUCKET, "endpoint_url": endpoint, "region_name": "us-east-1", "access_key": "testing",
        "secret_key": "testing", "location": "media", "addressing_style": "path", "signature_version": "s3v4"}}}


def _drop(slug: str) -> None:
    school = School.objects.filter(slug=slug).first()
    if school is not None:
        school.delete(force_drop=True)


def _keys(client, prefix: str) -> list[str]:
    return sorted(i["Key"] for i in client.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", []))


@pytest.fixture(scope="module")
def bucket_set(django_db_setup, django_db_blocker, tmp_path_factory):
    from django.conf import settings

    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    client = boto3.client("s3", endpoint_url=endpoint, **CREDENTIALS)
    client.create_bucket(Bucket=BUCKET)
    storages = _storages(endpoint, settings.STORAGES)
    folder = tmp_path_factory.mktemp("s3sets")
    media = tmp_path_factory.mktemp("s3media")  # stays empty: the files are in the bucket
    with django_db_blocker.unblock(), override_settings(STORAGES=storages, MEDIA_ROOT=str(media)):
        connection.set_schema_to_public()
        _drop(SCHEMA)
        school = school_create(bureau=Bureau.objects.get(code="north"), name="桶备份小学", slug=SCHEMA)
        connection.set_tenant(school)
        name = default_storage.save("buildings/report.pdf", ContentFile(REPORT))
        Building.objects.create(name="教学楼", floors=4, appraisal_report=name)
        connection.set_schema_to_public()
        history_seal(school=school)
        good = backup_set_create(directory=folder)
    yield {"set": good, "client": client, "storages": storages, "name": name}
    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        _drop(SCHEMA)
    server.stop()


def test_the_set_holds_the_bucket_files_of_the_school(bucket_set):
    good = bucket_set["set"]
    manifest = (good / "media" / f"{SCHEMA}.sha256").read_text()
    assert f"{hashlib.sha256(REPORT).hexdigest()}  ./{bucket_set['name']}" in manifest
    assert (good / "media" / f"{SCHEMA}.tar").stat().st_size > len(REPORT)


def test_restore_uploads_the_files_under_the_restored_prefix(bucket_set, settings, tmp_path):
    settings.STORAGES = bucket_set["storages"]
    settings.MEDIA_ROOT = str(tmp_path)
    client = bucket_set["client"]

    report = school_restore(backup_set=bucket_set["set"], schema=SCHEMA, new_schema="baks3back")

    assert report.files == 1
    key = f"media/baks3back/{bucket_set['name']}"
    assert _keys(client, "media/baks3back/") == [key]
    assert client.get_object(Bucket=BUCKET, Key=key)["Body"].read() == REPORT
    grants = client.get_object_acl(Bucket=BUCKET, Key=key)["Grants"]
    assert not [g for g in grants if "URI" in g["Grantee"]]  # private, as every upload
    # the restored school reads its file through the storage, under its own schema
    connection.set_tenant(School.objects.get(slug="baks3back"))
    building = Building.objects.get(name="教学楼")
    assert building.appraisal_report.read() == REPORT
    connection.set_schema_to_public()
    assert not list(tmp_path.iterdir()), "nothing is left in MEDIA_ROOT: the files went to the bucket"
    client.delete_object(Bucket=BUCKET, Key=key)


def test_a_failed_upload_leaves_nothing_in_the_bucket_and_no_school(bucket_set, settings, tmp_path, monkeypatch):
    settings.STORAGES = bucket_set["storages"]
    settings.MEDIA_ROOT = str(tmp_path)
    client = bucket_set["client"]
    import core.storage

    real_push = core.storage.media_push

    def push_then_lose_the_line(**kwargs):
        written = real_push(**kwargs)  # the objects are in the bucket …
        assert written
        raise ConnectionError("the bucket went away")  # … and then the restore fails

    monkeypatch.setattr(core.storage, "media_push", push_then_lose_the_line)
    with pytest.raises(ConnectionError):
        school_restore(backup_set=bucket_set["set"], schema=SCHEMA, new_schema="baks3bad")
    assert _keys(client, "media/baks3bad/") == []
    assert not School.objects.filter(slug="baks3bad").exists()


def test_a_prefix_that_already_holds_files_is_refused(bucket_set, settings, tmp_path):
    settings.STORAGES = bucket_set["storages"]
    settings.MEDIA_ROOT = str(tmp_path)
    client = bucket_set["client"]
    client.put_object(Bucket=BUCKET, Key="media/baks3taken/old.pdf", Body=b"someone's file")
    try:
        with pytest.raises(RestoreRefused, match="already holds files"):
            school_restore(backup_set=bucket_set["set"], schema=SCHEMA, new_schema="baks3taken")
        assert _keys(client, "media/baks3taken/") == ["media/baks3taken/old.pdf"]
    finally:
        client.delete_object(Bucket=BUCKET, Key="media/baks3taken/old.pdf")
