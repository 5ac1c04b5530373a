"""Point-in-time recovery with pgBackRest really works: infra/backup/pitr_drill.py archives WAL from a
throwaway cluster, restores it to a time between two writes and finds the first write only. Skips
where pgbackrest or the PostgreSQL server binaries are missing (apt-get install pgbackrest)."""

import subprocess
import sys
from pathlib import Path

import pytest

DRILL = Path(__file__).resolve().parents[2] / "infra" / "backup" / "pitr_drill.py"
sys.path.insert(0, str(DRILL.parent))
import pitr_drill  # noqa: E402

pytestmark = pytest.mark.skipif(pitr_drill.available() is not None, reason=str(pitr_drill.available()))


def test_pitr_restores_to_a_time_between_two_writes():
    done = subprocess.run([sys.executable, str(DRILL)], capture_output=True, text=True, timeout=150)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "rows after recovery: [1] (expected [1])" in done.stdout


def test_the_drill_uses_the_archive_command_we_ship():
    shipped = (DRILL.parent / "postgresql-archiving.conf").read_text()
    assert "archive_command = 'pgbackrest --stanza=houqin archive-push %p'" in shipped
    assert "archive-push %p" in DRILL.read_text()
    conf = (DRILL.parent / "pgbackrest.conf").read_text()
    assert "[houqin]" in conf
    assert "repo1-retention-full=" in conf
