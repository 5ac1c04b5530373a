"""The re-classification of cards booked wrongly (migration assets 0011 and the service), its report and its
confirmation; the annual full stocktake as an overdue to-do item (issue 23)."""

from __future__ import annotations

import datetime as dt
import importlib
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.utils import timezone

from assets import metrics, services
from assets.choices import AssetKind, StocktakeStatus
from assets.models import Asset, Reclassification, Stocktake
from core.todo import todo_for

from .factories import AssetFactory, RoomFactory, category

MIGRATION = importlib.import_module("assets.migrations.0011_reclassification")


class _Editor:
    connection = connection


def _wrong_book(price="5000.00", **kw):
    return AssetFactory(name="大百科全书", category=category("A04010100"), kind=AssetKind.CONSUMABLE,
                        unit_price=Decimal(price), original_value=Decimal(price), **kw)


def test_the_migration_reclassifies_a_book_of_5000_and_writes_the_report(in_school_a):
    book = _wrong_book()
    cheap = _wrong_book(price="360.00")
    right = AssetFactory(kind=AssetKind.FIXED)  # a ¥5,600 computer, booked right
    MIGRATION.reclassify(apps, _Editor())
    assert Asset.objects.get(pk=book.pk).kind == AssetKind.FIXED
    assert Asset.objects.get(pk=cheap.pk).kind == AssetKind.LOW_VALUE
    assert Asset.objects.get(pk=right.pk).kind == AssetKind.FIXED
    rows = {r.asset_id: r for r in Reclassification.objects.all()}
    assert set(rows) == {book.pk, cheap.pk}
    assert (rows[book.pk].old_kind, rows[book.pk].new_kind, rows[book.pk].rule) == (
        "consumable", "fixed", "assets.fixed_threshold")
    assert "1000" in rows[book.pk].reason
    assert rows[book.pk].confirmed_at is None
    MIGRATION.reclassify(apps, _Editor())  # a second run finds nothing more
    assert Reclassification.objects.count() == 2


def test_a_hand_typed_pen_as_fixed_is_reclassified_by_the_service(in_school_a):
    pen = AssetFactory(name="签字笔", category=category("A05010201"), kind=AssetKind.FIXED,
                       unit_price=Decimal("10.00"), original_value=Decimal("10.00"))
    made = services.asset_kinds_reclassify(source="test")
    assert [(r.asset_id, r.new_kind) for r in made] == [(pen.pk, AssetKind.LOW_VALUE)]


def test_the_custodian_confirms_the_report_a_teacher_cannot(in_school_a, kate, bob):
    _wrong_book()
    services.asset_kinds_reclassify(source="test")
    with pytest.raises(PermissionDenied):
        services.reclassifications_confirm(actor=bob)
    assert services.reclassifications_confirm(actor=kate) == 1
    row = Reclassification.objects.get()
    assert row.confirmed_by == kate
    assert row.confirmed_at is not None


def test_the_report_page_and_its_confirm_button(in_school_a, client_for, kate, school_a):
    _wrong_book()
    services.asset_kinds_reclassify(source="test")
    client = client_for(kate, school_a)
    page = client.get("/assets/reclassifications/")
    assert page.status_code == 200
    assert "大百科全书" in page.content.decode()
    assert 'data-testid="confirm"' in page.content.decode()
    connection.set_tenant(school_a)
    keys = [s.key for s in todo_for(user=kate)]
    assert "assets.reclassification_confirm" in keys
    assert client.post("/assets/reclassifications/").status_code == 302
    connection.set_tenant(school_a)
    assert Reclassification.objects.filter(confirmed_at__isnull=True).count() == 0


def _finished(rooms, *, kate, days_ago=10):
    stocktake = Stocktake.objects.create(name="盘点", created_by=kate, status=StocktakeStatus.FINISHED,
                                         finished_at=timezone.now() - dt.timedelta(days=days_ago))
    stocktake.rooms.set(rooms)
    return stocktake


def test_the_annual_full_stocktake(in_school_a, kate):
    assert metrics.full_stocktake_overdue() is None  # no property: not applicable yet
    first, second = RoomFactory(), RoomFactory()
    AssetFactory(room=first)
    AssetFactory(room=second)
    assert metrics.full_stocktake_overdue() == 1  # never counted
    assert "assets.annual_stocktake" in [s.key for s in todo_for(user=kate)]
    _finished([first], kate=kate)  # one room only: not a full stocktake
    assert metrics.full_stocktake_overdue() == 1
    _finished([first, second], kate=kate, days_ago=366)  # full, but over a year ago
    assert metrics.full_stocktake_overdue() == 1
    _finished([first, second], kate=kate, days_ago=365)  # full, a year ago to the day
    assert metrics.full_stocktake_overdue() == 0
    assert "assets.annual_stocktake" not in [s.key for s in todo_for(user=kate)]
