"""A stocktake's assets that are away: under repair (维修中, with the work order) is neither 盘亏 nor proposed for
disposal, as out on loan is 借出 (issue 20, part 2); and GraphQL reads a stocktake's loans, repairs, signatures
and draft cards (issue 20)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone, translation

from api.services import api_token_create, partner_client_create
from assets import metrics, selectors, services
from assets.choices import Condition, Resolution
from assets.models import Disposal, StocktakeResolution
from repairs.choices import Severity
from repairs.services import work_order_complete, work_order_report, work_order_triage
from tenants.roles import Role
from tests.api.conftest import BearerClient

from .factories import AssetFactory, RoomFactory


@pytest.fixture
def away(in_school_a, kate, bob):
    """Room 一班: a computer in place, a projector lent to bob, a printer with an open work order, a camera under
    repair by its card alone (returned damaged from a loan), and a scanner nobody will find."""
    room = RoomFactory(number="101", name="一班")
    computer = AssetFactory(room=room, name="台式计算机")
    projector = AssetFactory(room=room, name="投影仪")
    printer = AssetFactory(room=room, name="打印机")
    camera = AssetFactory(room=room, name="照相机")
    scanner = AssetFactory(room=room, name="扫描仪")
    due = timezone.localdate() + dt.timedelta(days=7)
    loan = services.loan_create(asset=projector, borrower=bob, actor=kate, due_on=due)
    services.loan_create(asset=camera, borrower=bob, actor=kate, due_on=due)
    services.loan_return(asset=camera, actor=kate, damaged=True)
    order = work_order_report(reporter=bob, title="打印机卡纸", room=room, asset=printer)
    stocktake = services.stocktake_create(actor=kate, name="2026秋盘点", rooms=[room])
    return {"room": room, "computer": computer, "projector": projector, "printer": printer, "camera": camera,
            "scanner": scanner, "loan": loan, "order": order, "stocktake": stocktake}


def _worker():
    """A maintenance worker of school A (orders are assigned to one)."""
    from tests.assets.conftest import _person

    return _person("mia", Role.MAINTENANCE_WORKER, school=connection.tenant)


def _codes(rows) -> list[str]:
    return sorted(r["code"] for r in rows)


def test_an_asset_at_its_repair_is_under_repair_with_its_order_not_missing(away, kate):
    found = selectors.stocktake_discrepancies(stocktake=away["stocktake"], user=kate)

    assert [(r["code"], r["work_order"], r["work_order_reference"]) for r in found["repair"]
            if r["code"] == away["printer"].asset_number] == [
        (away["printer"].asset_number, away["order"], away["order"].reference)
    ]
    assert _codes(found["repair"]) == _codes([{"code": away["printer"].asset_number},
                                              {"code": away["camera"].asset_number}])
    assert _codes(found["missing"]) == _codes([{"code": away["computer"].asset_number},
                                               {"code": away["scanner"].asset_number}])
    assert selectors.stocktake_discrepancy_count(found) == 2


def test_finishing_records_the_repair_with_its_order_and_proposes_no_disposal(away, kate, leo):
    stocktake = away["stocktake"]
    services.stocktake_scan(stocktake=stocktake, room=away["room"], code=away["computer"].asset_number, actor=kate)

    services.stocktake_finish(stocktake=stocktake, actor=kate)

    repair = StocktakeResolution.objects.get(code=away["printer"].asset_number)
    assert (repair.action, repair.work_order_reference, repair.disposal) == (
        Resolution.REPAIR, away["order"].reference, None)
    by_card = StocktakeResolution.objects.get(code=away["camera"].asset_number)
    assert (by_card.action, by_card.work_order_reference) == (Resolution.REPAIR, "")
    # only the scanner, which nobody found, is proposed for write-off
    assert [d.asset for d in Disposal.objects.all()] == [away["scanner"]]
    assert metrics._discrepancies(_Period(stocktake.planned_on)) == 1
    # the result stays 维修中 with the order's reference after the repair is done
    work_order_triage(order=away["order"], actor=leo, severity=Severity.MINOR, assignee=_worker())
    work_order_complete(order=away["order"], actor=_worker(), closing_note="换了搓纸轮", labour_minutes=30)
    found = selectors.stocktake_discrepancies(stocktake=stocktake, user=kate)
    assert [(r["code"], r["work_order_reference"]) for r in found["repair"]
            if r["code"] == away["printer"].asset_number] == [(away["printer"].asset_number, away["order"].reference)]
    assert _codes(found["missing"]) == [away["scanner"].asset_number]


class _Period:
    def __init__(self, day):
        self.range = (day, day)


def test_a_repaired_asset_not_found_is_missing_again(away, kate, leo):
    """Once its order is done and the card is back in use, an unscanned printer is 盘亏 like any other."""
    work_order_triage(order=away["order"], actor=leo, severity=Severity.MINOR, assignee=_worker())
    assert away["printer"].__class__.objects.get(pk=away["printer"].pk).condition == Condition.UNDER_REPAIR
    work_order_complete(order=away["order"], actor=_worker(), closing_note="修好了", labour_minutes=10)

    found = selectors.stocktake_discrepancies(stocktake=away["stocktake"], user=kate)

    assert away["printer"].asset_number in _codes(found["missing"])
    assert _codes(found["repair"]) == [away["camera"].asset_number]


def test_the_count_page_lists_the_assets_at_repair_apart(client_for, school_a, away, kate):
    url = f"/assets/stocktakes/{away['stocktake'].pk}/rooms/{away['room'].pk}/"
    connection.set_schema_to_public()
    page = client_for(kate, school_a).get(url).content.decode()
    expected = page.split('data-testid="expected"', 1)[1].split("</ul>", 1)[0]
    repair = page.split('data-testid="repair"', 1)[1].split("</ul>", 1)[0]
    assert away["printer"].asset_number not in expected
    assert away["camera"].asset_number not in expected
    assert away["scanner"].asset_number in expected
    assert away["printer"].asset_number in repair
    assert away["order"].reference in repair
    assert away["camera"].asset_number in repair
    assert "2 件维修中" in page

    detail = client_for(kate, school_a).get(f"/assets/stocktakes/{away['stocktake'].pk}/").content.decode()
    table = detail.split('data-testid="repair"', 1)[1].split("</table>", 1)[0]
    assert "维修中" in table
    assert f'/repairs/{away["order"].pk}/' in table


def test_progress_shows_the_assets_at_repair_apart(away, kate):
    from assets.charts import stocktake_progress

    services.stocktake_scan(stocktake=away["stocktake"], room=away["room"], code=away["computer"].asset_number,
                            actor=kate)
    with translation.override("zh-hans"):
        chart = stocktake_progress(stocktake=away["stocktake"])
    data = {s["name"]: s["data"] for s in chart["series"]}
    assert (data["已盘点"], data["借出"], data["维修中"], data["未盘点"], data["账面数"]) == ([1], [1], [2], [1], [5])


# ---------------------------------------------------------------- GraphQL

RESULT = """{ stocktakeList(first: 1) { edges { node { name
  missing { code }
  lent { code assetName borrower lentOn dueOn isOverdue scannedRoom }
  underRepair { code assetName bookedRoom workOrderReference }
  signatures { signedAt signer { name } }
  drafts { code description room { number } asset { assetNumber } }
} } } }"""


@pytest.fixture
def finished(away, kate, bob):
    stocktake = away["stocktake"]
    services.stocktake_scan(stocktake=stocktake, room=away["room"], code=away["computer"].asset_number, actor=bob)
    services.stocktake_scan(stocktake=stocktake, room=away["room"], code="", actor=kate, description="铁皮文件柜")
    services.stocktake_finish(stocktake=stocktake, actor=kate)
    services.stocktake_sign(stocktake=stocktake, actor=bob)
    services.stocktake_sign(stocktake=stocktake, actor=kate)
    connection.set_schema_to_public()
    return away


def _node(result) -> dict:
    assert "errors" not in result, result
    [edge] = result["data"]["stocktakeList"]["edges"]
    return edge["node"]


def test_graphql_reads_the_loans_repairs_signatures_and_drafts(client_for, school_a, finished, kate, bob):
    node = _node(client_for(kate, school_a).gql(RESULT))

    assert node["lent"] == [{
        "code": finished["projector"].asset_number, "assetName": "投影仪", "borrower": bob.name,
        "lentOn": finished["loan"].lent_on.isoformat(), "dueOn": finished["loan"].due_on.isoformat(),
        "isOverdue": False, "scannedRoom": None,
    }]
    assert sorted((r["code"], r["workOrderReference"]) for r in node["underRepair"]) == sorted([
        (finished["printer"].asset_number, finished["order"].reference), (finished["camera"].asset_number, None),
    ])
    assert [r["code"] for r in node["missing"]] == [finished["scanner"].asset_number]
    assert [s["signer"]["name"] for s in node["signatures"]] == [bob.name, kate.name]
    assert node["drafts"] == [{"code": "NOLABEL-1", "description": "铁皮文件柜", "room": {"number": "101"},
                               "asset": None}]


def test_graphql_lent_while_counting_carries_the_live_loan(client_for, school_a, away, kate, bob):
    """Before counting finishes the loan is read from the asset (the page of stocktakes prefetches it)."""
    connection.set_schema_to_public()
    node = _node(client_for(kate, school_a).gql(RESULT))
    assert [(r["code"], r["borrower"], r["dueOn"]) for r in node["lent"]] == [
        (away["projector"].asset_number, bob.name, away["loan"].due_on.isoformat())
    ]
    assert (away["printer"].asset_number, away["order"].reference) in [
        (r["code"], r["workOrderReference"]) for r in node["underRepair"]]
    assert (node["signatures"], node["drafts"]) == ([], [])


def _partner(oscar, school, scopes: list[str], name: str) -> BearerClient:
    client = partner_client_create(actor=oscar, name=name, bureau=None, scopes=scopes, grant_bureau=None,
                                   schools=[school])
    _token, raw = api_token_create(actor=oscar, client=client, name="main")
    return BearerClient(school.host, raw)


def test_graphql_drafts_are_for_the_custodians_and_partners_not_every_teacher(
    client_for, school_a, finished, bob, oscar
):
    teacher = _node(client_for(bob, school_a).gql(RESULT))
    assert teacher["drafts"] == []
    assert [s["signer"]["name"] for s in teacher["signatures"]] == [bob.name, "Kate"]

    # a partner reading assets gets the draft cards and the signatures (the discrepancy lists are for people)
    cards = "{ stocktakeList(first: 1) { edges { node { name signatures { signer { name } } drafts { code } } } } }"
    partner = _node(_partner(oscar, school_a, ["assets:read"], "物业公司").gql(cards))
    assert [d["code"] for d in partner["drafts"]] == ["NOLABEL-1"]
    assert [s["signer"]["name"] for s in partner["signatures"]] == [bob.name, "Kate"]

    refused = _partner(oscar, school_a, ["repairs:read"], "维修公司").gql(cards)
    assert refused["data"] is None
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
