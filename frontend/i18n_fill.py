"""Fill a zh_Hans catalogue from a dict and compile it (a developer tool, not used at run time).

    .venv/bin/python -m frontend.i18n_fill <app>/locale/zh_Hans/LC_MESSAGES/django.po <module.with.ZH dict>

Untranslated entries left over are listed, so none ships in English by accident.
"""

from __future__ import annotations

import importlib
import sys

import polib


def fill(po_path: str, translations: dict[str, str]) -> list[str]:
    catalogue = polib.pofile(po_path)
    catalogue.metadata["Content-Type"] = "text/plain; charset=UTF-8"
    catalogue.metadata["Language"] = "zh_Hans"
    catalogue.metadata["Plural-Forms"] = "nplurals=1; plural=0;"
    missing = []
    for entry in catalogue:
        if entry.obsolete:
            continue
        if entry.msgid in translations:
            if entry.msgid_plural:
                entry.msgstr_plural = {0: translations[entry.msgid]}
            else:
                entry.msgstr = translations[entry.msgid]
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
        elif not entry.msgstr and not entry.msgstr_plural.get(0):
            missing.append(entry.msgid)
    catalogue.save(po_path)
    catalogue.save_as_mofile(po_path[:-3] + ".mo")
    return missing


if __name__ == "__main__":
    po, module = sys.argv[1], sys.argv[2]
    left = fill(po, importlib.import_module(module).ZH)
    for msgid in left:
        print(f"untranslated: {msgid!r}")
    sys.exit(1 if left else 0)
