"""Shared fixtures: two bureaus, three schools and a few named people, created once per session.

bureau "north": school_a (alpha), school_b (beta); bureau "south": school_c (gamma).
alice: principal of A · bob: teacher of A · charlie: principal of B · dave: leader of bureau north ·
erin: leader of bureau south · oscar: platform operator · gina: guard of A.
Each school holds a row with a unique marker (MARKER[slug]) so leaks can be searched for.
"""

from __future__ import annotations

import contextlib

import pytest
import pytest_django.fixtures as _pytest_django_fixtures
from django.conf import settings
from django.db import connection
from django.test import Client, override_settings

from tenants.models import Bureau, School, User
from tenants.roles import Role

# Browser tests use the database only through their live server thread, so pytest-django would see
# no test asking for it and skip creating the test database (the server would then read the dev
# database). Always set the test database up.
_databases_for_setup = _pytest_django_fixtures._get_databases_for_setup


def _always_the_default_database(items):
    aliases, serialized = _databases_for_setup(items)
    return (aliases or {"default"}), serialized


_pytest_django_fixtures._get_databases_for_setup = _always_the_default_database

# Hashed static names come from the manifest that collectstatic writes; the tests render pages without
# collecting first, so they name the source files plainly (tests/infra/test_static_files.py collects
# with the hashed storage itself).
override_settings(STORAGES={**settings.STORAGES,
                            "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"}}).enable()

PASSWORD = "correct-horse-42"
MARKER = {"alpha": "MARKER-ALPHA-7f3a", "beta": "MARKER-BETA-19c2", "gamma": "MARKER-GAMMA-55e1"}
PEOPLE = {
    "alice": ("alpha", Role.PRINCIPAL),
    "bob": ("alpha", Role.TEACHER),
    "gina": ("alpha", Role.GUARD),
    "charlie": ("beta", Role.PRINCIPAL),
    "dave": ("north", Role.BUREAU_LEADER),
    "erin": ("south", Role.BUREAU_LEADER),
    "oscar": (None, Role.PLATFORM_OPERATOR),
}


def _build_world() -> None:
    from schools.models import Department
    from tenants.services import bureau_create, membership_grant, school_create

    north = bureau_create(name="北区教育局", code="north")
    south = bureau_create(name="南区教育局", code="south")
    schools = {
        "alpha": school_create(bureau=north, name="阿尔法小学", slug="alpha", student_count=481, staff_count=37),
        "beta": school_create(bureau=north, name="贝塔小学", slug="beta", student_count=300, staff_count=20),
        "gamma": school_create(bureau=south, name="伽马中学", slug="gamma", student_count=900, staff_count=60),
    }
    bureaus = {"north": north, "south": south}
    for username, (where, role) in PEOPLE.items():
        user = User.objects.create_user(username=username, password=PASSWORD, name=username.title())
        if where in schools:
            membership_grant(user=user, role=role, school=schools[where])
        elif where in bureaus:
            membership_grant(user=user, role=role, bureau=bureaus[where])
        else:
            membership_grant(user=user, role=role)
    for slug, school in schools.items():
        connection.set_tenant(school)
        Department.objects.create(name=MARKER[slug])
        connection.set_schema_to_public()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        if not School.objects.filter(slug="alpha").exists():
            _build_world()


@pytest.fixture(autouse=True)
def _public_schema_between_tests():
    yield
    connection.set_schema_to_public()


def _school(slug: str) -> School:
    connection.set_schema_to_public()
    return School.objects.select_related("bureau").get(slug=slug)


@pytest.fixture
def school_a(db) -> School:
    return _school("alpha")


@pytest.fixture
def school_b(db) -> School:
    return _school("beta")


@pytest.fixture
def school_c(db) -> School:
    return _school("gamma")


@pytest.fixture
def bureau_north(db) -> Bureau:
    return Bureau.objects.get(code="north")


@pytest.fixture
def bureau_south(db) -> Bureau:
    return Bureau.objects.get(code="south")


def _user(name: str) -> User:
    return User.objects.get(username=name)


@pytest.fixture
def alice(db):
    return _user("alice")


@pytest.fixture
def bob(db):
    return _user("bob")


@pytest.fixture
def charlie(db):
    return _user("charlie")


@pytest.fixture
def dave(db):
    return _user("dave")


@pytest.fixture
def erin(db):
    return _user("erin")


@pytest.fixture
def oscar(db):
    return _user("oscar")


@pytest.fixture
def gina(db):
    return _user("gina")


@pytest.fixture
def in_school_a(school_a):
    """Run the test body inside school A's schema."""
    connection.set_tenant(school_a)
    yield school_a
    connection.set_schema_to_public()


@pytest.fixture
def in_school_b(school_b):
    connection.set_tenant(school_b)
    yield school_b
    connection.set_schema_to_public()


def schema_table_counts(schema_name: str) -> dict[str, int]:
    """Rows in every table of one school's schema (to show that a refused write changed nothing)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s ORDER BY tablename", [schema_name])
        tables = [r[0] for r in cursor.fetchall()]
        counts = {}
        for table in tables:
            cursor.execute(f'SELECT count(*) FROM "{schema_name}"."{table}"')
            counts[table] = cursor.fetchone()[0]
        return counts


def host_of(school: School | None) -> str:
    return school.host if school is not None else "localhost"


class HostClient(Client):
    """A test client bound to one host (a school's or the bureau portal)."""

    def __init__(self, host: str, **kwargs):
        super().__init__(HTTP_HOST=host, **kwargs)
        self.host = host

    def gql(self, query: str, variables: dict | None = None, **extra):
        payload = {"query": query, "variables": variables or {}}
        return self.post("/graphql/", payload, content_type="application/json", **extra).json()


@pytest.fixture
def client_for(db):
    """client_for(user or None, school or None) → a client on that host, signed in as the user."""

    def make(user, school=None) -> HostClient:
        client = HostClient(host_of(school))
        if user is not None:
            client.force_login(user)
        return client

    return make


@contextlib.contextmanager
def live_server_port():
    """A live server on 127.0.0.1 over the committed data (one thread per request), stopped on exit; the port.
    The caller unblocks the database (browser tests and the parallel sign-in attack share this)."""
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.test.testcases import LiveServerThread

    thread = LiveServerThread("127.0.0.1", StaticFilesHandler, port=0)
    thread.daemon = True
    thread.start()
    thread.is_ready.wait()
    if thread.error:
        raise thread.error
    try:
        yield thread.port
    finally:
        thread.terminate()
