"""Pages: each renders for its readers, refuses everyone else, and writes only through the right role."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from assets import services
from assets.choices import Condition, PurchaseStatus
from assets.models import Asset, Loan, PurchaseRequest
from assets.services import LineInput
from tests.jobs.run import file_of_job

from .factories import AssetFactory, ConsumableItemFactory, DepartmentFactory, RoomFactory, category


@pytest.fixture
def world(in_school_a, kate, alice):
    room = RoomFactory(name="计算机室")
    asset = AssetFactory(room=room, name="台式计算机X")
    item = ConsumableItemFactory(name="口罩", reorder_level=5)
    services.consumable_receive(item=item, quantity=50, actor=kate, reason="采购")
    purchase = services.purchase_request_create(
        actor=kate, department=DepartmentFactory(name="信息中心"), title="电脑", reason="教学", channel="government",
        lines=[LineInput(name="电脑", category=category("A02010105"), quantity=10, estimated_unit_price=Decimal("5600"))],
    )
    stocktake = services.stocktake_create(actor=kate, name="秋季盘点", rooms=[room])
    connection.set_schema_to_public()
    return {"room": room, "asset": asset, "item": item, "purchase": purchase, "stocktake": stocktake}


PAGES = [
    "/assets/", "/assets/{asset}/", "/assets/categories/", "/assets/consumables/", "/assets/consumables/{item}/",
    "/assets/requisitions/", "/assets/purchases/", "/assets/purchases/{purchase}/", "/assets/loans/",
    "/assets/transfers/", "/assets/disposals/", "/assets/stocktakes/", "/assets/stocktakes/{stocktake}/",
]


def _url(path, world):
    return path.format(asset=world["asset"].pk, item=world["item"].pk, purchase=world["purchase"].pk,
                       stocktake=world["stocktake"].pk)


@pytest.mark.parametrize("path", PAGES)
def test_pages_render_for_members_and_the_bureau_and_refuse_others(client_for, school_a, school_b, world, bob,
                                                                   dave, erin, charlie, path):
    url = _url(path, world)
    assert client_for(bob, school_a).get(url).status_code == 200
    assert client_for(dave, school_a).get(url).status_code == 200  # the bureau reads
    assert client_for(None, school_a).get(url).status_code == 302  # sign in first
    assert client_for(erin, school_a).get(url).status_code == 403  # another bureau
    assert client_for(charlie, school_a).get(url).status_code == 403  # another school


def test_asset_page_shows_depreciation_and_history(client_for, school_a, world, kate):
    body = client_for(kate, school_a).get(f"/assets/{world['asset'].pk}/").content.decode()
    assert "台式计算机X" in body
    assert "data-net" in body
    assert "历史" in body or "History" in body


def test_asset_list_exports_xlsx_with_the_filter(client_for, school_a, world, kate):
    response = client_for(kate, school_a).get("/assets/?q=台式计算机X&export=xlsx")
    assert response.status_code == 200
    from io import BytesIO

    from openpyxl import load_workbook

    sheet = load_workbook(BytesIO(response.content)).active
    # two title rows, the header, the one asset; then a blank row and the signature line
    assert sheet.max_row == 6
    assert sheet.cell(4, 1).value == world["asset"].asset_number
    assert sheet.auto_filter.ref == "A3:O4"


def test_export_escapes_formulas(client_for, school_a, in_school_a, kate):
    AssetFactory(name="=HYPERLINK(\"http://evil\")")
    connection.set_schema_to_public()
    from io import BytesIO

    from openpyxl import load_workbook

    response = client_for(kate, school_a).get("/assets/?export=xlsx")
    sheet = load_workbook(BytesIO(response.content)).active
    assert sheet.cell(4, 2).value == "'=HYPERLINK(\"http://evil\")"


def test_teacher_cannot_book_or_lend_and_nothing_changes(client_for, school_a, world, bob):
    client = client_for(bob, school_a)
    assert client.get("/assets/new/").status_code == 403
    response = client.post(f"/assets/{world['asset'].pk}/lend/", {"borrower": bob.pk, "due_on": "2030-01-01"})
    assert response.status_code == 403
    connection.set_tenant(school_a)
    assert Loan.objects.count() == 0


def test_custodian_lends_through_the_page(client_for, school_a, world, kate, bob):
    response = client_for(kate, school_a).post(
        f"/assets/{world['asset'].pk}/lend/", {"borrower": bob.pk, "due_on": "2030-01-01", "purpose": "公开课"}
    )
    assert response.status_code == 302
    connection.set_tenant(school_a)
    assert Asset.objects.get(pk=world["asset"].pk).condition == Condition.LENT


def test_lending_a_disposed_asset_shows_the_error_beside_the_form(client_for, school_a, world, kate, bob):
    connection.set_tenant(school_a)
    Asset.objects.filter(pk=world["asset"].pk).update(condition=Condition.DISPOSED)
    connection.set_schema_to_public()
    response = client_for(kate, school_a).post(
        f"/assets/{world['asset'].pk}/lend/", {"borrower": bob.pk, "due_on": "2030-01-01"}
    )
    assert response.status_code == 200
    assert "cannot be lent" in response.content.decode() or "不能出借" in response.content.decode()


def test_bureau_approves_a_large_purchase_through_the_school_host(client_for, school_a, world, kate, alice, nora, dave, erin):
    purchase = world["purchase"]
    assert client_for(kate, school_a).post(f"/assets/purchases/{purchase.pk}/submit/").status_code == 302
    assert client_for(alice, school_a).post(f"/assets/purchases/{purchase.pk}/decide/", {"decision": "approve"}).status_code == 302
    connection.set_tenant(school_a)
    assert PurchaseRequest.objects.get(pk=purchase.pk).status == PurchaseStatus.BUREAU_PENDING
    connection.set_schema_to_public()
    # a bureau leader of another district is refused; dave (leader of north) approves
    assert client_for(erin, school_a).post(f"/assets/purchases/{purchase.pk}/decide/", {"decision": "approve"}).status_code == 403
    assert client_for(dave, school_a).post(f"/assets/purchases/{purchase.pk}/decide/", {"decision": "approve"}).status_code == 302
    connection.set_tenant(school_a)
    assert PurchaseRequest.objects.get(pk=purchase.pk).status == PurchaseStatus.APPROVED


def test_bureau_cannot_write_school_ledgers(client_for, school_a, world, dave):
    client = client_for(dave, school_a)
    assert client.get("/assets/new/").status_code == 403
    assert client.post(f"/assets/consumables/{world['item'].pk}/", {"quantity": 1, "reason": "x", "direction": "out"}).status_code == 403


def test_qr_opens_the_card_when_signed_in_and_the_repair_report_otherwise(client_for, school_a, world, bob):
    number = world["asset"].asset_number
    assert client_for(bob, school_a).get(f"/assets/qr/{number}/")["Location"] == f"/assets/{world['asset'].pk}/"
    # the label carries its token; a number alone (an old label, or typed by hand) opens nothing
    from assets.labels import asset_label_token, qr_url

    token = asset_label_token(school_a, world["asset"])
    assert qr_url(school_a, world["asset"]).endswith(f"/assets/qr/{number}/?label={token}")
    assert client_for(None, school_a).get(f"/assets/qr/{number}/", {"label": token})["Location"] == (
        f"/repairs/report/?label={token.replace(':', '%3A')}")
    assert client_for(None, school_a).get(f"/assets/qr/{number}/")["Location"] == "/repairs/report/?asset="


def test_label_sheet_is_a_pdf_with_chinese_text(client_for, school_a, world, kate, bob):
    client = client_for(kate, school_a)
    response = file_of_job(client, client.get("/assets/?labels=pdf"))  # made by a background job
    assert response["Content-Type"] == "application/pdf"
    inflated = _inflated_streams(response.content)
    assert "NotoSansCJK" in inflated + response.content.decode("latin-1")  # the CJK font is embedded
    unicode_maps = inflated.upper()
    for char in "台式计算机":  # each Chinese character of the name is mapped in the font's ToUnicode table
        assert f"<{ord(char):04X}>" in unicode_maps
    assert client_for(bob, school_a).get("/assets/?labels=pdf").status_code == 403


def _inflated_streams(pdf: bytes) -> str:
    import re
    import zlib

    texts = []
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            texts.append(zlib.decompress(match.group(1)).decode("latin-1"))
        except zlib.error:
            continue
    return "\n".join(texts)


def test_scan_page_records_and_lists_what_is_left(client_for, school_a, world, kate):
    stocktake, room = world["stocktake"], world["room"]
    client = client_for(kate, school_a)
    response = client.post(f"/assets/stocktakes/{stocktake.pk}/rooms/{room.pk}/", {"code": world["asset"].asset_number})
    assert response.status_code == 302
    body = client.get(f"/assets/stocktakes/{stocktake.pk}/rooms/{room.pk}/").content.decode()
    assert world["asset"].asset_number in body


def test_import_page_shows_errors_and_offers_the_report(client_for, school_a, world, kate):
    from .test_import import good_row, xlsx

    client = client_for(kate, school_a)
    response = client.post("/assets/import/", {"file": xlsx([good_row("Z1", 单价=-1)])})
    assert response.status_code == 200
    assert "data-import-errors" in response.content.decode()
    report = client.get("/assets/import/errors.xlsx")
    from io import BytesIO

    from openpyxl import load_workbook

    sheet = load_workbook(BytesIO(report.content)).active
    assert [c.value for c in sheet[2]][:2] == [2, "单价"]


def test_home_card_shows_totals_by_kind(client_for, school_a, world, bob):
    body = client_for(bob, school_a).get("/").content.decode()
    assert 'data-card="assets-totals"' in body
    assert 'data-kind="fixed"' in body


def test_loan_due_dates(in_school_a, kate, bob):
    asset = AssetFactory()
    loan = services.loan_create(asset=asset, borrower=bob, actor=kate, due_on=timezone.localdate())
    assert loan.is_overdue is False


@pytest.mark.parametrize("path", ["/assets/requisitions/", "/assets/purchases/", "/assets/transfers/",
                                  "/assets/disposals/", "/assets/loans/?show=all", "/assets/consumables/",
                                  "/assets/categories/"])
def test_every_list_exports_xlsx(client_for, school_a, world, kate, path):
    from io import BytesIO

    from openpyxl import load_workbook

    response = client_for(kate, school_a).get(path + ("&" if "?" in path else "?") + "export=xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert load_workbook(BytesIO(response.content)).active.max_row >= 1


def test_teacher_borrows_through_the_page(client_for, school_a, world, kate, bob):
    from assets.models import LoanRequest

    asset = world["asset"]
    response = client_for(bob, school_a).post(f"/assets/{asset.pk}/borrow/", {"due_on": "2030-01-01", "purpose": "公开课"})
    assert response.status_code == 302
    connection.set_tenant(school_a)
    loan_request = LoanRequest.objects.get()
    connection.set_schema_to_public()
    assert client_for(bob, school_a).post(f"/assets/loans/requests/{loan_request.pk}/decide/", {"decision": "approve"}).status_code == 403
    assert client_for(kate, school_a).post(f"/assets/loans/requests/{loan_request.pk}/decide/", {"decision": "approve"}).status_code == 302
    connection.set_tenant(school_a)
    assert Loan.objects.get().borrower == bob


def test_dispose_page_says_before_submitting_when_scrapping_would_be_early(client_for, school_a, world, kate):
    connection.set_tenant(school_a)
    young = AssetFactory(name="新投影仪", booked_on=timezone.localdate(), service_life_years=6)
    old = AssetFactory(name="旧投影仪", booked_on=timezone.localdate().replace(year=2010), service_life_years=6)
    connection.set_schema_to_public()
    client = client_for(kate, school_a)
    page = client.get(f"/assets/{young.pk}/dispose/").content.decode()
    end = young.minimum_life_end().isoformat()
    assert end in page
    assert "alert-warning" in page
    assert end not in client.get(f"/assets/{old.pk}/dispose/").content.decode()
    # Submitting without a justification keeps the form, with the same explanation under the field.
    response = client.post(f"/assets/{young.pk}/dispose/", {"method": "scrap", "reason": "坏了"})
    assert response.status_code == 200
    assert response.content.decode().count(end) >= 2
    connection.set_tenant(school_a)
    assert not young.disposals.exists()
