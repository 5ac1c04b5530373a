"""Factories of safety rows (run inside a school's schema)."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from safety import models
from safety.choices import Area, HazardGrade


class HazardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Hazard

    found_on = factory.LazyFunction(timezone.localdate)
    location_text = "东门外"
    category = Area.SURROUNDINGS
    grade = HazardGrade.GENERAL
    description = factory.Sequence(lambda n: f"隐患{n}")


class VisitorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Visitor

    name = factory.Sequence(lambda n: f"访客{n}")
    id_number_masked = "110***********1234"
    host_name = "王老师"
    purpose = "家访"
    in_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(hours=1))


class DrillFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Drill

    kind = "fire"
    held_on = factory.LazyFunction(timezone.localdate)
    participants = 480
