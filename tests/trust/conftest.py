"""A separate world for the trust tests: three schools filled by every module's demo loader, with a
unique marker written into the text of every row, so a leak of any row shows up as its marker.

delta, epsilon: bureau "east"; zeta: bureau "west". The session fixture of tests/conftest.py (alpha,
beta, gamma) is left untouched, so other tests' exact counts do not see these rows.
"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection, models

from tenants.models import School, User
from tenants.roles import SCHOOL_ROLES, Role

TRUST_MARKER = {"delta": "ZQXDELTA", "epsilon": "ZQXEPSILON", "zeta": "ZQXZETA"}
TRUST_PASSWORD = "trust-pass-42"


def _tenant_models():
    labels = {a.split(".")[-1] for a in settings.TENANT_APPS if a not in settings.SHARED_APPS}
    return [m for m in apps.get_models() if m._meta.app_label in labels and m._meta.managed and not m._meta.proxy]


def mark_every_row(marker: str) -> int:
    """Append the marker to one text column of every row of every school table (history excluded)."""
    import pgtrigger
    from pghistory.models import Event

    marked = 0
    for model in _tenant_models():
        if issubclass(model, Event):
            continue
        fields = [
            f for f in model._meta.concrete_fields
            if isinstance(f, (models.CharField, models.TextField))
            and not f.choices and not f.unique and not f.primary_key
            and (f.max_length is None or f.max_length >= len(marker) + 2)
            and not isinstance(f, (models.EmailField, models.URLField, models.SlugField, models.FileField))
            and f.name not in ("phone", "contact_phone", "id_number", "password", "token_hash", "content_hash",
                               "text_hash", "reference", "asset_number", "serial_number", "code")
        ]
        if not fields:
            continue
        field = max(fields, key=lambda f: f.max_length or 10_000)
        column = field.column
        limit = field.max_length
        value = f"COALESCE(\"{column}\", '')"
        if limit:
            value = f"left({value}, {limit - len(marker) - 1})"
        # Signed agreements and similar rows are protected by triggers; the fixture writes around them.
        with pgtrigger.ignore(), connection.cursor() as cursor:
            cursor.execute(f'UPDATE "{model._meta.db_table}" SET "{column}" = {value} || \' \' || %s', [marker])
            marked += cursor.rowcount
    return marked


def _build_trust_world() -> None:
    from tenants.demo import school_demo_load
    from tenants.services import bureau_create, membership_grant, school_create

    east = bureau_create(name="信任东区教育局", code="trusteast")
    west = bureau_create(name="信任西区教育局", code="trustwest")
    spec = {"delta": east, "epsilon": east, "zeta": west}
    for slug, bureau in spec.items():
        school = school_create(bureau=bureau, name=f"信任{slug}学校", slug=slug, student_count=300)
        people = {}
        for role in sorted(SCHOOL_ROLES):
            user = User.objects.create_user(username=f"{slug}-{role}", password=TRUST_PASSWORD, name=f"{slug}-{role}")
            membership_grant(user=user, role=role, school=school)
            people[Role(role)] = user
        school_demo_load(school=school, people=people, seed=False)
        connection.set_tenant(school)
        try:
            mark_every_row(TRUST_MARKER[slug])
        finally:
            connection.set_schema_to_public()
    for code, bureau in (("east", east), ("west", west)):  # logins east-leader / west-leader
        user = User.objects.create_user(username=f"{code}-leader", password=TRUST_PASSWORD, name=f"{code}-leader")
        membership_grant(user=user, role=Role.BUREAU_LEADER, bureau=bureau)


@pytest.fixture(scope="session")
def trust_world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        if not School.objects.filter(slug="delta").exists():
            _build_trust_world()
    return TRUST_MARKER


PARTNER_PREFIX = "信任合作方"


@pytest.fixture(scope="session")
def trust_partners(trust_world, django_db_blocker) -> dict[str, str]:
    """Partner tokens for the matrix: label → raw token (made afresh each session, shown once).

    "this school": every scope, granted delta; "no scope": granted delta, no scope at all;
    "other school": every scope, granted epsilon (same bureau); "other bureau": every scope, granted
    the whole west bureau (zeta).
    """
    from api.choices import Scope
    from api.models import PartnerClient
    from api.services import api_token_create, partner_client_create
    from tenants.models import Bureau
    from tenants.services import membership_grant

    every = list(Scope.values)
    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        operator, created = User.objects.get_or_create(username="trust-operator", defaults={"name": "平台运营"})
        if created:
            membership_grant(user=operator, role=Role.PLATFORM_OPERATOR)
        PartnerClient.objects.filter(name__startswith=PARTNER_PREFIX).delete()
        delta, epsilon = School.objects.get(slug="delta"), School.objects.get(slug="epsilon")
        west = Bureau.objects.get(code="trustwest")
        spec = {
            "this school": {"scopes": every, "schools": [delta], "bureau": delta.bureau},
            "no scope": {"scopes": [], "schools": [delta], "bureau": delta.bureau},
            "other school": {"scopes": every, "schools": [epsilon], "bureau": epsilon.bureau},
            "other bureau": {"scopes": every, "grant_bureau": west, "bureau": west},
        }
        tokens = {}
        for label, kwargs in spec.items():
            client = partner_client_create(actor=operator, name=f"{PARTNER_PREFIX}（{label}）", **kwargs)
            _token, raw = api_token_create(actor=operator, client=client, name="matrix")
            tokens[label] = raw
    return tokens
