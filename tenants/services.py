"""Writes of the shared core: provisioning schools, memberships, and the cross-module hooks."""

from __future__ import annotations

import logging
import re
import time

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection, transaction
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context, schema_exists

from .models import Bureau, Domain, Membership, School, User
from .roles import BUREAU_ROLES, SCHOOL_ROLES, Role

logger = logging.getLogger(__name__)

SLUG_RE = re.compile(r"^[a-z][a-z0-9]{1,30}$")
RESERVED_SLUGS = frozenset({"public", "www", "api", "admin", "static", "media", "pg", "information", "school"})


def template_schema_name() -> str:
    return settings.TENANT_BASE_SCHEMA


def template_schema_migrate(*, verbosity: int = 0) -> None:
    """Create the template schema if missing and bring it up to the latest tenant migrations."""
    name = template_schema_name()
    if not schema_exists(name):
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE SCHEMA "{name}"')
    call_command("migrate_schemas", schema_name=name, tenant=True, interactive=False, verbosity=verbosity)
    connection.set_schema_to_public()
    # New schools replay a snapshot of the template: take it now, while nobody waits for it.
    from .snapshot import snapshot_refresh, spares_fill

    if snapshot_refresh(name) and settings.TENANT_SPARE_SCHEMAS:
        spares_fill(name, settings.TENANT_SPARE_SCHEMAS)  # the old template's spares go, new ones come


def school_slug_validate(slug: str) -> str:
    """Check that a slug can be a host label and a schema name and is free; return it normalised."""
    slug = (slug or "").strip().lower()
    if not SLUG_RE.match(slug):
        raise ValidationError(
            {"slug": _("Use 2–31 lowercase letters and digits, starting with a letter (it becomes the host name).")}
        )
    if slug in RESERVED_SLUGS or slug == template_schema_name() or slug.startswith("pg"):
        raise ValidationError({"slug": _("This name is reserved.")})
    if School.objects.filter(slug=slug).exists() or School.objects.filter(schema_name=slug).exists():
        raise ValidationError({"slug": _("A school with this host name already exists.")})
    if schema_exists(slug):
        raise ValidationError({"slug": _("A database schema with this name already exists.")})
    return slug


def school_create(
    *,
    bureau: Bureau,
    name: str,
    slug: str,
    use_template: bool = True,
    student_count: int = 0,
    staff_count: int = 0,
    address: str = "",
    kind: str = "",
    boarding: bool = False,
) -> School:
    """Create a school, its schema (cloned from the template) and its host name.

    The schema is created outside the row's transaction (DDL and the clone function run on their own);
    if any step fails, the row and the schema are removed so nothing is left behind.
    """
    slug = school_slug_validate(slug)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("The school needs a name.")})
    if use_template and not schema_exists(template_schema_name()):
        template_schema_migrate()
    connection.set_schema_to_public()
    school = School(
        bureau=bureau,
        name=name,
        slug=slug,
        schema_name=slug,
        student_count=student_count,
        staff_count=staff_count,
        address=address,
        kind=kind,
        boarding=boarding,
    )
    school.full_clean(exclude=["schema_name"])
    try:
        with transaction.atomic():
            if use_template:
                school.save()
            else:
                # Baseline for the benchmark: migrate the new schema from zero.
                school.auto_create_schema = False
                school.save()
                with connection.cursor() as cursor:
                    cursor.execute(f'CREATE SCHEMA "{slug}"')
                call_command("migrate_schemas", schema_name=slug, tenant=True, interactive=False, verbosity=0)
                connection.set_schema_to_public()
            Domain.objects.create(domain=f"{slug}.{settings.BASE_DOMAIN}", tenant=school, is_primary=True)
    except Exception:
        connection.set_schema_to_public()
        if schema_exists(slug):
            with connection.cursor() as cursor:
                cursor.execute(f'DROP SCHEMA "{slug}" CASCADE')
        raise
    connection.set_schema_to_public()
    return school


def bureau_create(*, name: str, code: str, region: str = "") -> Bureau:
    """Create a district education bureau."""
    bureau = Bureau(name=name.strip(), code=code.strip().lower(), region=region)
    bureau.full_clean()
    bureau.save()
    return bureau


@transaction.atomic
def membership_grant(
    *,
    user: User,
    role: str,
    school: School | None = None,
    bureau: Bureau | None = None,
    post: str = "",
) -> Membership:
    """Give a user a role in a school, a bureau or the platform; idempotent."""
    role = Role(role)
    if role in SCHOOL_ROLES and school is None:
        raise ValidationError({"role": _("This role belongs to a school.")})
    if role in BUREAU_ROLES and bureau is None:
        raise ValidationError({"role": _("This role belongs to a bureau.")})
    existing = Membership.objects.filter(user=user, role=role, school=school, bureau=bureau, is_active=True).first()
    if existing:
        if post and existing.post != post:
            existing.post = post
            existing.save(update_fields=["post"])
        return existing
    membership = Membership(user=user, role=role, school=school, bureau=bureau, post=post)
    membership.full_clean()
    membership.save()
    return membership


def school_metrics_request_refresh(*, schema_name: str | None = None) -> None:
    """Ask, after commit, for this school's bureau read-models to be recomputed.

    Modules call this after a write that changes a metric. It never imports `reporting`: the task
    is sent by name, debounced per school so a burst of writes costs one recompute.
    """
    schema = schema_name or connection.schema_name
    if not schema or schema in ("public", template_schema_name()):
        return

    def _send() -> None:
        debounce = settings.METRICS_REFRESH_DEBOUNCE_SECONDS
        key = f"metrics-refresh-pending:{schema}"
        # cache.add is atomic: only the first write of a burst queues a task.
        with schema_context("public"):
            if debounce > 0 and not cache.add(key, time.time(), timeout=debounce):
                return
        from config.celery import app

        app.send_task(
            "reporting.tasks.school_metrics_refresh_task",
            kwargs={"schema_name": schema},
            countdown=debounce,
        )

    transaction.on_commit(_send)
