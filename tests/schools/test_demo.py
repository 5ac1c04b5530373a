from decimal import Decimal

import pytest

from schools.choices import Handling, ProjectKind, ProjectStage, SafetyGrade, ServiceKind
from schools.demo import STANDARD_ROOMS, load_school
from schools.models import Building, CapitalProject, ConvenienceService, Feedback, LostItem, OnCampusUnit
from schools.selectors import room_by_name, weak_buildings_without_project
from tenants.models import User
from tenants.roles import Role


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


def _people():
    return {role: User.objects.create_user(username=f"demo-{role}", name=str(role)) for role in Role.values}


def test_seed_school_carries_the_seeds_facts(school_a, in_school_a, media):
    load_school(school=school_a, people=_people(), seed=True)

    building = Building.objects.get(name="1号教学楼")
    assert (building.safety_grade, building.handling) == (SafetyGrade.C, Handling.DEMOLISH)
    reinforcement = CapitalProject.objects.get(title="1号教学楼加固及改造")
    assert reinforcement.stage == ProjectStage.PROCUREMENT
    assert str(reinforcement.approval_date) == "2026-06-03"
    assert reinforcement.milestones.filter(title="市审图办审图通过", done_on__isnull=True).count() == 1
    assert list(weak_buildings_without_project(user=None)) == []  # the C building is under an active project
    land = CapitalProject.objects.get(kind=ProjectKind.LAND)
    assert land.documents.filter(title__startswith="平面图效果设计图").count() == 2
    assert CapitalProject.objects.get(kind=ProjectKind.CAMPUS_CULTURE).contracts.get().party == "成都三顾茅庐校园文化策划公司"
    hall = CapitalProject.objects.get(title__startswith="功能厅")
    assert (hall.budget, hall.stage) == (Decimal("20000.00"), ProjectStage.CLOSED)
    assert room_by_name("功能厅").area == Decimal("90.00")
    wall = CapitalProject.objects.get(title__contains="围墙")
    assert (wall.budget, wall.stage) == (Decimal("0.00"), ProjectStage.CLOSED)
    assert set(OnCampusUnit.objects.values_list("name", flat=True)) == {"幼儿园", "厨师学校"}
    assert LostItem.objects.filter(item="手机").count() == 2
    assert LostItem.objects.filter(item="钱包").count() == 9
    assert sum(i.amount for i in LostItem.objects.filter(item="现金")) == Decimal("1050")
    assert sum(i.quantity for i in LostItem.objects.filter(item="校园卡")) == 228
    assert sum(s.count for s in ConvenienceService.objects.filter(kind=ServiceKind.HOSPITAL)) == 8
    assert ConvenienceService.objects.filter(kind=ServiceKind.WINDOW).count() == 12
    assert set(Feedback.objects.values_list("channel", flat=True)) == {"box", "phone", "face", "forum", "form", "online"}
    assert all(room_by_name(name) is not None for _b, _f, _n, name, *_rest in STANDARD_ROOMS)


def test_generated_school_is_smaller_and_has_the_standard_rooms(school_a, in_school_a, media):
    load_school(school=school_a, people=_people(), seed=False)
    assert Building.objects.count() == 4
    assert all(room_by_name(name) is not None for _b, _f, _n, name, *_rest in STANDARD_ROOMS)
    assert not CapitalProject.objects.filter(title="1号教学楼加固及改造").exists()
