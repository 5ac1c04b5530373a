"""The notification centre: preferences per kind, e-mail, group robots on a local fake server, digest, bell."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import urllib.parse
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import timezone

from tenants.models import (
    DeliveryStatus,
    Notification,
    NotificationChannel,
    NotificationDelivery,
    NotificationPreference,
    RobotProvider,
)
from tenants.notifications import (
    DeliveryError,
    delivery_send,
    digest_run,
    notification_preference_set,
    notify,
    robot_channel_create,
)
from tenants.roles import Role


class FakeRobot(BaseHTTPRequestHandler):
    """DingTalk / WeCom as seen from the server: records each POST, answers errcode 0 (or the set one)."""

    received: list = []
    errcode = 0

    def do_POST(self):  # noqa: N802
        length = int(self.headers["Content-Length"])
        FakeRobot.received.append((self.path, json.loads(self.rfile.read(length))))
        body = json.dumps({"errcode": FakeRobot.errcode, "errmsg": "ok" if FakeRobot.errcode == 0 else "sign not match"})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_robot():
    FakeRobot.received = []
    FakeRobot.errcode = 0
    server = HTTPServer(("127.0.0.1", 0), FakeRobot)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    # The fake robot is on 127.0.0.1 over http: allowed here only (core/outbound refuses both elsewhere).
    with override_settings(ROBOT_WEBHOOK_HOSTS=["127.0.0.1"], OUTBOUND_ALLOWED_HOSTS=["127.0.0.1"],
                           OUTBOUND_ALLOW_HTTP=True):
        yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def _deliver_all():
    for delivery in NotificationDelivery.objects.filter(status=DeliveryStatus.PENDING):
        delivery_send(delivery_id=delivery.pk)


def test_notify_by_role_is_in_app_once_per_dedupe_key(school_a, alice, bob):
    first = notify(kind="repairs", title="新报修", roles=[Role.PRINCIPAL, Role.TEACHER], school=school_a, dedupe_key="wo-1")
    again = notify(kind="repairs", title="新报修", roles=[Role.PRINCIPAL, Role.TEACHER], school=school_a, dedupe_key="wo-1")
    assert sorted(n.recipient.username for n in first) == ["alice", "bob"]
    assert again == []
    assert Notification.objects.filter(dedupe_key="wo-1").count() == 2
    assert NotificationDelivery.objects.count() == 0  # no e-mail, no robot set up


@override_settings(EMAIL_ENABLED=True, EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend")
def test_email_goes_only_to_who_opted_in_and_only_once(school_a, alice, bob, django_capture_on_commit_callbacks):
    # given alice wants repairs by e-mail; bob has an address but no preference
    alice.email, bob.email = "alice@example.cn", "bob@example.cn"
    alice.save()
    bob.save()
    notification_preference_set(user=alice, kind="repairs", channel=NotificationChannel.EMAIL)

    # when a repair notification is sent twice
    with django_capture_on_commit_callbacks() as callbacks:
        notify(kind="repairs.assigned", title="工单指派", body="一楼水管", url="/repairs/1/",
               roles=[Role.PRINCIPAL, Role.TEACHER], school=school_a, dedupe_key="wo-2")
        notify(kind="repairs.assigned", title="工单指派", roles=[Role.PRINCIPAL, Role.TEACHER], school=school_a,
               dedupe_key="wo-2")
    _deliver_all()
    _deliver_all()

    # then one e-mail, to alice, logged as sent once
    assert len(callbacks) == 1
    assert [(m.to, m.subject) for m in mail.outbox] == [(["alice@example.cn"], "工单指派")]
    assert "http://alpha.localhost:8000/repairs/1/" in mail.outbox[0].body
    delivery = NotificationDelivery.objects.get()
    assert (delivery.channel, delivery.status, delivery.attempts, delivery.recipient) == ("email", "sent", 1, alice)


def test_email_preferences_need_an_address(bob):
    with pytest.raises(ValidationError):
        notification_preference_set(user=bob, kind="repairs", channel=NotificationChannel.EMAIL)
    assert not NotificationPreference.objects.filter(user=bob).exists()


def test_a_dingtalk_robot_posts_signed_markdown_once(school_a, fake_robot):
    # given a signed DingTalk robot relaying hazards only
    robot = robot_channel_create(school=school_a, name="安全群", provider=RobotProvider.DINGTALK,
                                 webhook_url=f"{fake_robot}/robot/send?access_token=abc", secret="SEC123",
                                 kinds=["safety.hazard"])

    # when a hazard and a repair are notified (the hazard twice)
    for _ in range(2):
        notify(kind="safety.hazard", title="重大隐患", body="围墙开裂", url="/safety/h/1/", school=school_a,
               dedupe_key="hz-1")
    notify(kind="repairs", title="报修", school=school_a, dedupe_key="wo-3")
    _deliver_all()

    # then one signed post, for the hazard only
    assert len(FakeRobot.received) == 1
    path, payload = FakeRobot.received[0]
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
    timestamp = query["timestamp"][0]
    expected = base64.b64encode(hmac.new(b"SEC123", f"{timestamp}\nSEC123".encode(), hashlib.sha256).digest()).decode()
    assert query["sign"][0] == expected
    assert query["access_token"] == ["abc"]
    assert payload == {"msgtype": "markdown", "markdown": {
        "title": "重大隐患", "text": "### 重大隐患\n\n围墙开裂\n\nhttp://alpha.localhost:8000/safety/h/1/"}}
    delivery = NotificationDelivery.objects.get(robot=robot)
    assert (delivery.status, delivery.attempts) == ("sent", 1)


def test_a_wecom_robot_refusal_is_logged_and_retried(school_a, fake_robot):
    robot_channel_create(school=school_a, name="后勤群", provider=RobotProvider.WECOM,
                         webhook_url=f"{fake_robot}/cgi-bin/webhook/send?key=k1")
    notify(kind="repairs", title="报修", school=school_a, dedupe_key="wo-4")
    delivery = NotificationDelivery.objects.get()

    # when the robot refuses once
    FakeRobot.errcode = 310000
    with pytest.raises(DeliveryError):
        delivery_send(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("failed", 1, "310000: sign not match")

    # then the retry succeeds and is logged
    FakeRobot.errcode = 0
    delivery_send(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("sent", 2, "")
    assert FakeRobot.received[-1][1] == {"msgtype": "markdown", "markdown": {"content": "### 报修"}}


@pytest.mark.parametrize("url", [
    "https://intranet.local/hook", "http://127.0.0.1:5432/", "https://oapi.dingtalk.com.evil.cn/robot/send",
    "http://oapi.dingtalk.com/robot/send?access_token=x", "ftp://qyapi.weixin.qq.com/x",
])
def test_a_robot_must_post_to_dingtalk_or_wecom(school_a, url):
    with pytest.raises(ValidationError):
        robot_channel_create(school=school_a, name="x", provider=RobotProvider.WECOM, webhook_url=url)


@override_settings(EMAIL_ENABLED=True, EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend")
def test_the_daily_digest_gathers_a_day_once(school_a, alice, bob):
    # given alice wants hazards in the digest, and three notifications, one two days old
    alice.email = "alice@example.cn"
    alice.save()
    notification_preference_set(user=alice, kind="safety", channel=NotificationChannel.DIGEST)
    notify(kind="safety.hazard", title="隐患一", users=[alice], school=school_a, dedupe_key="d1")
    notify(kind="safety.hazard", title="隐患二", users=[alice], school=school_a, dedupe_key="d2")
    notify(kind="repairs", title="报修不进摘要", users=[alice], school=school_a, dedupe_key="d3")
    old = notify(kind="safety.hazard", title="旧隐患", users=[alice], school=school_a, dedupe_key="d4")[0]
    Notification.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=2))

    # when the digest task runs twice
    first = digest_run()
    second = digest_run()
    _deliver_all()

    # then
    assert len(first) == 1
    assert second == []
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["alice@example.cn"]
    assert mail.outbox[0].body == "· 隐患二（阿尔法小学）\n· 隐患一（阿尔法小学）"
    assert "2 条通知" in mail.outbox[0].subject


def test_the_digest_does_nothing_without_email(alice):
    NotificationPreference.objects.create(user=alice, kind="safety", channel=NotificationChannel.DIGEST)
    assert digest_run() == []


def test_bell_list_and_mark_one_read(school_a, alice, client_for):
    a, b = (notify(kind="repairs", title=t, users=[alice], school=school_a, dedupe_key=t)[0] for t in ("甲", "乙"))
    client = client_for(alice, school_a)
    page = client.get("/notifications/")
    assert page.context["unread_count"] == 2
    response = client.post("/notifications/read/", {"id": str(a.pk), "next": "/notifications/?unread=1"})
    assert response["Location"] == "/notifications/?unread=1"
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.read_at is not None
    assert b.read_at is None
    assert client.get("/notifications/").context["unread_count"] == 1
    # an outside "next" is not followed
    assert client.post("/notifications/read/", {"next": "https://evil.example/"})["Location"] == "/notifications/"


def test_someone_cannot_mark_anothers_notification_read(school_a, alice, bob, client_for):
    note = notify(kind="repairs", title="甲", users=[alice], school=school_a, dedupe_key="x1")[0]
    client_for(bob, school_a).post("/notifications/read/", {"id": str(note.pk)})
    note.refresh_from_db()
    assert note.read_at is None


def test_the_preferences_page_saves_choices(school_a, alice, client_for):
    alice.email = "alice@example.cn"
    alice.save()
    client = client_for(alice, school_a)
    assert client.get("/people/preferences/").status_code == 200
    response = client.post("/people/preferences/", {"kind:repairs": "email", "kind:safety.hazard": "digest"})
    assert response.status_code == 302
    assert dict(NotificationPreference.objects.filter(user=alice).values_list("kind", "channel")) == {
        "repairs": "email", "safety.hazard": "digest"}


def test_the_preferences_page_refuses_email_without_an_address(school_a, bob, client_for):
    response = client_for(bob, school_a).post("/people/preferences/", {"kind:repairs": "email"})
    assert response.status_code == 200
    assert "请先为账号添加电子邮箱。" in response.content.decode()
    assert not NotificationPreference.objects.filter(user=bob).exists()


@pytest.mark.parametrize(("who", "status"), [("bob", 403), ("charlie", 403), ("dave", 403), ("alice", 302)])
def test_only_school_admins_connect_robots(school_a, client_for, who, status):
    from tenants.models import RobotChannel, User

    response = client_for(User.objects.get(username=who), school_a).post("/people/robots/", {
        "name": "群", "provider": "wecom", "webhook_url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=z"})
    assert response.status_code == status
    assert RobotChannel.objects.count() == (1 if who == "alice" else 0)


def test_the_delivery_task_sends_once_and_retries_a_refusal(school_a, fake_robot):
    from tenants.tasks import notification_delivery_send_task

    robot_channel_create(school=school_a, name="后勤群", provider=RobotProvider.WECOM,
                         webhook_url=f"{fake_robot}/cgi-bin/webhook/send?key=k2")
    notify(kind="repairs", title="报修", school=school_a, dedupe_key="wo-9")
    delivery = NotificationDelivery.objects.get()

    # when the robot keeps refusing, the task retries (run eagerly here: the retries follow at once) and gives up
    FakeRobot.errcode = 93000
    refused = notification_delivery_send_task.apply(kwargs={"delivery_id": delivery.pk})
    delivery.refresh_from_db()
    assert refused.state == "FAILURE"
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("failed", 6, "93000: sign not match")

    # then a later run sends it, and a run after that sends nothing more
    FakeRobot.errcode = 0
    assert notification_delivery_send_task.apply(kwargs={"delivery_id": delivery.pk}).get() == "sent"
    assert notification_delivery_send_task.apply(kwargs={"delivery_id": delivery.pk}).get() == "sent"
    assert len(FakeRobot.received) == 7


def test_the_digest_runs_every_morning():
    from tenants.schedules import BEAT_SCHEDULE

    entry = BEAT_SCHEDULE["tenants-notification-digest"]
    assert entry["task"] == "tenants.tasks.notification_digest_task"
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({7}, {30})


def test_notify_by_role_in_a_bureau(bureau_north, dave, erin):
    created = notify(kind="reporting", title="专项检查", roles=[Role.BUREAU_LEADER], bureau=bureau_north,
                     dedupe_key="campaign-1")
    assert [(n.recipient.username, n.bureau, n.school) for n in created] == [("dave", bureau_north, None)]
