"""Counting a stocktake on a phone and reconciling its result into the cards (issue 20, part 2).

A label's URL opened by a counter during an open stocktake counts the asset in the room they are counting; an
asset out on loan is 借出 with its borrower and due date; finishing gives each found item a draft card and each
missing asset a disposal proposal; the counters sign the result.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone, translation

from assets import metrics, selectors, services
from assets.choices import Condition, DisposalMethod, DisposalStatus, Finding, Resolution, StocktakeStatus
from assets.labels import qr_url
from assets.models import Asset, AssetDraft, Disposal, StocktakeResolution, StocktakeScan, StocktakeSignature

from .factories import AssetFactory, RoomFactory, category


@pytest.fixture
def counted(in_school_a, kate, bob):
    """Room 一班 with a computer in place, a projector out on loan to bob, and a printer nobody will find."""
    room = RoomFactory(number="101", name="一班")
    other = RoomFactory(number="102", name="二班")
    computer = AssetFactory(room=room, name="台式计算机")
    projector = AssetFactory(room=room, name="投影仪")
    printer = AssetFactory(room=room, name="打印机")
    loan = services.loan_create(
        asset=projector, borrower=bob, actor=kate, due_on=timezone.localdate() + dt.timedelta(days=7)
    )
    stocktake = services.stocktake_create(actor=kate, name="2026秋盘点", rooms=[room, other])
    return {
        "room": room,
        "other": other,
        "computer": computer,
        "projector": projector,
        "printer": printer,
        "loan": loan,
        "stocktake": stocktake,
    }


def _label(school, asset) -> str:
    """The path of what the asset's QR label opens."""
    return "/assets/" + qr_url(school, asset).split("/assets/", 1)[1]


def _scan_url(world, room=None):
    return f"/assets/stocktakes/{world['stocktake'].pk}/rooms/{(room or world['room']).pk}/"


# ---------------------------------------------------------------- the service


def test_an_unknown_number_is_refused_in_chinese_and_changes_nothing(counted, kate):
    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        services.stocktake_scan(
            stocktake=counted["stocktake"],
            room=counted["room"],
            code="ZC-404",
            actor=kate,
            allow_unknown=False,
        )
    assert refused.value.message_dict["code"] == [
        "没有编号为 ZC-404 的资产。请核对编号；账外物品请勾选「账外物品（盘盈）」后登记。"
    ]
    assert not StocktakeScan.objects.exists()


def test_a_room_outside_the_stocktake_is_refused(in_school_a, counted, kate):
    with pytest.raises(ValidationError):
        services.stocktake_scan(
            stocktake=counted["stocktake"],
            room=RoomFactory(),
            code=counted["computer"].asset_number,
            actor=kate,
        )
    assert not StocktakeScan.objects.exists()


def test_a_lent_asset_is_lent_with_its_borrower_and_due_date_not_in_place(counted, kate, bob):
    # when the projector's label is scanned where it is booked
    scan = services.stocktake_scan(
        stocktake=counted["stocktake"],
        room=counted["room"],
        code=counted["projector"].asset_number,
        actor=kate,
    )

    # then it is 借出, with bob's loan, and listed as lent (neither in place nor a discrepancy)
    assert scan.finding == Finding.LENT
    assert scan.loan == counted["loan"]
    with translation.override("zh-hans"):
        assert scan.get_finding_display() == "借出"
    found = selectors.stocktake_discrepancies(stocktake=counted["stocktake"], user=kate)
    assert [(r["code"], r["loan"].borrower, r["loan"].due_on) for r in found["lent"]] == [
        (counted["projector"].asset_number, bob, counted["loan"].due_on)
    ]
    assert counted["projector"].asset_number not in [r["code"] for r in found["missing"]]


def test_a_lent_asset_not_scanned_is_lent_not_missing(counted, kate, bob):
    found = selectors.stocktake_discrepancies(stocktake=counted["stocktake"], user=kate)
    assert [(r["code"], r["loan"].borrower) for r in found["lent"]] == [
        (counted["projector"].asset_number, bob)
    ]
    assert sorted(r["code"] for r in found["missing"]) == sorted(
        [counted["computer"].asset_number, counted["printer"].asset_number]
    )


