"""Trust report: the isolation matrix, task routing, tampering, fuzzing — run as tests, counted here.

Backup/restore, worker kills and load have benchmarks of their own (bench_backup, bench_trust_jobs,
bench_load). Results go to bench/TRUST.md by hand after a run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

from django.conf import settings

from .harness import report

TESTS = [
    "tests/trust/test_isolation_matrix.py",
    "tests/trust/test_leak_routes.py",
    "tests/trust/test_history_chain.py",
    "tests/trust/test_history_completeness.py",
    "tests/trust/test_fuzz.py",
    "tests/trust/test_web_security.py",
]


def run() -> None:
    with tempfile.TemporaryDirectory() as folder:
        matrix = os.path.join(folder, "matrix.json")
        junit = os.path.join(folder, "junit.xml")
        env = {**os.environ, "TRUST_REPORT": matrix, "TEST_DATABASE_NAME": "test_houqin_trust",
               "FUZZ_EXAMPLES": os.environ.get("FUZZ_EXAMPLES", "100")}
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "--create-db", f"--junitxml={junit}", *TESTS],
            cwd=settings.BASE_DIR, env=env, capture_output=True, text=True,
        )
        tree = ET.parse(junit)
        cases = tree.getroot().iter("testcase")
        props = {}
        failed = []
        by_file: dict[str, int] = {}
        for case in cases:
            name = case.get("classname", "") + "::" + case.get("name", "")
            by_file[case.get("classname", "")] = by_file.get(case.get("classname", ""), 0) + 1
            if case.find("failure") is not None or case.find("error") is not None:
                failed.append(name)
            for prop in case.iter("property"):
                props[prop.get("name")] = float(prop.get("value"))
        stats = {"stats": {}, "leaks": []}
        if os.path.exists(matrix):
            with open(matrix) as handle:
                stats = json.load(handle)
    s = stats["stats"]
    report("trust_matrix_cases", s.get("page_cases", 0) + s.get("graphql_cases", 0) + s.get("write_cases", 0), "cases")
    report("trust_matrix_leaks", len(stats["leaks"]), "leaks", target="0")
    report("trust_tasks_routed", props.get("tasks_routed", 0), "tasks")
    report("trust_tasks_misrouted", props.get("tasks_misrouted", 0), "tasks", target="0")
    chain = sum(n for f, n in by_file.items() if f.endswith("test_history_chain"))
    report("trust_tamper_tests", chain, "tests")
    report("trust_fuzz_examples_per_test", int(env["FUZZ_EXAMPLES"]), "examples")
    report("trust_failed_checks", len(failed), "tests", target="0")
    for name in failed:
        print(f"# failed: {name}")
    if done.returncode not in (0, 1):
        print(done.stdout[-2000:], done.stderr[-2000:])
