"""Every page of the demo school and the bureau console, as every role, following the links they are shown.

In Chinese: no choice value, field name, mirror kind or notification kind of the project shown as text, no ISO
time, no unit written twice, and no link that answers 403, 404 or the sign-in page to the person it was shown to.
In English: no Chinese left in the interface (the school's and the bureau's own names aside).
"""

from __future__ import annotations

import re

import pytest
from django.db import connection

from assets.models import Category
from core.rules import all_rules
from reporting.catalogue import MIRROR_LABELS
from reporting.models import Term
from reporting.services import school_metrics_refresh
from tenants.demo import BUREAU_PEOPLE, DEMO_APPS, SCHOOL_PEOPLE, _app_hook
from tenants.models import User
from tenants.notifications import KIND_LABELS, NOTIFICATION_KINDS
from tenants.roles import Role
from tenants.services import membership_grant

from .walk import code_words, code_words_in, walk

ISO_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")
UNIT_TWICE = re.compile(r"%\s*%")
CJK = re.compile(r"[\u3400-\u9fff]")
# The term work summary is a Chinese document the school hands to the bureau (its wording is the seed's), in any
# interface language.
CHINESE_DOCUMENTS = {"/awards/summary/", "/bureau/summary/"}


def _people(school, *, names: dict[str, str] | None = None):
    people, bureau_people = {}, {}
    for username, name, role in BUREAU_PEOPLE:
        user = User.objects.create_user(
            username=f"walk-{username}", password="x-pass-42", name=(names or {}).get(role, name)
        )
        membership_grant(user=user, role=role, bureau=school.bureau)
        bureau_people[role] = user
    for username, name, role, post in SCHOOL_PEOPLE:
        user = User.objects.create_user(
            username=f"walk-{username}", password="x-pass-42", name=(names or {}).get(role, name)
        )
        membership_grant(user=user, role=role, school=school, post=post if names is None else "")
        people[role] = user
    return people, bureau_people


@pytest.fixture
def demo_school(school_a):
    """School A with the seed school's demo records, the bureau's campaigns and awards, and its read-models."""
    people, bureau_people = _people(school_a)
    from tenants.demo import school_demo_load

    school_demo_load(school=school_a, people=people, seed=True)
    for app in DEMO_APPS:
        hook = _app_hook(app, "load_bureau")
        if hook:
            hook(bureau=school_a.bureau)
    connection.set_schema_to_public()
    school_metrics_refresh(school=school_a)
    connection.set_schema_to_public()
    return school_a, people, bureau_people


def _walks(client_for, school, people, bureau_people, *, language):
    for role, user in [*people.items(), *bureau_people.items()]:
        client = client_for(user, school if role in people else None)
        yield role, walk(client, "/", limit=250, per_pattern=1, language=language)


def test_no_code_word_and_no_dead_link_for_any_role_in_chinese(demo_school, client_for):
    school, people, bureau_people = demo_school
    words = code_words()
    words.update(dict.fromkeys(MIRROR_LABELS, "mirror kind"))
    words.update(
        {
            kind: "notification kind"
            for kind in [*KIND_LABELS, *NOTIFICATION_KINDS]
            if "." in kind or "_" in kind
        }
    )
    # The check can see what it looks for: raw statuses of every module and the kinds.
    assert {"feasibility", "rectified", "in_progress", "major_hazards", "safety.major_hazard"} <= set(words)

    problems, pages = [], 0
    for role, result in _walks(client_for, school, people, bureau_people, language="zh-hans"):
        pages += len(result.pages())
        for visit in result.refused():
            problems.append(f"{role}: {visit.url} answers {visit.status} (linked from {visit.referrer})")
        for visit in result.pages():
            found = code_words_in(visit.text, words)
            found |= set(ISO_TIME.findall(visit.text)) | set(UNIT_TWICE.findall(visit.text))
            if found:
                problems.append(f"{role}: {visit.url} shows {sorted(found)}")
    assert pages > 500  # every role reached its pages (the walk is not vacuous)
    assert problems == [], "\n".join(problems)


# Chinese an English sentence keeps on purpose: the term of art in brackets after its English (绿地率, 清查盘点),
# a document's title in 《》 and its number (教基一厅〔2014〕2号, 第十三条), and the names of the awards and rules
# the bureaus call by them. Anything else in Chinese on an English page is an untranslated string.
TERMS_OF_ART = ("平安校园", "绿色学校", "花园式学校", "五定", "隐患整改")
_GLOSSES = [re.compile(p) for p in (
    r"（[^）]*）", r"\([^)]*[\u4e00-\u9fff][^)]*\)", r"《[^》]*》", r"\S*〔\d{4}〕\d+号",
    r"第[一二三四五六七八九十百零\d]+[条章]",
)]


def _without_glosses(text: str) -> str:
    for pattern in _GLOSSES:
        text = pattern.sub("", text)
    for term in TERMS_OF_ART:
        text = text.replace(term, "")
    return text


def test_no_chinese_left_in_the_english_interface(school_a, client_for):
    people, bureau_people = _people(
        school_a, names={role: role.replace("_", " ").title() for role in Role.values}
    )
    # Records, not interface: names the school and the bureau gave themselves, the terms they named (a default
    # term is named the bureau's way, 2026–2027 第一学期), the national asset catalogue (GB/T 14885 has no English
    # names), and the language menu's 简体中文 (a language names itself).
    walks = list(_walks(client_for, school_a, people, bureau_people, language="en"))
    connection.set_tenant(school_a)
    catalogue = set(Category.objects.values_list("name", flat=True))
    connection.set_schema_to_public()
    terms = set(Term.objects.values_list("name", flat=True))
    # The national documents a rule cites are named by their Chinese titles and articles (core/rules.py).
    documents = {text for rule in all_rules() for text in (rule.source, rule.article) if text}
    own_names = sorted({school_a.name, school_a.bureau.name, "北区教育局", "贝塔小学", "简体中文", *terms, *documents},
                       key=len, reverse=True)
    problems = []
    for role, result in walks:
        for visit in result.refused():
            problems.append(f"{role}: {visit.url} answers {visit.status} (linked from {visit.referrer})")
        for visit in result.pages():
            if visit.url.split("?")[0] in CHINESE_DOCUMENTS:
                continue
            text = "\n".join(line for line in visit.text.splitlines()
                             if re.sub(r"^[A-Z]\d{8} ", "", line.strip()) not in catalogue)
            for name in own_names:
                text = text.replace(name, "")
            # Names of marker rows the test world made, not interface words.
            text = re.sub(r"MARKER-\S+", "", text)
            text = _without_glosses(text)
            chinese = sorted({line.strip() for line in text.splitlines() if CJK.search(line)})
            if chinese:
                problems.append(f"{role}: {visit.url} shows {chinese[:5]}")
    assert problems == [], "\n".join(problems)
