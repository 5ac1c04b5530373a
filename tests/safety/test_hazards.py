"""Hazards: 五定, rectification, verification by someone else, closure, overdue escalation, the rate."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from safety.choices import Area, HazardGrade, HazardStatus, ItemResult, RoundKind
from safety.models import Hazard, InspectionRound
from safety.selectors import hazard_stats
from safety.services import (
    campaign_round_open,
    hazard_rectify,
    hazard_report,
    hazard_verify,
    hazards_escalate_overdue,
    round_item_check,
    round_open,
)
from safety.terms import term_of
from tenants.models import Notification

from .factories import HazardFactory

FIVE = {
    "responsible": None,  # filled per test
    "measures": "更换老化电线",
    "funds": Decimal("3500.00"),
    "deadline": dt.date(2026, 12, 20),
    "contingency_plan": "停用该教室，学生转至多功能室",
}


def _major(**overrides):
    return {"category": Area.ELECTRICITY, "grade": HazardGrade.MAJOR, "description": "配电箱线路老化",
            "location_text": "教学楼一楼配电间", **FIVE, **overrides}


@pytest.mark.parametrize("missing", ["responsible", "measures", "funds", "deadline", "contingency_plan"])
def test_major_hazard_missing_any_of_the_five_fixes_is_refused(in_school_a, sam, missing):
    # given a major hazard with one of the 五定 left out
    fields = _major(responsible=sam)
    fields[missing] = None if missing in ("responsible", "funds", "deadline") else ""

    # when it is reported, then it is refused naming the missing one, and nothing is stored
    with pytest.raises(ValidationError) as error:
        hazard_report(reporter=sam, **fields)
    assert list(error.value.message_dict) == [missing]
    assert Hazard.objects.count() == 0


def test_major_hazard_with_five_fixes_is_supervised(in_school_a, sam):
    hazard = hazard_report(reporter=sam, **_major(responsible=sam))
    assert hazard.supervised is True
    assert hazard.status == HazardStatus.OPEN


def test_hazard_needs_a_location(in_school_a, sam):
    with pytest.raises(ValidationError) as error:
        hazard_report(reporter=sam, category=Area.SURROUNDINGS, description="流动摊贩")
    assert "location_text" in error.value.message_dict
    assert Hazard.objects.count() == 0


def test_rectified_then_verified_by_another_closes(in_school_a, sam, mia):
    hazard = hazard_report(reporter=sam, category=Area.FIRE, description="灭火器过期", location_text="二楼走廊")
    hazard_rectify(actor=mia, hazard=hazard, actions="更换灭火器 4 具")
    hazard = hazard_verify(actor=sam, hazard=hazard, accepted=True, note="已核查")
    assert hazard.status == HazardStatus.CLOSED
    assert hazard.verified_by == sam
    assert hazard.rectified_by == mia
    assert [a.text for a in hazard.actions.all()] == ["更换灭火器 4 具"]


def test_closing_without_verification_is_refused(in_school_a, sam):
    # given an open hazard that nobody rectified
    hazard = hazard_report(reporter=sam, category=Area.FIRE, description="灭火器过期", location_text="二楼走廊")

    # when someone tries to close it, then it is refused and stays open
    with pytest.raises(ValidationError) as error:
        hazard_verify(actor=sam, hazard=hazard, accepted=True)
    assert error.value.message_dict["status"] == ["隐患须先登记整改并经验收后才能销号。"]
    hazard.refresh_from_db()
    assert hazard.status == HazardStatus.OPEN

    # and the database itself refuses a closed hazard without a verification
    with pytest.raises(IntegrityError), transaction.atomic():
        Hazard.objects.filter(pk=hazard.pk).update(status=HazardStatus.CLOSED)
    hazard.refresh_from_db()
    assert hazard.status == HazardStatus.OPEN


def test_verifying_your_own_rectification_is_refused(in_school_a, sam):
    hazard = hazard_report(reporter=sam, category=Area.FIRE, description="灭火器过期", location_text="二楼走廊")
    hazard_rectify(actor=sam, hazard=hazard, actions="更换灭火器")

    with pytest.raises(ValidationError) as error:
        hazard_verify(actor=sam, hazard=hazard, accepted=True)

    assert error.value.message_dict["verified_by"] == ["整改须由整改人以外的人员验收。"]
    hazard.refresh_from_db()
    assert hazard.status == HazardStatus.RECTIFIED
    assert hazard.verified_by is None


def test_only_the_principal_verifies_a_major_hazard(in_school_a, sam, mia, alice):
    hazard = hazard_report(reporter=sam, **_major(responsible=mia))
    hazard_rectify(actor=mia, hazard=hazard, actions="更换线路")

    with pytest.raises(PermissionDenied):
        hazard_verify(actor=sam, hazard=hazard, accepted=True)
    hazard.refresh_from_db()
    assert hazard.status == HazardStatus.RECTIFIED

    assert hazard_verify(actor=alice, hazard=hazard, accepted=True).status == HazardStatus.CLOSED


def test_refused_rectification_reopens(in_school_a, sam, mia):
    hazard = hazard_report(reporter=sam, category=Area.FIRE, description="疏散指示灯不亮", location_text="三楼")
    hazard_rectify(actor=mia, hazard=hazard, actions="换灯泡")
    hazard = hazard_verify(actor=sam, hazard=hazard, accepted=False, note="仍不亮")
    assert hazard.status == HazardStatus.OPEN
    assert hazard.rectified_by is None


def test_teacher_cannot_rectify_unless_responsible(in_school_a, sam, bob):
    hazard = hazard_report(reporter=sam, category=Area.FIRE, description="x", location_text="y")
    with pytest.raises(PermissionDenied):
        hazard_rectify(actor=bob, hazard=hazard, actions="做了")
    hazard.refresh_from_db()
    assert hazard.status == HazardStatus.OPEN


def test_rate_is_rectified_over_found(in_school_a, sam, mia):
    # given 7 hazards found this term, 5 of them closed after verification
    today = dt.date(2026, 11, 25)
    hazards = [HazardFactory(found_on=dt.date(2026, 10, 1) + dt.timedelta(days=i), reporter=sam) for i in range(7)]
    for hazard in hazards[:5]:
        hazard_rectify(actor=mia, hazard=hazard, actions="已整改")
        hazard_verify(actor=sam, hazard=hazard, accepted=True)
    Hazard.objects.filter(pk=hazards[5].pk).update(deadline=dt.date(2026, 11, 1))
    HazardFactory(found_on=dt.date(2026, 3, 1))  # last term: not counted

    # when the term's figures are computed
    stats = hazard_stats(period=term_of(today), on=today)

    # then 5 ÷ 7 = 71%
    assert stats["found"] == 7
    assert stats["rectified"] == 5
    assert stats["rate_percent"] == 71
    assert stats["open"] == 2
    assert stats["overdue"] == 1
    assert stats["major_open"] == 0


def test_overdue_hazards_are_escalated_once(in_school_a, sam, mia):
    hazard = HazardFactory(reporter=sam, responsible=mia, deadline=dt.date(2026, 11, 1))
    HazardFactory(reporter=sam, deadline=dt.date(2026, 12, 31))

    assert hazards_escalate_overdue(on=dt.date(2026, 11, 25)) == 1
    assert hazards_escalate_overdue(on=dt.date(2026, 11, 26)) == 0

    hazard.refresh_from_db()
    assert hazard.escalated_on == dt.date(2026, 11, 25)
    recipients = set(Notification.objects.filter(kind="safety.hazard_overdue").values_list("recipient__username", flat=True))
    assert {"mia", "sam", "alice"} <= recipients
    assert Notification.objects.filter(kind="safety.hazard_overdue", recipient=mia).count() == 1


def test_failed_check_item_opens_a_hazard(in_school_a, sam):
    round_ = round_open(actor=sam, kind=RoundKind.SWEEP, title="十一月普查", started_on=dt.date(2026, 11, 2),
                        items=[{"area": Area.FIRE, "text": "灭火器在有效期内"}, {"area": Area.FOOD, "text": "留样 48 小时"}])
    first, second = round_.items.all()
    round_item_check(actor=sam, item=first, result=ItemResult.FAIL, note="两具过期",
                     hazard={"location_text": "二楼走廊"})
    round_item_check(actor=sam, item=second, result=ItemResult.PASS)

    hazard = Hazard.objects.get()
    assert hazard.round == round_
    assert hazard.category == Area.FIRE
    assert hazard.description == "两具过期"


def test_campaign_round_is_opened_once(in_school_a):
    items = [{"area": Area.TRAFFIC, "text": "校门口交通标志"}]
    first = campaign_round_open(campaign_id=42, title="冬季专项检查", items=items, due_on=dt.date(2026, 12, 15))
    again = campaign_round_open(campaign_id=42, title="冬季专项检查", items=items, due_on=dt.date(2026, 12, 15))
    assert first.pk == again.pk
    assert first.kind == RoundKind.CAMPAIGN
    assert InspectionRound.objects.count() == 1
    assert [i.text for i in first.items.all()] == ["校门口交通标志"]


def test_general_hazard_gets_a_default_deadline(in_school_a, sam):
    hazard = hazard_report(reporter=sam, category=Area.FOOD, description="留样不全", location_text="食堂",
                           found_on=dt.date(2026, 11, 2))
    assert hazard.deadline == dt.date(2026, 12, 2)


def test_overdue_major_hazard_reaches_the_bureau_safety_section(in_school_a, sam, bureau_north):
    from tenants.models import User
    from tenants.roles import Role
    from tenants.services import membership_grant

    section = User.objects.create_user(username="sally", password="x-pass-42", name="安全股")
    membership_grant(user=section, role=Role.BUREAU_SAFETY, bureau=bureau_north)
    hazard = hazard_report(reporter=sam, **_major(responsible=sam, deadline=dt.date(2026, 11, 1)))
    hazard_report(reporter=sam, category=Area.FIRE, description="一般隐患", location_text="x",
                  deadline=dt.date(2026, 11, 1))

    assert hazards_escalate_overdue(on=dt.date(2026, 11, 25)) == 2

    titles = list(Notification.objects.filter(recipient=section).values_list("title", flat=True))
    assert titles == [f"隐患逾期未整改：{hazard.description}"]
