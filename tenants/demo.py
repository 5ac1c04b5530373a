"""The demo district: 某某区教育局, the seed's XX路小学 with its own figures, and generated schools.

Each module adds its demo rows through `<app>/demo.py`: `load_school(school, people, seed)` runs
inside the school's schema (`seed` is True for the seed's school) and `load_bureau(bureau)` in public.
"""

from __future__ import annotations

import functools
import importlib

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction

from .models import Bureau, School, User
from .roles import Role
from .services import bureau_create, membership_grant, school_create

# Demo loaders in order: an app name means `<app>.demo`; a dotted name is the module itself.
DEMO_APPS = ("schools", "schools.people_demo", "assets", "repairs", "safety", "reporting", "api")

BUREAU = {"name": "某某区教育局", "code": "demo", "region": "某某区"}
SEED_SCHOOL = {"name": "XX路小学", "slug": "xxlu", "students": 481, "staff": 37, "kind": "primary", "boarding": False}
# (name, host, pupils, staff, kind, boarding): the kind decides the rules that bind a school (core/rules.py).
GENERATED_SCHOOLS = [
    ("滨江路小学", "binjiang", 920, 58, "primary", False),
    ("实验小学", "shiyan", 1450, 86, "primary", False),
    ("东山中学", "dongshan", 1210, 97, "junior", False),
    ("城南小学", "chengnan", 610, 41, "primary", False),
    ("红星中学", "hongxing", 1630, 120, "complete", True),
    ("阳光幼儿园", "yangguang", 320, 42, "kindergarten", False),
]

# (username, name, role, post) of the demo people of the seed school.
SCHOOL_PEOPLE = [
    ("principal", "屈校长", Role.PRINCIPAL, "校长"),
    ("logistics", "王总务", Role.LOGISTICS_DIRECTOR, "总务主任"),
    ("safety", "李安全", Role.SAFETY_OFFICER, "安全专干"),
    ("custodian", "张保管", Role.CUSTODIAN, "保管员"),
    ("teacher", "陈老师", Role.TEACHER, "班主任"),
    ("guard", "刘门卫", Role.GUARD, "门卫"),
    ("maintenance", "赵师傅", Role.MAINTENANCE_WORKER, "维修工"),
    ("unit", "周园长", Role.UNIT_CONTACT, "幼儿园负责人"),
]
BUREAU_PEOPLE = [
    ("bureau-leader", "局领导", Role.BUREAU_LEADER),
    ("bureau-logistics", "勤管股", Role.BUREAU_LOGISTICS),
    ("bureau-safety", "安全股", Role.BUREAU_SAFETY),
    ("bureau-finance", "计财科", Role.BUREAU_FINANCE),
]


@functools.cache
def _demo_password_hash() -> str:
    # One hash for every demo login (they share the password): an argon2 hash costs a good part of a second.
    return make_password(settings.DEMO_PASSWORD)


def _user(username: str, name: str) -> User:
    user, created = User.objects.get_or_create(username=username, defaults={"name": name})
    if created:
        user.password = _demo_password_hash()
        user.save(update_fields=["password"])
    return user


def school_demo_load(*, school: School, people: dict, seed: bool) -> list[str]:
    """Run every module's demo loader inside the school's schema, each in its own transaction.

    Returns the loaders that ran. `people` maps a Role to the demo user who holds it there.
    """
    loaded = []
    connection.set_tenant(school)
    try:
        for app in DEMO_APPS:
            hook = _app_hook(app, "load_school")
            if hook:
                with transaction.atomic():
                    hook(school=school, people=people, seed=seed)
                loaded.append(app)
    finally:
        connection.set_schema_to_public()
    return loaded


def demo_loaded() -> bool:
    return Bureau.objects.filter(code=BUREAU["code"]).exists()


def _app_hook(app: str, name: str):
    module_name = app if "." in app else f"{app}.demo"
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        return None
    return getattr(module, name, None)


def load_demo(*, stdout=None) -> None:
    """Load the demo district once; a second call does nothing."""
    if demo_loaded():
        return
    bureau = bureau_create(**BUREAU)
    operator = _user("operator", "平台运营")
    membership_grant(user=operator, role=Role.PLATFORM_OPERATOR)
    for username, name, role in BUREAU_PEOPLE:
        membership_grant(user=_user(username, name), role=role, bureau=bureau)

    seed = SEED_SCHOOL
    schools = [(seed["name"], seed["slug"], seed["students"], seed["staff"], seed["kind"], seed["boarding"], True)]
    schools += [(*row, False) for row in GENERATED_SCHOOLS]
    for name, slug, students, staff, kind, boarding, is_seed in schools:
        school = school_create(bureau=bureau, name=name, slug=slug, student_count=students, staff_count=staff,
                               kind=kind, boarding=boarding)
        people = {}
        for username, person_name, role, post in SCHOOL_PEOPLE:
            login = username if is_seed else f"{slug}-{username}"
            user = _user(login, person_name if is_seed else f"{name}{post}")
            membership_grant(user=user, role=role, school=school, post=post)
            people[role] = user
        school_demo_load(school=school, people=people, seed=is_seed)
        if stdout:
            stdout.write(f"  {name}: {school.url()}\n")
    for app in DEMO_APPS:
        hook = _app_hook(app, "load_bureau")
        if hook:
            with transaction.atomic():
                hook(bureau=bureau)


def demo_logins(port: str) -> list[tuple[str, str, str]]:
    """(what, login, URL) lines to print for the demo."""
    seed = School.objects.filter(slug=SEED_SCHOOL["slug"]).first()
    suffix = "" if port in ("80", "") else f":{port}"
    base = f"http://{settings.BASE_DOMAIN}{suffix}/"
    rows = [("platform operator", "operator", base)]
    rows += [(str(role.label), username, base) for username, _, role in BUREAU_PEOPLE]
    if seed:
        url = f"http://{seed.host}{suffix}/"
        rows += [(str(role.label), username, url) for username, _, role, _ in SCHOOL_PEOPLE]
    return rows
