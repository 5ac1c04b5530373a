"""The seed's demo rows: the term's purchases with the seed's own figures."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Sum

from assets.choices import Condition, PurchaseStatus, StocktakeStatus
from assets.demo import load_school
from assets.models import Asset, ConsumableItem, Loan, PurchaseRequest, Requisition, Stocktake
from tenants.roles import Role

from .conftest import _person


def test_seed_demo_has_the_seed_figures(in_school_a, alice, bob, gina, kate, leo, nora):
    people = {
        Role.PRINCIPAL: alice, Role.TEACHER: bob, Role.GUARD: gina, Role.CUSTODIAN: kate, Role.LOGISTICS_DIRECTOR: leo,
        Role.SAFETY_OFFICER: _person("sam", Role.SAFETY_OFFICER, school=in_school_a),
    }
    load_school(school=in_school_a, people=people, seed=True)

    computers = PurchaseRequest.objects.get(title="计算机室电脑更新")
    assert (computers.channel, computers.estimated_total, computers.status) == ("government", Decimal("56000.00"), PurchaseStatus.ACCEPTED)
    assert [a.level for a in computers.approvals.all()] == ["school", "bureau"]
    assert Asset.objects.filter(name="台式计算机").count() == 10
    epidemic = PurchaseRequest.objects.get(title="防疫物资")
    assert epidemic.estimated_total == Decimal("2000.00")
    assert Asset.objects.get(name="音响设备").original_value == Decimal("4700.00")
    assert Asset.objects.get(name="课桌套").quantity == 400
    assert Asset.objects.get(name="塑料凳").quantity == 400
    assert Asset.objects.get(name="午休躺椅").quantity == 35
    assert Asset.objects.get(name="书法桌").quantity == 20
    assert Asset.objects.filter(name="办公桌(二手)").aggregate(v=Sum("original_value"))["v"] == Decimal("300.00")
    assert ConsumableItem.objects.get(name="口罩").on_hand == 60
    assert ConsumableItem.objects.get(name="84消毒液").on_hand == 4
    assert Requisition.objects.count() == 2
    assert Loan.objects.filter(returned_on__isnull=True).count() == 1
    assert Asset.objects.filter(condition=Condition.LENT).count() == 1
    assert Stocktake.objects.get().status == StocktakeStatus.FINISHED
