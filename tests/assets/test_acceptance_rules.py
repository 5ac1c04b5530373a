"""Acceptance by 财库〔2016〕205号 (issue 23): a named group, the buyer's written confirmation of an agent's
acceptance, staged acceptance of complex goods, and government acceptances without a written plan counted."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from assets import metrics, services
from assets.choices import AcceptanceStage, PurchaseStatus
from assets.models import Acceptance, Asset
from assets.services import AcceptedLine, LineInput
from tenants.metrics import Period

from .factories import DepartmentFactory, category


def _approved(kate, alice, *, staged=False, channel="self"):
    request = services.purchase_request_create(
        actor=kate, department=DepartmentFactory(name="信息中心"), title="录播系统", reason="教学", channel=channel,
        lines=[LineInput(name="录播主机", category=category("A02010105"), quantity=1,
                         estimated_unit_price=Decimal("5600.00"))],
        staged_acceptance=staged,
    )
    services.purchase_request_submit(request=request, actor=kate)
    return services.purchase_request_decide(request=request, actor=alice, approve=True)


def test_an_empty_member_list_is_refused_naming_the_rule(in_school_a, kate, alice, bob):
    request = _approved(kate, alice)
    with pytest.raises(ValidationError) as excinfo:
        services.acceptance_record(request=request, actor=kate, members=[], actual_user=bob,
                                   lines=[AcceptedLine(line=request.lines.get(), accepted=1)])
    assert list(excinfo.value.message_dict) == ["members"]
    assert "财库〔2016〕205号" in excinfo.value.message_dict["members"][0]
    assert not Acceptance.objects.exists()


def test_an_agents_acceptance_needs_the_buyers_written_confirmation(in_school_a, kate, alice, bob):
    request = _approved(kate, alice)
    line = request.lines.get()
    with pytest.raises(ValidationError) as excinfo:
        services.acceptance_record(request=request, actor=kate, members=[kate], actual_user=bob, agent="某招标代理公司",
                                   buyer_confirmation="  ", lines=[AcceptedLine(line=line, accepted=1)])
    assert list(excinfo.value.message_dict) == ["buyer_confirmation"]
    assert not Asset.objects.filter(purchase_line=line).exists()
    acceptance = services.acceptance_record(request=request, actor=kate, members=[kate], actual_user=bob,
                                            agent="某招标代理公司", buyer_confirmation="经核对，同意代理机构验收结论。",
                                            lines=[AcceptedLine(line=line, accepted=1)])
    assert acceptance.agent == "某招标代理公司"


def test_complex_goods_are_booked_at_installation_after_arrival(in_school_a, kate, alice, bob):
    request = _approved(kate, alice, staged=True)
    line = request.lines.get()
    one = [AcceptedLine(line=line, accepted=1)]
    with pytest.raises(ValidationError):  # no stage named
        services.acceptance_record(request=request, actor=kate, members=[kate], actual_user=bob, lines=one)
    with pytest.raises(ValidationError):  # installation before arrival
        services.acceptance_record(request=request, actor=kate, members=[kate], actual_user=bob, lines=one,
                                   stage=AcceptanceStage.INSTALLATION)
    with pytest.raises(ValidationError):  # booked at arrival
        services.acceptance_record(request=request, actor=kate, members=[kate], actual_user=bob, lines=one,
                                   stage=AcceptanceStage.ARRIVAL)
    services.acceptance_record(request=request, actor=kate, members=[kate], actual_user=bob,
                               lines=[AcceptedLine(line=line, accepted=0)], stage=AcceptanceStage.ARRIVAL)
    assert not Asset.objects.filter(purchase_line=line).exists()
    services.acceptance_record(request=request, actor=kate, members=[kate], actual_user=bob, lines=one,
                               stage=AcceptanceStage.INSTALLATION)
    assert Asset.objects.filter(purchase_line=line).count() == 1
    request.refresh_from_db()
    assert request.status == PurchaseStatus.ACCEPTED


def test_government_acceptances_without_a_plan_are_counted(in_school_a, kate, alice, bob):
    from django.utils import timezone

    today = timezone.localdate()
    period = Period(start=today.replace(month=1, day=1), end=today)
    counted = next(m for m in metrics.METRICS if m.key == "assets_acceptances_without_plan")
    request = _approved(kate, alice, channel="government")
    services.acceptance_record(request=request, actor=kate, members=[kate], actual_user=bob,
                               lines=[AcceptedLine(line=request.lines.get(), accepted=1)])
    assert counted.compute(period) == 1
    other = _approved(kate, alice, channel="government")
    services.acceptance_record(request=other, actor=kate, members=[kate], actual_user=bob, plan="到货当日由验收小组按合同逐项核对",
                               lines=[AcceptedLine(line=other.lines.get(), accepted=1)])
    assert counted.compute(period) == 1
