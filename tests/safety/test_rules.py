"""The safety rules of the register (safety/rules.py): each would fail here if its check broke."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from core.rules import rule_get
from safety import duties
from safety.choices import DrillKind, Meal, PatrolKind, Relation, Shift, TeamKind
from safety.models import (
    AuthorisedCollector,
    Camera,
    Drill,
    FireInspection,
    PupilCollection,
    Student,
    Visitor,
)
from safety.selectors import drills_vs_required, patrols_per_day
from safety.services import (
    camera_save,
    collector_authorise,
    collector_withdraw,
    drill_record,
    fire_inspection_record,
    meal_accompaniment_record,
    patrol_record,
    pupil_collection_record,
    security_member_add,
    visitor_register,
    visitor_retention_purge,
)
from safety.todo import duty_items, todo_items_for
from tenants.metrics import Period
from tenants.models import RuleOverride, School

TZ = timezone.get_current_timezone()


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)


def _set_school(school, **fields):
    School.objects.filter(pk=school.pk).update(**fields)
    for name, value in fields.items():
        setattr(school, name, value)


@pytest.fixture
def old_school(in_school_a):
    """School A on Houqin since long before the test's dates, so every day of a period counts."""
    _set_school(in_school_a, created_at=_at(dt.date(2025, 1, 1), 8))
    return in_school_a


# ---------------------------------------------------------------- patrols


def test_patrols_per_day_counts_the_days_without_one(old_school, sam):
    # given: 5 patrols on Monday, none on Tuesday, 5 on Wednesday
    monday = dt.date(2026, 11, 2)
    for day in (monday, monday + dt.timedelta(days=2)):
        for hour in range(8, 13):
            patrol_record(actor=sam, shift=Shift.MORNING, route="校门—教学楼", started_at=_at(day, hour))
    period = Period(monday, monday + dt.timedelta(days=2))

    # when
    figures = duties.patrol_figures(period=period, on=monday + dt.timedelta(days=2))

    # then: 10 patrols over 3 days, not over the 2 days that had one
    assert patrols_per_day(period=period, on=monday + dt.timedelta(days=2)) == 3.33
    assert figures["days"] == 3
    assert figures["days_none"] == [monday + dt.timedelta(days=1)]
    assert figures["days_short"] == [monday + dt.timedelta(days=1)]


def test_a_day_with_four_patrols_is_short_of_five(old_school, sam):
    day = dt.date(2026, 11, 3)
    for hour in range(8, 12):
        patrol_record(actor=sam, shift=Shift.MORNING, route="操场", started_at=_at(day, hour))
    figures = duties.patrol_figures(period=Period(day, day), on=day)
    assert figures["days_short"] == [day]
    patrol_record(actor=sam, shift=Shift.NOON, route="操场", started_at=_at(day, 12))
    assert duties.patrol_figures(period=Period(day, day), on=day)["days_short"] == []


def test_fire_patrols_are_required_of_kindergartens_and_boarding_schools_only(old_school, sam):
    day = dt.date(2026, 11, 3)
    patrol_record(actor=sam, shift=Shift.MORNING, route="厨房", started_at=_at(day, 9), kind=PatrolKind.FIRE)
    period = Period(day, day + dt.timedelta(days=1))
    on = day + dt.timedelta(days=1)
    primary = duties.fire_patrol_figures(period=period, on=on)
    assert primary["days_missing"] is None
    assert primary["nights_missing"] is None

    _set_school(old_school, kind="kindergarten")
    kindergarten = duties.fire_patrol_figures(period=period, on=on)
    assert kindergarten["days_missing"] == [on]
    assert kindergarten["nights_missing"] == [day, on]  # a morning fire patrol is not a night one

    _set_school(old_school, kind="primary", boarding=True)
    patrol_record(actor=sam, shift=Shift.NIGHT, route="宿舍楼", started_at=_at(day, 22), kind=PatrolKind.FIRE)
    boarding = duties.fire_patrol_figures(period=period, on=on)
    assert boarding["nights_missing"] == [on]


# ---------------------------------------------------------------- guards


@pytest.mark.parametrize(("students", "guards"), [(0, 1), (99, 1), (100, 2), (999, 2), (1000, 3), (1499, 3),
                                                  (1500, 4), (2100, 5)])
def test_guards_required_by_enrolment(students, guards):
    assert duties.guards_required(students=students) == guards


