"""A backup set (infra/backup/backup.sh) restores one school whole, or refuses and writes nothing.

The sets are made once for the module from a school created (and committed) for it, since backup.sh
reads the database through its own connections; each restore runs inside the test's transaction,
beside the original (`new_schema`), so nothing of it outlives the test.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tarfile

import pytest
from django.db import connection
from django.test import override_settings

from schools.models import Building, Department
from tenants.backup import RestoreRefused, backup_set_create, school_restore
from tenants.integrity import history_seal
from tenants.models import Bureau, HistorySeal, Membership, School, User
from tenants.roles import Role
from tenants.services import membership_grant, school_create

pytestmark = [
    pytest.mark.skipif(shutil.which("pg_dump") is None, reason="pg_dump is not installed"),
    pytest.mark.django_db,
]

SCHEMA = "bakset"
BAD = "baksetbad"
NOBODY = 2_000_000_000  # a user id no database here holds
REPORT = b"%PDF-1.4 appraisal report of the teaching building"


def _table_digests(schema: str) -> dict[str, str]:
    """Every table of the schema, as the md5 of its rows sorted by their text."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s AND table_type = 'BASE TABLE'",
            [schema],
        )
        tables = [r[0] for r in cursor.fetchall()]
        digests = {}
        for table in tables:
            cursor.execute(
                f'SELECT md5(coalesce(string_agg(t::text, chr(10) ORDER BY t::text), \'\')) FROM "{schema}"."{table}" t'
            )
            digests[table] = cursor.fetchone()[0]
    return digests


def _drop(slug: str) -> None:
    school = School.objects.filter(slug=slug).first()
    if school is not None:
        # Its seals stay, as they do for every dropped school (append-only; a new school has a new id).
        school.delete(force_drop=True)


@pytest.fixture(scope="module")
def sets(django_db_setup, django_db_blocker, tmp_path_factory):
    """One set holding school `bakset` (a file, a visitor heading a department, sealed history) and
    school `baksetbad`, one of whose departments names a user who does not exist."""
    media = tmp_path_factory.mktemp("media")
    folder = tmp_path_factory.mktemp("sets")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=str(media)):
        connection.set_schema_to_public()
        _drop(SCHEMA)
        _drop(BAD)
        north = Bureau.objects.get(code="north")
        school = school_create(bureau=north, name="备份集小学", slug=SCHEMA)
        bad = school_create(bureau=north, name="备份集坏小学", slug=BAD)
        alice = User.objects.get(username="alice")
        visitor = User.objects.filter(username="bakset-visitor").first() or User.objects.create_user(
            username="bakset-visitor", password="x-bakset-42", name="来访者"
        )
        membership_grant(user=alice, role=Role.PRINCIPAL, school=school)
        (media / SCHEMA / "buildings").mkdir(parents=True)
        (media / SCHEMA / "buildings" / "report.pdf").write_bytes(REPORT)
        connection.set_tenant(school)
        Department.objects.create(name="总务处", head=alice)
        Department.objects.create(name="来访接待", head=visitor)
        Building.objects.create(name="教学楼", floors=4, appraisal_report="buildings/report.pdf")
        connection.set_tenant(bad)
        Department.objects.create(name="幽灵处", head_id=NOBODY)
        connection.set_schema_to_public()
        history_seal(school=school)
        history_seal(school=bad)
        good = backup_set_create(directory=folder)
    yield {"good": good, "visitor_id": visitor.pk}
    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        _drop(SCHEMA)
        _drop(BAD)
        shutil.rmtree(media, ignore_errors=True)


def _nothing_written(schema: str, media) -> None:
    connection.set_schema_to_public()
    assert not School.objects.filter(schema_name=schema).exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [schema])
        assert cursor.fetchone() is None
    assert not (media / schema).exists()
    assert not [p for p in media.iterdir() if p.name.startswith(".restore-")]


