"""Ledgers: the gate log, health checks, patrols, drills."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from safety.choices import Area, CheckSession, DrillKind, Shift
from safety.models import Hazard, HealthCheck, Patrol, SchoolClass, Visitor
from safety.selectors import drills_vs_required
from safety.services import (
    drill_record,
    health_check_record,
    id_number_mask,
    patrol_record,
    school_class_create,
    visitor_checkout,
    visitor_register,
)
from safety.terms import term_of

ID = "110101199003071234"


def test_visitor_id_number_is_stored_masked(in_school_a, gina):
    visitor = visitor_register(actor=gina, name="李访客", id_number=ID, host_name="陈老师", purpose="送材料",
                               host_verified=True, phone="13800000000")
    visitor.refresh_from_db()
    assert visitor.id_number_masked == "110***********1234"
    assert ID not in str(Visitor.objects.values_list().get(pk=visitor.pk))


def test_unmasked_id_number_is_refused_by_the_database(in_school_a, gina):
    visitor = visitor_register(actor=gina, name="李访客", id_number=ID, host_name="陈老师", purpose="送材料",
                               host_verified=False)
    with pytest.raises(IntegrityError), transaction.atomic():
        Visitor.objects.filter(pk=visitor.pk).update(id_number_masked=ID)
    with pytest.raises(ValidationError):
        Visitor(name="x", id_number_masked=ID, host_name="y", purpose="z", in_at=timezone.now()).full_clean()
    visitor.refresh_from_db()
    assert visitor.id_number_masked == "110***********1234"


def test_mask_keeps_short_numbers_hidden():
    assert id_number_mask("12345") == "*****"
    assert id_number_mask(" 11010119900307123x ") == "110***********123X"


def test_out_time_before_in_time_is_refused(in_school_a, gina):
    in_at = timezone.now()
    visitor = visitor_register(actor=gina, name="李访客", id_number="", host_name="陈老师", purpose="送材料",
                               host_verified=True, in_at=in_at)
    with pytest.raises(ValidationError) as error:
        visitor_checkout(actor=gina, visitor=visitor, out_at=in_at - dt.timedelta(minutes=5))
    assert error.value.message_dict["out_at"] == ["离开时间不能早于进入时间。"]
    visitor.refresh_from_db()
    assert visitor.out_at is None
    assert visitor_checkout(actor=gina, visitor=visitor, out_at=in_at + dt.timedelta(minutes=30)).out_at is not None


def test_teacher_may_not_write_the_gate_log(in_school_a, bob):
    with pytest.raises(PermissionDenied):
        visitor_register(actor=bob, name="x", id_number="", host_name="y", purpose="z", host_verified=True)
    assert Visitor.objects.count() == 0


def test_class_teacher_records_a_health_check(bobs_class, bob):
    check = health_check_record(actor=bob, school_class=bobs_class, on=dt.date(2026, 11, 25),
                                session=CheckSession.MORNING, present=39, absent=1, fever=0,
                                absences=[{"student_name": "王小明", "reason": "感冒"}])
    assert check.absences.get().student_name == "王小明"


def test_absences_must_be_listed(bobs_class, bob):
    with pytest.raises(ValidationError) as error:
        health_check_record(actor=bob, school_class=bobs_class, on=dt.date(2026, 11, 25),
                            session=CheckSession.MORNING, present=38, absent=2, absences=[])
    assert "absent" in error.value.message_dict
    assert HealthCheck.objects.count() == 0


def test_a_health_check_adds_up_to_the_class_is_not_ahead_and_is_not_recorded_twice(bobs_class, bob, alice):
    from django.utils import timezone

    today = timezone.localdate()
    # present + absent must be the class (40), not just stay under it
    with pytest.raises(ValidationError) as error:
        health_check_record(actor=bob, school_class=bobs_class, on=today, session=CheckSession.MORNING, present=35)
    assert "40" in error.value.message_dict["present"][0]
    # no check for tomorrow
    with pytest.raises(ValidationError) as error:
        health_check_record(actor=bob, school_class=bobs_class, on=today + dt.timedelta(days=1),
                            session=CheckSession.MORNING, present=40)
    assert "on" in error.value.message_dict
    assert HealthCheck.objects.count() == 0
    # a second check of the same session that day names who recorded the first
    health_check_record(actor=bob, school_class=bobs_class, on=today, session=CheckSession.MORNING, present=40)
    with pytest.raises(ValidationError) as error:
        health_check_record(actor=alice, school_class=bobs_class, on=today, session=CheckSession.MORNING, present=40)
    assert bob.display_name in error.value.message_dict["session"][0]
    assert HealthCheck.objects.count() == 1


def test_health_check_for_a_class_of_another_school_is_refused(school_a, school_b, bobs_class, alice):
    # given a class of school B
    connection.set_tenant(school_b)
    other = SchoolClass.objects.create(grade=3, name="三年级2班", student_count=40)
    connection.set_tenant(school_a)

    # when alice (principal of A) records a check for it in A
    with pytest.raises(ValidationError) as error:
        health_check_record(actor=alice, school_class=other, on=dt.date(2026, 11, 25),
                            session=CheckSession.NOON, present=40)

    # then it is refused and nothing is written in A
    assert error.value.message_dict["school_class"] == ["该班级不属于本校。"]
    assert HealthCheck.objects.count() == 0


def test_teacher_may_not_record_another_class(in_school_a, bob, sam):
    other = school_class_create(grade=4, name="四年级1班", student_count=30, head_teacher=sam)
    with pytest.raises(PermissionDenied):
        health_check_record(actor=bob, school_class=other, on=dt.date(2026, 11, 25), session=CheckSession.NOON,
                            present=30)
    assert HealthCheck.objects.count() == 0


def test_patrol_finding_opens_a_hazard(in_school_a, gina):
    start = timezone.now() - dt.timedelta(hours=1)
    patrol = patrol_record(actor=gina, shift=Shift.NIGHT, route="东门—操场—食堂", started_at=start,
                           ended_at=start + dt.timedelta(minutes=40), findings="围墙东段有缺口",
                           hazard={"category": Area.BUILDINGS, "location_text": "东围墙"})
    assert Patrol.objects.get() == patrol
    assert patrol.hazard == Hazard.objects.get(description="围墙东段有缺口")


def test_drills_checked_one_a_month(in_school_a, sam):
    drill_record(actor=sam, kind=DrillKind.FIRE, held_on=dt.date(2026, 9, 20), participants=500,
                 evacuation_seconds=150)
    drill_record(actor=sam, kind=DrillKind.EARTHQUAKE, held_on=dt.date(2026, 11, 5), participants=500)
    result = drills_vs_required(period=term_of(dt.date(2026, 11, 25)), on=dt.date(2026, 11, 25))
    assert {k: result[k] for k in ("held", "required", "months_missing", "cadence")} == {
        "held": 2, "required": 3, "months_missing": [(2026, 10)], "cadence": "month"}


def test_ledgers_refuse_what_has_not_happened_yet(in_school_a, sam, gina, bobs_class, bob):
    from django.utils import timezone

    from safety.choices import DrillKind, EducationKind, Shift
    from safety.models import Disinfection, Drill, EducationActivity, Patrol
    from safety.services import disinfection_record, drill_record, education_record, patrol_record

    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    later = timezone.now() + dt.timedelta(hours=3)
    with pytest.raises(ValidationError) as error:
        drill_record(actor=sam, kind=DrillKind.values[0], held_on=tomorrow, participants=400)
    assert "held_on" in error.value.message_dict
    with pytest.raises(ValidationError):
        education_record(actor=sam, kind=EducationKind.values[0], held_on=tomorrow, title="防溺水")
    with pytest.raises(ValidationError) as error:
        patrol_record(actor=gina, shift=Shift.NIGHT, route="校门—围墙", started_at=timezone.now(), ended_at=later)
    assert "ended_at" in error.value.message_dict
    with pytest.raises(ValidationError):
        disinfection_record(actor=sam, zone="食堂", done_at=later, agent="84消毒液", operator="后勤")
    assert (Drill.objects.count(), EducationActivity.objects.count(), Patrol.objects.count(),
            Disinfection.objects.count()) == (0, 0, 0, 0)
    # a phone a minute fast is not refused
    patrol_record(actor=gina, shift=Shift.NIGHT, route="校门—围墙", started_at=timezone.now() - dt.timedelta(minutes=30),
                  ended_at=timezone.now() + dt.timedelta(minutes=1))
    assert Patrol.objects.count() == 1