def test_guard_shortfall_counts_active_guards_not_the_teachers_team(in_school_a, sam):
    _set_school(in_school_a, student_count=1210)
    security_member_add(actor=sam, name="刘门卫", team=TeamKind.GUARD)
    security_member_add(actor=sam, name="陈老师", team=TeamKind.TEACHER)
    assert duties.guard_shortfall() == 2
    security_member_add(actor=sam, name="何保安", team=TeamKind.GUARD)
    security_member_add(actor=sam, name="周保安", team=TeamKind.GUARD)
    assert duties.guard_shortfall() == 0


# ---------------------------------------------------------------- cameras


def test_camera_retention_under_30_days_is_refused_naming_the_rule(in_school_a, sam):
    with pytest.raises(ValidationError) as error:
        camera_save(actor=sam, location="校门口", status="working", retention_days=1)
    message = error.value.message_dict["retention_days"][0]
    assert "监控录像保存不少于30天" in message
    assert "GB/T 29315-2022" in message
    assert not Camera.objects.exists()
    camera_save(actor=sam, location="校门口", status="working", retention_days=30)
    assert Camera.objects.get().retention_days == 30


def test_a_bureau_that_requires_90_days_refuses_60(in_school_a, sam):
    RuleOverride.objects.create(bureau=in_school_a.bureau, code="safety.camera_retention", value=90)
    with pytest.raises(ValidationError):
        camera_save(actor=sam, location="操场", status="working", retention_days=60)
    assert not Camera.objects.exists()


# ---------------------------------------------------------------- drills


def test_kindergarten_and_primary_school_owe_different_drills(in_school_a, sam):
    # given: one evacuation drill in September of the autumn term, asked on 25 November
    drill_record(actor=sam, kind=DrillKind.EVACUATION, held_on=dt.date(2026, 9, 20), participants=300,
                 evacuation_seconds=110)
    term, on = Period(dt.date(2026, 9, 1), dt.date(2027, 1, 31)), dt.date(2026, 11, 25)

    primary = drills_vs_required(period=term, on=on)
    _set_school(in_school_a, kind="kindergarten")
    kindergarten = drills_vs_required(period=term, on=on)

    # then: a primary school owes one a month (October and November missing), a kindergarten one a quarter
    assert (primary["cadence"], primary["required"], primary["missing"]) == ("month", 3, [(2026, 10), (2026, 11)])
    assert (kindergarten["cadence"], kindergarten["required"], kindergarten["missing"]) == (
        "quarter", 2, [(2026, 4)])


def test_an_evacuation_drill_without_its_time_is_refused(in_school_a, sam):
    with pytest.raises(ValidationError) as error:
        drill_record(actor=sam, kind=DrillKind.EVACUATION, held_on=dt.date(2026, 9, 20), participants=300)
    assert "evacuation_seconds" in error.value.message_dict
    assert not Drill.objects.exists()


def test_drills_over_two_minutes_are_flagged(in_school_a, sam):
    drill_record(actor=sam, kind=DrillKind.EVACUATION, held_on=dt.date(2026, 9, 20), participants=300,
                 evacuation_seconds=120)
    late = drill_record(actor=sam, kind=DrillKind.FIRE, held_on=dt.date(2026, 10, 20), participants=300,
                        evacuation_seconds=121)
    figures = drills_vs_required(period=Period(dt.date(2026, 9, 1), dt.date(2027, 1, 31)), on=dt.date(2026, 11, 1))
    assert figures["over_target"] == 1
    assert late.over_target


def test_an_intruder_drill_is_not_an_evacuation(in_school_a, sam):
    drill_record(actor=sam, kind=DrillKind.INTRUDER, held_on=dt.date(2026, 9, 20), participants=300)
    figures = drills_vs_required(period=Period(dt.date(2026, 9, 1), dt.date(2027, 1, 31)), on=dt.date(2026, 9, 30))
    assert (figures["held"], figures["held_all"], figures["missing"]) == (0, 1, [(2026, 9)])


def test_the_safety_officers_todo_shows_the_overdue_drill(in_school_a, sam):
    today = timezone.localdate()
    items = [i for i in duty_items() if i.kind == "safety.drill_due"]
    # Nothing held this term: every month so far is due, the past ones overdue.
    assert items
    assert items[-1].deadline >= today
    assert all(i.overdue for i in items[:-1])
    sections = {s.key: s for s in todo_items_for(user=sam, limit=10)}
    assert sections["safety.duties"].total == len(duty_items())


def test_other_roles_get_no_duties_section(in_school_a, gina):
    assert "safety.duties" not in {s.key for s in todo_items_for(user=gina, limit=10)}


