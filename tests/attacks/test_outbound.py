"""One guard for every outbound request (issue 17, item 3).

Tried as a school's logistics director and as a partner manager: before the fix the repairs robot URL
(`/repairs/settings/`) and partner webhook URLs took `http://127.0.0.1:…`, and the server then POSTed there
(urllib, following redirects, reading any answer in full). Now core/outbound refuses http outside
development and every inside address, at save time for literal addresses and at each delivery after
resolving the name (the connection goes to the address it checked, so DNS rebinding gets nowhere); a
redirect is a failure, the answer is read up to a cap and the exchange has a deadline. The repairs robot
posts through the notification centre's robot stack, with DingTalk's 加签.

No test here reaches anything but 127.0.0.1: `net` replaces name resolution and `socket.create_connection`
(what http.client, and so urllib, connects with), records every attempt, and refuses any address that is not
a local test server.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import socket
import ssl
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import override_settings

from api import webhooks
from api.choices import DeliveryStatus
from api.models import WebhookDelivery, WebhookSubscription
from api.services import partner_client_create, webhook_subscription_create
from api.tasks import webhook_deliver_task
from repairs.choices import RobotKind, RobotStatus
from repairs.models import RepairSettings, RobotMessage
from repairs.services import robot_message_post, robot_message_queue
from tenants.models import NotificationDelivery, RobotChannel, RobotProvider
from tenants.notifications import DeliveryError, delivery_send, notify, robot_channel_create
from tests.conftest import HostClient

INSIDE = "该地址指向服务器自身所在的内部网络，请使用服务的公网 https 地址。"
HTTPS_ONLY = "地址必须以 https:// 开头。"
PUBLIC_IP = "93.184.216.34"  # a public address; `net` never lets a connection to it leave the machine

_real_getaddrinfo = socket.getaddrinfo
_real_create_connection = socket.create_connection


# --- the network, recorded ------------------------------------------------------------------------------------


class Net:
    """Name lookups and connections made by the code under test.

    `names[host]` is the list of answers, one per lookup (the last one repeats): a rebinding resolver.
    `forward[(ip, port)]` sends a connection to that address to a local test server instead.
    Any other connection is recorded and refused without touching the network; 127.0.0.1 is reached only
    when the test listed it in `local`.
    """

    def __init__(self):
        self.names: dict[str, list[list[str]]] = {}
        self.lookups: list[str] = []
        self.connections: list[tuple[str, int]] = []
        self.forward: dict[tuple[str, int], tuple[str, int]] = {}
        self.local: set[int] = set()

    def getaddrinfo(self, host, port, family=0, type=0, proto=0, flags=0):  # noqa: A002 - socket's names
        host = host.decode() if isinstance(host, bytes) else host
        try:
            ipaddress.ip_address(host)
        except ValueError:
            self.lookups.append(host)
            answers = self.names.get(host)
            if not answers:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            addresses = answers.pop(0) if len(answers) > 1 else answers[0]
            result = []
            for address in addresses:
                fam = socket.AF_INET6 if ":" in address else socket.AF_INET
                sockaddr = (address, int(port or 0), 0, 0) if fam == socket.AF_INET6 else (address, int(port or 0))
                result.append((fam, socket.SOCK_STREAM, 6, "", sockaddr))
            return result
        return _real_getaddrinfo(host, port, family, type, proto, flags)

    def create_connection(self, address, timeout=None, source_address=None, **kwargs):
        host, port = address[0], int(address[1])
        self.connections.append((host, port))
        if (host, port) in self.forward:
            return _real_create_connection(self.forward[(host, port)], timeout)
        if host == "127.0.0.1" and port in self.local:
            return _real_create_connection((host, port), timeout)
        raise ConnectionRefusedError(f"test network: no connection to {host}:{port}")


@pytest.fixture
def net(monkeypatch):
    recorder = Net()
    monkeypatch.setattr(socket, "getaddrinfo", recorder.getaddrinfo)
    monkeypatch.setattr(socket, "create_connection", recorder.create_connection)
    return recorder


class Server:
    """A local HTTP server on 127.0.0.1 with a configurable answer; records each request."""

    def __init__(self, *, status=200, body=b'{"errcode": 0, "errmsg": "ok"}', headers=(), trickle=None):
        self.requests: list[dict] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                server.requests.append({"method": self.command, "path": self.path, "headers": dict(self.headers),
                                        "body": self.rfile.read(length)})
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value.replace("{port}", str(server.port)))
                if trickle is None:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    if trickle is None:
                        self.wfile.write(body)
                    else:
                        for _ in range(200):  # one byte every `trickle` seconds, for longer than any deadline
                            self.wfile.write(b" ")
                            self.wfile.flush()
                            time.sleep(trickle)
                except OSError:
                    pass

            do_POST = do_GET = _answer  # noqa: N815

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_port
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


# In development (http allowed): what remains refused is the address itself.
DEVELOPMENT = override_settings(OUTBOUND_ALLOW_HTTP=True, OUTBOUND_ALLOWED_HOSTS=[])
INSIDE_URLS = [
    "http://127.0.0.1:{port}/robot/send?access_token=x",
    "http://localhost/robot/send?access_token=x",
    "http://[::1]/robot/send?access_token=x",
    "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.1/robot/send?access_token=x",
]


def _host(url: str) -> str:
    return urllib.parse.urlsplit(url).hostname


@pytest.fixture
def trap():
    """A local server where an attacker points the robot: it must never be contacted."""
    with Server() as server:
        yield server


def _robot_hosts_including(url: str):
    # Even a deployment that listed the attacked host as a robot host: the outbound guard still refuses it.
    return override_settings(ROBOT_WEBHOOK_HOSTS=["oapi.dingtalk.com", "qyapi.weixin.qq.com", _host(url)])


# --- at save time ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("template", INSIDE_URLS)
def test_the_repairs_robot_settings_refuse_an_inside_address(template, trap, net, school_a, alice):
    url = template.format(port=trap.port)
    client = HostClient(school_a.host)
    client.force_login(alice)

    # when the principal points the repairs robot at the server's own network
    with DEVELOPMENT, _robot_hosts_including(url):
        response = client.post("/repairs/settings/", {
            "minor_due_time": "23:59", "major_due_days": 3, "vendor_due_days": 7, "due_soon_hours": 4,
            "public_reports_per_hour": 5, "robot_kind": "dingtalk", "robot_url": url, "robot_secret": ""})

    # then the form says why, nothing is saved and nothing was contacted
    assert response.status_code == 200
    assert INSIDE in response.content.decode()
    connection.set_tenant(school_a)
    assert (RepairSettings.current().robot_kind, RepairSettings.current().robot_url) == ("", "")
    assert net.connections == []
    assert trap.requests == []


@pytest.mark.parametrize("template", INSIDE_URLS)
def test_a_notification_robot_over_graphql_refuses_an_inside_address(template, trap, net, school_a, alice):
    url = template.format(port=trap.port)
    client = HostClient(school_a.host)
    client.force_login(alice)
    with DEVELOPMENT, _robot_hosts_including(url):
        answer = client.gql("mutation($url: String!) { robotChannelCreate(name: \"群\", provider: DINGTALK,"
                            " webhookUrl: $url) { name } }", {"url": url})
    assert answer["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert answer["errors"][0]["message"] == INSIDE
    assert RobotChannel.objects.count() == 0
    assert net.connections == []


@pytest.mark.parametrize("template", INSIDE_URLS)
def test_a_partner_webhook_refuses_an_inside_address(template, trap, net, dave, bureau_north, school_a):
    url = template.format(port=trap.port)
    partner = partner_client_create(actor=dave, name="北区物业", bureau=bureau_north, scopes=["repairs:read"],
                                    schools=[school_a])
    client = HostClient("localhost")
    client.force_login(dave)
    with DEVELOPMENT:
        response = client.post(f"/partners/{partner.pk}/subscriptions/", {"url": url, "events": ["repair_order.created"]})
        with pytest.raises(ValidationError) as refused:
            webhook_subscription_create(client=partner, url=url, events=["repair_order.created"])
    assert response.status_code == 400
    assert INSIDE in response.content.decode()
    assert refused.value.message_dict == {"url": [INSIDE]}
    assert not WebhookSubscription.objects.filter(client=partner).exists()
    assert net.connections == []


@pytest.mark.parametrize("url", ["http://127.1/", "http://2130706433/", "http://0x7f.0.0.1/", "http://[::ffff:127.0.0.1]/",
                                 "http://[2002:7f00:1::]/", "http://[64:ff9b::a00:1]/", "http://0.0.0.0/",
                                 "http://224.0.0.1/", "http://100.64.0.1/", "http://[fe80::1]/", "http://[fc00::1]/",
                                 "http://admin.localhost/", "http://user:pw@hooks.partner.example/"])
def test_disguised_inside_addresses_are_refused_at_save(url):
    from core.outbound import url_validate

    with DEVELOPMENT, pytest.raises(ValidationError):
        url_validate(url)


def test_http_is_refused_outside_development(net, settings, dave, bureau_north, school_a):
    from core.outbound import url_validate

    partner = partner_client_create(actor=dave, name="北区物业", bureau=bureau_north, scopes=["repairs:read"],
                                    schools=[school_a])
    net.names["hooks.partner.example"] = [[PUBLIC_IP]]
    settings.DEBUG = False
    settings.OUTBOUND_ALLOW_HTTP = None  # unset: follows DEBUG
    # at save time
    with pytest.raises(ValidationError) as refused:
        webhook_subscription_create(client=partner, url="http://hooks.partner.example/h", events=["repair_order.created"])
    assert refused.value.message_dict == {"url": [HTTPS_ONLY]}
    # at delivery, for an address saved before the guard
    subscription = WebhookSubscription.objects.create(client=partner, url="http://hooks.partner.example/h",
                                                      events=["repair_order.created"], secret="s")
    delivery = _deliver(school_a, subscription)
    assert (delivery.status, delivery.response_status, delivery.last_error) == (DeliveryStatus.PENDING, None, HTTPS_ONLY)
    assert net.lookups == []
    assert net.connections == []
    # in development (DEBUG) the same address is accepted
    settings.DEBUG = True
    assert url_validate("http://hooks.partner.example/h") == "http://hooks.partner.example/h"


# --- at delivery ---------------------------------------------------------------------------------------------------


def _deliver(school, subscription) -> WebhookDelivery:
    [delivery] = [d for d in webhooks.event_emit(school=school, event="repair_order.created", payload={"id": "R1"})
                  if d.subscription_id == subscription.pk]
    webhooks.delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    return delivery


@pytest.fixture
def no_queue(monkeypatch):
    monkeypatch.setattr(webhook_deliver_task, "apply_async", lambda **kw: None)


@pytest.mark.parametrize("template", INSIDE_URLS)
def test_the_repairs_robot_refuses_an_inside_address_at_delivery(template, trap, net, in_school_a):
    # given a robot URL saved before the guard (straight into the table)
    url = template.format(port=trap.port)
    preset = RepairSettings.current()
    preset.robot_kind, preset.robot_url = RobotKind.DINGTALK, url
    preset.save()
    message = robot_message_queue(text="3 张工单超时", dedupe_key="attack-1")

    # when the escalation's message is posted
    with DEVELOPMENT, _robot_hosts_including(url):
        sent = robot_message_post(message_id=message.pk)

    # then it is refused before any socket is opened to it
    message.refresh_from_db()
    assert (sent, message.status, message.last_error) == (False, RobotStatus.FAILED, INSIDE)
    assert net.connections == []
    assert trap.requests == []


@pytest.mark.parametrize("template", INSIDE_URLS)
def test_the_webhook_ping_and_a_delivery_refuse_an_inside_address(template, trap, net, dave, bureau_north, school_a,
                                                                   no_queue):
    # given a subscription whose URL was saved before the guard
    url = template.format(port=trap.port)
    partner = partner_client_create(actor=dave, name="北区物业", bureau=bureau_north, scopes=["repairs:read"],
                                    schools=[school_a])
    subscription = WebhookSubscription.objects.create(client=partner, url=url, events=["repair_order.created"],
                                                      secret="s")
    client = HostClient("localhost")
    client.force_login(dave)
    with DEVELOPMENT:
        # when the partner manager presses "send test ping", and when a real event is delivered
        page = client.post(f"/partners/{partner.pk}/subscriptions/{subscription.pk}/ping/", follow=True)
        delivery = _deliver(school_a, subscription)
    # then the ping is refused with the reason and no delivery, the event's delivery fails, nothing was contacted
    assert INSIDE in page.content.decode()
    assert list(WebhookDelivery.objects.filter(subscription=subscription, event="ping")) == []
    assert (delivery.status, delivery.attempts, delivery.response_status, delivery.last_error) == (
        DeliveryStatus.PENDING, 1, None, INSIDE)
    assert net.connections == []
    assert trap.requests == []


def test_a_hostname_that_resolves_inside_is_refused_at_delivery(net, school_a, in_school_a):
    # given robots on DingTalk's own host name, which the resolver now answers with 127.0.0.1
    net.names["oapi.dingtalk.com"] = [["127.0.0.1"]]
    url = "https://oapi.dingtalk.com/robot/send?access_token=x"
    preset = RepairSettings.current()
    preset.robot_kind, preset.robot_url = RobotKind.DINGTALK, url
    preset.save()
    message = robot_message_queue(text="超时", dedupe_key="attack-2")
    connection.set_schema_to_public()
    robot_channel_create(school=school_a, name="群", provider=RobotProvider.DINGTALK, webhook_url=url)
    notify(kind="repairs", title="报修", school=school_a, dedupe_key="attack-2")
    delivery = NotificationDelivery.objects.get()

    # when both robots post
    with pytest.raises(DeliveryError):
        delivery_send(delivery_id=delivery.pk)
    connection.set_tenant(school_a)
    sent = robot_message_post(message_id=message.pk)

    # then both are refused after the lookup and before any connection
    delivery.refresh_from_db()
    message.refresh_from_db()
    assert (delivery.status, delivery.last_error) == ("failed", INSIDE)
    assert (sent, message.status, message.last_error) == (False, RobotStatus.FAILED, INSIDE)
    assert net.lookups == ["oapi.dingtalk.com", "oapi.dingtalk.com"]
    assert net.connections == []


def test_one_inside_address_among_public_ones_is_refused(net, dave, bureau_north, school_a, no_queue):
    net.names["hooks.partner.example"] = [[PUBLIC_IP, "10.1.2.3"]]
    partner = partner_client_create(actor=dave, name="北区物业", bureau=bureau_north, scopes=["repairs:read"],
                                    schools=[school_a])
    subscription = webhook_subscription_create(client=partner, url="https://hooks.partner.example/h",
                                               events=["repair_order.created"])
    delivery = _deliver(school_a, subscription)
    assert (delivery.status, delivery.response_status, delivery.last_error) == (DeliveryStatus.PENDING, None, INSIDE)
    assert net.connections == []


def test_dns_rebinding_gets_the_checked_address(net, dave, bureau_north, school_a, no_queue):
    # given a partner host that resolves to a public address once, then to 127.0.0.1 (a rebinding resolver);
    # a connection to the public address is carried to a local server standing in for the partner
    with Server(status=200, body=b"ok") as partner_server, Server() as internal:
        net.names["rebind.partner.example"] = [[PUBLIC_IP], ["127.0.0.1"]]
        net.forward[(PUBLIC_IP, 80)] = ("127.0.0.1", partner_server.port)
        net.local.add(internal.port)
        partner = partner_client_create(actor=dave, name="北区物业", bureau=bureau_north, scopes=["repairs:read"],
                                        schools=[school_a])
        with DEVELOPMENT:
            subscription = webhook_subscription_create(client=partner, url="http://rebind.partner.example/h",
                                                       events=["repair_order.created"])
            delivery = _deliver(school_a, subscription)

    # then the delivery went to the address that was checked, named by its host, after one lookup
    assert (delivery.status, delivery.response_status) == (DeliveryStatus.DELIVERED, 200)
    assert net.lookups == ["rebind.partner.example"]
    assert net.connections == [(PUBLIC_IP, 80)]
    [request] = partner_server.requests
    assert (request["path"], request["headers"]["Host"]) == ("/h", "rebind.partner.example")
    assert internal.requests == []


def test_https_is_pinned_to_the_checked_address_with_the_original_server_name(net, monkeypatch):
    from core import outbound

    names = []

    def wrap_socket(self, sock, *args, server_hostname=None, **kwargs):
        names.append(server_hostname)
        sock.close()
        raise ssl.SSLError("test: no TLS here")

    monkeypatch.setattr(ssl.SSLContext, "wrap_socket", wrap_socket)
    with Server() as stand_in:
        net.names["rebind.partner.example"] = [[PUBLIC_IP], ["127.0.0.1"]]
        net.forward[(PUBLIC_IP, 443)] = ("127.0.0.1", stand_in.port)
        with pytest.raises(outbound.OutboundError):
            outbound.post("https://rebind.partner.example/h", body=b"{}")
    assert net.connections == [(PUBLIC_IP, 443)]
    assert names == ["rebind.partner.example"]


# --- the answer ----------------------------------------------------------------------------------------------------


@pytest.fixture
def allow_local():
    """The test allow-list: local servers on 127.0.0.1 over http (what tests/api/receiver.py also uses)."""
    with override_settings(OUTBOUND_ALLOWED_HOSTS=["127.0.0.1"], OUTBOUND_ALLOW_HTTP=True):
        yield


def test_a_redirect_is_not_followed(net, allow_local, dave, bureau_north, school_a, no_queue, in_school_a):
    # given an allowed receiver that answers with a redirect into the server's network
    with Server(status=302, headers=[("Location", "http://127.0.0.1:{port}/internal")]) as redirecting:
        net.local.add(redirecting.port)
        connection.set_schema_to_public()
        partner = partner_client_create(actor=dave, name="北区物业", bureau=bureau_north, scopes=["repairs:read"],
                                        schools=[school_a])
        subscription = webhook_subscription_create(client=partner, url=f"http://127.0.0.1:{redirecting.port}/hook",
                                                   events=["repair_order.created"])
        delivery = _deliver(school_a, subscription)
        connection.set_tenant(school_a)
        preset = RepairSettings.current()
        preset.robot_kind, preset.robot_url = RobotKind.WECOM, f"http://127.0.0.1:{redirecting.port}/robot"
        preset.save()
        message = robot_message_queue(text="超时", dedupe_key="attack-3")
        with override_settings(ROBOT_WEBHOOK_HOSTS=["127.0.0.1"]):
            sent = robot_message_post(message_id=message.pk)

    # then each was one POST, the redirect was recorded as a failure and never followed
    message.refresh_from_db()
    redirect = "该地址返回了重定向（HTTP 302），不会跟随。"
    assert (delivery.status, delivery.response_status, delivery.last_error) == (DeliveryStatus.PENDING, 302, redirect)
    assert (sent, message.status, message.last_error) == (False, RobotStatus.FAILED, redirect)
    assert [(r["method"], r["path"]) for r in redirecting.requests] == [("POST", "/hook"), ("POST", "/robot")]


def test_an_oversized_answer_is_cut_at_the_cap(net, allow_local):
    from core import outbound

    with Server(body=b"x" * (8 * 1024 * 1024)) as huge:
        net.local.add(huge.port)
        response = outbound.post(f"http://127.0.0.1:{huge.port}/hook", body=b"{}", max_bytes=64 * 1024)
    assert (response.status, len(response.body), response.truncated) == (200, 64 * 1024, True)
    assert outbound.MAX_RESPONSE_BYTES == 64 * 1024  # what robots read of an answer by default


def test_a_trickled_answer_is_cut_at_the_deadline(net, allow_local):
    from core import outbound

    with Server(trickle=0.05) as slow:
        net.local.add(slow.port)
        started = time.monotonic()
        with pytest.raises(outbound.OutboundError) as failed:
            outbound.post(f"http://127.0.0.1:{slow.port}/hook", body=b"{}", timeout=1.0)
    assert time.monotonic() - started < 3
    assert "秒内没有应答" in str(failed.value)


# --- one robot stack -------------------------------------------------------------------------------------------------


def test_repairs_robot_messages_carry_the_dingtalk_signature(net, allow_local, in_school_a, alice, school_a):
    with Server() as robot, override_settings(ROBOT_WEBHOOK_HOSTS=["127.0.0.1"]):
        net.local.add(robot.port)
        # given the principal sets a signed DingTalk robot on the repairs settings page
        client = HostClient(school_a.host)
        client.force_login(alice)
        response = client.post("/repairs/settings/", {
            "minor_due_time": "23:59", "major_due_days": 3, "vendor_due_days": 7, "due_soon_hours": 4,
            "public_reports_per_hour": 5, "robot_kind": "dingtalk",
            "robot_url": f"http://127.0.0.1:{robot.port}/robot/send?access_token=abc", "robot_secret": " SEC42 "})
        assert response.status_code == 302
        connection.set_tenant(school_a)
        # when an escalation message is posted
        message = robot_message_queue(text="2 张工单超时", dedupe_key="signed-1")
        assert robot_message_post(message_id=message.pk) is True

    # then it carries DingTalk's 加签 over the secret
    [request] = robot.requests
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(request["path"]).query)
    timestamp = query["timestamp"][0]
    expected = base64.b64encode(hmac.new(b"SEC42", f"{timestamp}\nSEC42".encode(), hashlib.sha256).digest()).decode()
    assert (query["sign"], query["access_token"]) == ([expected], ["abc"])
    assert abs(int(timestamp) / 1000 - time.time()) < 60
    assert json.loads(request["body"])["text"]["content"] == "2 张工单超时"
    message.refresh_from_db()
    assert (message.status, message.attempts) == (RobotStatus.SENT, 1)
    assert RobotMessage.objects.count() == 1
