"""What can be checked of infra/ without a container engine (there is none on this machine): the files
parse, the environment they pass is the one config/settings.py reads, the commands they run exist,
the web tier is probed on /healthz, beat is single, nginx serves the wildcard school hosts, and the
backup script really dumps every school schema (against the test database, with the local pg_dump).
"""

from __future__ import annotations

import ast
import importlib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"
K8S = INFRA / "k8s"

# Settings that only development and tests set: a deployment does not pass them.
DEV_ONLY = {
    "TEST_DATABASE_NAME", "FAST_PASSWORD_HASHER", "CACHE_BACKEND", "CACHE_DIR", "CELERY_BROKER_DIR",
    "CELERY_TASK_ALWAYS_EAGER", "DEMO_PASSWORD", "EMAIL_BACKEND", "EMAIL_ENABLED", "HOUQIN_DEV_DIR",
}
# Required in every deployment.
REQUIRED = {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "BASE_DOMAIN", "ALLOWED_HOSTS", "DEBUG"}
# Set by Kubernetes for the worker's own use (its Celery host name), not by the application.
K8S_OWN = {"POD_NAME"}


def _env_names_read(path: Path, *, call_roots: tuple[str, ...]) -> set[str]:
    """Names of environment variables a module reads: env.x("NAME"), env("NAME"), os.environ[...]."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            root = func.value if isinstance(func, ast.Attribute) else func
            text = ast.unparse(root)
            reads_env = text in call_roots or ast.unparse(func) in ("os.environ.get", "os.environ.setdefault",
                                                                     "os.getenv")
            if reads_env and isinstance(node.args[0].value, str) and node.args[0].value.isupper():
                names.add(node.args[0].value)
        if (isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ"
                and isinstance(node.slice, ast.Constant)):
            names.add(node.slice.value)
    return names


SETTINGS_VARS = _env_names_read(ROOT / "config" / "settings.py", call_roots=("env",))
GUNICORN_VARS = _env_names_read(INFRA / "gunicorn.conf.py", call_roots=())


def _yaml_documents(path: Path) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]


def _k8s() -> list[dict]:
    return [doc for path in sorted(K8S.glob("*.yaml")) for doc in _yaml_documents(path)]


def _of_kind(kind: str) -> dict[str, dict]:
    return {doc["metadata"]["name"]: doc for doc in _k8s() if doc.get("kind") == kind}


def _containers(workload: dict) -> list[dict]:
    spec = workload["spec"]
    if workload["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    return spec["template"]["spec"]["containers"]


def _app_containers() -> list[tuple[str, dict]]:
    out = []
    for kind in ("Deployment", "Job", "CronJob"):
        for name, workload in _of_kind(kind).items():
            out += [(name, c) for c in _containers(workload) if c["image"] == "houqin"]
    return out


def _compose() -> dict:
    return yaml.safe_load((INFRA / "compose.yaml").read_text())


def _compose_app_services() -> dict[str, dict]:
    return {name: svc for name, svc in _compose()["services"].items() if "build" in svc}


# --- the files parse ------------------------------------------------------------------------------
def test_every_yaml_file_of_infra_parses():
    files = sorted(INFRA.rglob("*.yaml")) + sorted(INFRA.rglob("*.yml"))
    assert len(files) >= 10
    for path in files:
        assert _yaml_documents(path), path


def test_settings_parser_finds_the_settings_variables():
    assert {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "BASE_DOMAIN", "METRICS_TOKEN", "CONN_MAX_AGE"} <= SETTINGS_VARS
    assert {"WEB_CONCURRENCY", "PORT", "PROMETHEUS_MULTIPROC_DIR"} <= GUNICORN_VARS


# --- environment: exactly what the application reads ------------------------------------------------
def test_compose_passes_only_variables_the_application_reads():
    services = _compose_app_services()
    assert set(services) == {"migrate", "web", "worker", "beat"}
    for name, service in services.items():
        passed = set(service["environment"])
        assert passed - SETTINGS_VARS - GUNICORN_VARS == set(), name
        assert passed >= REQUIRED, name


def test_kubernetes_config_and_secret_hold_exactly_settings_variables():
    config = _of_kind("ConfigMap")["houqin-config"]["data"]
    secret = _yaml_documents(K8S / "secret.example.yaml")[0]["stringData"]
    assert set(config) & set(secret) == set()
    passed = set(config) | set(secret)
    assert passed - SETTINGS_VARS == set()
    assert passed >= REQUIRED
    # Every variable the settings read is either deployed or known to be for development only.
    assert SETTINGS_VARS - passed - DEV_ONLY == set()
    assert {"SECRET_KEY", "DATABASE_URL", "EMAIL_HOST_PASSWORD", "METRICS_TOKEN"} <= set(secret)


def test_every_application_container_reads_the_config_and_secret_only():
    containers = _app_containers()
    assert {name for name, _ in containers} == {"houqin-web", "houqin-worker", "houqin-beat", "houqin-migrate"}
    for name, container in containers:
        refs = [next(iter(ref.values()))["name"] for ref in container["envFrom"]]
        assert refs == ["houqin-config", "houqin-secrets"], name
        extra = {item["name"] for item in container.get("env", [])}
        assert extra - SETTINGS_VARS - GUNICORN_VARS - K8S_OWN == set(), name


# --- commands exist ------------------------------------------------------------------------------
def _dockerfile() -> str:
    return (INFRA / "Dockerfile").read_text()


def test_dockerfile_is_multi_stage_non_root_with_locked_deps_static_files_and_cjk_fonts():
    text = _dockerfile()
    assert len(re.findall(r"^FROM ", text, re.M)) >= 3  # uv, build, runtime
    assert "uv sync --frozen --no-dev" in text
    assert "collectstatic --noinput" in text
    assert "fonts-noto-cjk" in text
    assert "libpango-1.0-0" in text
    users = re.findall(r"^USER (\S+)", text, re.M)
    assert users
    assert users[-1].split(":")[0] not in ("root", "0")
    assert (INFRA / "Dockerfile.dockerignore").exists()


def _check_command(argv: list[str]) -> None:
    if argv[0] == "gunicorn":
        module, _, attr = argv[1].partition(":")
        assert hasattr(importlib.import_module(module), attr or "application"), argv
        config = argv[argv.index("--config") + 1]
        assert (ROOT / config).exists(), argv
    elif argv[0] == "celery":
        assert argv[1:3] == ["-A", "config"]
        assert importlib.import_module("config.celery").app.main == "houqin"
        assert argv[3] in ("worker", "beat")
    elif argv[:2] == ["python", "manage.py"]:
        from django.core.management import get_commands

        assert argv[2] in get_commands(), argv
    elif argv[:2] == ["sh", "-c"]:
        pass
    else:
        raise AssertionError(f"unknown command {argv}")


def test_dockerfile_cmd_runs_the_real_wsgi_module():
    cmd = json.loads(re.findall(r"^CMD (\[.*\])$", _dockerfile(), re.M)[-1])
    assert cmd[:2] == ["gunicorn", "config.wsgi:application"]
    _check_command(cmd)


def test_compose_and_kubernetes_commands_exist():
    for service in _compose_app_services().values():
        _check_command(service["command"])
    for _name, container in _app_containers():
        _check_command(container["command"])


def test_gunicorn_config_loads():
    from unittest import mock

    namespace: dict = {"__file__": str(INFRA / "gunicorn.conf.py")}
    # The config sets PROMETHEUS_MULTIPROC_DIR for gunicorn's workers: keep it out of this process.
    with mock.patch.dict(os.environ):
        exec(compile((INFRA / "gunicorn.conf.py").read_text(), "gunicorn.conf.py", "exec"), namespace)  # noqa: S102
        assert os.environ["PROMETHEUS_MULTIPROC_DIR"] == "/dev/shm/houqin-prometheus"
    assert namespace["bind"] == f"0.0.0.0:{os.environ.get('PORT', '8000')}"
    assert namespace["workers"] >= 1
    assert callable(namespace["child_exit"])


# --- the shape of the deployment ------------------------------------------------------------------
def test_web_is_probed_on_healthz_and_livez():
    web = _containers(_of_kind("Deployment")["houqin-web"])[0]
    assert web["readinessProbe"]["httpGet"]["path"] == "/healthz"
    assert web["startupProbe"]["httpGet"]["path"] == "/healthz"
    assert web["livenessProbe"]["httpGet"]["path"] == "/livez"
    assert web["ports"][0]["containerPort"] == 8000


def test_web_and_worker_autoscale_and_beat_is_one_replica_recreated():
    deployments = _of_kind("Deployment")
    hpas = {doc["spec"]["scaleTargetRef"]["name"]: doc for doc in _of_kind("HorizontalPodAutoscaler").values()}
    assert set(hpas) == {"houqin-web", "houqin-worker"}
    assert all(name in deployments for name in hpas)
    beat = deployments["houqin-beat"]
    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"] == {"type": "Recreate"}
    assert _containers(beat)[0]["command"][3] == "beat"


def test_migrations_run_as_a_job_and_backups_on_a_schedule():
    job = _of_kind("Job")["houqin-migrate"]
    assert _containers(job)[0]["command"][:3] == ["python", "manage.py", "migrate"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    backup = _of_kind("CronJob")["houqin-backup"]
    assert backup["spec"]["concurrencyPolicy"] == "Forbid"
    assert len(backup["spec"]["schedule"].split()) == 5


def test_kustomization_lists_every_manifest_and_the_backup_script():
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    listed = set(kustomization["resources"])
    on_disk = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml", "secret.example.yaml"}
    assert listed == on_disk
    for generator in kustomization["configMapGenerator"]:
        for entry in generator["files"]:
            assert (K8S / entry.split("=", 1)[-1]).resolve().exists(), entry


# --- nginx and the ingress: wildcard school hosts, TLS ---------------------------------------------
def test_nginx_serves_the_portal_and_every_school_host_over_tls():
    text = (INFRA / "nginx" / "houqin.conf.template").read_text()
    names = re.findall(r"server_name ([^;]+);", text)
    assert "${BASE_DOMAIN} *.${BASE_DOMAIN}" in names
    assert "ssl_certificate " in text
    assert "return 301 https://$host$request_uri" in text
    # The application trusts X-Forwarded-Proto (SECURE_PROXY_SSL_HEADER) and routes by Host.
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in text
    assert "proxy_set_header Host $host;" in text
    size = int(re.search(r"client_max_body_size (\d+)m;", text).group(1))
    from django.conf import settings

    assert size * 1024 * 1024 >= settings.UPLOAD_MAX_BYTES


def test_ingress_has_a_wildcard_rule_and_certificate():
    ingress = _of_kind("Ingress")["houqin"]
    hosts = [rule["host"] for rule in ingress["spec"]["rules"]]
    config = _of_kind("ConfigMap")["houqin-config"]["data"]
    base = config["BASE_DOMAIN"]
    assert hosts == [base, f"*.{base}"]
    assert ingress["spec"]["tls"][0]["hosts"] == [base, f"*.{base}"]


# --- backups really dump each school ---------------------------------------------------------------
def test_backup_script_is_valid_shell():
    subprocess.run(["sh", "-n", str(INFRA / "backup" / "backup.sh")], check=True)


def _newest_pg_dump() -> str | None:
    from tenants.snapshot import pg_dump_path

    return pg_dump_path()


@pytest.mark.skipif(shutil.which("pg_dump") is None and _newest_pg_dump() is None, reason="pg_dump is not installed")
def test_backup_script_dumps_public_the_template_and_every_school(db, tmp_path):
    from urllib.parse import quote

    from tenants.snapshot import libpq_env

    # The database the tests use, as libpq sees it (the embedded server listens on a socket directory), and
    # the newest pg_dump there is: an older one refuses to dump a newer server.
    pq = libpq_env()
    url = (f"postgresql://{quote(pq['PGUSER'])}:{quote(pq.get('PGPASSWORD', ''))}@/{quote(pq['PGDATABASE'])}"
           f"?host={quote(pq.get('PGHOST', '127.0.0.1'))}&port={pq.get('PGPORT', '5432')}")
    dump = _newest_pg_dump()
    path = os.pathsep.join([os.path.dirname(dump), os.environ.get("PATH", "")]) if dump else os.environ.get("PATH", "")
    env = {**os.environ, "PATH": path, "DATABASE_URL": url, "BACKUP_DIR": str(tmp_path), "BACKUP_JOBS": "2"}
    result = subprocess.run(["sh", str(INFRA / "backup" / "backup.sh")], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    (folder,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    files = {p.name for p in folder.iterdir()}
    assert {"public.dump", "school_template.dump", "school-alpha.dump", "school-beta.dump",
            "school-gamma.dump", "COMPLETE"} <= files
    listing = subprocess.run(["pg_restore", "--list", str(folder / "school-alpha.dump")],
                             capture_output=True, text=True, check=True, env=env).stdout
    assert "TABLE DATA alpha schools_department" in listing
    assert "beta" not in listing


def _compose_available() -> bool:
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0


def test_compose_file_is_valid_for_docker_compose():
    """Needs the compose plugin: this machine has a docker CLI without it and no engine, so it skips here."""
    if not _compose_available():
        pytest.skip("no `docker compose` here: the image build and `docker compose config` are not checked")
    result = subprocess.run(["docker", "compose", "-f", str(INFRA / "compose.yaml"), "config", "-q"],
                            env={**os.environ, "SECRET_KEY": "x", "BASE_DOMAIN": "example.cn",
                                 "POSTGRES_PASSWORD": "x"}, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
