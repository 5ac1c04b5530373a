"""五定 funds of ¥0 do not pass for a major hazard (rule safety.major_hazard_funds, issue 23)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from safety.choices import Area, HazardGrade
from safety.models import Hazard
from safety.services import hazard_report


def _major(sam, funds):
    return {"category": Area.ELECTRICITY, "grade": HazardGrade.MAJOR, "description": "配电箱线路老化",
            "location_text": "教学楼一楼配电间", "responsible": sam, "measures": "更换老化电线", "funds": funds,
            "deadline": dt.date(2026, 12, 20), "contingency_plan": "停用该教室"}


@pytest.mark.parametrize("funds", [Decimal("0"), Decimal("0.00")])
def test_a_major_hazard_with_zero_funds_is_refused_naming_the_rule(in_school_a, sam, funds):
    with pytest.raises(ValidationError) as error:
        hazard_report(reporter=sam, **_major(sam, funds))
    assert list(error.value.message_dict) == ["funds"]
    assert "总局令第16号" in error.value.message_dict["funds"][0]
    assert Hazard.objects.count() == 0


def test_a_cent_of_funds_passes_and_a_general_hazard_needs_none(in_school_a, sam):
    assert hazard_report(reporter=sam, **_major(sam, Decimal("0.01"))).supervised is True
    general = {**_major(sam, Decimal("0")), "grade": HazardGrade.GENERAL}
    assert hazard_report(reporter=sam, **general).pk