def test_finishing_drafts_the_surplus_proposes_disposal_of_the_missing_and_records_the_loans(
    counted, kate, bob
):
    # given the computer counted, a cabinet found without a card, the printer not found, the projector out on loan
    stocktake, room = counted["stocktake"], counted["room"]
    services.stocktake_scan(stocktake=stocktake, room=room, code=counted["computer"].asset_number, actor=kate)
    found_item = services.stocktake_scan(
        stocktake=stocktake, room=room, code="", actor=kate, allow_unknown=True, description="铁皮文件柜"
    )
    assert found_item.code == "NOLABEL-1"
    assert found_item.finding == Finding.SURPLUS
    before = Asset.objects.count()

    # when counting is finished
    services.stocktake_finish(stocktake=stocktake, actor=kate)

    # then the cabinet has a draft card (nothing booked yet) in the room where it was found
    draft = AssetDraft.objects.get()
    assert (draft.code, draft.description, draft.room, draft.asset) == ("NOLABEL-1", "铁皮文件柜", room, None)
    assert Asset.objects.count() == before
    # the printer a write-off proposal waiting in the disposal flow, its card untouched
    disposal = Disposal.objects.get()
    assert (disposal.asset, disposal.method, disposal.status) == (
        counted["printer"],
        DisposalMethod.WRITE_OFF,
        DisposalStatus.PENDING,
    )
    assert disposal.requested_by == kate
    assert Asset.objects.get(pk=counted["printer"].pk).condition == Condition.IN_USE
    # the projector recorded with bob's loan, never proposed for disposal
    lent = StocktakeResolution.objects.get(code=counted["projector"].asset_number)
    assert (lent.action, lent.loan) == (Resolution.LENT, counted["loan"])
    found = selectors.stocktake_discrepancies(stocktake=stocktake, user=kate)
    assert [(r["code"], r["resolution"]) for r in found["surplus"]] == [("NOLABEL-1", Resolution.DRAFT)]
    assert [(r["code"], r["resolution"], r["disposal"]) for r in found["missing"]] == [
        (counted["printer"].asset_number, Resolution.PROPOSE_DISPOSAL, disposal)
    ]
    # and the projector stays 借出 in the result after bob brings it back
    services.loan_return(asset=counted["projector"], actor=kate)
    found = selectors.stocktake_discrepancies(stocktake=stocktake, user=kate)
    assert [(r["code"], r["loan"].borrower) for r in found["lent"]] == [
        (counted["projector"].asset_number, bob)
    ]
    assert [r["code"] for r in found["missing"]] == [counted["printer"].asset_number]


def test_the_draft_card_is_completed_by_the_custodian(counted, kate):
    stocktake, room = counted["stocktake"], counted["room"]
    services.stocktake_scan(stocktake=stocktake, room=room, code="", actor=kate, description="铁皮文件柜")
    services.stocktake_finish(stocktake=stocktake, actor=kate)
    draft = AssetDraft.objects.get()

    asset = services.asset_draft_complete(
        draft=draft,
        actor=kate,
        name="铁皮文件柜",
        category=category("A05010200"),
        room=room,
        unit_price=Decimal("800.00"),
    )

    draft.refresh_from_db()
    assert (draft.asset, draft.completed_by) == (asset, kate)
    assert (asset.name, asset.room, asset.condition) == ("铁皮文件柜", room, Condition.IN_USE)
    with pytest.raises(ValidationError):
        services.asset_draft_complete(draft=draft, actor=kate, name="again", category=category("A05010200"))


def test_discrepancy_figure_leaves_out_the_assets_on_loan(counted, kate):
    services.stocktake_finish(stocktake=counted["stocktake"], actor=kate)
    found = selectors.stocktake_discrepancies(stocktake=counted["stocktake"], user=kate)
    assert (len(found["missing"]), len(found["lent"])) == (2, 1)
    assert selectors.stocktake_discrepancy_count(found) == 2
    assert metrics._discrepancies(_Period(counted["stocktake"].planned_on)) == 2


class _Period:
    def __init__(self, day):
        self.range = (day, day)


