"""Media on an S3 API (core/storage.py) against moto's S3 server on 127.0.0.1: a hazard photo and a signed
agreement's scan land under the school's schema prefix as private objects, and reach a browser only
through the permission-checked views (another school's user and anonymous get nothing)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from bench.topology import free_port
from safety.choices import AgreementKind
from safety.models import Agreement, HazardPhoto
from safety.services import (
    agreement_campaign_issue,
    agreement_scan_upload,
    agreement_template_create,
    school_class_create,
)
from tenants.roles import Role
from tests.safety.conftest import person

boto3 = pytest.importorskip("boto3")
moto_server = pytest.importorskip("moto.server")

BUCKET = "houqin-media"
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")
PDF = b"%PDF-1.4 signed copy of the route agreement"
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "region_name": "us-east-1"}


@pytest.fixture(scope="module")
def s3_endpoint():
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    boto3.client("s3", endpoint_url=endpoint, **CREDENTIALS).create_bucket(Bucket=BUCKET)
    yield endpoint
    server.stop()


@pytest.fixture
def s3(settings, s3_endpoint):
    """STORAGES as config/settings.py makes them from MEDIA_S3_*; the bucket's client to look inside."""
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "core.storage.SchoolS3Storage", "OPTIONS": {
        "bucket_name": BUCKET, "endpoint_url": s3_endpoint, "region_name": "us-east-1", "access_key": "testing",
        "secret_key": "testing", "location": "media", "addressing_style": "path",
        "signature_version": "s3v4"}}}
    client = boto3.client("s3", endpoint_url=s3_endpoint, **CREDENTIALS)
    yield client
    for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=item["Key"])


def _keys(client) -> list[str]:
    return sorted(item["Key"] for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []))


def _public_grants(client, key: str) -> list:
    acl = client.get_object_acl(Bucket=BUCKET, Key=key)
    return [g for g in acl["Grants"] if "URI" in g["Grantee"]]  # AllUsers / AuthenticatedUsers groups


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_settings_use_the_school_s3_storage_only_when_a_bucket_is_set():
    code = ("import django; from django.conf import settings; django.setup(); "
            "d = settings.STORAGES['default']; print(d['BACKEND'], d.get('OPTIONS', {}).get('bucket_name'))")
    env = {"DJANGO_SETTINGS_MODULE": "config.settings", "PATH": "/usr/bin:/bin"}
    plain = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert plain.stdout.strip() == "django_tenants.files.storage.TenantFileSystemStorage None"
    s3 = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                        env={**env, "MEDIA_S3_BUCKET": "houqin-media", "MEDIA_S3_ENDPOINT_URL": "http://minio:9000"})
    assert s3.stdout.strip() == "core.storage.SchoolS3Storage houqin-media"


def test_hazard_photo_lands_under_the_school_prefix_and_is_served_only_to_its_readers(
        s3, client_for, school_a, school_b, charlie):
    # given
    sam = person("sam", Role.SAFETY_OFFICER, school_a)
    client = client_for(sam, school_a)

    # when
    photo = SimpleUploadedFile("found.png", PNG, content_type="image/png")
    response = client.post("/safety/l/hazards/new/", {"category": "fire", "grade": "general",
                                                      "description": "灭火器过期", "location_text": "二楼", "photo": photo})

    # then: one private object under media/<school A's schema>/
    assert response.status_code == 302
    connection.set_tenant(school_a)
    row = HazardPhoto.objects.get()
    connection.set_schema_to_public()
    key = f"media/{school_a.schema_name}/{row.image.name}"
    assert _keys(s3) == [key]
    assert row.image.name.startswith("safety/hazards/")
    assert s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() == PNG
    assert _public_grants(s3, key) == []
    # the school's reader gets it through the view, streamed from the bucket
    served = client.get(f"/safety/hazards/photos/{row.pk}/")
    assert served.status_code == 200
    assert _body(served) == PNG
    # another school's principal, on this school's host or their own, and anonymous get nothing
    assert client_for(charlie, school_a).get(f"/safety/hazards/photos/{row.pk}/").status_code == 403
    other = client_for(charlie, school_b).get(f"/safety/hazards/photos/{row.pk}/")
    assert other.status_code == 404
    anonymous = client_for(None, school_a).get(f"/safety/hazards/photos/{row.pk}/")
    assert anonymous.status_code == 302
    assert "/accounts/login/" in anonymous["Location"]
    assert PNG not in _body(other) + _body(anonymous)


def test_signed_agreement_scan_lands_under_the_school_prefix_and_is_served_only_to_its_readers(
        s3, client_for, school_a, school_b, charlie):
    # given: a route-safety campaign to the parents of one class of school A
    connection.set_tenant(school_a)
    sam = person("sam", Role.SAFETY_OFFICER, school_a)
    school_class_create(grade=1, name="一年级1班", student_count=1)
    template = agreement_template_create(actor=sam, kind=AgreementKind.ROUTE, title="学生路途安全责任书",
                                         body="家长负责学生上下学路途安全。")
    campaign = agreement_campaign_issue(actor=sam, template=template, term="2026-2027-1", groups=["parents"])
    agreement = Agreement.objects.get(campaign=campaign)

    # when
    scan = SimpleUploadedFile("signed.pdf", PDF, content_type="application/pdf")
    signed = agreement_scan_upload(actor=sam, agreement=agreement, scan=scan, signer_name="王家长")
    connection.set_schema_to_public()

    # then
    key = f"media/{school_a.schema_name}/{signed.scan.name}"
    assert _keys(s3) == [key]
    assert signed.scan.name.startswith("safety/agreements/")
    assert _public_grants(s3, key) == []
    served = client_for(sam, school_a).get(f"/safety/agreements/{agreement.pk}/scan/")
    assert served.status_code == 200
    assert _body(served) == PDF
    assert client_for(charlie, school_a).get(f"/safety/agreements/{agreement.pk}/scan/").status_code == 403
    assert client_for(charlie, school_b).get(f"/safety/agreements/{agreement.pk}/scan/").status_code == 404
    assert client_for(None, school_a).get(f"/safety/agreements/{agreement.pk}/scan/").status_code == 302


def test_the_same_name_in_two_schools_is_two_objects(s3, school_a, school_b):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    names = {}
    for school, content in ((school_a, b"A"), (school_b, b"B")):
        connection.set_tenant(school)
        names[school.schema_name] = default_storage.save("safety/hazards/same.png", ContentFile(content))
    connection.set_tenant(school_a)
    assert default_storage.open(names[school_a.schema_name]).read() == b"A"
    connection.set_schema_to_public()
    assert _keys(s3) == sorted(f"media/{schema}/{name}" for schema, name in names.items())
    # a URL, were one ever asked for, is signed and expires within minutes
    connection.set_tenant(school_a)
    url = default_storage.url(names[school_a.schema_name])
    connection.set_schema_to_public()
    assert "X-Amz-Signature=" in url
    assert "X-Amz-Expires=300" in url
