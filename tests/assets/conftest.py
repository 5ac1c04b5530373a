"""People of school A for asset tests: a custodian, a logistics director, and a bureau logistics officer."""

from __future__ import annotations

import pytest

from tenants.access import forget_memberships
from tenants.models import User
from tenants.roles import Role
from tenants.services import membership_grant


def _person(username: str, role: str, *, school=None, bureau=None) -> User:
    user, _created = User.objects.get_or_create(username=username, defaults={"name": username.title()})
    membership_grant(user=user, role=role, school=school, bureau=bureau)
    forget_memberships(user)
    return user


@pytest.fixture
def kate(school_a):
    """Custodian of school A."""
    return _person("kate", Role.CUSTODIAN, school=school_a)


@pytest.fixture
def leo(school_a):
    """Logistics director of school A."""
    return _person("leo", Role.LOGISTICS_DIRECTOR, school=school_a)


@pytest.fixture
def nora(bureau_north):
    """Bureau north's logistics section."""
    return _person("nora", Role.BUREAU_LOGISTICS, bureau=bureau_north)


@pytest.fixture
def kim(school_b):
    """Custodian of school B."""
    return _person("kim", Role.CUSTODIAN, school=school_b)
