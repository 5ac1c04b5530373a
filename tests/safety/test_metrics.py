"""Metrics and mirrors the bureau reads, and the beat tasks."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from safety.choices import Area, ItemResult
from safety.metrics import METRICS, MIRRORS
from safety.models import Hazard
from safety.services import (
    campaign_round_open,
    hazard_rectify,
    hazard_report,
    hazard_verify,
    round_item_check,
)
from safety.tasks import hazards_overdue_escalate_task
from safety.terms import term_of
from tenants.metrics import all_metrics

from .factories import HazardFactory

FIVE = {"measures": "加固", "funds": "26000.00", "deadline": dt.date(2027, 1, 15), "contingency_plan": "警戒线"}


def _metric(key):
    return next(m for m in METRICS if m.key == key)


def test_metric_keys_are_unique_and_registered():
    keys = [m.key for m in all_metrics()]
    assert len(keys) == len(set(keys))
    assert {"hazards_found", "hazards_rectified", "hazard_rectification_rate", "major_hazards_open"} <= set(keys)


def test_rate_metric_reads_rectified_over_found(in_school_a, sam, mia):
    found_on = timezone.localdate()
    hazards = [HazardFactory(found_on=found_on, reporter=sam) for _ in range(7)]
    for hazard in hazards[:5]:
        hazard_rectify(actor=mia, hazard=hazard, actions="已整改")
        hazard_verify(actor=sam, hazard=hazard, accepted=True)
    period = term_of(found_on)
    assert _metric("hazards_found").compute(period) == 7
    assert _metric("hazards_rectified").compute(period) == 5
    assert round(_metric("hazard_rectification_rate").compute(period), 4) == round(5 / 7, 4)


def test_major_hazards_mirror(in_school_a, sam):
    hazard = hazard_report(reporter=sam, category=Area.BUILDINGS, grade="major", description="挡土墙开裂",
                           location_text="东侧围墙", responsible=sam, **FIVE)
    rows = MIRRORS["major_hazards"]()
    assert rows == [{
        "ref": f"hazard:{hazard.pk}", "title": "挡土墙开裂", "status": "open", "occurred_on": hazard.found_on,
        "data": {"location": "东侧围墙", "category": "buildings", "responsible": "Sam", "measures": "加固",
                 "funds": "26000.00", "deadline": "2027-01-15", "contingency_plan": "警戒线", "supervised": True},
    }]


def test_campaign_rounds_mirror(in_school_a, sam):
    round_ = campaign_round_open(campaign_id=7, title="防汛专项", due_on=dt.date(2026, 12, 1),
                                 items=[{"area": Area.BUILDINGS, "text": "排水沟畅通"},
                                        {"area": Area.ELECTRICITY, "text": "配电间防水"}])
    first = round_.items.first()
    round_item_check(actor=sam, item=first, result=ItemResult.FAIL, hazard={"location_text": "操场"})
    assert MIRRORS["campaign_rounds"]() == [{
        "ref": "campaign:7", "title": "防汛专项", "status": "open", "occurred_on": round_.started_on,
        "data": {"campaign_id": 7, "items_total": 2, "items_checked": 1, "hazards_found": 1, "completed_at": None},
    }]


def test_escalation_task_runs_in_the_school_schema(in_school_a, sam):
    HazardFactory(reporter=sam, deadline=timezone.localdate() - dt.timedelta(days=3))
    assert hazards_overdue_escalate_task.run(schema_name="alpha") == 1
    assert hazards_overdue_escalate_task.run(schema_name="alpha") == 0
    assert Hazard.objects.filter(escalated_on__isnull=False).count() == 1


def test_beat_sweeps_queue_one_task_per_active_school(db, school_a, school_b, school_c):
    from unittest import mock

    from safety import schedules, tasks

    with mock.patch.object(tasks.hazards_overdue_escalate_task, "delay") as escalate, \
            mock.patch.object(tasks.agreement_reminders_task, "delay") as remind, \
            mock.patch.object(tasks.visitor_retention_purge_task, "delay") as purge:
        assert tasks.hazards_overdue_sweep_task.run() >= 3
        assert tasks.agreement_reminders_sweep_task.run() >= 3
        assert tasks.visitor_retention_sweep_task.run() >= 3
    queued = {call.kwargs["schema_name"] for call in escalate.call_args_list}
    assert {"alpha", "beta", "gamma"} <= queued
    assert len(remind.call_args_list) == len(escalate.call_args_list) == len(purge.call_args_list)
    assert {entry["task"] for entry in schedules.BEAT_SCHEDULE.values()} == {
        "safety.tasks.hazards_overdue_sweep_task", "safety.tasks.agreement_reminders_sweep_task",
        "safety.tasks.visitor_retention_sweep_task"}
