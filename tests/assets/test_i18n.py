"""Every string of the assets module ships in Simplified Chinese."""

from pathlib import Path

import polib

import assets

CATALOGUE = Path(assets.__file__).parent / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def test_catalogue_is_complete_and_compiled():
    catalogue = polib.pofile(str(CATALOGUE))
    assert [e.msgid for e in catalogue.untranslated_entries()] == []
    assert [e.msgid for e in catalogue.fuzzy_entries()] == []
    assert CATALOGUE.with_suffix(".mo").stat().st_mtime >= CATALOGUE.stat().st_mtime - 1


def test_pages_render_in_chinese(client_for, school_a, kate):
    body = client_for(kate, school_a).get("/assets/").content.decode()
    assert "资产卡片" in body
    assert "打印二维码标签" in body
