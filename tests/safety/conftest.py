"""Safety fixtures: a safety officer and a maintenance worker in school A, a class of bob's."""

from __future__ import annotations

import pytest

from tenants.models import User
from tenants.roles import Role
from tenants.services import membership_grant


def person(username: str, role: str, school, name: str | None = None) -> User:
    user = User.objects.create_user(username=username, password="x-pass-42", name=name or username.title())
    membership_grant(user=user, role=role, school=school)
    return user


@pytest.fixture
def sam(school_a):
    """Safety officer of school A."""
    return person("sam", Role.SAFETY_OFFICER, school_a)


@pytest.fixture
def mia(school_a):
    """Maintenance worker of school A."""
    return person("mia", Role.MAINTENANCE_WORKER, school_a)


@pytest.fixture
def bobs_class(in_school_a, bob):
    from safety.services import school_class_create

    return school_class_create(grade=3, name="三年级2班", student_count=40, head_teacher=bob)
