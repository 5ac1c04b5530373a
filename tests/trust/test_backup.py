"""export_school then import_school: same rows, same files, the history chain still verifies."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from schools.models import Department
from tenants.backup import school_export, school_import
from tenants.integrity import history_seal
from tenants.models import Membership, School
from tests.conftest import MARKER


def test_export_then_restore_under_new_slug(school_a, tmp_path, settings):
    # given school A with rows, a file and sealed history
    settings.MEDIA_ROOT = str(tmp_path / "media")
    connection.set_tenant(school_a)
    Department.objects.create(name="备份测试处")
    (tmp_path / "media" / "alpha" / "docs").mkdir(parents=True)
    (tmp_path / "media" / "alpha" / "docs" / "a.pdf").write_bytes(b"%PDF-1.4 test")
    connection.set_schema_to_public()
    history_seal(school=school_a)
    archive = tmp_path / "alpha.tar.gz"

    # when it is exported and restored as another school
    manifest = school_export(school=school_a, path=archive)
    result = school_import(path=archive, slug="alpharestored")

    # then every table has the same rows, people and files came along, and history verifies
    assert result.history_problems == []
    restored = School.objects.get(slug="alpharestored")
    connection.set_tenant(restored)
    names = set(Department.objects.values_list("name", flat=True))
    assert {"备份测试处", MARKER["alpha"]} <= names
    connection.set_schema_to_public()
    assert result.rows == sum(manifest["tables"].values())
    assert Membership.objects.filter(school=restored).count() == Membership.objects.filter(school=school_a).count()
    assert (tmp_path / "media" / "alpharestored" / "docs" / "a.pdf").read_bytes() == b"%PDF-1.4 test"
    # new rows after a restore get fresh ids (sequences were reset)
    connection.set_tenant(restored)
    assert Department.objects.create(name="恢复后新增").pk > max(Department.objects.exclude(name="恢复后新增").values_list("pk", flat=True))


def test_restore_refuses_clashing_slug(school_a, tmp_path):
    archive = tmp_path / "alpha.tar.gz"
    school_export(school=school_a, path=archive)
    with pytest.raises(ValidationError):
        school_import(path=archive)  # alpha exists
    assert School.objects.filter(slug="alpha").count() == 1
