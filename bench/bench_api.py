"""Partner API: a page of 100 repair orders (p95 server time, SQL queries for first:10 vs first:100),
and 1,000 webhook deliveries to a local receiver that fails 20% of first attempts.

Sizes: BENCH_API_ORDERS (default 150), BENCH_API_ROUNDS (default 40), BENCH_API_DELIVERIES (default 1000).
"""

from __future__ import annotations

import os
import time

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from .harness import p95, report

ORDERS = int(os.environ.get("BENCH_API_ORDERS", "150"))
ROUNDS = int(os.environ.get("BENCH_API_ROUNDS", "40"))
DELIVERIES = int(os.environ.get("BENCH_API_DELIVERIES", "1000"))

PAGE = """query($first: Int!) { workOrderList(first: $first) { totalCount pageInfo { hasNextPage endCursor }
  edges { node { id reference title status severity reportedAt dueAt isOverdue assigneeName
    room { number name building } asset { assetNumber name } reporter { name signedIn } } } } }"""
WITH_WHERE = PAGE.replace("title status", "title where status")


def _school():
    from tenants.models import Bureau, School
    from tenants.services import bureau_create, school_create

    bureau = Bureau.objects.filter(code="bench").first() or bureau_create(name="基准测试教育局", code="bench")
    school = School.objects.filter(slug="benchapi").first()
    return school or school_create(bureau=bureau, name="接口基准学校", slug="benchapi")


def _orders(school) -> None:
    from repairs.models import WorkOrder
    from repairs.services import work_order_report
    from schools.models import Building, Room
    from tenants.models import User

    connection.set_tenant(school)
    have = WorkOrder.objects.count()
    if have < ORDERS:
        reporter = User.objects.filter(username="bench-reporter").first() or User.objects.create_user(
            username="bench-reporter", password="bench-pass-42", name="基准报修人")
        from assets.models import Asset, Category

        building, _ = Building.objects.get_or_create(name="基准教学楼")
        rooms = [Room.objects.get_or_create(building=building, number=f"{100 + i}", defaults={"name": "教室"})[0]
                 for i in range(10)]
        category = Category.objects.filter(code__startswith="A02").order_by("code").last()
        assets = [Asset.objects.get_or_create(
            asset_number=f"BENCH{i:04d}",
            defaults={"name": f"投影仪{i}", "category": category, "room": rooms[i], "unit_price": 3000,
                      "booked_on": "2026-09-01"})[0] for i in range(10)]
        for i in range(have, ORDERS):
            # every order in a room; every other one about an asset; every third from the public QR page
            work_order_report(reporter=None if i % 3 == 0 else reporter, reporter_name="扫码报修人",
                              title=f"基准报修{i}", room=rooms[i % 10], asset=assets[i % 10] if i % 2 else None)
    connection.set_schema_to_public()


def _partner(school):
    from api.models import PartnerClient
    from api.services import api_token_create

    client = PartnerClient.objects.filter(name="基准物业").first()
    if client is None:
        client = PartnerClient.objects.create(name="基准物业", scopes=["repairs:read"])
        client.schools.add(school)
    _token, raw = api_token_create(actor=None, client=client, name="bench")
    return client, raw


def _page(http: Client, first: int, query: str = PAGE) -> dict:
    response = http.post("/graphql/", {"query": query, "variables": {"first": first}}, content_type="application/json")
    body = response.json()
    assert "errors" not in body, body
    return body


