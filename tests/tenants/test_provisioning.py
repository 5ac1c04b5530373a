import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django_tenants.utils import schema_exists

from tenants.models import School
from tenants.services import school_create


def _tables(schema: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s", [schema])
        return {row[0] for row in cursor.fetchall()}


def _tenant_tables() -> set[str]:
    from django.conf import settings

    names = set()
    for label in settings.TENANT_APPS:
        config = apps.get_app_config(label.split(".")[-1])
        for model in config.get_models():
            if model._meta.managed and not model._meta.proxy:
                names.add(model._meta.db_table)
    return names


@pytest.mark.django_db(transaction=False)
def test_provisioned_school_holds_every_tenant_table(bureau_north):
    school = school_create(bureau=bureau_north, name="新建小学", slug="newschool1")
    try:
        missing = _tenant_tables() - _tables("newschool1")
        assert missing == set()
        assert school.domains.get().domain == "newschool1.localhost"
        # the clone carries the migration records, so the school is up to date
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM newschool1.django_migrations")
            assert cursor.fetchone()[0] > 0
    finally:
        school.delete(force_drop=True)


@pytest.mark.parametrize("slug", ["Bad-Slug", "1abc", "a", "public", "school_template", "has space", "pg_x"])
def test_create_school_refuses_invalid_slug(bureau_north, slug):
    before = School.objects.count()
    with pytest.raises(ValidationError):
        school_create(bureau=bureau_north, name="X", slug=slug)
    assert School.objects.count() == before


def test_create_school_refuses_taken_slug(bureau_north):
    with pytest.raises(ValidationError) as info:
        school_create(bureau=bureau_north, name="X", slug="alpha")
    assert "already exists" in str(info.value) or "已存在" in str(info.value)


def test_create_school_command_gives_clear_message_and_leaves_nothing(bureau_north):
    with pytest.raises(CommandError) as info:
        call_command("create_school", bureau="north", name="坏名字", slug="Bad-Slug")
    assert "lowercase" in str(info.value) or "小写" in str(info.value)
    assert not schema_exists("bad-slug")
    with pytest.raises(CommandError):
        call_command("create_school", bureau="north", name="重复", slug="alpha")
    with pytest.raises(CommandError):
        call_command("create_school", bureau="nobureau", name="X", slug="okslug")
    assert not School.objects.filter(slug="okslug").exists()


def test_failed_provisioning_leaves_no_schema(bureau_north, monkeypatch):
    from tenants import models

    def boom(*args, **kwargs):
        raise RuntimeError("clone failed")

    monkeypatch.setattr(models.Domain, "save", boom)
    with pytest.raises(RuntimeError):
        school_create(bureau=bureau_north, name="失败小学", slug="failing1")
    assert not schema_exists("failing1")
    assert not School.objects.filter(slug="failing1").exists()
