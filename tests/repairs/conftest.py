from __future__ import annotations

import io

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile

from tenants.models import User
from tenants.roles import Role
from tenants.services import membership_grant

from .factories import RoomFactory

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def _clear_rate_limits():
    cache.clear()
    yield
    cache.clear()


def _person(username: str, role: str, school) -> User:
    user = User.objects.create_user(username=username, password="x-pass-42", name=username.title(),
                                    email=f"{username}@example.test")
    membership_grant(user=user, role=role, school=school)
    return user


@pytest.fixture
def lena(school_a):
    """Logistics director of A."""
    return _person("lena", Role.LOGISTICS_DIRECTOR, school_a)


@pytest.fixture
def mario(school_a):
    """Maintenance worker of A."""
    return _person("mario", Role.MAINTENANCE_WORKER, school_a)


@pytest.fixture
def luigi(school_a):
    """Another maintenance worker of A."""
    return _person("luigi", Role.MAINTENANCE_WORKER, school_a)


@pytest.fixture
def room(in_school_a):
    return RoomFactory(number="301")


def png(name: str = "fault.png", size: int | None = None) -> SimpleUploadedFile:
    content = PNG if size is None else PNG + b"\x00" * (size - len(PNG))
    return SimpleUploadedFile(name, content, content_type="image/png")


def text_file(name: str = "fault.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"this is not an image at all", content_type="image/png")


@pytest.fixture
def photo_bytes():
    return io.BytesIO(PNG)


@pytest.fixture
def client_for(client_for):
    """The shared client_for, but each request leaves the test inside the school's schema again.

    The routing middleware sets the public schema after every response; the tests go on reading
    the school's rows.
    """
    from django.db import connection

    def make(user, school=None):
        client = client_for(user, school)
        original = client.request

        def request(**kwargs):
            try:
                return original(**kwargs)
            finally:
                if school is not None:
                    connection.set_tenant(school)

        client.request = request
        return client

    return make
