from __future__ import annotations

import factory

from schools.models import Building, Room


class BuildingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Building
        django_get_or_create = ("name",)

    name = "1号教学楼"


class RoomFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Room

    building = factory.SubFactory(BuildingFactory)
    number = factory.Sequence(lambda n: f"{101 + n}")
    name = "教室"
