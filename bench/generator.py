"""Data generator: N schools with realistic records, made fast by cloning one populated model school.

1. A "model school" is provisioned once (cloned from the template like any school) and filled by
   every installed app's demo loader (`<app>.demo.load_school(school=, people=, seed=False)`; apps
   without one are skipped), with one demo person per school role.
2. Its schema is copied N times, on BENCH_WORKERS connections at once (rows, sequences, triggers and
   migration records come along), by BENCH_CLONE: `clone` — django-tenants' `clone_schema` function in
   DATA mode — or `dump` (the default where pg_dump/psql exist) — pg_dump of the model schema once,
   replayed by psql under each new name. clone_schema reads information_schema for every column, and
   those views scan the whole catalog: its cost grows with the number of schools already there
   (bench_generator measures both at the end).
3. The School, Domain and Membership rows of the clones are inserted in bulk, in one transaction.

Generated schools are `<prefix>00001`, `<prefix>00002`, … in the bureau `<prefix>`; `generate()` only
creates the ones missing, so benchmarks share them (`BENCH_SCHOOLS=1000 ./dev bench generator`
prepares 1,000 for the others). `drop()` removes them all.

    from bench.generator import generate
    district = generate(count=100)          # → District(bureau, model, schools, created, seconds)
"""

from __future__ import annotations

import os
import random
import re
import shutil
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, connections, transaction

PREFIX = "gen"
KINDS = [("小学", 0.6), ("中学", 0.3), ("九年一贯制学校", 0.1)]
STREETS = ["人民路", "解放路", "建设路", "和平路", "中山路", "滨江路", "文化路", "新华路", "光明路", "育才路"]
NAMES = ["实验", "第一", "第二", "第三", "城关", "城南", "城北", "新城", "东山", "西湖", "红星", "向阳"]


@dataclass
class District:
    bureau: object
    model: object
    schools: list = field(default_factory=list)
    created: int = 0
    seconds: float = 0.0
    method: str = ""
    # Seconds of the one-time preparation inside `seconds` (pg_dump of the model school), and (elapsed, copies
    # made so far) after each batch, so the copy rate at the start and the end of the run can be compared.
    prepare_seconds: float = 0.0
    progress: list = field(default_factory=list)

    def copy_seconds_per_school(self, part: str = "all", share: float = 0.1) -> float:
        """Wall seconds per copy over the whole run, its first `share` of copies or its last."""
        points = [(self.prepare_seconds, 0), *sorted(self.progress)]
        if part == "all" or len(points) < 3:
            elapsed, made = points[-1][0] - points[0][0], points[-1][1]
            return elapsed / max(made, 1)
        want = max(1, int(self.created * share))
        if part == "first":
            end = next(p for p in points if p[1] >= want)
            return (end[0] - points[0][0]) / end[1]
        start = next(p for p in reversed(points) if p[1] <= self.created - want)
        return (points[-1][0] - start[0]) / (points[-1][1] - start[1])


def _workers() -> int:
    try:
        return max(1, int(os.environ.get("BENCH_WORKERS", "2")))
    except ValueError:
        return 2


def school_slug(prefix: str, index: int) -> str:
    return f"{prefix}{index:05d}"