def bench_page(school, raw: str) -> None:
    from repairs.models import WorkOrder

    http = Client(HTTP_HOST=school.host, HTTP_AUTHORIZATION=f"Bearer {raw}")
    _page(http, 100)  # warm up
    samples = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        body = _page(http, 100)
        samples.append((time.perf_counter() - start) * 1000)
    assert len(body["data"]["workOrderList"]["edges"]) == 100
    counts = {}
    for first in (10, 100):
        with CaptureQueriesContext(connection) as queries:
            _page(http, first)
        counts[first] = len(queries)
        with CaptureQueriesContext(connection) as queries:
            _page(http, first, WITH_WHERE)
        counts[f"where{first}"] = len(queries)
    # The naive way: the same rows and fields by plain ORM access, one query per related row.
    connection.set_tenant(school)
    with CaptureQueriesContext(connection) as naive:
        rows = [(o.reference, o.where, o.assignee.display_name if o.assignee_id else None, o.is_overdue,
                 o.room.building.name if o.room_id else None, o.asset.name if o.asset_id else None,
                 o.reporter.display_name if o.reporter_id else o.reporter_name)
                for o in WorkOrder.objects.order_by("-reported_at", "-pk")[:100]]
    connection.set_schema_to_public()
    assert len(rows) == 100
    report("api_partner_page100_p95", p95(samples), "ms", target="<=80ms")
    report("api_partner_page_queries_first100", counts[100], "queries", baseline=len(naive), target="fixed")
    report("api_partner_page_queries_first10", counts[10], "queries", target=f"=={counts[100]}")
    # WorkOrderType.where (repairs) defers room and location_note columns: a page with it is N+1.
    report("api_partner_page_with_where_queries_first100", counts["where100"], "queries",
           target=f"=={counts['where10']} (first:10)")


def bench_webhooks(school, client) -> None:
    from api import webhooks
    from api.choices import DeliveryStatus
    from api.models import WebhookDelivery, WebhookSubscription
    from api.services import webhook_delivery_replay, webhook_subscription_create
    from tests.api.receiver import Receiver

    queued = []
    original = webhooks.delivery_enqueue
    webhooks.delivery_enqueue = lambda delivery, countdown=0: queued.append(delivery.pk)
    try:
        with Receiver(fail_fraction=0.2) as receiver:
            WebhookSubscription.objects.filter(client=client).delete()
            client.scopes = sorted({*client.scopes, "repairs:read"})
            client.save()
            webhook_subscription_create(client=client, url=receiver.url, events=["repair_order.created"])
            start = time.perf_counter()
            for i in range(DELIVERIES):
                webhooks.event_emit(school=school, event="repair_order.created", payload={"reference": f"B{i}"})
            # the worker: first attempts, then retries as they fall due (back-off skipped by moving the clock)
            first_pass_ok = 0
            for pk in list(queued):
                if webhooks.delivery_attempt(delivery_id=pk).status == DeliveryStatus.DELIVERED:
                    first_pass_ok += 1
            rounds = 0
            while True:
                pending = list(WebhookDelivery.objects.filter(subscription__client=client,
                                                              status=DeliveryStatus.PENDING).values_list("pk", flat=True))
                if not pending or rounds > 10:
                    break
                rounds += 1
                for pk in pending:
                    webhooks.delivery_attempt(delivery_id=pk)
            elapsed = time.perf_counter() - start
            # a partner replays 5% of them: the receiver sees duplicates and processes each id once
            for delivery in WebhookDelivery.objects.filter(subscription__client=client)[: DELIVERIES // 20]:
                webhook_delivery_replay(delivery=delivery)
                WebhookDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.PENDING)
                webhooks.delivery_attempt(delivery_id=delivery.pk)
            delivered = WebhookDelivery.objects.filter(subscription__client=client,
                                                       status=DeliveryStatus.DELIVERED).count()
            processed = len(receiver.processed)
            unique = len(set(receiver.processed))
            requests = len(receiver.requests)
    finally:
        webhooks.delivery_enqueue = original
    report("api_webhooks_delivered", delivered, "deliveries", baseline=first_pass_ok, lower_is_better=False,
           target=f"=={DELIVERIES}")
    report("api_webhooks_processed_once", unique, "ids", target=f"=={DELIVERIES} (processed={processed})")
    report("api_webhooks_receiver_requests", requests, "requests")
    report("api_webhooks_throughput", DELIVERIES / elapsed, "deliveries/s", lower_is_better=False)


def run() -> None:
    school = _school()
    _orders(school)
    client, raw = _partner(school)
    bench_page(school, raw)
    bench_webhooks(school, client)
