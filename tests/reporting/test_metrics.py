"""The metric read-models: one row per school and term, refreshed by task and nightly, idempotently."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from reporting.models import MirroredRecord, SchoolMetrics, Term
from reporting.services import school_metrics_refresh, term_create, term_current, term_default_bounds
from reporting.tasks import metrics_nightly_task, school_metrics_refresh_task

from .conftest import add_hazards

pytestmark = pytest.mark.django_db


def test_refresh_task_is_registered_under_the_name_tenants_sends():
    from config.celery import app

    assert "reporting.tasks.school_metrics_refresh_task" in app.tasks


def test_refresh_task_computes_the_current_term_row(fake_metrics_module, terms, school_a):
    # given 7 hazards found in A, 5 rectified
    add_hazards(school_a, found=7, rectified=5)
    # when the task runs, even when it arrives in the school's schema
    connection.set_tenant(school_a)
    school_metrics_refresh_task.apply(kwargs={"schema_name": "alpha"}).get()
    connection.set_schema_to_public()
    # then A's row for the current term holds the figures
    row = SchoolMetrics.objects.get(school=school_a, term=terms["north"][2])
    assert row.values == {"hazards_found": 7, "hazards_rectified": 5, "hazard_rectification_rate": 5 / 7,
                          "buildings_d_grade": 0, "asset_value": 1234.5}


def test_write_in_school_a_changes_only_a_row(fake_metrics_module, terms, school_a, school_b, school_c):
    for school in (school_a, school_b, school_c):
        school_metrics_refresh(school=school)
    before = {r.school_id: (r.values, r.computed_at) for r in SchoolMetrics.objects.all()}
    # when a hazard is written in A and A's refresh runs
    add_hazards(school_a, found=1, rectified=0)
    school_metrics_refresh_task.apply(kwargs={"schema_name": "alpha"}).get()
    after = {r.school_id: (r.values, r.computed_at) for r in SchoolMetrics.objects.all()}
    assert after[school_a.pk][0]["hazards_found"] == 1
    assert after[school_b.pk] == before[school_b.pk]
    assert after[school_c.pk] == before[school_c.pk]


def test_nightly_equals_incremental(fake_metrics_module, terms, school_a, school_b, school_c, monkeypatch):
    add_hazards(school_a, found=3, rectified=1)
    add_hazards(school_c, found=2, rectified=2)
    for school in (school_a, school_b, school_c):
        school_metrics_refresh(school=school)
    incremental = {r.school_id: r.values for r in SchoolMetrics.objects.all()}
    SchoolMetrics.objects.all().delete()
    queued = []
    monkeypatch.setattr(school_metrics_refresh_task, "apply_async",
                        lambda kwargs: queued.append(kwargs) or school_metrics_refresh_task.apply(kwargs=kwargs))
    count = metrics_nightly_task.apply().get()
    current = {r.term_id for r in SchoolMetrics.objects.filter(school=school_a)} & {t.pk for t in terms["north"][2:]}
    nightly = {r.school_id: r.values for r in SchoolMetrics.objects.filter(term_id__in=[
        terms["north"][2].pk, terms["south"][2].pk])}
    assert count == len(queued) >= 3  # one task per school
    # the nightly run recomputes the term before too (a past hazard closed today changes its 整改率)
    assert {"schema_name": "alpha", "previous": True} in queued
    assert {"schema_name": "gamma", "previous": True} in queued
    assert current == {terms["north"][2].pk}
    assert {k: nightly[k] for k in incremental} == incremental
    assert SchoolMetrics.objects.filter(school=school_a, term=terms["north"][1]).count() == 1
    # and running it twice changes nothing
    everything = {(r.school_id, r.term_id): r.values for r in SchoolMetrics.objects.all()}
    metrics_nightly_task.apply().get()
    assert {(r.school_id, r.term_id): r.values for r in SchoolMetrics.objects.all()} == everything
    assert SchoolMetrics.objects.filter(school=school_a).count() == 2  # this term and the last


def test_mirrors_follow_the_school_and_drop_vanished_rows(fake_metrics_module, terms, school_a):
    from schools.models import Building

    connection.set_tenant(school_a)
    old = Building.objects.create(name="1号教学楼", safety_grade="C")
    Building.objects.create(name="2号楼", safety_grade="A")
    connection.set_schema_to_public()
    school_metrics_refresh(school=school_a)
    assert list(MirroredRecord.objects.filter(school=school_a).values_list("kind", "title", "status")) == [
        ("weak_buildings", "1号教学楼", "C")
    ]
    connection.set_tenant(school_a)
    Building.objects.filter(pk=old.pk).update(safety_grade="B")
    connection.set_schema_to_public()
    school_metrics_refresh(school=school_a)
    assert not MirroredRecord.objects.filter(school=school_a).exists()


def test_term_current_adds_the_standard_term_when_none_holds_today(bureau_north):
    term = term_current(bureau=bureau_north, on=dt.date(2026, 3, 10))
    assert (term.name, term.start, term.end) == ("2025–2026 第二学期", dt.date(2026, 2, 1), dt.date(2026, 7, 31))
    assert term_current(bureau=bureau_north, on=dt.date(2026, 5, 1)) == term
    assert term_default_bounds(dt.date(2026, 11, 25))[0] == "2026–2027 第一学期"
    assert term_default_bounds(dt.date(2027, 1, 5))[1:] == (dt.date(2026, 8, 1), dt.date(2027, 1, 31))


def test_terms_may_not_overlap(bureau_north):
    term_create(bureau=bureau_north, name="A", start=dt.date(2026, 2, 1), end=dt.date(2026, 7, 31))
    with pytest.raises(ValidationError) as error:
        term_create(bureau=bureau_north, name="B", start=dt.date(2026, 7, 1), end=dt.date(2026, 9, 1))
    assert "start" in error.value.message_dict
    assert Term.objects.filter(bureau=bureau_north).count() == 1


def test_demo_bureau_holds_terms_programmes_and_the_seed_titles(fake_metrics_module, bureau_north, school_a):
    from reporting.demo import load_bureau
    from reporting.models import AwardProgramme, AwardRecord

    # given the seed school in this bureau (the demo looks it up by slug)
    from tenants.models import School

    School.objects.filter(pk=school_a.pk).update(slug="xxlu")
    load_bureau(bureau=bureau_north)
    load_bureau(bureau=bureau_north)  # twice: nothing doubles
    assert Term.objects.filter(bureau=bureau_north).count() == 3
    assert AwardProgramme.objects.filter(bureau=bureau_north).count() == 5
    assert sorted(AwardRecord.objects.filter(school=school_a).values_list("title", flat=True)) == [
        "市绿色学校", "市花园式学校", "省级平安校园"]
    assert SchoolMetrics.objects.filter(school=school_a).count() == 3