# ---------------------------------------------------------------- fire inspections


def test_a_fire_inspection_without_the_heads_signature_is_refused(in_school_a, sam):
    with pytest.raises(ValidationError) as error:
        fire_inspection_record(actor=sam, inspected_on=dt.date(2026, 10, 9), area="食堂", head_name="  ")
    assert "第二十六条" in error.value.message_dict["head_name"][0]
    assert not FireInspection.objects.exists()
    inspection = fire_inspection_record(actor=sam, inspected_on=dt.date(2026, 10, 9), area="食堂", head_name="王主任")
    assert (inspection.inspector_name, inspection.head_name) == (sam.display_name, "王主任")
    assert inspection.head_signed_at is not None


def test_fire_inspections_count_the_quarters_without_one(in_school_a, sam):
    fire_inspection_record(actor=sam, inspected_on=dt.date(2026, 9, 9), area="全校", head_name="王主任")
    figures = duties.fire_inspection_figures(period=Period(dt.date(2026, 9, 1), dt.date(2027, 1, 31)),
                                             on=dt.date(2027, 1, 10))
    assert figures == {"held": 1, "required": 3, "missing": [(2026, 4), (2027, 1)]}


# ---------------------------------------------------------------- meals


def test_meal_rate_counts_the_school_days_without_an_accompanied_meal(old_school, sam, alice):
    monday = dt.date(2026, 11, 2)
    meal_accompaniment_record(actor=sam, on=monday, meal=Meal.LUNCH, findings="饭菜温度适宜")
    meal_accompaniment_record(actor=sam, on=monday + dt.timedelta(days=2), meal=Meal.LUNCH)
    figures = duties.meal_figures(period=Period(monday, monday + dt.timedelta(days=6)), on=monday + dt.timedelta(days=6))
    # Monday to Friday are school days; the weekend is not.
    assert (figures["days"], figures["days_with"]) == (5, 2)
    assert figures["rate"] == pytest.approx(0.4)
    assert len(figures["days_missing"]) == 3


def test_only_a_school_leader_accompanies_a_meal(in_school_a, sam, gina):
    with pytest.raises(ValidationError):
        meal_accompaniment_record(actor=sam, leader=gina, on=dt.date(2026, 11, 2), meal=Meal.LUNCH)


# ---------------------------------------------------------------- pick-up


@pytest.fixture
def pupil(in_school_a, bobs_class):
    return Student.objects.create(school_class=bobs_class, seat_no=1, name="小明")


def test_a_pupil_is_handed_only_to_an_authorised_collector(pupil, sam, bob):
    mother = collector_authorise(actor=bob, student=pupil, name="王芳", relation=Relation.MOTHER)
    other = Student.objects.create(school_class=pupil.school_class, seat_no=2, name="小红")
    strangers = collector_authorise(actor=sam, student=other, name="李四", relation=Relation.FATHER)

    with pytest.raises(ValidationError) as error:
        pupil_collection_record(actor=bob, student=pupil, collector=strangers)
    assert "李四" in error.value.message_dict["collector"][0]
    assert not PupilCollection.objects.exists()

    record = pupil_collection_record(actor=bob, student=pupil, collector=mother)
    assert (record.collector, record.handed_over_by) == (mother, bob)


def test_a_withdrawn_collector_no_longer_collects(pupil, bob):
    grandpa = collector_authorise(actor=bob, student=pupil, name="王大爷", relation=Relation.GRANDPARENT)
    collector_withdraw(actor=bob, collector=grandpa)
    with pytest.raises(ValidationError):
        pupil_collection_record(actor=bob, student=pupil, collector=grandpa)
    assert AuthorisedCollector.objects.get().is_active is False


def test_a_maintenance_worker_hands_no_pupil_over(pupil, bob, mia):
    mother = collector_authorise(actor=bob, student=pupil, name="王芳", relation=Relation.MOTHER)
    with pytest.raises(PermissionDenied):
        pupil_collection_record(actor=mia, student=pupil, collector=mother)


# ---------------------------------------------------------------- visitor retention


