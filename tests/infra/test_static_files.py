"""Static files carry a hash of their content in their names (issue 27, part 3).

nginx caches /static/ for a year as immutable (infra/nginx), so a release must change the name of
every file it changes: whitenoise's CompressedManifestStaticFilesStorage, from collectstatic's manifest.
(The other tests render pages without collecting: tests/conftest.py names the source files plainly.)
"""

from __future__ import annotations

import json
import re

from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.management import call_command
from django.test import override_settings

MANIFEST = {**settings.STORAGES,
            "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}}


def test_production_stores_static_files_under_hashed_names():
    import config.settings  # the module itself: tests/conftest.py overrides only django.conf.settings

    assert config.settings.STORAGES["staticfiles"] == MANIFEST["staticfiles"]


def _collect(root) -> dict[str, str]:
    call_command("collectstatic", interactive=False, verbosity=0)
    return json.loads((root / "staticfiles.json").read_text())["paths"]


def test_the_project_collects_with_hashed_and_compressed_names(tmp_path):
    root = tmp_path / "static"
    with override_settings(STORAGES=MANIFEST, STATIC_ROOT=str(root)):
        paths = _collect(root)
        for name in ("css/houqin.css", "js/houqin.js", "vendor/bootstrap/bootstrap.min.css",
                     "vendor/bootstrap/bootstrap.bundle.min.js", "favicon.svg"):
            stem, _, ext = name.rpartition(".")
            assert re.fullmatch(re.escape(stem) + r"\.[0-9a-f]{12}\." + ext, paths[name]), paths[name]
            assert (root / paths[name]).is_file()
            assert (root / (paths[name] + ".gz")).is_file()  # whitenoise serves the compressed copy
            assert staticfiles_storage.url(name) == "/static/" + paths[name]
            assert not (root / name).exists()  # WHITENOISE_KEEP_ONLY_HASHED_FILES: no stale plain copy
        # The icon font is referenced from the CSS by its hashed name too.
        css = (root / paths["vendor/bootstrap-icons/bootstrap-icons.min.css"]).read_text()
        assert paths["vendor/bootstrap-icons/fonts/bootstrap-icons.woff2"].split("/")[-1] in css


def test_a_changed_file_gets_a_new_name_and_so_does_the_file_that_references_it(tmp_path):
    source, root = tmp_path / "src", tmp_path / "static"
    source.mkdir()
    (source / "app.css").write_text("body { color: red; }\n")
    (source / "main.css").write_text('@import url("app.css");\n')
    (source / "same.js").write_text("console.log('unchanged');\n")
    only_these = {"STATICFILES_DIRS": [str(source)],
                  "STATICFILES_FINDERS": ["django.contrib.staticfiles.finders.FileSystemFinder"]}
    with override_settings(STORAGES=MANIFEST, STATIC_ROOT=str(root), **only_these):
        before = _collect(root)
        (source / "app.css").write_text("body { color: blue; }\n")
        after = _collect(root)
    assert after["app.css"] != before["app.css"]
    assert after["main.css"] != before["main.css"]
    assert after["same.js"] == before["same.js"]
    assert (root / after["app.css"]).read_text() == "body { color: blue; }\n"
    assert after["app.css"].split("/")[-1] in (root / after["main.css"]).read_text()
    # The previous release's name still answers, for pages cached before the deploy.
    assert (root / before["app.css"]).read_text() == "body { color: red; }\n"
