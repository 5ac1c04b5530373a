"""The zh-Hans catalogues are the only translation source: complete, compiled, and one word per msgid.

Django merges every app's catalogue into one, so a msgid translated one way in one app and another way
in a second app shows the wrong word on one of them; a word that means two things takes a context
(pgettext, {% translate "…" context "…" %}) instead.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parent.parent
CATALOGUES = sorted(ROOT.glob("*/locale/zh_Hans/LC_MESSAGES/django.po"))
LATIN_WORD = re.compile(r"[A-Za-z]{2}")


def _app(path: Path) -> str:
    return path.relative_to(ROOT).parts[0]


def _key(entry) -> tuple[str | None, str]:
    return entry.msgctxt, entry.msgid


def _translation(entry) -> str | tuple:
    if entry.msgid_plural:
        return tuple(entry.msgstr_plural[i] for i in sorted(entry.msgstr_plural))
    return entry.msgstr


def _live(catalogue) -> list:
    return [e for e in catalogue if not e.obsolete]


def test_every_app_with_strings_has_a_catalogue():
    apps = {_app(path) for path in CATALOGUES}
    assert {"api", "assets", "frontend", "repairs", "reporting", "safety", "schools", "tenants"} <= apps


@pytest.mark.parametrize("path", CATALOGUES, ids=_app)
def test_catalogue_is_complete(path):
    catalogue = polib.pofile(str(path))
    assert [e.msgid for e in catalogue.untranslated_entries()] == []
    assert [e.msgid for e in catalogue.fuzzy_entries()] == []


@pytest.mark.parametrize("path", CATALOGUES, ids=_app)
def test_compiled_catalogue_is_its_po(path):
    """The .mo Django reads holds exactly the .po's translations (compile with polib's save_as_mofile)."""
    mo_path = path.with_suffix(".mo")
    assert mo_path.exists(), f"{mo_path.relative_to(ROOT)} is missing"
    expected = {_key(e): _translation(e) for e in _live(polib.pofile(str(path))) if e.translated()}
    compiled = {_key(e): _translation(e) for e in polib.mofile(str(mo_path)) if e.msgid}
    stale = sorted(
        {k for k in expected.keys() | compiled.keys() if expected.get(k) != compiled.get(k)},
        key=lambda k: (k[0] or "", k[1]),
    )
    assert stale == [], f"{mo_path.relative_to(ROOT)} is out of date with its .po: {stale[:10]}"


def test_one_msgid_has_one_translation_across_catalogues():
    """The same (context, msgid) in two catalogues must agree; otherwise give one use a context."""
    seen: dict[tuple, dict[str, object]] = defaultdict(dict)
    for path in CATALOGUES:
        for entry in _live(polib.pofile(str(path))):
            if entry.translated():
                seen[_key(entry)][_app(path)] = _translation(entry)
    clashes = {
        (f"{ctx} | {msgid}" if ctx else msgid): by_app
        for (ctx, msgid), by_app in seen.items()
        if len(set(by_app.values())) > 1
    }
    assert clashes == {}


@pytest.mark.parametrize("path", CATALOGUES, ids=_app)
def test_source_strings_are_english(path):
    """English pages show the msgids: each has English words (a Chinese term or example may stand beside them)."""
    catalogue = polib.pofile(str(path))
    assert [e.msgid for e in _live(catalogue) if not LATIN_WORD.search(e.msgid)] == []
