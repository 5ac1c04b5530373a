"""Escalation by beat task: set-based, idempotent, same result as the naive loop; the group robot channel."""

from __future__ import annotations

import datetime as dt
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from django.test import override_settings

from repairs.choices import RobotKind, RobotStatus, Severity
from repairs.models import RepairSettings, RobotMessage, WorkOrder
from repairs.services import (
    escalation_run,
    robot_message_post,
    work_order_pause,
    work_order_report,
    work_order_triage,
)
from tenants.models import Notification

SH = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 11, 25, 21, 0, tzinfo=SH)


@pytest.fixture
def orders(room, bob, lena, mario, luigi):
    """due_soon (mario's, due 23:59 today), overdue (luigi's, from yesterday), paused-overdue, late vendor, fine."""
    def make(title, reported_at, **triage):
        order = work_order_report(reporter=bob, title=title, room=room, reported_at=reported_at)
        return work_order_triage(order=order, actor=lena, **triage)

    today = dt.datetime(2026, 11, 25, 8, tzinfo=SH)
    yesterday = today - dt.timedelta(days=1)
    result = {
        "due_soon": make("灯不亮", today, severity=Severity.MINOR, assignee=mario),
        "overdue": make("门锁坏了", yesterday, severity=Severity.MINOR, assignee=luigi),
        "paused": make("水管漏水", yesterday, severity=Severity.MINOR, assignee=mario),
        "vendor": make("空调不制冷", yesterday - dt.timedelta(days=10), severity=Severity.MAJOR, vendor_name="格力售后"),
        "fine": make("黑板松动", today, severity=Severity.MAJOR, assignee=mario),
    }
    work_order_pause(order=result["paused"], actor=mario, reason="等配件")
    # The vendor was given until yesterday.
    WorkOrder.objects.filter(pk=result["vendor"].pk).update(vendor_due_at=yesterday)
    return result


def test_due_soon_goes_to_the_assignee_and_overdue_to_the_director(orders, mario, luigi, lena):
    # when
    result = escalation_run(now=NOW)

    # then
    assert result == {
        "due_soon": [orders["due_soon"].pk],
        "overdue": sorted([orders["overdue"].pk, orders["vendor"].pk]),
        "vendor_due_soon": [],
        "vendor_late": [orders["vendor"].pk],
    }
    mine = mario.notifications.get(kind="repairs.due_soon")
    assert orders["due_soon"].reference in mine.body
    assert luigi.notifications.filter(kind="repairs.due_soon").count() == 0
    overdue = lena.notifications.get(kind="repairs.overdue")
    assert orders["overdue"].reference in overdue.body
    assert orders["paused"].reference not in overdue.body  # a paused clock is not late
    assert lena.notifications.filter(kind="repairs.vendor_late").count() == 1


def test_second_run_notifies_nobody_again(orders):
    escalation_run(now=NOW)
    before = Notification.objects.count()

    result = escalation_run(now=NOW + dt.timedelta(minutes=10))

    assert result == {"due_soon": [], "overdue": [], "vendor_due_soon": [], "vendor_late": []}
    assert Notification.objects.count() == before


def test_set_based_run_marks_the_same_orders_as_the_naive_loop(orders):
    with transaction.atomic():
        naive = escalation_run(now=NOW, naive=True)
        transaction.set_rollback(True)
    set_based = escalation_run(now=NOW)
    assert set_based == naive
    assert sum(len(v) for v in set_based.values()) == 4


def test_a_moved_due_time_can_be_escalated_again(orders, mario):
    escalation_run(now=NOW)
    paused = orders["paused"]
    from repairs.services import work_order_resume

    # given the paused order was skipped (its clock stopped) and is resumed, still past its due time
    work_order_resume(order=paused, actor=mario)

    # when the next run comes
    result = escalation_run(now=NOW)

    # then it is escalated once, now that its clock runs again
    assert result["overdue"] == [paused.pk]
    assert escalation_run(now=NOW)["overdue"] == []


class _FakeRobot(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):  # noqa: N802 - http.server's naming
        length = int(self.headers["Content-Length"])
        type(self).received.append(json.loads(self.rfile.read(length)))
        body = json.dumps({"errcode": 0, "errmsg": "ok"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_robot():
    _FakeRobot.received = []
    server = HTTPServer(("127.0.0.1", 0), _FakeRobot)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    # A local fake over http: allowed here only, through the robot hosts and the outbound test allow-list.
    with override_settings(ROBOT_WEBHOOK_HOSTS=["127.0.0.1"], OUTBOUND_ALLOWED_HOSTS=["127.0.0.1"],
                           OUTBOUND_ALLOW_HTTP=True):
        yield f"http://127.0.0.1:{server.server_port}/robot/send?access_token=test", _FakeRobot.received
    server.shutdown()
    server.server_close()


def test_escalation_posts_one_message_to_the_group_robot(orders, fake_robot):
    url, received = fake_robot
    preset = RepairSettings.current()
    preset.robot_kind, preset.robot_url = RobotKind.DINGTALK, url
    preset.save()

    escalation_run(now=NOW)
    escalation_run(now=NOW)
    message = RobotMessage.objects.get()
    assert robot_message_post(message_id=message.pk) is True
    assert robot_message_post(message_id=message.pk) is True  # already sent: not posted again

    assert len(received) == 1
    assert received[0]["msgtype"] == "text"
    assert orders["overdue"].reference in received[0]["text"]["content"]
    message.refresh_from_db()
    assert (message.status, message.attempts) == (RobotStatus.SENT, 1)


def test_a_failing_robot_is_recorded_for_retry(in_school_a, settings):
    # nothing listens on 127.0.0.1:9; allowed as a robot so that the failure is the network's, not the guard's
    settings.ROBOT_WEBHOOK_HOSTS, settings.OUTBOUND_ALLOWED_HOSTS, settings.OUTBOUND_ALLOW_HTTP = ["127.0.0.1"], ["127.0.0.1"], True
    preset = RepairSettings.current()
    preset.robot_kind, preset.robot_url = RobotKind.WECOM, "http://127.0.0.1:9/unreachable"
    preset.save()
    from repairs.services import robot_message_queue

    message = robot_message_queue(text="测试", dedupe_key="k1")
    assert robot_message_post(message_id=message.pk, timeout=1) is False
    message.refresh_from_db()
    assert (message.status, message.attempts) == (RobotStatus.FAILED, 1)


def test_escalation_emails_when_email_is_configured(orders, settings, mailoutbox, django_capture_on_commit_callbacks,
                                                    lena):
    settings.EMAIL_ENABLED = True
    with django_capture_on_commit_callbacks(execute=True):
        escalation_run(now=NOW)
    recipients = sorted(address for mail in mailoutbox for address in mail.to)
    assert "lena@example.test" in recipients
    assert "mario@example.test" in recipients
