"""infra/check, the CI-independent check of the deployment files and the container's entry points: it
passes on the repository as it is (lints, then migrate, web, worker and beat run here), and its checks
refuse what they are there to refuse."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHECK = ROOT / "infra" / "check"


def _module():
    loader = importlib.machinery.SourceFileLoader("infra_check", str(CHECK))
    spec = importlib.util.spec_from_loader("infra_check", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def test_infra_check_passes_with_the_entry_points_run():
    """The whole script, as CI or an operator runs it (started by its `python3` shebang, it switches to
    .venv's interpreter; bounded: it stops every process it starts)."""
    assert os.access(CHECK, os.X_OK)
    env = {**os.environ}
    result = subprocess.run([str(CHECK)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=1500)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    for line in ("compose: `config` accepts compose.yaml", "manifests valid against the Kubernetes",
                 "Dockerfile: stages and COPY sources exist", "collectstatic writes the hashed static files",
                 "migrate entry", "/healthz answers 200", "a hashed static file is served",
                 "a task sent is run and its result read back", "`celery inspect ping` answers",
                 "beat entry (celery -A config beat) starts and runs"):
        assert f"ok    {line}" in output or any(line in row and row.startswith("ok") for row in output.splitlines()), \
            f"{line!r} not checked:\n{output[-4000:]}"
    assert "FAIL" not in output


def test_dockerignore_matching_refuses_what_the_image_needs():
    check = _module()
    patterns = ["**/__pycache__", ".venv", "infra/.env", "config"]
    assert check._ignored("config/settings.py", patterns)
    assert check._ignored("tenants/__pycache__/x.pyc", patterns)
    assert check._ignored("infra/.env", patterns)
    assert not check._ignored("infra/env.example", patterns)
    assert not check._ignored("manage.py", patterns)
    assert not check._ignored("config/settings.py", [*patterns, "!config"])


def test_commands_naming_missing_programs_or_files_are_refused():
    check = _module()
    assert check._check_app_command(["gunicorn", "config.wsgi:application", "--config", "infra/gunicorn.conf.py"],
                                    "web") == []
    assert check._check_app_command(["gunicorn", "config.nowhere:application"], "web")
    assert check._check_app_command(["gunicorn", "config.wsgi:application", "--config", "infra/missing.py"], "web")
    assert check._check_app_command(["celery", "-A", "confg", "worker"], "worker")
    assert check._check_app_command(["uwsgi", "--ini", "x"], "web")
    assert check._check_app_command(["python", "manage.py", "migrate"], "migrate") == []


def test_dockerfile_instructions_parse_with_continuations_and_comments():
    check = _module()
    steps = check._instructions("# c\nFROM python:3.11 AS build\nRUN a \\\n    # inside\n && b\nCMD [\"x\"]\n")
    assert steps == [("FROM", "python:3.11 AS build"), ("RUN", "a && b"), ("CMD", '["x"]')]

