import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from schools.choices import FeedbackChannel, FundingSource, ProjectKind, ServiceKind
from schools.models import (
    Building,
    CapitalProject,
    ConvenienceService,
    Department,
    Feedback,
    LostItem,
    Milestone,
    OnCampusUnit,
    Room,
)


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    name = factory.Sequence(lambda n: f"部门{n}")


class BuildingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Building

    name = factory.Sequence(lambda n: f"{n}号楼")
    year_built = 1990
    floors = 4
    floor_area = Decimal("1200.00")


class RoomFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Room

    building = factory.SubFactory(BuildingFactory)
    number = factory.Sequence(lambda n: f"{100 + n}")
    name = factory.Sequence(lambda n: f"教室{n}")


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OnCampusUnit

    name = factory.Sequence(lambda n: f"租赁单位{n}")
    contact_phone = "13800000000"


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CapitalProject

    title = factory.Sequence(lambda n: f"项目{n}")
    kind = ProjectKind.REINFORCEMENT
    funding_source = FundingSource.FISCAL
    budget = Decimal("100000.00")


class MilestoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Milestone

    project = factory.SubFactory(ProjectFactory)
    title = "审图"
    planned_on = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=10))


class FeedbackFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Feedback

    channel = FeedbackChannel.BOX
    content = "宿舍热水不热"
    received_at = factory.LazyFunction(timezone.now)
    callback_due_at = factory.LazyAttribute(lambda o: o.received_at + dt.timedelta(hours=24))


class LostItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LostItem

    item = "手机"
    found_place = "操场"
    found_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=1))


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ConvenienceService

    kind = ServiceKind.UNLOCK
    done_on = factory.LazyFunction(timezone.localdate)
