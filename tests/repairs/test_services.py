"""Work orders: SLA computation, triage, the clock with pauses, closing, confirming, plans, references."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from repairs.choices import ClockEventKind, Frequency, Severity, Source, Status
from repairs.models import ClockEvent, MaintenancePlan, PartUsage, RepairSettings, WorkOrder, WorkOrderPhoto
from repairs.services import (
    maintenance_plans_open_due,
    plan_next_due,
    reference_next,
    sla_due_at,
    work_order_complete,
    work_order_confirm,
    work_order_part_add,
    work_order_pause,
    work_order_reopen,
    work_order_report,
    work_order_resume,
    work_order_start,
    work_order_triage,
)

from .conftest import png, text_file

SH = ZoneInfo("Asia/Shanghai")


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SH)


@pytest.fixture
def clock(monkeypatch):
    """Set the time services see: clock.set(datetime)."""

    class Clock:
        now = timezone.now()

        def set(self, value):
            self.now = value

    c = Clock()
    monkeypatch.setattr(timezone, "now", lambda: c.now)
    return c


# --- SLA computation --------------------------------------------------------------------------


def test_minor_is_due_the_same_day_at_2359_local(in_school_a):
    preset = RepairSettings.current()
    assert sla_due_at(severity=Severity.MINOR, reported_at=at(2026, 3, 2, 9, 15), preset=preset) == at(2026, 3, 2, 23, 59)


def test_minor_reported_in_the_last_minute_is_due_the_next_night(in_school_a):
    preset = RepairSettings.current()
    assert sla_due_at(severity=Severity.MINOR, reported_at=at(2026, 3, 2, 23, 59, 30), preset=preset) == at(
        2026, 3, 3, 23, 59)


def test_major_is_due_three_days_after_reporting(in_school_a):
    preset = RepairSettings.current()
    assert sla_due_at(severity=Severity.MAJOR, reported_at=at(2026, 3, 2, 9, 15), preset=preset) == at(2026, 3, 5, 9, 15)


def test_school_preset_changes_the_due_time(in_school_a):
    preset = RepairSettings.current()
    preset.minor_due_time = dt.time(18, 0)
    preset.major_due_days = 2
    preset.save()
    assert sla_due_at(severity=Severity.MINOR, reported_at=at(2026, 3, 2, 9), preset=preset) == at(2026, 3, 2, 18)
    assert sla_due_at(severity=Severity.MAJOR, reported_at=at(2026, 3, 2, 9), preset=preset) == at(2026, 3, 4, 9)


# --- reporting --------------------------------------------------------------------------------


def test_report_gets_a_daily_reference_and_starts_the_clock(room, bob):
    # given/when two reports on the same day
    first = work_order_report(reporter=bob, title="灯不亮", room=room, reported_at=at(2026, 11, 25, 8))
    second = work_order_report(reporter=bob, title="水龙头漏水", room=room, reported_at=at(2026, 11, 25, 9))

    # then
    assert (first.reference, second.reference) == ("BX-20261125-0001", "BX-20261125-0002")
    assert first.status == Status.REPORTED
    assert first.due_at == at(2026, 11, 25, 23, 59)
    assert list(first.clock_events.values_list("kind", flat=True)) == [ClockEventKind.STARTED]


def test_reference_numbers_restart_each_day(in_school_a):
    assert reference_next(on=dt.date(2026, 1, 1)) == "BX-20260101-0001"
    assert reference_next(on=dt.date(2026, 1, 2)) == "BX-20260102-0001"
    assert reference_next(on=dt.date(2026, 1, 1)) == "BX-20260101-0002"


def test_report_keeps_its_photos(room, bob):
    order = work_order_report(reporter=bob, title="窗户坏了", room=room, photos=[png("a.png"), png("b.png")])
    assert order.photos.count() == 2


def test_report_with_a_non_image_photo_is_refused_and_nothing_is_saved(room, bob):
    with pytest.raises(ValidationError) as info:
        work_order_report(reporter=bob, title="窗户坏了", room=room, photos=[png(), text_file("x.png")])
    assert "photos" in info.value.message_dict
    assert WorkOrder.objects.count() == 0
    assert WorkOrderPhoto.objects.count() == 0


def test_report_with_a_too_large_photo_is_refused(room, bob, settings):
    from repairs import services

    with pytest.raises(ValidationError) as info:
        work_order_report(reporter=bob, title="窗户坏了", room=room, photos=[png(size=services.PHOTO_MAX_BYTES + 1)])
    assert "photos" in info.value.message_dict
    assert WorkOrder.objects.count() == 0


def test_report_needs_a_place(in_school_a, bob):
    with pytest.raises(ValidationError) as info:
        work_order_report(reporter=bob, title="坏了")
    assert "room" in info.value.message_dict


# --- triage -----------------------------------------------------------------------------------


def test_director_grades_major_and_assigns_a_worker(room, bob, lena, mario):
    order = work_order_report(reporter=bob, title="屋顶漏水", room=room, reported_at=at(2026, 11, 25, 8))

    order = work_order_triage(order=order, actor=lena, severity=Severity.MAJOR, assignee=mario)

    assert order.status == Status.ASSIGNED
    assert order.assignee == mario
    assert order.due_at == at(2026, 11, 28, 8)
    due_change = order.clock_events.get(kind=ClockEventKind.DUE_CHANGED)
    assert (due_change.old_due_at, due_change.new_due_at) == (at(2026, 11, 25, 23, 59), at(2026, 11, 28, 8))
    assert mario.notifications.filter(kind="repairs.assigned").count() == 1


def test_assigning_someone_who_is_not_a_maintenance_worker_is_refused(room, bob, lena, gina):
    order = work_order_report(reporter=bob, title="门锁坏了", room=room)
    with pytest.raises(ValidationError) as info:
        work_order_triage(order=order, actor=lena, severity=Severity.MINOR, assignee=gina)
    assert "assignee" in info.value.message_dict
    order.refresh_from_db()
    assert (order.status, order.assignee_id) == (Status.REPORTED, None)


def test_teacher_cannot_triage(room, bob, mario):
    order = work_order_report(reporter=bob, title="门锁坏了", room=room)
    with pytest.raises(PermissionDenied):
        work_order_triage(order=order, actor=bob, severity=Severity.MAJOR, assignee=mario)
    order.refresh_from_db()
    assert (order.severity, order.assignee_id) == (Severity.MINOR, None)


def test_vendor_assignment_without_asset_sets_the_vendor_due_date(room, bob, lena, clock):
    clock.set(at(2026, 11, 25, 10))
    order = work_order_report(reporter=bob, title="空调不制冷", room=room)
    order = work_order_triage(order=order, actor=lena, severity=Severity.MAJOR, vendor_name="格力售后")
    assert order.vendor_name == "格力售后"
    assert order.vendor_due_at == at(2026, 12, 2, 10)
    assert order.status == Status.ASSIGNED


# --- the clock --------------------------------------------------------------------------------


def test_pause_stops_the_clock_and_resume_moves_the_due_time(room, bob, lena, mario, clock):
    # given a major order due 28 Nov 08:00
    clock.set(at(2026, 11, 25, 8))
    order = work_order_report(reporter=bob, title="屋顶漏水", room=room)
    order = work_order_triage(order=order, actor=lena, severity=Severity.MAJOR, assignee=mario)
    clock.set(at(2026, 11, 25, 9))
    work_order_start(order=order, actor=mario)

    # when the worker waits five hours for parts
    clock.set(at(2026, 11, 25, 10))
    work_order_pause(order=order, actor=mario, reason="等配件")
    clock.set(at(2026, 11, 25, 15))
    order = work_order_resume(order=order, actor=mario)

    # then the due time moved by five hours and the clock's history is kept
    assert order.due_at == at(2026, 11, 28, 13)
    assert order.paused_seconds == 5 * 3600
    assert order.status == Status.IN_PROGRESS
    events = list(order.clock_events.values_list("kind", "reason", "new_due_at"))
    assert [(kind, due) for kind, _reason, due in events] == [
        (ClockEventKind.STARTED, at(2026, 11, 25, 23, 59)),
        (ClockEventKind.DUE_CHANGED, at(2026, 11, 28, 8)),
        (ClockEventKind.PAUSED, None),
        (ClockEventKind.RESUMED, at(2026, 11, 28, 13)),
    ]
    assert events[2][1] == "等配件"


def test_pause_needs_a_reason(room, bob, lena, mario):
    order = work_order_report(reporter=bob, title="屋顶漏水", room=room)
    order = work_order_triage(order=order, actor=lena, severity=Severity.MAJOR, assignee=mario)
    with pytest.raises(ValidationError):
        work_order_pause(order=order, actor=mario, reason="  ")
    order.refresh_from_db()
    assert order.status == Status.ASSIGNED
    assert ClockEvent.objects.filter(order=order, kind=ClockEventKind.PAUSED).count() == 0


def test_another_worker_cannot_work_on_the_order(room, bob, lena, mario, luigi):
    order = work_order_report(reporter=bob, title="屋顶漏水", room=room)
    order = work_order_triage(order=order, actor=lena, severity=Severity.MAJOR, assignee=mario)
    with pytest.raises(PermissionDenied):
        work_order_start(order=order, actor=luigi)
    order.refresh_from_db()
    assert order.status == Status.ASSIGNED


# --- closing ----------------------------------------------------------------------------------


@pytest.fixture
def assigned(room, bob, lena, mario):
    order = work_order_report(reporter=bob, title="灯不亮", room=room)
    return work_order_triage(order=order, actor=lena, severity=Severity.MINOR, assignee=mario)


def test_completion_without_a_closing_note_is_refused(assigned, mario):
    with pytest.raises(ValidationError) as info:
        work_order_complete(order=assigned, actor=mario, closing_note="   ", labour_minutes=30)
    assert "closing_note" in info.value.message_dict
    assigned.refresh_from_db()
    assert (assigned.status, assigned.completed_at, assigned.labour_minutes) == (Status.ASSIGNED, None, 0)


def test_completion_records_labour_and_tells_the_reporter(assigned, mario, bob):
    order = work_order_complete(order=assigned, actor=mario, closing_note="换了灯管", labour_minutes=25)
    assert (order.status, order.labour_minutes, order.closing_note) == (Status.COMPLETED, 25, "换了灯管")
    assert bob.notifications.filter(kind="repairs.completed").count() == 1


def test_parts_used_are_recorded(assigned, mario):
    work_order_part_add(order=assigned, actor=mario, name="LED 灯管", quantity=Decimal("2"), unit="根")
    assert list(PartUsage.objects.values_list("name", "quantity")) == [("LED 灯管", Decimal("2.00"))]


def test_the_reporter_confirms_and_rates(assigned, mario, bob):
    work_order_complete(order=assigned, actor=mario, closing_note="换了灯管")
    order = work_order_confirm(order=assigned, actor=bob, rating=5, comment="很快")
    assert (order.status, order.rating) == (Status.CONFIRMED, 5)
    assert order.notes.get().text == "很快"


def test_confirming_someone_elses_order_is_refused(assigned, mario, lena, gina):
    work_order_complete(order=assigned, actor=mario, closing_note="换了灯管")
    for other in (gina, lena, mario):
        with pytest.raises(PermissionDenied):
            work_order_confirm(order=assigned, actor=other, rating=1)
    assigned.refresh_from_db()
    assert (assigned.status, assigned.rating) == (Status.COMPLETED, None)


def test_rating_outside_1_to_5_is_refused(assigned, mario, bob):
    work_order_complete(order=assigned, actor=mario, closing_note="换了灯管")
    with pytest.raises(ValidationError):
        work_order_confirm(order=assigned, actor=bob, rating=6)
    assigned.refresh_from_db()
    assert assigned.status == Status.COMPLETED


def test_reopen_puts_the_order_back_with_a_fresh_clock(assigned, mario, bob, clock):
    clock.set(at(2026, 11, 26, 10))
    work_order_complete(order=assigned, actor=mario, closing_note="换了灯管")
    order = work_order_reopen(order=assigned, actor=bob, reason="还是不亮")
    assert (order.status, order.reopen_count, order.completed_at) == (Status.ASSIGNED, 1, None)
    assert order.due_at == at(2026, 11, 26, 23, 59)
    assert order.clock_events.filter(kind=ClockEventKind.REOPENED, reason="还是不亮").count() == 1


# --- preventive plans -------------------------------------------------------------------------


def test_plans_open_orders_once_per_due_date(in_school_a, lena):
    MaintenancePlan.objects.create(title="开学前水电检修", frequency=Frequency.TERMLY,
                                   next_due_on=dt.date(2027, 2, 20), lead_days=5)
    MaintenancePlan.objects.create(title="杀白蚁", frequency=Frequency.MONTHLY,
                                   next_due_on=dt.date(2027, 3, 1), lead_days=3)

    first = maintenance_plans_open_due(today=dt.date(2027, 2, 16))
    again = maintenance_plans_open_due(today=dt.date(2027, 2, 16))

    assert [o.title for o in first] == ["开学前水电检修"]
    assert again == []
    order = WorkOrder.objects.get()
    assert (order.source, order.plan_due_on) == (Source.PREVENTIVE, dt.date(2027, 2, 20))
    assert MaintenancePlan.objects.get(title="开学前水电检修").next_due_on == dt.date(2027, 8, 25)


def test_plan_next_due_dates():
    assert plan_next_due(frequency=Frequency.TERMLY, after=dt.date(2026, 8, 25)) == dt.date(2027, 2, 20)
    assert plan_next_due(frequency=Frequency.MONTHLY, after=dt.date(2026, 12, 31)) == dt.date(2027, 1, 28)
    assert plan_next_due(frequency=Frequency.QUARTERLY, after=dt.date(2026, 11, 5)) == dt.date(2027, 2, 5)
    assert plan_next_due(frequency=Frequency.WEEKLY, after=dt.date(2026, 11, 5)) == dt.date(2026, 11, 12)
