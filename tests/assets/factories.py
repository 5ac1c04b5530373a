"""Factories for asset tests (run inside a school's schema)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory

from assets.models import Asset, Category, ConsumableItem, Supplier
from schools.models import Building, Department, Room


class BuildingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Building
        django_get_or_create = ("name",)

    name = "教学楼"


class RoomFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Room

    building = factory.SubFactory(BuildingFactory)
    number = factory.Sequence(lambda n: f"R{n:03d}")
    name = factory.Sequence(lambda n: f"房间{n}")


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"部门{n}")


class SupplierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Supplier

    name = factory.Sequence(lambda n: f"供应商{n}")


def category(code: str = "A02010105") -> Category:
    return Category.objects.get(code=code)


class AssetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Asset

    asset_number = factory.Sequence(lambda n: f"T{n:08d}")
    name = "台式计算机"
    category = factory.LazyFunction(category)
    kind = "fixed"
    unit_price = Decimal("5600.00")
    original_value = Decimal("5600.00")
    booked_on = dt.date(2024, 1, 15)
    room = factory.SubFactory(RoomFactory)


class ConsumableItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ConsumableItem

    name = factory.Sequence(lambda n: f"口罩{n}")
    unit = "个"
    unit_price = Decimal("1.00")
