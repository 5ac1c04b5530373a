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


def _catalog(schema: str) -> dict[str, int]:
    """How many tables, indexes, constraints, triggers and sequences a schema holds."""
    queries = {
        "tables": "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                  "WHERE n.nspname = %s AND c.relkind = 'r'",
        "indexes": "SELECT count(*) FROM pg_indexes WHERE schemaname = %s",
        "constraints": "SELECT count(*) FROM pg_constraint k JOIN pg_namespace n ON n.oid = k.connamespace "
                       "WHERE n.nspname = %s",
        "triggers": "SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s AND NOT t.tgisinternal",
        "sequences": "SELECT count(*) FROM pg_sequences WHERE schemaname = %s",
    }
    with connection.cursor() as cursor:
        out = {}
        for name, sql in queries.items():
            cursor.execute(sql, [schema])
            out[name] = cursor.fetchone()[0]
        return out


def test_new_school_replays_the_template_snapshot(bureau_north, monkeypatch):
    """Provisioning replays the SQL snapshot taken after migrate: the copy equals the template."""
    from django.conf import settings
    from django_tenants import clone

    from tenants.models import SchemaSnapshot

    assert SchemaSnapshot.objects.filter(base=settings.TENANT_BASE_SCHEMA).exists()

    def no_clone(*args, **kwargs):
        raise AssertionError("clone_schema must not run while a snapshot can be replayed")

    monkeypatch.setattr(clone.CloneSchema, "clone_schema", no_clone)
    with connection.cursor() as cursor:
        cursor.execute("SHOW search_path")
        path_before = cursor.fetchone()[0]
    school = school_create(bureau=bureau_north, name="快照小学", slug="snapone")
    try:
        assert _catalog("snapone") == _catalog(settings.TENANT_BASE_SCHEMA)
        with connection.cursor() as cursor:
            cursor.execute("SHOW search_path")
            assert cursor.fetchone()[0] == path_before  # the dump's search_path '' did not leak
            cursor.execute(f"SELECT count(*) FROM {settings.TENANT_BASE_SCHEMA}.django_migrations")
            expected = cursor.fetchone()[0]
            cursor.execute("SELECT count(*) FROM snapone.django_migrations")
            assert cursor.fetchone()[0] == expected
        # the copy works as a school: write a history-tracked row through the ORM
        from schools.models import Department

        connection.set_tenant(school)
        department = Department.objects.create(name="总务处")
        assert Department.objects.get(pk=department.pk).name == "总务处"
        from tenants.audit import history_for

        assert len(history_for(department)) == 1  # pghistory's trigger was copied and fires
    finally:
        connection.set_schema_to_public()
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # run the deferred checks before the drop
        school.delete(force_drop=True)


def test_stale_snapshot_is_retaken_and_missing_pg_dump_falls_back_to_clone(bureau_north, monkeypatch):
    from django.conf import settings

    from tenants import snapshot
    from tenants.models import SchemaSnapshot

    base = settings.TENANT_BASE_SCHEMA
    # A snapshot whose fingerprint no longer matches the template is not replayed.
    SchemaSnapshot.objects.filter(base=base).update(fingerprint="stale", sql="SELECT 1/0;")
    snapshot._cache.clear()
    assert "CREATE SCHEMA" in snapshot.snapshot_sql(base)
    assert SchemaSnapshot.objects.get(base=base).fingerprint == snapshot.template_fingerprint(base)

    # Without pg_dump the school is still provisioned, by django-tenants' clone.
    SchemaSnapshot.objects.filter(base=base).delete()
    snapshot._cache.clear()
    monkeypatch.setattr(snapshot, "pg_dump_path", lambda: None)
    school = school_create(bureau=bureau_north, name="克隆小学", slug="cloneone")
    try:
        assert _tenant_tables() - _tables("cloneone") == set()
    finally:
        connection.set_schema_to_public()
        school.delete(force_drop=True)
        snapshot._cache.clear()


def test_spare_schemas_make_provisioning_a_rename(bureau_north, settings):
    """With spares ready, a new school takes one (renamed); spares of an older template are never used."""
    from tenants import snapshot
    from tenants.tasks import spare_schemas_fill_task

    base = settings.TENANT_BASE_SCHEMA
    settings.TENANT_SPARE_SCHEMAS = 2
    assert spare_schemas_fill_task() == 2
    spares = snapshot.spare_schemas(base)
    assert len(spares) == 2
    assert _catalog(spares[0]) == _catalog(base)
    # A spare left by an older template (another fingerprint) is dropped, not claimed.
    with connection.cursor() as cursor:
        cursor.execute('CREATE SCHEMA "spare_000000000000_old"')
    school = school_create(bureau=bureau_north, name="备用小学", slug="spareone")
    try:
        left = snapshot.spare_schemas(base)
        assert left == spares[1:]  # the first spare became the school
        assert not schema_exists(spares[0])
        assert _catalog("spareone") == _catalog(base)
        assert _tenant_tables() - _tables("spareone") == set()
        from schools.models import Department
        from tenants.audit import history_for

        connection.set_tenant(school)
        department = Department.objects.create(name="后勤处")
        assert len(history_for(department)) == 1
        connection.set_schema_to_public()
        assert snapshot.spares_fill(base, 2) == 1  # topped up again
        assert not schema_exists("spare_000000000000_old")
    finally:
        connection.set_schema_to_public()
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        school.delete(force_drop=True)
        settings.TENANT_SPARE_SCHEMAS = 0
        for name in snapshot.spare_schemas(base):
            with connection.cursor() as cursor:
                cursor.execute(f'DROP SCHEMA "{name}" CASCADE')


def test_without_spares_provisioning_replays(bureau_north, settings):
    from tenants import snapshot

    settings.TENANT_SPARE_SCHEMAS = 1
    assert snapshot.spare_schemas(settings.TENANT_BASE_SCHEMA) == []
    school = school_create(bureau=bureau_north, name="无备用小学", slug="nospare")
    try:
        assert _tenant_tables() - _tables("nospare") == set()
    finally:
        connection.set_schema_to_public()
        school.delete(force_drop=True)
