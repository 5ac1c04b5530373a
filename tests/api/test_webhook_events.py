"""Repairs and safety emit webhook events: one signed delivery per subscriber of the school, after commit only.

Each case does its set-up, then subscribes a partner of school A (and one of school B) to the one event under
test at two local receivers, then does the write: A's receiver gets exactly one POST with the event and its
data, B's nothing.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from api import webhooks
from api.choices import Event
from api.models import WebhookDelivery
from api.services import webhook_subscription_create
from api.tasks import webhook_deliver_task
from tenants.models import User
from tenants.roles import Role
from tenants.services import membership_grant

from .conftest import ALL_READ
from .receiver import Receiver

NOW = timezone.now().replace(microsecond=0)


def gid(type_name: str, pk: int) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def jsonable(data: dict) -> dict:
    """What the receiver reads: times in UTC as ISO 8601 ("…Z"), dates as ISO 8601."""
    utc = {k: v.astimezone(dt.UTC) if isinstance(v, dt.datetime) else v for k, v in data.items()}
    return json.loads(json.dumps(utc, cls=DjangoJSONEncoder))


def order_data(order, **extra) -> dict:
    return {"id": gid("WorkOrderType", order.pk), "reference": order.reference, "status": order.status,
            "severity": order.severity, "source": order.source, "reportedAt": order.reported_at,
            "dueAt": order.due_at, "completedAt": order.completed_at, **extra}


def hazard_data(hazard) -> dict:
    return {"id": gid("HazardType", hazard.pk), "status": hazard.status, "grade": hazard.grade,
            "category": hazard.category, "foundOn": hazard.found_on, "deadline": hazard.deadline,
            "supervised": hazard.supervised, "rectifiedAt": hazard.rectified_at, "verifiedAt": hazard.verified_at}


# --- the world: people of school A with the roles each write needs -------------------------------------------


@dataclass
class World:
    school: Any
    alice: User  # principal (verifies, confirms her own reports)
    gina: User  # gate guard
    lena: User  # logistics director (triages; a safety manager too)
    mario: User  # maintenance worker
    room: Any
    public: Any  # an anonymous client on school A's host


def _person(username: str, role: str, school) -> User:
    user = User.objects.create_user(username=username, password="x-pass-42", name=username.title())
    membership_grant(user=user, role=role, school=school)
    return user


@pytest.fixture
def world(school_a, alice, gina, client_for):
    from schools.models import Building, Room

    lena = _person("lena", Role.LOGISTICS_DIRECTOR, school_a)
    mario = _person("mario", Role.MAINTENANCE_WORKER, school_a)
    connection.set_tenant(school_a)
    building, _ = Building.objects.get_or_create(name="1号教学楼")
    room = Room.objects.create(building=building, number="301", name="教室")
    connection.set_schema_to_public()
    return World(school=school_a, alice=alice, gina=gina, lena=lena, mario=mario, room=room,
                 public=client_for(None, school_a))


@pytest.fixture
def receivers():
    with Receiver() as a, Receiver() as b:
        yield a, b


@pytest.fixture
def deliver_now(monkeypatch):
    """A queued delivery is attempted at once (what the Celery task does), so the receiver sees it."""
    monkeypatch.setattr(webhook_deliver_task, "apply_async",
                        lambda kwargs=None, countdown=0, **kw: webhooks.delivery_attempt(**kwargs))


@pytest.fixture
def subscribe(make_partner, school_a, school_b):
    """subscribe(school, url, events) → the subscription of a partner granted that school, reading everything."""

    def make(school, url, events):
        connection.set_schema_to_public()
        client, _, _ = make_partner(scopes=ALL_READ, schools=[school], name=f"物业-{school.slug}-{len(events)}")
        return webhook_subscription_create(client=client, url=url, events=list(events))

    return make


# --- the writes -------------------------------------------------------------------------------------------------


def _report(w: World, **kwargs):
    from repairs.services import work_order_report

    return work_order_report(reporter=w.alice, title="灯不亮", room=w.room, **kwargs)


def _assigned(w: World):
    from repairs.services import work_order_triage

    return work_order_triage(order=_report(w), actor=w.lena, severity="minor", assignee=w.mario)


def _started(w: World):
    from repairs.services import work_order_start

    return work_order_start(order=_assigned(w), actor=w.mario)


def _paused(w: World):
    from repairs.services import work_order_pause

    return work_order_pause(order=_started(w), actor=w.mario, reason="等配件")


def _completed(w: World):
    from repairs.services import work_order_complete

    return work_order_complete(order=_started(w), actor=w.mario, closing_note="换了灯管")


def _act_created(w, _):
    order = _report(w)
    return order_data(order)


def _act_created_public(w, _):
    from core.labels import ROOM, label_token
    from repairs.models import WorkOrder

    label = label_token(schema_name=w.school.schema_name, kind=ROOM, pk=w.room.pk)
    response = w.public.post(f"/repairs/report/?label={label}", {
        "title": "门锁坏了", "reporter_name": "家长", "reporter_phone": "13800000000"})
    assert response.status_code == 302
    connection.set_tenant(w.school)
    order = WorkOrder.objects.get(title="门锁坏了")
    assert order.source == "public"
    return order_data(order)


def _act_triaged(w, order):
    from repairs.services import work_order_triage

    return order_data(work_order_triage(order=order, actor=w.lena, severity="major", assignee=w.mario),
                      action="triaged")


def _act_started(w, order):
    from repairs.services import work_order_start

    return order_data(work_order_start(order=order, actor=w.mario), action="started")


def _act_paused(w, order):
    from repairs.services import work_order_pause

    return order_data(work_order_pause(order=order, actor=w.mario, reason="等配件"), action="paused")


def _act_resumed(w, order):
    from repairs.services import work_order_resume

    return order_data(work_order_resume(order=order, actor=w.mario), action="resumed")


def _act_completed(w, order):
    from repairs.services import work_order_complete

    return order_data(work_order_complete(order=order, actor=w.mario, closing_note="换了灯管"), action="completed")


def _act_confirmed(w, order):
    from repairs.services import work_order_confirm

    return order_data(work_order_confirm(order=order, actor=w.alice, rating=5), action="confirmed")


def _act_reopened(w, order):
    from repairs.services import work_order_reopen

    return order_data(work_order_reopen(order=order, actor=w.alice, reason="还是不亮"), action="reopened")


def _overdue_setup(w):
    return _report(w, reported_at=NOW - dt.timedelta(days=2))


def _act_overdue(w, order):
    from repairs.services import escalation_run

    escalation_run(now=NOW)
    order.refresh_from_db()
    return order_data(order, overdueAt=NOW)


def _hazard(w):
    from safety.services import hazard_report

    return hazard_report(reporter=w.lena, category="fire", description="灭火器过期", location_text="二楼走廊")


def _act_hazard_reported(w, _):
    return hazard_data(_hazard(w))


def _rectified(w):
    from safety.services import hazard_rectify

    return hazard_rectify(actor=w.lena, hazard=_hazard(w), actions="换了灭火器")


def _act_hazard_closed(w, hazard):
    from safety.services import hazard_verify

    closed = hazard_verify(actor=w.alice, hazard=hazard, accepted=True)
    assert closed.status == "closed"
    return hazard_data(closed)


def _act_visitor(w, _):
    from safety.services import visitor_register

    visitor = visitor_register(actor=w.gina, name="李访客", id_number="110101199003071234", host_name="陈老师",
                               purpose="送材料", host_verified=True, phone="13800000000")
    return {"id": gid("VisitorType", visitor.pk), "inAt": visitor.in_at, "hostVerified": True}


def _act_patrol(w, _):
    from safety.services import patrol_record

    patrol = patrol_record(actor=w.gina, shift="night", route="东门—操场", started_at=NOW, findings="消防通道堵塞",
                           hazard={"category": "fire", "location_text": "食堂后门"})
    return {"id": gid("PatrolType", patrol.pk), "shift": "night", "startedAt": NOW, "endedAt": None,
            "hazardId": gid("HazardType", patrol.hazard_id)}


CASES = {
    # name: (event, set-up before subscribing, the write under test → the data the receiver must get)
    "repair_created": (Event.REPAIR_ORDER_CREATED, lambda w: None, _act_created),
    "repair_created_public_qr": (Event.REPAIR_ORDER_CREATED, lambda w: None, _act_created_public),
    "repair_triaged": (Event.REPAIR_ORDER_UPDATED, _report, _act_triaged),
    "repair_started": (Event.REPAIR_ORDER_UPDATED, _assigned, _act_started),
    "repair_paused": (Event.REPAIR_ORDER_UPDATED, _started, _act_paused),
    "repair_resumed": (Event.REPAIR_ORDER_UPDATED, _paused, _act_resumed),
    "repair_completed": (Event.REPAIR_ORDER_UPDATED, _started, _act_completed),
    "repair_confirmed": (Event.REPAIR_ORDER_UPDATED, _completed, _act_confirmed),
    "repair_reopened": (Event.REPAIR_ORDER_UPDATED, _completed, _act_reopened),
    "repair_overdue": (Event.REPAIR_ORDER_OVERDUE, _overdue_setup, _act_overdue),
    "hazard_reported": (Event.HAZARD_REPORTED, lambda w: None, _act_hazard_reported),
    "hazard_closed": (Event.HAZARD_CLOSED, _rectified, _act_hazard_closed),
    "visitor_registered": (Event.VISITOR_REGISTERED, lambda w: None, _act_visitor),
    "patrol_logged": (Event.PATROL_LOGGED, lambda w: None, _act_patrol),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_write_reaches_the_schools_subscriber_once_and_no_other_school(
    case, world, receivers, subscribe, deliver_now, django_capture_on_commit_callbacks
):
    event, setup, act = CASES[case]
    receiver_a, receiver_b = receivers
    # given the state before the write, and a subscriber to the event in school A and one in school B
    connection.set_tenant(world.school)
    state = setup(world)
    subscription_a = subscribe(world.school, receiver_a.url, [event])
    subscribe(world.school.__class__.objects.get(slug="beta"), receiver_b.url, [event])

    # when the write happens in school A and commits
    connection.set_tenant(world.school)
    with django_capture_on_commit_callbacks(execute=True):
        expected = act(world, state)
    connection.set_schema_to_public()

    # then A's receiver got exactly one signed delivery of that event with the row's data, B's nothing
    assert len(receiver_a.requests) == 1, [r["body"] for r in receiver_a.requests]
    request = receiver_a.requests[0]
    assert webhooks.verify(subscription_a.secret, request["headers"]["X-Houqin-Timestamp"], request["body"],
                           request["headers"]["X-Houqin-Signature"])
    body = json.loads(request["body"])
    assert (body["event"], body["school"], request["headers"]["X-Houqin-Event"]) == (event, "alpha", event)
    assert body["data"] == jsonable(expected)
    assert receiver_b.requests == []


def test_payloads_carry_no_personal_data(world, receivers, subscribe, deliver_now, django_capture_on_commit_callbacks):
    receiver_a, _ = receivers
    subscribe(world.school, receiver_a.url, [e for e in Event.values if e != Event.PING])
    connection.set_tenant(world.school)
    with django_capture_on_commit_callbacks(execute=True):
        _act_visitor(world, None)
        _act_created_public(world, None)
    assert len(receiver_a.requests) == 2
    data = json.dumps([json.loads(r["body"])["data"] for r in receiver_a.requests], ensure_ascii=False)
    for personal in ("李访客", "110101", "***", "13800000000", "家长", "陈老师", "送材料", "门锁坏了"):
        assert personal not in data, personal


# --- nothing is sent for a write that does not happen -----------------------------------------------------------


def _fail_report(w, _):
    from repairs.services import work_order_report

    with pytest.raises(ValidationError):
        work_order_report(reporter=w.alice, title="灯不亮")  # no room, no place


def _fail_complete(w, order):
    from repairs.services import work_order_complete

    with pytest.raises(ValidationError):
        work_order_complete(order=order, actor=w.mario, closing_note=" ")


def _fail_verify(w, hazard):
    from safety.services import hazard_verify

    with pytest.raises(ValidationError):
        hazard_verify(actor=w.lena, hazard=hazard, accepted=True)  # the rectifier may not verify


def _fail_visitor(w, _):
    from safety.services import visitor_register

    with pytest.raises(PermissionDenied):
        visitor_register(actor=w.mario, name="李访客", id_number="", host_name="陈老师", purpose="送材料",
                         host_verified=True)


def _fail_patrol(w, _):
    from safety.services import patrol_record

    with pytest.raises(ValidationError):
        patrol_record(actor=w.gina, shift="night", route="东门", started_at=NOW, ended_at=NOW - dt.timedelta(hours=1),
                      hazard={"category": "fire", "location_text": "食堂后门"})


REFUSED = {
    "report_without_a_place": (lambda w: None, _fail_report),
    "complete_without_a_note": (_started, _fail_complete),
    "verify_by_the_rectifier": (_rectified, _fail_verify),
    "visitor_by_a_worker": (lambda w: None, _fail_visitor),
    "patrol_ending_before_it_starts": (lambda w: None, _fail_patrol),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_a_refused_write_emits_nothing(case, world, receivers, subscribe, deliver_now,
                                       django_capture_on_commit_callbacks):
    setup, write = REFUSED[case]
    receiver_a, _ = receivers
    connection.set_tenant(world.school)
    state = setup(world)
    subscribe(world.school, receiver_a.url, [e for e in Event.values if e != Event.PING])
    connection.set_tenant(world.school)
    with django_capture_on_commit_callbacks(execute=True):
        write(world, state)
    assert WebhookDelivery.objects.count() == 0
    assert receiver_a.requests == []


def test_a_rolled_back_write_sends_nothing(world, receivers, subscribe, deliver_now,
                                           django_capture_on_commit_callbacks):
    receiver_a, _ = receivers
    subscribe(world.school, receiver_a.url, [Event.VISITOR_REGISTERED, Event.REPAIR_ORDER_CREATED])
    connection.set_tenant(world.school)

    # when the writes succeed but the surrounding transaction then fails
    recorded = []

    def request_that_fails_late():
        with transaction.atomic():
            _act_visitor(world, None)
            _act_created(world, None)
            recorded.append(WebhookDelivery.objects.count())  # recorded inside the transaction …
            raise RuntimeError("something later in the request failed")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        request_that_fails_late()

    # … and gone with it: nothing was sent
    assert recorded == [2]
    assert WebhookDelivery.objects.count() == 0
    assert receiver_a.requests == []


# --- cost -------------------------------------------------------------------------------------------------------


def test_an_event_without_subscribers_costs_one_query(school_a, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert webhooks.event_emit(school=school_a, event=Event.VISITOR_REGISTERED, payload={"id": "x"}) == []


def _subscription_lookups(captured) -> int:
    return sum('FROM "api_webhooksubscription"' in q["sql"] for q in captured.captured_queries)


@pytest.mark.parametrize("overdue", [3, 9])
def test_overdue_escalation_looks_subscriptions_up_once_per_run(overdue, world, subscribe, queued_only):
    from repairs.services import escalation_run

    subscribe(world.school, "https://partner.example.com/hook", [Event.REPAIR_ORDER_OVERDUE])
    connection.set_tenant(world.school)
    orders = [_overdue_setup(world) for _ in range(overdue)]
    with CaptureQueriesContext(connection) as captured:
        result = escalation_run(now=NOW)
    assert sorted(result["overdue"]) == sorted(o.pk for o in orders)
    assert _subscription_lookups(captured) == 1
    deliveries = WebhookDelivery.objects.filter(event=Event.REPAIR_ORDER_OVERDUE)
    assert sorted(d.payload["data"]["reference"] for d in deliveries) == sorted(o.reference for o in orders)
    # a second run finds nothing new: no event, no lookup
    with CaptureQueriesContext(connection) as captured:
        escalation_run(now=NOW + dt.timedelta(minutes=10))
    assert _subscription_lookups(captured) == 0
    assert deliveries.count() == overdue


def test_overdue_escalation_costs_the_same_queries_for_3_or_9_orders(world, subscribe, queued_only):
    from repairs.services import escalation_run

    subscribe(world.school, "https://partner.example.com/hook", [Event.REPAIR_ORDER_OVERDUE])
    connection.set_tenant(world.school)

    def cost(n: int, now) -> int:
        for _ in range(n):
            _overdue_setup(world)
        with CaptureQueriesContext(connection) as captured:
            escalation_run(now=now)
        return len(captured.captured_queries)

    assert cost(3, NOW) == cost(9, NOW + dt.timedelta(minutes=1))


@pytest.fixture
def queued_only(monkeypatch):
    monkeypatch.setattr(webhook_deliver_task, "apply_async", lambda **kw: None)


# --- the ids are the schema's -------------------------------------------------------------------------------------


NODE = """query($id: ID!) { node(id: $id) { __typename ... on VisitorType { hostName }
                                                       ... on WorkOrderType { reference } } }"""


def test_event_ids_resolve_with_node(world, make_partner, bearer, subscribe, queued_only):
    subscription = subscribe(world.school, "https://partner.example.com/hook",
                             [Event.VISITOR_REGISTERED, Event.REPAIR_ORDER_CREATED])
    connection.set_tenant(world.school)
    _act_visitor(world, None)
    order = _report(world)
    connection.set_schema_to_public()
    _, _, raw = make_partner(scopes=["safety:read", "repairs:read"], schools=[world.school])
    found = {}
    for delivery in WebhookDelivery.objects.filter(subscription=subscription):
        found[delivery.event] = bearer(raw, world.school).gql(NODE, {"id": delivery.payload["data"]["id"]})["data"]
    assert found == {"visitor.registered": {"node": {"__typename": "VisitorType", "hostName": "陈老师"}},
                     "repair_order.created": {"node": {"__typename": "WorkOrderType", "reference": order.reference}}}


# --- a partner's own write --------------------------------------------------------------------------------------


def test_property_company_patrol_over_graphql_is_announced(make_partner, bearer, world, receivers, subscribe,
                                                           deliver_now, django_capture_on_commit_callbacks):
    receiver_a, _ = receivers
    subscribe(world.school, receiver_a.url, [Event.PATROL_LOGGED, Event.HAZARD_REPORTED])
    _, _, raw = make_partner(scopes=["safety:write"], schools=[world.school], name="物业公司")
    with django_capture_on_commit_callbacks(execute=True):
        result = bearer(raw, world.school).gql(
            "mutation($d: PatrolInput!) { patrolRecord(data: $d) { route } }",
            {"d": {"shift": "NIGHT", "route": "东门—操场", "startedAt": "2026-11-25T20:00:00+08:00",
                   "findings": "消防通道堵塞", "openHazard": True, "hazardCategory": "FIRE", "hazardLocation": "食堂后门"}})
    assert result == {"data": {"patrolRecord": {"route": "东门—操场"}}}
    events = sorted(json.loads(r["body"])["event"] for r in receiver_a.requests)
    assert events == ["hazard.reported", "patrol.logged"]
