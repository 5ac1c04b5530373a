"""Assets: Excel import of asset cards, the filtered asset list, and a GraphQL page's query count.

Each figure is measured against the naive way in the same run:
- import: our streamed, validated, bulk import vs. openpyxl in normal mode + full_clean() + save() per row;
- list: the page's p95 server time vs. the same view over a queryset without select_related;
- GraphQL: SQL queries for first:100 vs. first:10 (equal means the page costs a fixed number of queries).

Sizes: ASSETS_BENCH_ROWS (import rows, default 10000), ASSETS_BENCH_NAIVE_ROWS (default 500, extrapolated
per row to the full size), ASSETS_BENCH_LIST (assets in the list, default 10000), ASSETS_BENCH_SAMPLES (30).
"""

from __future__ import annotations

import datetime as dt
import io
import os
import sys
import time
import tracemalloc
from decimal import Decimal
from unittest import mock

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from .harness import RESULTS, p95, report

ROWS = int(os.environ.get("ASSETS_BENCH_ROWS", "10000"))
NAIVE_ROWS = int(os.environ.get("ASSETS_BENCH_NAIVE_ROWS", "500"))
LIST_SIZE = int(os.environ.get("ASSETS_BENCH_LIST", "10000"))
SAMPLES = int(os.environ.get("ASSETS_BENCH_SAMPLES", "30"))
HEADER = ["资产编号", "资产名称", "分类代码", "品牌", "单价", "数量", "入账日期", "存放地点", "管理部门"]


def _report(name, value, unit, **kwargs) -> None:
    report(name, value, unit, **kwargs)
    row = RESULTS[-1]
    line = f"BENCH {name} {value:.4g} {unit}"
    if row["baseline"] is not None:
        line += f" baseline={row['baseline']:.4g}"
    if row["ratio"] is not None:
        line += f" ratio={row['ratio']:.3g}"
    if kwargs.get("target"):
        line += f" target={kwargs['target']}"
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _world():
    from tenants.models import Bureau, School, User
    from tenants.roles import Role
    from tenants.services import bureau_create, membership_grant, school_create

    bureau = Bureau.objects.filter(code="bench").first() or bureau_create(name="基准测试教育局", code="bench")
    school = School.objects.filter(slug="benchassets").first() or school_create(
        bureau=bureau, name="资产基准学校", slug="benchassets"
    )
    user, _created = User.objects.get_or_create(username="bench-custodian", defaults={"name": "基准保管员"})
    membership_grant(user=user, role=Role.CUSTODIAN, school=school)
    connection.set_tenant(school)
    from schools.models import Building, Department, Room

    building, _ = Building.objects.get_or_create(name="基准楼")
    rooms = []
    for n in range(20):
        room, _ = Room.objects.get_or_create(building=building, number=f"{n + 101}", defaults={"name": f"基准室{n}"})
        rooms.append(room)
    Department.objects.get_or_create(name="总务处")
    return school, user, rooms