def test_the_counters_sign_the_finished_result(counted, kate, bob, alice):
    stocktake, room = counted["stocktake"], counted["room"]
    services.stocktake_scan(stocktake=stocktake, room=room, code=counted["computer"].asset_number, actor=bob)
    with pytest.raises(ValidationError):  # not before counting is finished
        services.stocktake_sign(stocktake=stocktake, actor=bob)
    services.stocktake_finish(stocktake=stocktake, actor=kate)

    services.stocktake_sign(stocktake=stocktake, actor=bob)
    services.stocktake_sign(stocktake=stocktake, actor=kate)  # the custodian who supervised

    assert [s.signer for s in StocktakeSignature.objects.filter(stocktake=stocktake)] == [bob, kate]
    with pytest.raises(ValidationError):
        services.stocktake_sign(stocktake=stocktake, actor=bob)
    with pytest.raises(PermissionDenied):  # the principal neither counted nor keeps the ledgers
        services.stocktake_sign(stocktake=stocktake, actor=alice)
    assert StocktakeSignature.objects.count() == 2


# ---------------------------------------------------------------- the pages


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def test_a_label_url_opened_while_counting_counts_it_in_the_room_being_counted(
    client_for, school_a, counted, kate
):
    # given kate counting 一班 on her phone
    client = client_for(kate, school_a)
    assert client.get(_scan_url(counted)).status_code == 200
    label = _label(school_a, counted["computer"])

    # when her phone's camera opens the computer's label
    response = client.get(label, follow=True)

    # then she is back on the count of 一班 with the computer counted there
    assert response.redirect_chain[-1][0] == _scan_url(counted)
    assert f"已盘点：{counted['computer']} 于 {counted['room']}" in _messages(response)
    connection.set_tenant(school_a)
    scan = StocktakeScan.objects.get()
    assert (scan.asset, scan.room, scan.finding, scan.scanned_by) == (
        counted["computer"],
        counted["room"],
        Finding.OK,
        kate,
    )
    assert "已扫描 1，待盘 1" in response.content.decode()

    # and a second scan of the same label says so and adds nothing
    again = client.get(label, follow=True)
    assert f"{counted['computer']} 已于 {counted['room']} 盘点过。" in _messages(again)
    connection.set_tenant(school_a)
    assert StocktakeScan.objects.count() == 1


def test_a_lent_label_opened_while_counting_says_who_has_it(client_for, school_a, counted, kate, bob):
    client = client_for(kate, school_a)
    client.get(_scan_url(counted))
    response = client.get(_label(school_a, counted["projector"]), follow=True)
    due = counted["loan"].due_on.isoformat()
    assert f"已盘点：{counted['projector']} 于 {counted['room']} · 借出：{bob}，应还 {due}" in _messages(
        response
    )
    body = response.content.decode()
    assert "账实相符" not in body
    assert "借出" in body


def test_outside_a_stocktake_the_label_opens_the_card(client_for, school_a, counted, kate):
    client = client_for(kate, school_a)
    number, card = counted["computer"].asset_number, f"/assets/{counted['computer'].pk}/"
    # never counting on this phone
    assert client.get(f"/assets/qr/{number}/")["Location"] == card
    # counting, then stopped
    client.get(_scan_url(counted))
    client.post(_scan_url(counted) + "stop/")
    assert client.get(f"/assets/qr/{number}/")["Location"] == card
    # counting, then the stocktake finished
    client.get(_scan_url(counted))
    connection.set_tenant(school_a)
    services.stocktake_finish(stocktake=counted["stocktake"], actor=kate)
    assert client.get(f"/assets/qr/{number}/")["Location"] == card
    connection.set_tenant(school_a)
    assert not StocktakeScan.objects.exists()


def test_a_reader_who_does_not_count_still_gets_the_card(client_for, school_a, counted, kate, alice):
    client = client_for(alice, school_a)  # the principal: reads, does not count
    client.get(_scan_url(counted))
    assert (
        client.get(f"/assets/qr/{counted['computer'].asset_number}/")["Location"]
        == f"/assets/{counted['computer'].pk}/"
    )