def test_purge_anonymises_visitors_past_the_retention_and_keeps_the_count(in_school_a, gina):
    now = timezone.now()
    old = visitor_register(actor=gina, name="张先生", id_number="110101199003071234", phone="13800000000",
                           host_name="陈老师", purpose="送货", host_verified=True, in_at=now - dt.timedelta(days=181))
    recent = visitor_register(actor=gina, name="李女士", id_number="110101199003075678", phone="13900000000",
                              host_name="陈老师", purpose="家长来访", host_verified=True,
                              in_at=now - dt.timedelta(days=179))

    assert visitor_retention_purge(now=now) == 1
    assert visitor_retention_purge(now=now) == 0  # safe to run twice

    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.name, old.id_number_masked, old.phone) == ("张**", "", "")
    assert old.anonymised_at is not None
    assert (recent.name, recent.phone) == ("李女士", "13900000000")
    assert Visitor.objects.count() == 2


def test_visitor_history_keeps_no_personal_data(in_school_a, gina):
    from pghistory.models import Events

    visitor = visitor_register(actor=gina, name="张先生", id_number="110101199003071234", phone="13800000000",
                               host_name="陈老师", purpose="送货", host_verified=True)
    data = [e.pgh_data for e in Events.objects.tracks(visitor)]
    assert data
    assert all("phone" not in d and "name" not in d and "id_number_masked" not in d for d in data)


def test_the_bureau_shortens_the_retention(in_school_a, gina):
    RuleOverride.objects.create(bureau=in_school_a.bureau, code="safety.visitor_retention", value=30)
    now = timezone.now()
    visitor_register(actor=gina, name="张先生", id_number="", host_name="陈老师", purpose="送货", host_verified=True,
                     in_at=now - dt.timedelta(days=31))
    assert visitor_retention_purge(now=now) == 1


def test_every_safety_rule_names_a_source_and_an_existing_metric():
    from safety.rules import RULES
    from tenants.metrics import all_metrics

    keys = {m.key for m in all_metrics()}
    for rule in RULES:
        assert rule.source
        assert rule.metric is None or rule.metric in keys, rule.code
    assert rule_get("safety.fire_inspection_signed").article == "第二十六条"


def test_the_purge_task_runs_in_the_school_schema_with_its_bureaus_retention(in_school_a, gina):
    from safety.tasks import visitor_retention_purge_task

    RuleOverride.objects.create(bureau=in_school_a.bureau, code="safety.visitor_retention", value=10)
    visitor_register(actor=gina, name="张先生", id_number="", host_name="陈老师", purpose="送货", host_verified=True,
                     in_at=timezone.now() - dt.timedelta(days=11))
    assert visitor_retention_purge_task.run(schema_name=in_school_a.schema_name) == 1
    assert Visitor.objects.get().name == "张**"


def test_the_todo_shows_a_kindergarten_a_quarterly_drill_and_a_school_a_monthly_one(in_school_a):
    primary = {i.detail for i in duty_items() if i.kind == "safety.drill_due"}
    _set_school(in_school_a, kind="kindergarten")
    kindergarten = {i.detail for i in duty_items() if i.kind == "safety.drill_due"}
    assert primary == {"每月一次"}
    assert kindergarten == {"每季度一次（幼儿园）"}


def test_the_board_shows_each_rules_standing(old_school, alice, sam, client_for):
    drill_record(actor=sam, kind=DrillKind.EVACUATION, held_on=timezone.localdate(), participants=300,
                 evacuation_seconds=150)
    page = client_for(alice, old_school).get("/safety/").content.decode()
    assert 'data-rule="safety.patrols_a_day"' in page
    assert 'data-rule="safety.evacuation_two_minutes"' in page
    assert "未达标" in page


def test_the_demo_kindergarten_patrols_for_fire_and_hands_its_pupils_over(in_school_a, alice, sam, gina, bob,
                                                                           bobs_class):
    from safety.demo import _rule_ledgers
    from safety.models import MealAccompaniment, Patrol
    from tenants.roles import Role

    _set_school(in_school_a, kind="kindergarten")
    Student.objects.create(school_class=bobs_class, seat_no=1, name="小明")
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    people = {Role.PRINCIPAL: alice, Role.SAFETY_OFFICER: sam, Role.GUARD: gina}
    _rule_ledgers(school=in_school_a, people=people, rng=__import__("random").Random(1), classes=[bobs_class],
                  days=[yesterday], now=timezone.now())

    assert Patrol.objects.filter(kind=PatrolKind.FIRE, shift=Shift.NIGHT).count() == 1
    assert PupilCollection.objects.get().collector.student.name == "小明"
    assert MealAccompaniment.objects.count() <= 1
    # Each quarter of the term already over has its fire inspection; the current one is still due.
    assert [i.kind for i in duty_items() if i.kind == "safety.fire_inspection_due"] == ["safety.fire_inspection_due"]
