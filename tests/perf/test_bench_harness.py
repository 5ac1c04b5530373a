"""The bench harness's report line, the bench database name, and the generator's pure parts."""

from __future__ import annotations

import pytest

from bench import generator
from bench.harness import bench_database_name, env_int, format_line


def test_report_line_carries_value_unit_baseline_and_ratio():
    line, ratio = format_line("provision_school_clone", 0.5, "s", baseline=1.5, target="<= 2s")
    assert line == "BENCH provision_school_clone 0.5 s baseline=1.5 ratio=3 target=<=2s"
    assert ratio == 3


def test_ratio_of_a_higher_is_better_figure_is_value_over_baseline():
    line, ratio = format_line("throughput", 200, "req/s", baseline=50, lower_is_better=False)
    assert line == "BENCH throughput 200 req/s baseline=50 ratio=4"
    assert ratio == 4


def test_line_without_baseline_has_no_ratio():
    assert format_line("catalog_rows_per_school", 87, "pg_class") == ("BENCH catalog_rows_per_school 87 pg_class", None)


def test_zero_cost_gives_an_infinite_ratio_not_a_crash():
    assert format_line("x", 0, "s", baseline=2)[0] == "BENCH x 0 s baseline=2 ratio=inf"


def test_names_and_units_become_single_words():
    assert format_line("asset import", 2, "rows per s")[0] == "BENCH asset_import 2 rows_per_s"


@pytest.mark.parametrize(("name", "unit"), [("", "s"), ("x", " ")])
def test_a_figure_needs_a_name_and_a_unit(name, unit):
    with pytest.raises(ValueError):
        format_line(name, 1, unit)


def test_bench_database_defaults_and_is_overridden(monkeypatch):
    monkeypatch.delenv("BENCH_DATABASE", raising=False)
    assert bench_database_name() == "houqin_bench"
    monkeypatch.setenv("BENCH_DATABASE", "hq_perf_bench")
    assert bench_database_name() == "hq_perf_bench"
    monkeypatch.setenv("BENCH_DATABASE", 'x"; drop database y; --')
    with pytest.raises(ValueError):
        bench_database_name()


def test_sizes_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("BENCH_SCHOOLS", "1000")
    assert env_int("BENCH_SCHOOLS", 100) == 1000
    monkeypatch.setenv("BENCH_SCHOOLS", "lots")
    assert env_int("BENCH_SCHOOLS", 100) == 100


def test_generated_schools_are_numbered_and_their_profiles_repeatable():
    assert generator.school_slug("gen", 7) == "gen00007"
    assert generator._profile(7) == generator._profile(7)
    profiles = [generator._profile(i) for i in range(1, 201)]
    assert {p["kind"] for p in profiles} == {"小学", "中学", "九年一贯制学校"}
    assert all(200 <= p["student_count"] <= 2400 for p in profiles)
    assert all(p["staff_count"] >= 15 for p in profiles)


def test_clone_method_is_chosen_by_environment(monkeypatch):
    monkeypatch.setenv("BENCH_CLONE", "clone")
    assert generator.clone_method() == "clone"
    monkeypatch.setenv("BENCH_CLONE", "dump")
    assert generator.clone_method() == "dump"
    monkeypatch.setenv("BENCH_CLONE", "copy")
    with pytest.raises(ValueError):
        generator.clone_method()


def test_copy_rate_of_a_run_at_its_start_and_end_leaves_out_the_preparation():
    # 10 s of pg_dump, then 100 copies: the first 10 took 1 s each, the last 10 took 3 s each.
    progress = [(10 + i, i) for i in range(1, 11)] + [(20 + 2 * (i - 10), i) for i in range(11, 91)]
    progress += [(180 + 3 * (i - 90), i) for i in range(91, 101)]
    district = generator.District(bureau=None, model=None, created=100, prepare_seconds=10, progress=progress)
    assert district.copy_seconds_per_school("first") == 1
    assert district.copy_seconds_per_school("last") == 3
    assert district.copy_seconds_per_school() == (210 - 10) / 100
