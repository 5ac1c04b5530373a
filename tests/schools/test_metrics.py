import datetime as dt

from django.utils import timezone

from schools import services
from schools.choices import ProjectStage
from schools.metrics import METRICS, MIRRORS
from tenants.metrics import Period
from tests.schools.factories import (
    BuildingFactory,
    FeedbackFactory,
    LostItemFactory,
    ProjectFactory,
    ServiceFactory,
)


def _compute(key: str, period: Period):
    return next(m for m in METRICS if m.key == key).compute(period)


def test_building_and_project_metrics(in_school_a):
    BuildingFactory(safety_grade="C")
    covered = BuildingFactory(safety_grade="D")
    BuildingFactory(safety_grade="A")
    ProjectFactory(stage=ProjectStage.PROCUREMENT).buildings.add(covered)
    period = Period(dt.date(2026, 9, 1), dt.date(2027, 1, 31))

    assert [_compute(f"buildings_grade_{g}", period) for g in "abcd"] == [1, 0, 1, 1]
    assert _compute("weak_buildings_without_project", period) == 1
    assert _compute("projects_procurement", period) == 1
    assert _compute("projects_closed", period) == 0


def test_feedback_callback_rate_counts_callbacks_within_24_hours(in_school_a, alice):
    now = timezone.now()
    in_time = FeedbackFactory(received_at=now - dt.timedelta(hours=30), callback_due_at=now - dt.timedelta(hours=6))
    late = FeedbackFactory(received_at=now - dt.timedelta(hours=30), callback_due_at=now - dt.timedelta(hours=6))
    FeedbackFactory(received_at=now - dt.timedelta(hours=1), callback_due_at=now + dt.timedelta(hours=23))
    services.feedback_callback(actor=alice, feedback=in_time, outcome="已处理", callback_at=now - dt.timedelta(hours=20))
    services.feedback_callback(actor=alice, feedback=late, outcome="已处理", callback_at=now - dt.timedelta(hours=1))
    today = timezone.localdate()
    period = Period(today - dt.timedelta(days=5), today)

    assert _compute("feedback_received", period) == 3
    assert _compute("feedback_callbacks_in_time", period) == 1
    assert _compute("feedback_callback_rate", period) == 1 / 3
    assert _compute("feedback_callback_rate", Period(dt.date(2000, 1, 1), dt.date(2000, 2, 1))) is None


def test_lost_and_found_and_convenience_metrics(in_school_a, alice):
    lost = LostItemFactory(quantity=20, item="校园卡")
    LostItemFactory()
    services.lost_item_return(actor=alice, lost=lost, claimant="学生", identified_by="班主任确认")
    ServiceFactory(count=3)
    ServiceFactory(kind="hospital")
    today = timezone.localdate()
    period = Period(today - dt.timedelta(days=5), today)

    assert _compute("lost_items_found", period) == 21
    assert _compute("lost_items_returned", period) == 20
    assert _compute("convenience_services", period) == 4


def test_mirrors_list_weak_buildings_and_projects(in_school_a):
    weak = BuildingFactory(name="1号教学楼", safety_grade="C", handling="demolish")
    BuildingFactory(safety_grade="B")
    project = ProjectFactory(title="加固", stage=ProjectStage.APPROVAL)
    project.buildings.add(weak)

    rows = MIRRORS["weak_buildings"]()
    assert [(r["ref"], r["title"], r["status"], r["data"]["has_active_project"]) for r in rows] == [
        (f"building:{weak.pk}", "1号教学楼", "C", True)]
    projects = MIRRORS["capital_projects"]()
    assert [(r["ref"], r["status"], r["data"]["buildings"]) for r in projects] == [
        (f"project:{project.pk}", "approval", ["1号教学楼"])]


def test_building_grades_are_unknown_until_a_building_is_appraised(in_school_a):
    period = Period(dt.date(2026, 9, 1), dt.date(2027, 1, 31))
    # no building, or none appraised: the counts are unknown, so "no D-grade building" is not claimed
    assert [_compute(f"buildings_grade_{g}", period) for g in "abcd"] == [None] * 4
    BuildingFactory(safety_grade="A")
    assert [_compute(f"buildings_grade_{g}", period) for g in "abcd"] == [1, 0, 0, 0]