def test_a_set_is_one_snapshot_with_counts_media_and_hashes(sets):
    good = sets["good"]
    files = {p.name for p in good.iterdir()}
    assert {
        "public.dump",
        "school_template.dump",
        f"school-{SCHEMA}.dump",
        "counts.tsv",
        "set.txt",
        "SHA256SUMS",
        "COMPLETE",
    } <= files
    assert "snapshot=" in (good / "set.txt").read_text()
    manifest = (good / "media" / f"{SCHEMA}.sha256").read_text()
    assert f"{hashlib.sha256(REPORT).hexdigest()}  ./buildings/report.pdf" in manifest
    assert f"{SCHEMA}\tschools_department\t2" in (good / "counts.tsv").read_text().splitlines()


def test_restore_brings_back_every_row_file_membership_and_seal(sets, tmp_path, settings):
    # given the good set, and the school still here
    settings.MEDIA_ROOT = str(tmp_path)
    source = School.objects.get(slug=SCHEMA)

    # when it is restored beside the original
    report = school_restore(backup_set=sets["good"], schema=SCHEMA, new_schema="baksetback")

    # then every table holds exactly the rows of the original
    assert _table_digests("baksetback") == _table_digests(SCHEMA)
    assert report.rows > 0
    assert report.tables == len(_table_digests(SCHEMA))
    # the file came back, byte for byte, under the restored school's folder
    assert (tmp_path / "baksetback" / "buildings" / "report.pdf").read_bytes() == REPORT
    assert report.files == 1
    # people and seals came along, and the chain verified
    restored = School.objects.get(slug="baksetback")
    assert (
        Membership.objects.filter(school=restored).count() == Membership.objects.filter(school=source).count()
    )
    assert (
        HistorySeal.objects.filter(school=restored).count()
        == HistorySeal.objects.filter(school=source).count()
    )
    assert report.seals > 0
    # and the restored schema records its own history from now on
    connection.set_tenant(restored)
    Department.objects.create(name="恢复后新增")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM baksetback.schools_departmentevent WHERE name = '恢复后新增'")
        assert cursor.fetchone()[0] == 1
        cursor.execute(f"SELECT count(*) FROM {SCHEMA}.schools_departmentevent WHERE name = '恢复后新增'")
        assert cursor.fetchone()[0] == 0


def test_restore_refuses_rows_naming_a_user_who_does_not_exist(sets, tmp_path, settings):
    settings.MEDIA_ROOT = str(tmp_path)
    with pytest.raises(RestoreRefused) as refused:
        school_restore(backup_set=sets["good"], schema=BAD, new_schema="baksetghost", with_people=True)
    report = "\n".join(refused.value.problems)
    assert f"user {NOBODY} is named by the school's rows but does not exist" in report
    assert f"schools_department.head_id = {NOBODY}: 1 row(s)" in report
    assert f"schools_departmentevent.head_id = {NOBODY}: 1 row(s)" in report  # its history names them too
    _nothing_written("baksetghost", tmp_path)


def test_restore_refuses_when_a_user_id_here_is_another_person(sets, tmp_path, settings):
    settings.MEDIA_ROOT = str(tmp_path)
    User.objects.filter(username="alice").update(username="alice-renamed")
    with pytest.raises(RestoreRefused) as refused:
        school_restore(backup_set=sets["good"], schema=SCHEMA, new_schema="baksetother")
    assert any("'alice' in the backup but 'alice-renamed' here" in p for p in refused.value.problems)
    _nothing_written("baksetother", tmp_path)


def test_missing_people_are_refused_or_brought_from_the_set(sets, tmp_path, settings):
    # given a database that lacks the visitor (moved out of the way inside this test's transaction)
    settings.MEDIA_ROOT = str(tmp_path)
    visitor_id = sets["visitor_id"]
    User.objects.filter(pk=visitor_id).update(id=visitor_id + NOBODY, username="bakset-visitor-elsewhere")

    # without --with-people the restore refuses and names the rows
    with pytest.raises(RestoreRefused) as refused:
        school_restore(backup_set=sets["good"], schema=SCHEMA, new_schema="baksetpeople")
    assert any(f"user {visitor_id}" in p and "--with-people brings them" in p for p in refused.value.problems)
    _nothing_written("baksetpeople", tmp_path)

    # with it, the visitor comes back from the set under the same id
    report = school_restore(
        backup_set=sets["good"], schema=SCHEMA, new_schema="baksetpeople", with_people=True
    )
    assert report.people_added == ["bakset-visitor"]
    assert User.objects.get(pk=visitor_id).username == "bakset-visitor"