def _profile(index: int) -> dict:
    """Deterministic, plausible figures for the school number `index`."""
    rng = random.Random(index)
    roll, kind = rng.random(), KINDS[-1][0]
    for name, share in KINDS:
        if roll < share:
            kind = name
            break
        roll -= share
    students = rng.randint(300, 2400) if kind != "小学" else rng.randint(200, 1600)
    return {
        "name": f"{NAMES[index % len(NAMES)]}{kind}（{index}）",
        "kind": kind,
        "student_count": students,
        "staff_count": max(15, students // rng.randint(13, 18)),
        "address": f"{STREETS[rng.randrange(len(STREETS))]}{rng.randint(1, 999)}号",
    }


def _bureau(prefix: str):
    from tenants.models import Bureau
    from tenants.services import bureau_create

    return Bureau.objects.filter(code=prefix).first() or bureau_create(
        name=f"生成数据教育局（{prefix}）", code=prefix, region="基准测试区"
    )


def _people(prefix: str) -> dict:
    """One demo person per school role, shared by every generated school (a district-wide team)."""
    from tenants.models import User
    from tenants.roles import SCHOOL_ROLES, Role

    people = {}
    for role in sorted(SCHOOL_ROLES):
        user, created = User.objects.get_or_create(
            username=f"{prefix}-{role}".replace("_", "-"), defaults={"name": f"{Role(role).label}（生成）"}
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        people[Role(role)] = user
    return people


def load_model_school(school, people: dict) -> list[str]:
    """Fill a school with every app's demo records (seed=False); returns the apps that had a loader."""
    from tenants.demo import school_demo_load

    return school_demo_load(school=school, people=people, seed=False)


def model_school(prefix: str = PREFIX):
    """The populated school the generated ones are cloned from (created and loaded once)."""
    from tenants.models import Membership, School
    from tenants.services import school_create

    bureau = _bureau(prefix)
    slug = f"{prefix}model"
    school = School.objects.filter(slug=slug).first()
    if school is None:
        school = school_create(bureau=bureau, name="样板学校（生成数据）", slug=slug, student_count=800,
                               staff_count=56, address="育才路1号")
        people = _people(prefix)
        try:
            Membership.objects.bulk_create(
                [Membership(user=user, role=role, school=school) for role, user in people.items()]
            )
            school.loaded_apps = load_model_school(school, people)
        except BaseException:  # a half-loaded model school would be cloned N times: start over next run
            connection.set_schema_to_public()
            Membership.objects.filter(school=school).delete()
            school.delete(force_drop=True)
            raise
    return school


def _clone_many(base: str, slugs: list[str], done=None) -> None:
    """Clone `base` into each slug on this thread's own connection."""
    try:
        with connections["default"].cursor() as cursor:
            for slug in slugs:
                cursor.execute("SELECT clone_schema(%s, %s, 'DATA')", [base, slug])
                if done is not None:
                    done(1)
    finally:
        connections["default"].close()


def _binary(name: str) -> str | None:
    """pg_dump/psql: the ones bundled with the embedded server (newest; they work with older servers)."""
    from tenants.snapshot import pg_dump_path

    dump = pg_dump_path()
    if dump:
        sibling = os.path.join(os.path.dirname(dump), name)
        if os.path.exists(sibling):
            return sibling
    return shutil.which(name)


def dump_available() -> bool:
    return bool(_binary("pg_dump") and _binary("psql"))


def _model_sql(base: str) -> str:
    """The model school's schema as SQL (DDL, rows, sequences, triggers), every name schema-qualified."""
    from tenants.snapshot import known_settings_only, libpq_env

    result = subprocess.run(
        [_binary("pg_dump"), f"--schema={base}", "--no-owner", "--no-privileges"],
        capture_output=True, text=True, check=True, env=libpq_env(),
    )
    return known_settings_only(result.stdout)


def _restore_many(sql: str, base: str, slugs: list[str], batch: int = 10, done=None) -> None:
    """Replay the model's SQL under each new schema name, `batch` schools per psql, one transaction each.

    `done(n)` is called after each batch with the number of schools it made.
    """
    from tenants.snapshot import libpq_env

    pattern = re.compile(rf"\b{re.escape(base)}\b")
    for i in range(0, len(slugs), batch):
        script = "".join(f"BEGIN;\n{pattern.sub(slug, sql)}\nCOMMIT;\n" for slug in slugs[i:i + batch])
        result = subprocess.run([_binary("psql"), "-q", "-X", "-v", "ON_ERROR_STOP=1"],
                                input=script, capture_output=True, text=True, env=libpq_env())
        if result.returncode != 0:
            raise RuntimeError(f"psql restore failed: {result.stderr[-2000:]}")
        if done is not None:
            done(len(slugs[i:i + batch]))


def clone_method() -> str:
    """BENCH_CLONE: `clone` (django-tenants' clone_schema) or `dump` (pg_dump once, replay per school).

    The default is `dump` where pg_dump and psql exist: clone_schema's catalog queries grow with the
    number of schemas in the database (see SCALING.md), replaying SQL does not.
    """
    method = os.environ.get("BENCH_CLONE", "auto")
    if method == "auto":
        return "dump" if dump_available() else "clone"
    if method not in ("clone", "dump"):
        raise ValueError("BENCH_CLONE is clone, dump or auto")
    return method


def _existing_schemas(prefix: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname ~ %s", [f"^{prefix}[0-9]{{5}}$"]
        )
        return {row[0] for row in cursor.fetchall()}


def generate(*, count: int, prefix: str = PREFIX, workers: int | None = None, method: str | None = None) -> District:
    """Make sure schools <prefix>00001..<prefix>{count} exist (clones of the model school); return them."""
    from django_tenants.clone import CloneSchema

    from tenants.models import Domain, Membership, School

    started = time.perf_counter()
    connection.set_schema_to_public()
    model = model_school(prefix)
    bureau = model.bureau
    wanted = [school_slug(prefix, i) for i in range(1, count + 1)]
    have_rows = set(School.objects.filter(slug__in=wanted).values_list("slug", flat=True))
    # A schema without its row is a leftover of an interrupted run: clone it again.
    orphans = _existing_schemas(prefix) - set(School.objects.filter(slug__regex=f"^{prefix}[0-9]{{5}}$")
                                                .values_list("slug", flat=True))
    _drop_schemas(sorted(orphans))
    started = time.perf_counter()  # the copies, not the clean-up of an interrupted run
    missing = [slug for slug in wanted if slug not in have_rows]
    prepared, progress, lock = 0.0, [], threading.Lock()

    def done(made: int) -> None:
        with lock:
            progress.append((time.perf_counter() - started, (progress[-1][1] if progress else 0) + made))

    if missing:
        method = method or clone_method()
        n = min(workers or _workers(), len(missing))
        chunks = [missing[i::n] for i in range(n)]
        if method == "dump":
            sql = _model_sql(model.schema_name)
            work = lambda chunk: _restore_many(sql, model.schema_name, chunk, done=done)  # noqa: E731
        else:
            CloneSchema()._create_clone_schema_function()  # once, not per clone (concurrent REPLACE fails)
            work = lambda chunk: _clone_many(model.schema_name, chunk, done=done)  # noqa: E731
        prepared = time.perf_counter() - started
        try:
            with ThreadPoolExecutor(max_workers=n) as pool:
                list(pool.map(work, chunks))
            people = list(Membership.objects.filter(school=model, is_active=True).values_list("user_id", "role"))
            with transaction.atomic():
                rows = []
                for slug in missing:
                    index = int(slug[len(prefix):])
                    rows.append(School(bureau=bureau, slug=slug, schema_name=slug, **_profile(index)))
                School.objects.bulk_create(rows, batch_size=500)
                by_slug = dict(School.objects.filter(slug__in=missing).values_list("slug", "pk"))
                Domain.objects.bulk_create(
                    [Domain(domain=f"{slug}.{settings.BASE_DOMAIN}", tenant_id=by_slug[slug], is_primary=True)
                     for slug in missing],
                    batch_size=1000,
                )
                Membership.objects.bulk_create(
                    [Membership(user_id=user_id, role=role, school_id=by_slug[slug])
                     for slug in missing for user_id, role in people],
                    batch_size=2000,
                )
        except BaseException:
            connection.set_schema_to_public()
            _drop_schemas(sorted(set(missing) & _existing_schemas(prefix)))
            raise
    schools = list(School.objects.filter(slug__in=wanted).order_by("slug"))
    return District(bureau=bureau, model=model, schools=schools, created=len(missing),
                    seconds=time.perf_counter() - started, method=method or "", prepare_seconds=prepared,
                    progress=progress)


def _drop_schemas(names: list[str]) -> None:
    with connection.cursor() as cursor:
        for name in names:
            cursor.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


def drop(*, prefix: str = PREFIX, keep: int = 0) -> int:
    """Remove generated schools numbered above `keep` (all of them and the model school when keep=0)."""
    from tenants.models import Bureau, Domain, Membership, School

    connection.set_schema_to_public()
    slugs = sorted(
        s for s in set(School.objects.filter(slug__regex=f"^{prefix}[0-9]{{5}}$").values_list("slug", flat=True))
        | _existing_schemas(prefix)
        if int(s[len(prefix):]) > keep
    )
    # Schemas first, one DROP per transaction: dropping a schema locks each of its ~100 relations, and
    # django-tenants' post_delete signal would drop them all in the rows' transaction, which runs out
    # of lock slots (max_locks_per_transaction) after a few dozen schools.
    _drop_schemas(slugs)
    with transaction.atomic():
        ids = list(School.objects.filter(slug__in=slugs).values_list("pk", flat=True))
        Membership.objects.filter(school_id__in=ids).delete()
        Domain.objects.filter(tenant_id__in=ids).delete()
        School.objects.filter(pk__in=ids).delete()  # the signal finds no schema left to drop
    if keep == 0:
        model = School.objects.filter(slug=f"{prefix}model").first()
        if model is not None:
            model.delete(force_drop=True)
        bureau = Bureau.objects.filter(code=prefix).first()
        if bureau is not None and not bureau.schools.exists():
            bureau.delete()
    return len(slugs)


def catalog_rows(schema: str) -> int:
    """pg_class rows (tables, indexes, sequences, TOAST …) that one school's schema adds to the catalog."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s",
            [schema],
        )
        own = cursor.fetchone()[0]
        cursor.execute(
            """SELECT count(*) FROM pg_class t JOIN pg_class c ON c.reltoastrelid = t.oid
               JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s""",
            [schema],
        )
        return own + 2 * cursor.fetchone()[0]  # each TOAST table has its index
