"""School rows point at people in the public schema without foreign-key constraints, and people are never deleted.

A constraint from a school table to `tenants_user` puts two triggers on `tenants_user` itself; with ~60 links
per school that is 120,000 triggers at 1,000 schools, walked by every update of a user and rebuilt by every
new school (tenants/fields.py). These tests keep the links constraint-free and the deletion guard in place.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.admin.sites import site
from django.db import ProgrammingError, connection, transaction
from django.test import RequestFactory

from tenants.fields import school_links_to_public
from tenants.models import Membership, User
from tenants.services import school_create


def _links_to_public() -> list[tuple[str, bool]]:
    """Every relation a school-schema model declares towards a public-schema model, and whether it is constrained."""
    return [(f"{f.model._meta.label}.{f.name}", f.db_constraint) for f in school_links_to_public()]


def _constraints_to_public(schema: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT k.conname FROM pg_constraint k
               JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace cn ON cn.oid = c.relnamespace
               JOIN pg_class r ON r.oid = k.confrelid JOIN pg_namespace rn ON rn.oid = r.relnamespace
               WHERE k.contype = 'f' AND cn.nspname = %s AND rn.nspname = 'public'""",
            [schema],
        )
        return [row[0] for row in cursor.fetchall()]


def _triggers_on_users() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'public.tenants_user'::regclass")
        return cursor.fetchone()[0]


def test_every_school_model_links_to_people_without_a_constraint():
    links = _links_to_public()
    # The modules do point at people (reporters, custodians, signers …): the check is not vacuous.
    assert len(links) >= 60
    assert [name for name, constrained in links if constrained] == []


def test_template_and_schools_hold_no_constraint_towards_public(school_a):
    assert _constraints_to_public(settings.TENANT_BASE_SCHEMA) == []
    assert _constraints_to_public(school_a.schema_name) == []


def test_a_new_school_adds_no_trigger_to_the_users_table(bureau_north):
    before = _triggers_on_users()
    school = school_create(bureau=bureau_north, name="无触发器小学", slug="notrigger1")
    try:
        assert _triggers_on_users() == before
    finally:
        connection.set_schema_to_public()
        school.delete(force_drop=True)


def test_the_database_refuses_to_delete_a_person(alice, in_school_a):
    from schools.models import Department

    department = Department.objects.create(name="后勤处（删除测试）", head=alice)
    with pytest.raises(ProgrammingError) as info, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM public.tenants_user WHERE id = %s", [alice.pk])
    assert "Cannot delete rows" in str(info.value)
    assert User.objects.filter(pk=alice.pk).exists()
    assert Membership.objects.filter(user=alice).exists()
    department.refresh_from_db()
    assert department.head_id == alice.pk


def test_the_admin_offers_no_deletion_of_a_person(oscar, alice):
    request = RequestFactory().get("/admin/tenants/user/")
    request.user = oscar
    assert site._registry[User].has_delete_permission(request, alice) is False


def test_a_person_is_still_reachable_from_a_school_row(alice, in_school_a):
    from schools.models import Department

    Department.objects.create(name="总务处（关联测试）", head=alice)
    row = Department.objects.select_related("head").get(head__username="alice", name="总务处（关联测试）")
    assert row.head == alice
