import pytest

from tenants.models import User
from tenants.roles import Role
from tenants.services import membership_grant


def _member(username: str, role: str, school) -> User:
    user = User.objects.create_user(username=username, password="x-pass-123", name=username.title())
    membership_grant(user=user, role=role, school=school)
    return user


@pytest.fixture
def lily(school_a):
    """Logistics director of school A."""
    return _member("lily", Role.LOGISTICS_DIRECTOR, school_a)


@pytest.fixture
def carl(school_a):
    """Custodian of school A (handles services, does not edit buildings)."""
    return _member("carl", Role.CUSTODIAN, school_a)
