"""config.routers.ReplicaRouter: reporting reads on the replica in the request's schema, only when configured."""

from __future__ import annotations

import subprocess
import sys
from types import SimpleNamespace

import pytest
from django.db import connections
from django.test import override_settings

from config.routers import REPLICA, ReplicaRouter
from tenants.models import School

pytestmark = pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")


def _model(app_label: str):
    return SimpleNamespace(_meta=SimpleNamespace(app_label=app_label))


@pytest.fixture
def replica_alias(settings):
    """A `replica` alias pointing at the same server (the router only needs the connection object)."""
    primary = connections["default"].settings_dict
    replica = {**primary, "TEST": {"MIRROR": "default"}}
    databases = {**settings.DATABASES, REPLICA: replica}
    connections.settings[REPLICA] = connections.configure_settings({"default": dict(primary), REPLICA: replica})[REPLICA]
    with override_settings(DATABASES=databases):
        yield connections[REPLICA]
    connections[REPLICA].close()
    del connections.settings[REPLICA]
    delattr(connections._connections, REPLICA)
    connections["default"].set_schema_to_public()


def test_without_a_replica_everything_reads_the_primary():
    router = ReplicaRouter()
    assert router.db_for_read(_model("reporting")) is None
    assert router.db_for_read(_model("tenants")) is None
    assert router.db_for_write(_model("reporting")) is None


def test_settings_add_the_router_only_when_the_replica_url_is_set():
    code = ("from django.conf import settings; import django; django.setup(); "
            "print(sorted(settings.DATABASES), settings.DATABASE_ROUTERS[0])")
    env_base = {"DJANGO_SETTINGS_MODULE": "config.settings", "PATH": "/usr/bin:/bin"}
    plain = subprocess.run([sys.executable, "-c", code], env=env_base, capture_output=True, text=True, check=True)
    assert plain.stdout.strip() == "['default'] django_tenants.routers.TenantSyncRouter"
    with_replica = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True,
        env={**env_base, "REPLICA_DATABASE_URL": "postgres://ro@replica.internal:5432/houqin"},
    )
    assert with_replica.stdout.strip() == "['default', 'replica'] config.routers.ReplicaRouter"


def test_reporting_reads_go_to_the_replica_in_the_primary_schema(replica_alias):
    router = ReplicaRouter()
    school = School(schema_name="alpha", slug="alpha", name="A")
    connections["default"].set_tenant(school)
    assert router.db_for_read(_model("reporting")) == REPLICA
    assert replica_alias.schema_name == "alpha"
    connections["default"].set_schema_to_public()
    assert router.db_for_read(_model("reporting")) == REPLICA
    assert replica_alias.schema_name == "public"


def test_other_apps_and_writes_stay_on_the_primary(replica_alias):
    router = ReplicaRouter()
    assert router.db_for_read(_model("tenants")) is None
    assert router.db_for_read(_model("assets")) is None
    assert router.db_for_write(_model("reporting")) is None


def test_reads_inside_a_transaction_stay_on_the_primary(replica_alias, monkeypatch):
    monkeypatch.setattr(connections["default"], "in_atomic_block", True)
    assert ReplicaRouter().db_for_read(_model("reporting")) is None


def test_the_replica_is_never_migrated(replica_alias):
    router = ReplicaRouter()
    assert router.allow_migrate(REPLICA, "reporting") is False
    assert router.allow_migrate("default", "reporting") is None
