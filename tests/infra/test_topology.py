"""The stage-2 topology, run for real (bench/topology.py): a primary loaded with this test world, its
streaming replica (pg_basebackup -R) and PgBouncer in session mode, with Houqin's gunicorn pointed at
them as a deployment would be. Through real requests: the bureau's reads are served by the replica, a
school's write lands on the primary and reads back at once, and the search_path of each request holds
with two schools alternating on two shared server connections. Skips only where PostgreSQL's server
binaries or pgbouncer are missing (.ci/run installs pgbouncer)."""

from __future__ import annotations

import pytest
from django.db import connection

from bench.topology import SchoolLogin, Topology, available, checks
from tests.conftest import MARKER, PASSWORD

pytestmark = pytest.mark.skipif(available() is not None, reason=f"stage-2 topology: {available()}")


def test_houqin_through_pgbouncer_and_a_streaming_replica(school_a, school_b):
    # given: the primary holds this world (public, alpha, beta); the replica streams from it
    with Topology(pool_size=10) as top:
        top.start_primary(version_at_least=connection.pg_version // 10000)
        top.load(source=connection.settings_dict, schemas=["public", school_a.schema_name, school_b.schema_name])
        top.start_replica()
        top.start_bouncer()
        server = top.serve(topology=True, label="topology", workers=2, threads=2, check_pool=True, conn_max_age=0)

        # when
        results = checks(
            top, port=server.port, bureau_user="dave", password=PASSWORD,
            schools=[SchoolLogin(school_a.host, school_a.schema_name, "alice", MARKER["alpha"]),
                     SchoolLogin(school_b.host, school_b.schema_name, "charlie", MARKER["beta"])],
            metrics_school_ids=[school_a.pk, school_b.pk],
        )

    # then
    assert [c.name for c in results] == [
        "reads inside a transaction on the primary",
        "bureau reads on the replica",
        "writes and read-your-writes on the primary",
        "search_path per request through PgBouncer (session mode)",
    ]
    failed = [f"{c.name}: {c.detail}" for c in results if not c.ok]
    assert not failed, "\n".join(failed)