def _clear_assets() -> None:
    """Raw, so clearing costs no memory in the measured runs (bench rows have no loans or scans)."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM assets_asset")


def _xlsx(rows: int, prefix: str) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(HEADER)
    codes = ["A02010105", "A02021000", "A05010200", "A05010300", "A02091200"]
    for n in range(rows):
        sheet.append([f"{prefix}{n:07d}", f"设备{n}", codes[n % 5], "联想", 500 + (n % 50) * 100, 1,
                      dt.date(2024, 1 + n % 12, 1 + n % 28), f"基准室{n % 20}", "总务处"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _naive_import(content: bytes, user) -> int:
    """The obvious way: openpyxl in normal mode, one full_clean() and save() per row."""
    from openpyxl import load_workbook

    from assets.models import Asset, Category
    from schools.models import Department, Room

    sheet = load_workbook(io.BytesIO(content)).active
    count = 0
    for row in list(sheet.iter_rows(values_only=True))[1:]:
        number, name, code, brand, price, quantity, booked, room_name, dept = row
        asset = Asset(
            asset_number=number, name=name, category=Category.objects.get(code=code), brand=brand,
            unit_price=Decimal(price), quantity=quantity, original_value=Decimal(price) * quantity,
            booked_on=booked.date() if isinstance(booked, dt.datetime) else booked,
            room=Room.objects.get(name=room_name), department=Department.objects.get(name=dept),
        )
        asset.full_clean()
        asset.save()
        count += 1
    return count


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _peak_mb(fn) -> float:
    """Peak Python memory of fn (a separate run: tracemalloc slows the code it watches several times)."""
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 1048576
    finally:
        tracemalloc.stop()


def _bench_import(user) -> None:
    from assets.imports import assets_import
    from assets.models import Asset

    def ours():
        assets_import(upload=SimpleUploadedFile("bench.xlsx", content), actor=user)

    def naive():
        _naive_import(naive_content, user)

    clear = _clear_assets

    content = _xlsx(ROWS, "I")
    naive_content = _xlsx(NAIVE_ROWS, "N")
    clear()
    ours_time = _timed(ours)
    assert Asset.objects.count() == ROWS
    clear()
    ours_peak = _peak_mb(ours)
    clear()
    naive_time = _timed(naive)
    clear()
    naive_peak = _peak_mb(naive)
    clear()
    scale = ROWS / NAIVE_ROWS
    _report(f"assets_import_{ROWS}_rows_time", ours_time, "s", baseline=naive_time * scale, target="<=15s")
    _report(f"assets_import_{ROWS}_rows_peak_memory", ours_peak, "MB", baseline=naive_peak * scale, target="<=300MB")


def _fill_list(rooms) -> None:
    from assets.models import Asset, Category
    from schools.models import Department
    from tenants.models import User

    _clear_assets()
    categories = list(Category.objects.filter(code__in=["A02010105", "A02021000", "A05010200", "A05010300", "A02091200"]))
    department = Department.objects.get(name="总务处")
    user = User.objects.get(username="bench-custodian")
    kinds = ["fixed", "low_value"]
    batch = [
        Asset(asset_number=f"L{n:07d}", name=f"设备{n}", category=categories[n % len(categories)], kind=kinds[n % 2],
              unit_price=Decimal("1200.00"), original_value=Decimal("1200.00"), room=rooms[n % len(rooms)],
              department=department, user=user, booked_on=dt.date(2020 + n % 6, 1 + n % 12, 1))
        for n in range(LIST_SIZE)
    ]
    Asset.objects.bulk_create(batch, batch_size=2000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE assets_asset")


def _naive_asset_list_for(*, user, q="", kind="", condition="", category="", room=None, department=None):
    from assets.models import Asset

    qs = Asset.objects.all()  # no select_related: each row fetches its category, room, building and user
    if kind:
        qs = qs.filter(kind=kind)
    if q:
        qs = qs.filter(name__icontains=q)
    return qs


def _list_samples(client, urls) -> list[float]:
    samples = []
    for n in range(SAMPLES):
        url = urls[n % len(urls)]
        start = time.perf_counter()
        response = client.get(url)
        samples.append(time.perf_counter() - start)
        assert response.status_code == 200, response.status_code
    return samples


def _bench_list(school, user, rooms) -> None:
    _fill_list(rooms)
    connection.set_schema_to_public()
    client = Client(HTTP_HOST=school.host)
    client.force_login(user)
    urls = ["/assets/?kind=fixed&page=3", "/assets/?q=设备12", "/assets/?page=200", "/assets/?condition=in_use&page=7"]
    client.get(urls[0])  # warm up
    ours = p95(_list_samples(client, urls))
    with mock.patch("assets.selectors.asset_list_for", _naive_asset_list_for):
        naive = p95(_list_samples(client, urls))
    _report(f"assets_list_{LIST_SIZE}_p95", ours * 1000, "ms", baseline=naive * 1000, target="<=150ms")
    page = """query($first: Int!) { assetList(first: $first) { edges { node { assetNumber name netValue
      category { code name } room { number building { name } } user { name } department { name } } } } }"""
    counts = {}
    for first in (10, 10, 100):
        with CaptureQueriesContext(connection) as captured:
            result = client.post("/graphql/", {"query": page, "variables": {"first": first}},
                                 content_type="application/json").json()
        assert "errors" not in result, result
        counts[first] = len(captured)
    _report("assets_graphql_page_100_queries", counts[100], "queries", baseline=counts[10], target="=first:10")


def run() -> None:
    school, user, rooms = _world()
    try:
        _bench_import(user)
        _bench_list(school, user, rooms)
    finally:
        connection.set_tenant(school)
        _clear_assets()
        connection.set_schema_to_public()