def test_a_number_not_from_its_label_is_only_filled_in_to_check(client_for, school_a, counted, kate):
    # given kate counting 一班
    client = client_for(kate, school_a)
    client.get(_scan_url(counted))
    number = counted["computer"].asset_number
    cases = [
        f"/assets/qr/{number}/",  # typed into the address bar, or an old label without its token
        f"/assets/qr/{number}/?label=forged",
        _label(school_a, counted["printer"]).replace(
            counted["printer"].asset_number, number
        ),  # another's token
        "/assets/qr/ZC-404/",  # no such asset
    ]
    for path in cases:
        # when such a URL is opened, the count opens with the number filled in, to check and record
        response = client.get(path, follow=True)
        code = path.split("/qr/", 1)[1].split("/", 1)[0]
        assert response.redirect_chain[-1][0] == f"{_scan_url(counted)}?code={code}"
        assert _messages(response) == [f"请核对编号后登记：{code}"]
        assert f'value="{code}"' in response.content.decode()
    # a label opened from a link on another site is not counted either
    response = client.get(_label(school_a, counted["computer"]), headers={"Sec-Fetch-Site": "cross-site"})
    assert response["Location"] == f"{_scan_url(counted)}?code={number}"
    connection.set_tenant(school_a)
    assert not StocktakeScan.objects.exists()

    # and the unknown number, recorded, is refused in Chinese with nothing counted
    connection.set_schema_to_public()
    response = client.post(_scan_url(counted), {"code": "ZC-404"})
    assert (
        "没有编号为 ZC-404 的资产。请核对编号；账外物品请勾选「账外物品（盘盈）」后登记。"
        in response.content.decode()
    )
    connection.set_tenant(school_a)
    assert not StocktakeScan.objects.exists()


def test_manual_entry_counts_and_a_wrong_number_is_refused(client_for, school_a, counted, kate):
    client = client_for(kate, school_a)
    # a number typed by hand
    response = client.post(_scan_url(counted), {"code": counted["computer"].asset_number}, follow=True)
    assert f"已盘点：{counted['computer']} 于 {counted['room']}" in _messages(response)
    # a mistyped one: the form says why, nothing is recorded
    response = client.post(_scan_url(counted), {"code": "ZC-404"})
    assert response.status_code == 200
    assert "没有编号为 ZC-404 的资产" in response.content.decode()
    # nothing typed
    assert "请扫描或输入资产编号。" in client.post(_scan_url(counted), {"code": ""}).content.decode()
    connection.set_tenant(school_a)
    assert list(StocktakeScan.objects.values_list("code", flat=True)) == [counted["computer"].asset_number]


def test_an_item_without_a_card_is_recorded_when_the_counter_says_so(client_for, school_a, counted, kate):
    client = client_for(kate, school_a)
    refused = client.post(_scan_url(counted), {"code": "", "surplus": "on", "description": ""})
    assert "请写明是什么物品。" in refused.content.decode()
    client.post(_scan_url(counted), {"code": "", "surplus": "on", "description": "铁皮文件柜"})
    connection.set_tenant(school_a)
    scan = StocktakeScan.objects.get()
    assert (scan.code, scan.finding, scan.description, scan.asset) == (
        "NOLABEL-1",
        Finding.SURPLUS,
        "铁皮文件柜",
        None,
    )