def _rewrite_media(folder, keep_in_manifest: bool) -> None:
    """The set's tar of the school without report.pdf (and, unless keep_in_manifest, its manifest line)."""
    tar_path = folder / "media" / f"{SCHEMA}.tar"
    subprocess.run(["tar", "--delete", "-f", str(tar_path), f"{SCHEMA}/buildings/report.pdf"], check=True)
    manifest = folder / "media" / f"{SCHEMA}.sha256"
    if not keep_in_manifest:
        manifest.write_text(
            "".join(line for line in manifest.read_text().splitlines(True) if "report.pdf" not in line)
        )
    sums = folder / "SHA256SUMS"
    lines = []
    for line in sums.read_text().splitlines():
        digest, name = line.split("  ", 1)
        path = folder / name
        lines.append(f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {name}")
    sums.write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize("keep_in_manifest", [True, False], ids=["lost-in-restore", "lost-in-backup"])
def test_restore_refuses_a_lost_file(sets, tmp_path, settings, keep_in_manifest):
    copy = tmp_path / "set"
    shutil.copytree(sets["good"], copy)
    _rewrite_media(copy, keep_in_manifest)
    settings.MEDIA_ROOT = str(tmp_path / "media")
    with pytest.raises(RestoreRefused) as refused:
        school_restore(backup_set=copy, schema=SCHEMA, new_schema="baksetfile")
    report = "\n".join(refused.value.problems)
    if keep_in_manifest:
        assert "media: buildings/report.pdf is in the manifest but not restored" in report
    else:
        assert "schools_building.appraisal_report names buildings/report.pdf, which the set lacks" in report
    _nothing_written("baksetfile", tmp_path / "media")


def test_restore_refuses_a_lost_row(sets, tmp_path, settings, monkeypatch):
    # given a restore that drops the last row of the departments on the way in
    import tenants.backup as backup

    settings.MEDIA_ROOT = str(tmp_path)
    copy_in = backup._copy_in

    def lossy(target, rows):
        copy_in(target, rows[:-1] if target.startswith('"baksetrow".schools_department ') else rows)

    monkeypatch.setattr(backup, "_copy_in", lossy)
    with pytest.raises(RestoreRefused) as refused:
        school_restore(backup_set=sets["good"], schema=SCHEMA, new_schema="baksetrow")
    assert "rows: schools_department has 1 rows, the snapshot had 2" in refused.value.problems
    _nothing_written("baksetrow", tmp_path)


def test_restore_refuses_a_damaged_dump_and_an_existing_school(sets, tmp_path, settings):
    settings.MEDIA_ROOT = str(tmp_path)
    with pytest.raises(RestoreRefused) as refused:
        school_restore(backup_set=sets["good"], schema=SCHEMA)  # it is still here
    assert "already has a school or schema 'bakset'" in refused.value.problems[0]
    copy = tmp_path / "set"
    shutil.copytree(sets["good"], copy)
    dump = copy / f"school-{SCHEMA}.dump"
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0xFF
    dump.write_bytes(bytes(data))
    with pytest.raises(RestoreRefused) as refused:
        school_restore(backup_set=copy, schema=SCHEMA, new_schema="baksetdamaged")
    assert f"school-{SCHEMA}.dump does not match its sha256" in refused.value.problems[0]


def test_media_tar_holds_only_the_school(sets):
    with tarfile.open(sets["good"] / "media" / f"{SCHEMA}.tar") as archive:
        assert all(name == SCHEMA or name.startswith(f"{SCHEMA}/") for name in archive.getnames())
