"""Point-in-time recovery drill with pgBackRest on a throwaway PostgreSQL cluster.

    python infra/backup/pitr_drill.py          # prints the steps and their times; exit 0 when recovered

initdb in a temporary folder, a free 127.0.0.1 port, WAL archived by `pgbackrest archive-push` (the
archive_command of infra/backup/postgresql-archiving.conf), one full backup, then two writes a few
seconds apart; the cluster is restored into a new folder to a time between the two writes and must
hold the first and not the second. Needs pgbackrest and PostgreSQL's server binaries (Debian:
`apt-get install pgbackrest postgresql`); exits 77 ("skipped") without them. As root, the server and
pgbackrest run as the `postgres` user (PostgreSQL refuses to run as root). Everything it starts is
stopped and removed at the end, whatever happens; every wait is bounded.
"""

# ruff: noqa: T201 - a command-line drill: printing its steps is the point

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SKIP = 77
STANZA = "drill"


def server_bin() -> Path | None:
    """The newest Debian server binaries pgBackRest supports here (initdb, pg_ctl, postgres)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4]))
    return Path(found[-1]).parent if found else None


def available() -> str | None:
    """Why the drill cannot run here, or None."""
    if shutil.which("pgbackrest") is None:
        return "pgbackrest is not installed (apt-get install pgbackrest)"
    if server_bin() is None:
        return "PostgreSQL server binaries not found under /usr/lib/postgresql"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root without runuser to become postgres"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Drill:
    def __init__(self, root: Path):
        self.root = root
        self.bin = server_bin()
        self.port = _free_port()
        self.conf = root / "pgbackrest.conf"
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self.times: dict[str, float] = {}
        self.running: list[Path] = []

    def run(self, *args: str, timeout: float = 60) -> str:
        done = subprocess.run(
            [*self.as_postgres, *args], capture_output=True, text=True, timeout=timeout, cwd=self.root
        )
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args[:3])} failed: {(done.stderr or done.stdout).strip()[-800:]}")
        return done.stdout

    def backrest(self, *args: str, timeout: float = 90) -> str:
        return self.run("pgbackrest", f"--config={self.conf}", f"--stanza={STANZA}", *args, timeout=timeout)

    def sql(self, query: str, data: Path | None = None) -> str:
        out = self.run(
            str(self.bin / "psql"),
            "-X",
            "-q",
            "-A",
            "-t",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            str(self.root),
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-c",
            query,
        )
        return out.strip()

    def start(self, data: Path, *options: str) -> None:
        self.run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(data),
            "-w",
            "-t",
            "60",
            "-l",
            str(data / "server.log"),
            "-o",
            " ".join(options),
            "start",
            timeout=70,
        )
        self.running.append(data)

    def stop(self, data: Path) -> None:
        with contextlib.suppress(Exception):
            self.run(
                str(self.bin / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "-t", "30", "stop", timeout=40
            )
        if data in self.running:
            self.running.remove(data)

    def timed(self, name: str, started: float) -> None:
        self.times[name] = time.perf_counter() - started
        print(f"  {name}: {self.times[name]:.1f}s", flush=True)

    def go(self) -> bool:
        root, data, restored = self.root, self.root / "pg", self.root / "pg-restored"
        self.conf.write_text(
            "[global]\n"
            f"repo1-path={root / 'repo'}\n"
            "repo1-retention-full=2\n"
            f"log-path={root / 'log'}\n"
            f"lock-path={root / 'lock'}\n"
            f"spool-path={root / 'spool'}\n"
            "start-fast=y\n"
            "compress-type=lz4\n"
            "log-level-console=warn\n"
            "log-level-file=info\n"
            f"\n[{STANZA}]\n"
            f"pg1-path={data}\n"
            f"pg1-port={self.port}\n"
            f"pg1-socket-path={root}\n"
        )
        for folder in ("repo", "log", "lock", "spool"):
            (root / folder).mkdir()
        if self.as_postgres:
            shutil.chown(root, "postgres", "postgres")
            for path in root.rglob("*"):
                shutil.chown(path, "postgres", "postgres")

        t = time.perf_counter()
        self.run(str(self.bin / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "--no-sync")
        with open(data / "postgresql.conf", "a") as conf:
            conf.write(
                f"port = {self.port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{root}'\n"
                "wal_level = replica\narchive_mode = on\n"
                f"archive_command = 'pgbackrest --config={self.conf} --stanza={STANZA} archive-push %p'\n"
                "archive_timeout = 60\nmax_wal_size = 256MB\n"
            )
        self.start(data)
        self.timed("initdb and start a throwaway cluster", t)

        t = time.perf_counter()
        self.backrest("stanza-create")
        self.backrest("check")  # archive_command works: a WAL segment reached the repository
        self.backrest("--type=full", "backup", timeout=110)
        self.timed("stanza, archive check, full backup", t)

        self.sql("CREATE TABLE ledger (id int PRIMARY KEY, note text, at timestamptz DEFAULT now())")
        self.sql("INSERT INTO ledger (id, note) VALUES (1, 'written before the target time')")
        time.sleep(1.2)
        target = self.sql("SET TIME ZONE 'UTC'; SELECT now()::text")
        time.sleep(1.2)
        self.sql("INSERT INTO ledger (id, note) VALUES (2, 'written after the target time (the mistake)')")
        self.sql("SELECT pg_switch_wal()")
        t = time.perf_counter()
        self.backrest("check")  # waits until the switched segment is archived
        self.timed("archive the last WAL segment", t)
        print(f"  target time {target}, between write 1 and write 2", flush=True)
        self.stop(data)

        t = time.perf_counter()
        restored.mkdir(mode=0o700)
        if self.as_postgres:
            shutil.chown(restored, "postgres", "postgres")
        self.backrest(
            f"--pg1-path={restored}",
            "--type=time",
            f"--target={target}",
            "--target-action=promote",
            "restore",
            timeout=110,
        )
        self.timed("pgbackrest restore (base backup + recovery settings)", t)
        t = time.perf_counter()
        # The restored copy must not archive into the drill's repository as if it were the original.
        self.start(restored, "-c archive_mode=off")
        deadline = time.monotonic() + 60
        while self.sql("SELECT pg_is_in_recovery()") == "t":
            if time.monotonic() > deadline:
                raise RuntimeError("recovery did not finish within 60 s")
            time.sleep(0.2)
        self.timed("replay WAL to the target time and promote", t)
        rows = self.sql("SELECT string_agg(id::text, ',' ORDER BY id) FROM ledger")
        print(f"  rows after recovery: [{rows}] (expected [1])", flush=True)
        return rows == "1"

    def cleanup(self) -> None:
        for data in list(self.running):
            self.stop(data)


def main() -> int:
    why = available()
    if why:
        print(f"skipped: {why}")
        return SKIP
    started = time.perf_counter()
    root = Path(tempfile.mkdtemp(prefix="houqin-pitr-"))
    drill = Drill(root)
    try:
        ok = drill.go()
    finally:
        drill.cleanup()
        shutil.rmtree(root, ignore_errors=True)
    total = time.perf_counter() - started
    print(f"PITR drill {'recovered to the target time' if ok else 'FAILED'} in {total:.1f}s", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
