"""Buildings by JGJ 125-2016 (issue 23): a D building cannot be marked 观察使用, B/C/D measures and warning signs."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from schools import metrics, services
from schools.choices import Handling, SafetyGrade
from schools.models import Building, BuildingAppraisal
from tests.schools.factories import BuildingFactory

DAY = dt.date(2025, 10, 20)


@pytest.mark.parametrize("handling", [Handling.OBSERVE, Handling.TREAT, ""])
def test_a_d_building_marked_for_use_is_refused(in_school_a, alice, handling):
    building = BuildingFactory(name="危楼")
    with pytest.raises(ValidationError) as excinfo:
        services.building_appraise(actor=alice, building=building, grade=SafetyGrade.D, appraised_on=DAY,
                                   handling=handling)
    assert list(excinfo.value.message_dict) == ["handling"]
    assert "JGJ 125-2016" in excinfo.value.message_dict["handling"][0]
    assert not BuildingAppraisal.objects.filter(building=building).exists()


@pytest.mark.parametrize("handling", [Handling.STOP, Handling.DEMOLISH])
def test_a_d_building_stopped_or_demolished_passes(in_school_a, alice, handling):
    building = BuildingFactory(name="危楼")
    services.building_appraise(actor=alice, building=building, grade=SafetyGrade.D, appraised_on=DAY, handling=handling)
    assert Building.objects.get(pk=building.pk).safety_grade == "D"


def test_c_building_may_still_be_used_after_treatment(in_school_a, alice):
    building = BuildingFactory()
    services.building_appraise(actor=alice, building=building, grade=SafetyGrade.C, appraised_on=DAY,
                               handling=Handling.TREAT)


def test_a_d_building_in_use_is_flagged(in_school_a):
    assert metrics.buildings_d_in_use_count() is None  # nothing appraised: unknown, not "none"
    BuildingFactory(name="旧危楼", safety_grade="D", handling=Handling.OBSERVE)  # booked before the rule
    BuildingFactory(name="停用楼", safety_grade="D", handling=Handling.STOP)
    assert metrics.buildings_d_in_use_count() == 1


def test_measures_and_warning_signs(in_school_a, alice):
    b = BuildingFactory(name="B楼", safety_grade="B")
    c = BuildingFactory(name="C楼", safety_grade="C", safety_measures="设置临时支撑")
    BuildingFactory(name="A楼", safety_grade="A")
    assert metrics.buildings_unsecured_count() == 2  # B without measures, C without signs
    services.building_save(actor=alice, building=b, safety_measures="封闭二楼走廊")
    assert metrics.buildings_unsecured_count() == 1
    services.building_save(actor=alice, building=c, warning_signs=True)
    assert metrics.buildings_unsecured_count() == 0
