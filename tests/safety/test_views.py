"""Safety pages: ledgers list/export/print for readers, forms for the right roles, the phone pages, parent links."""

from __future__ import annotations

import datetime as dt
import re
import zlib

import pytest
from django.db import connection

from safety.choices import AgreementKind
from safety.ledgers import LEDGERS
from safety.models import Agreement, HealthCheck, Visitor
from safety.services import agreement_campaign_issue, agreement_template_create, school_class_create


def _pdf_fonts(content: bytes) -> list[bytes]:
    """The fonts a PDF embeds (from its deflated object streams)."""
    inflated = b""
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", content, re.S):
        try:
            inflated += zlib.decompress(match.group(1))
        except zlib.error:
            continue
    return re.findall(rb"/BaseFont\s*/([^\s/>]+)", content + inflated)


def _in(school, fn):
    connection.set_tenant(school)
    try:
        return fn()
    finally:
        connection.set_schema_to_public()


@pytest.mark.parametrize("key", sorted(LEDGERS))
def test_every_ledger_lists_for_a_member_and_the_bureau(client_for, school_a, alice, dave, key):
    assert client_for(alice, school_a).get(f"/safety/l/{key}/").status_code == 200
    assert client_for(dave, school_a).get(f"/safety/l/{key}/").status_code == 200


@pytest.mark.parametrize("key", sorted(k for k, s in LEDGERS.items() if s.form))
def test_every_ledger_form_opens_for_a_writer(client_for, school_a, sam, key):
    assert client_for(sam, school_a).get(f"/safety/l/{key}/new/").status_code == 200


def test_other_school_and_anonymous_are_kept_out(client_for, school_a, charlie):
    assert client_for(charlie, school_a).get("/safety/").status_code == 403
    assert client_for(None, school_a).get("/safety/").status_code == 302


def test_bureau_cannot_write_a_ledger(client_for, school_a, dave):
    assert client_for(dave, school_a).get("/safety/l/drills/new/").status_code == 403


def test_gate_page_registers_a_visitor_masked(client_for, school_a, gina):
    client = client_for(gina, school_a)
    response = client.post("/safety/gate/", {"name": "李访客", "id_number": "110101199003071234",
                                             "host_name": "陈老师", "host_verified": "1", "purpose": "送材料"})
    assert response.status_code == 302
    assert _in(school_a, lambda: list(Visitor.objects.values_list("name", "id_number_masked"))) == [
        ("李访客", "110***********1234")]
    page = client.get("/safety/gate/").content.decode()
    assert "110***********1234" in page
    assert "110101199003071234" not in page


def test_teacher_is_refused_the_gate_page(client_for, school_a, bob):
    assert client_for(bob, school_a).post("/safety/gate/", {"name": "x"}).status_code == 403
    assert _in(school_a, Visitor.objects.count) == 0


def test_excel_and_pdf_of_a_ledger(client_for, school_a, gina):
    client = client_for(gina, school_a)
    client.post("/safety/gate/", {"name": "李访客", "id_number": "", "host_name": "陈老师", "host_verified": "0",
                                  "purpose": "送材料"})
    xlsx = client.get("/safety/l/visitors/?export=xlsx")
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    pdf = client.get("/safety/l/visitors/?export=pdf")
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    # the Chinese text is set in a CJK font (embedded), not as boxes
    fonts = _pdf_fonts(pdf.content)
    assert fonts
    assert any(b"CJK" in font for font in fonts), fonts


def test_class_teacher_records_health_check_on_the_phone_page(client_for, school_a, bob):
    school_class = _in(school_a, lambda: school_class_create(grade=2, name="二年级1班", student_count=30, head_teacher=bob))
    client = client_for(bob, school_a)
    response = client.post("/safety/health/", {"school_class": school_class.pk, "on": "2026-11-25",
                                               "session": "morning", "present": 29, "absent": 1, "fever": 0,
                                               "absences": "王小明 感冒"})
    assert response.status_code == 302
    check = _in(school_a, lambda: HealthCheck.objects.values_list("present", "absent").get())
    assert check == (29, 1)


def test_parent_signs_by_the_public_link_without_an_account(client_for, school_a, sam):
    def issue():
        school_class_create(grade=1, name="一年级1班", student_count=1)
        template = agreement_template_create(actor=sam, kind=AgreementKind.PARENT_NOTICE, title="家长告知书", body="告知事项")
        agreement_campaign_issue(actor=sam, template=template, term="2026-2027-1", groups=["parents"])
        return Agreement.objects.get().token

    token = _in(school_a, issue)
    client = client_for(None, school_a)
    assert "告知事项" in client.get(f"/safety/sign/{token}/").content.decode()
    client.post(f"/safety/sign/{token}/", {"signer_name": "王家长"})
    assert _in(school_a, lambda: Agreement.objects.get().signer_name) == "王家长"
    # a second signature is not taken
    client.post(f"/safety/sign/{token}/", {"signer_name": "别人"})
    assert _in(school_a, lambda: Agreement.objects.get().signer_name) == "王家长"
    assert client.get("/safety/sign/not-a-token/").status_code == 404


def test_hazard_workflow_pages(client_for, school_a, sam, alice):
    client = client_for(sam, school_a)
    response = client.post("/safety/l/hazards/new/", {"category": "fire", "grade": "major", "description": "配电箱老化",
                                                      "location_text": "配电间"})
    # a major hazard without the 五定 is refused with messages beside the fields
    assert response.status_code == 200
    assert "data-field-error=\"measures\"" in response.content.decode()
    response = client.post("/safety/l/hazards/new/", {"category": "fire", "grade": "general",
                                                      "description": "灭火器过期", "location_text": "二楼"})
    assert response.status_code == 302
    pk = int(response["Location"].rstrip("/").split("/")[-1])
    client.post(f"/safety/hazards/{pk}/rectify/", {"actions": "更换"})
    page = client.get(f"/safety/hazards/{pk}/").content.decode()
    assert "Awaiting verification" in page or "等待" in page
    client_for(alice, school_a).post(f"/safety/hazards/{pk}/verify/", {"accepted": "1", "note": "ok"})
    from safety.models import Hazard

    assert _in(school_a, lambda: Hazard.objects.get(pk=pk).status) == "closed"


def test_board_and_home_card(client_for, school_a, alice):
    assert client_for(alice, school_a).get("/safety/").status_code == 200
    assert 'data-testid="safety-card"' in client_for(alice, school_a).get("/").content.decode()
    _ = dt
