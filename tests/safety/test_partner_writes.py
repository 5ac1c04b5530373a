"""Partner writes at the service level: a partner is named on every row, and an anonymous caller is no one."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from safety.models import Hazard, Patrol, Visitor
from safety.services import hazard_rectify, hazard_report, patrol_record, visitor_register


def test_partner_write_without_the_partners_name_is_refused(in_school_a):
    with pytest.raises(PermissionDenied):
        visitor_register(actor=None, name="李四", id_number="", host_name="总务处", purpose="送货",
                         host_verified=True, by_partner=True, partner_name="  ")
    with pytest.raises(PermissionDenied):
        patrol_record(actor=None, shift="night", route="东门", started_at=timezone.now(), by_partner=True)
    assert (Visitor.objects.count(), Patrol.objects.count()) == (0, 0)


def test_a_person_is_still_judged_by_role_when_not_by_partner(in_school_a, bob):
    # bob (a teacher) naming a partner does not make him one
    with pytest.raises(PermissionDenied):
        visitor_register(actor=bob, name="李四", id_number="", host_name="总务处", purpose="送货",
                         host_verified=True, partner_name="物业公司")
    assert Visitor.objects.count() == 0


def test_partner_hazard_names_the_partner_and_no_reporter(in_school_a):
    hazard = hazard_report(reporter=None, category="fire", description="灭火器过期", location_text="二楼走廊",
                           by_partner=True, partner_name="物业公司")
    assert (hazard.partner_name, hazard.reporter_id, hazard.reported_by) == ("物业公司", None, "物业公司（合作方）")


def test_anonymous_caller_cannot_rectify_a_hazard_without_a_responsible_person(in_school_a, alice):
    # given a hazard nobody is responsible for yet (responsible_id is None, as is an anonymous user's pk)
    hazard = hazard_report(reporter=alice, category="fire", description="灭火器过期", location_text="二楼走廊")
    with pytest.raises(PermissionDenied):
        hazard_rectify(actor=AnonymousUser(), hazard=hazard, actions="换了灭火器")
    hazard.refresh_from_db()
    assert (hazard.status, Hazard.objects.get().actions.count()) == ("open", 0)