def test_the_result_shows_loans_drafts_disposals_and_signatures_on_the_page_and_in_excel(
    client_for, school_a, counted, kate, bob
):
    from openpyxl import load_workbook

    stocktake = counted["stocktake"]
    services.stocktake_scan(
        stocktake=stocktake, room=counted["room"], code=counted["computer"].asset_number, actor=bob
    )
    services.stocktake_scan(
        stocktake=stocktake, room=counted["room"], code="", actor=kate, description="铁皮文件柜"
    )
    services.stocktake_finish(stocktake=stocktake, actor=kate)
    connection.set_schema_to_public()
    client = client_for(bob, school_a)
    body = client.get(f"/assets/stocktakes/{stocktake.pk}/").content.decode()
    assert "待签字：" in body
    assert client.post(f"/assets/stocktakes/{stocktake.pk}/sign/").status_code == 302

    page = client_for(kate, school_a).get(f"/assets/stocktakes/{stocktake.pk}/").content.decode()
    connection.set_tenant(school_a)
    signed = StocktakeSignature.objects.get()
    at = timezone.localtime(signed.signed_at).strftime("%Y-%m-%d %H:%M")
    assert f"{bob}，{at} 签字" in page
    assert "去建卡" in page
    assert f"/assets/stocktakes/drafts/{AssetDraft.objects.get().pk}/" in page
    assert "已提请处置 · 待审批" in page
    assert str(bob) in page
    assert counted["loan"].due_on.isoformat() in page

    connection.set_schema_to_public()
    sheet = load_workbook(
        io.BytesIO(client.get(f"/assets/stocktakes/{stocktake.pk}/?export=xlsx").content)
    ).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert [
        "借出",
        counted["projector"].asset_number,
        "投影仪",
        str(counted["room"]),
        None,
        f"{bob}，应还 {counted['loan'].due_on.isoformat()}",
    ] in rows
    assert ["签署人", str(bob), None, None, None, at] in rows
    assert ["盘盈", "NOLABEL-1", "铁皮文件柜", None, str(counted["room"]), "待建卡"] in rows


def test_the_draft_page_books_the_found_item(client_for, school_a, counted, kate, bob):
    stocktake = counted["stocktake"]
    services.stocktake_scan(
        stocktake=stocktake, room=counted["room"], code="", actor=kate, description="铁皮文件柜"
    )
    services.stocktake_finish(stocktake=stocktake, actor=kate)
    draft = AssetDraft.objects.get()
    cabinets = category("A05010200").pk
    connection.set_schema_to_public()
    url = f"/assets/stocktakes/drafts/{draft.pk}/"
    assert client_for(bob, school_a).get(url).status_code == 403
    page = client_for(kate, school_a).get(url).content.decode()
    assert 'value="铁皮文件柜"' in page
    response = client_for(kate, school_a).post(
        url,
        {
            "name": "铁皮文件柜",
            "category": cabinets,
            "kind": "",
            "unit_price": "800.00",
            "quantity": 1,
            "unit": "个",
            "booked_on": timezone.localdate().isoformat(),
            "procurement_form": "self",
            "use": "teaching",
            "room": counted["room"].pk,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    connection.set_tenant(school_a)
    draft.refresh_from_db()
    assert draft.asset.name == "铁皮文件柜"
    assert draft.stocktake.status == StocktakeStatus.FINISHED


def test_progress_shows_the_assets_on_loan_apart(counted, kate):
    from assets.charts import stocktake_progress

    services.stocktake_scan(
        stocktake=counted["stocktake"],
        room=counted["room"],
        code=counted["computer"].asset_number,
        actor=kate,
    )
    with translation.override("zh-hans"):
        chart = stocktake_progress(stocktake=counted["stocktake"])
    data = {s["name"]: s["data"] for s in chart["series"]}
    assert (data["已盘点"], data["借出"], data["未盘点"], data["账面数"]) == ([1, 0], [1, 0], [1, 0], [3, 0])


def test_the_to_do_lists_hold_the_draft_cards_and_the_signatures_waiting(counted, kate, bob):
    from assets.todo import todo_items_for

    stocktake = counted["stocktake"]
    services.stocktake_scan(
        stocktake=stocktake, room=counted["room"], code=counted["computer"].asset_number, actor=bob
    )
    services.stocktake_scan(
        stocktake=stocktake, room=counted["room"], code="", actor=kate, description="铁皮文件柜"
    )
    services.stocktake_finish(stocktake=stocktake, actor=kate)

    def waiting(user):
        return {s.key: [i.title for i in s.items] for s in todo_items_for(user=user, limit=10) if s.total}

    assert waiting(kate) == {
        "assets.stocktake_draft": ["铁皮文件柜"],
        "assets.stocktake_sign": ["2026秋盘点"],
    }
    assert waiting(bob) == {"assets.stocktake_sign": ["2026秋盘点"]}
    services.stocktake_sign(stocktake=stocktake, actor=bob)
    assert waiting(bob) == {}
