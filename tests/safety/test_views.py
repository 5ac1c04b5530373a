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
from tests.jobs.run import file_of_job


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


@pytest.mark.parametrize("key", sorted(LEDGERS))
def test_every_ledger_exports_to_excel(client_for, school_a, alice, bobs_class, bob, key):
    from io import BytesIO

    from openpyxl import load_workbook

    from safety.services import health_check_record, visitor_register

    # given a row with related rows (the health ledger prefetches the absences) and one by a partner
    _in(school_a, lambda: health_check_record(actor=bob, school_class=bobs_class, on=dt.date(2026, 11, 25),
                                              session="morning", present=39, absent=1,
                                              absences=[{"student_name": "王小明", "reason": "感冒"}]))
    _in(school_a, lambda: visitor_register(actor=None, name="李四", id_number="", host_name="总务处", purpose="送货",
                                           host_verified=True, by_partner=True, partner_name="物业公司"))
    response = client_for(alice, school_a).get(f"/safety/l/{key}/?export=xlsx")
    assert response.status_code == 200
    text = " ".join(str(c.value) for sheet in load_workbook(BytesIO(response.content)) for row in sheet.iter_rows()
                    for c in row if c.value is not None)
    if key == "health":
        assert "王小明（感冒）" in text
    if key == "visitors":
        assert "物业公司（合作方）" in text


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
    assert "来访登记" in page
    assert "已电话核实被访人" in page


def test_teacher_is_refused_the_gate_page(client_for, school_a, bob):
    assert client_for(bob, school_a).post("/safety/gate/", {"name": "x"}).status_code == 403
    assert _in(school_a, Visitor.objects.count) == 0


def test_excel_and_pdf_of_a_ledger(client_for, school_a, gina):
    client = client_for(gina, school_a)
    client.post("/safety/gate/", {"name": "李访客", "id_number": "", "host_name": "陈老师", "host_verified": "0",
                                  "purpose": "送材料"})
    xlsx = client.get("/safety/l/visitors/?export=xlsx")
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    pdf = file_of_job(client, client.get("/safety/l/visitors/?export=pdf"))  # made by a background job
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


def test_five_fixes_edit_page(client_for, school_a, sam):
    from safety.models import Hazard
    from safety.services import hazard_report

    hazard = _in(school_a, lambda: hazard_report(reporter=sam, category="fire", description="线路老化",
                                                 location_text="配电间"))
    client = client_for(sam, school_a)
    # raising it to major without the 五定 is refused beside the fields, nothing changes
    response = client.post(f"/safety/hazards/{hazard.pk}/plan/", {"grade": "major"})
    assert 'data-field-error="deadline"' in response.content.decode()
    assert _in(school_a, lambda: Hazard.objects.get(pk=hazard.pk).grade) == "general"
    response = client.post(f"/safety/hazards/{hazard.pk}/plan/", {
        "grade": "major", "responsible": sam.pk, "measures": "更换线路", "funds": "1200", "deadline": "2026-12-31",
        "contingency_plan": "停用配电间"})
    assert response.status_code == 302
    assert _in(school_a, lambda: Hazard.objects.values_list("grade", "supervised").get(pk=hazard.pk)) == ("major", True)


def test_checklist_template_is_editable(client_for, school_a, sam):
    from safety.models import ChecklistTemplate

    client = client_for(sam, school_a)
    response = client.post("/safety/l/checklists/new/", {"name": "开学检查", "kind": "sweep",
                                                        "items": "消防：灭火器在有效期内\n食品：留样 48 小时"})
    pk = int(response["Location"].rstrip("/").split("/")[-2])
    client.post(f"/safety/checklists/{pk}/edit/", {"name": "开学检查", "kind": "sweep",
                                                  "items": "消防：灭火器在有效期内\n用电：配电箱上锁\n周边：无摊贩"})
    items = _in(school_a, lambda: list(ChecklistTemplate.objects.get(pk=pk).items.values_list("area", "text")))
    assert sorted(items) == [("electricity", "配电箱上锁"), ("fire", "灭火器在有效期内"), ("surroundings", "无摊贩")]


def test_staff_exit_and_return_at_the_gate(client_for, school_a, gina):
    from safety.models import StaffExit

    client = client_for(gina, school_a)
    client.post("/safety/l/exits/new/", {"name": "陈老师", "reason": "去教育局送材料", "approved_by": "屈校长"})
    pk = _in(school_a, lambda: StaffExit.objects.get().pk)
    assert "陈老师" in client.get("/safety/gate/").content.decode()
    client.post(f"/safety/gate/exits/{pk}/back/")
    assert _in(school_a, lambda: StaffExit.objects.get().back_at) is not None


def test_absence_follow_up_and_escort_summary(client_for, school_a, bob):
    from safety.models import Absence
    from safety.services import escort_record, health_check_record

    def given():
        school_class = school_class_create(grade=2, name="二年级3班", student_count=30, head_teacher=bob)
        health_check_record(actor=bob, school_class=school_class, on=dt.date(2026, 11, 2), session="morning",
                            present=29, absent=1, absences=[{"student_name": "李小红", "reason": "发热"}])
        for day in (2, 3, 4):
            escort_record(actor=bob, on=dt.date(2026, 11, day), school_class=school_class, teacher=bob,
                          present=day != 4)
        return Absence.objects.get().pk

    pk = _in(school_a, given)
    client = client_for(bob, school_a)
    assert "李小红" in client.get("/safety/health/").content.decode()
    client.post(f"/safety/health/absences/{pk}/", {"follow_up": "已电话联系家长，已就医"})
    assert _in(school_a, lambda: Absence.objects.values_list("followed_up", flat=True).get()) is True
    page = client.get("/safety/escort/summary/?month=2026-11").content.decode()
    assert "Bob" in page
    assert ">2<" in page
    assert ">1<" in page


PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")


def test_hazard_photo_is_checked_and_served_only_to_readers(client_for, school_a, sam, charlie, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from safety.models import Hazard, HazardPhoto

    settings.MEDIA_ROOT = str(tmp_path)
    client = client_for(sam, school_a)
    fake = SimpleUploadedFile("x.png", b"not an image at all", content_type="image/png")
    response = client.post("/safety/l/hazards/new/", {"category": "fire", "grade": "general", "description": "灭火器过期",
                                                      "location_text": "二楼", "photo": fake})
    assert response.status_code == 200
    assert 'data-field-error="photo"' in response.content.decode()
    assert _in(school_a, Hazard.objects.count) == 0

    photo = SimpleUploadedFile("found.png", PNG, content_type="image/png")
    response = client.post("/safety/l/hazards/new/", {"category": "fire", "grade": "general", "description": "灭火器过期",
                                                      "location_text": "二楼", "photo": photo})
    assert response.status_code == 302
    pk = _in(school_a, lambda: HazardPhoto.objects.get().pk)
    served = client.get(f"/safety/hazards/photos/{pk}/")
    assert b"".join(served.streaming_content) == PNG
    assert client_for(charlie, school_a).get(f"/safety/hazards/photos/{pk}/").status_code == 403


def test_visitor_log_is_kept_from_teachers(client_for, school_a, bob, gina, dave):
    assert client_for(bob, school_a).get("/safety/l/visitors/").status_code == 403
    assert client_for(gina, school_a).get("/safety/l/visitors/").status_code == 200
    assert client_for(dave, school_a).get("/safety/l/visitors/").status_code == 200


def test_phone_forms_prefill_today_in_iso_for_date_inputs(client_for, school_a, bob):
    from django.utils import timezone

    _in(school_a, lambda: school_class_create(grade=5, name="五年级1班", student_count=30, head_teacher=bob))
    page = client_for(bob, school_a).get("/safety/health/").content.decode()
    assert f'value="{timezone.localdate().isoformat()}"' in page
    assert "五年级1班</option>" in page


def test_plan_page_lists_the_drills_that_exercised_it(client_for, school_a, sam):
    from safety.services import drill_record, emergency_plan_add

    def given():
        plan = emergency_plan_add(actor=sam, title="火灾事故应急预案", kind="fire", adopted_on=dt.date(2026, 9, 1))
        emergency_plan_add(actor=sam, title="火灾事故应急预案", kind="fire", adopted_on=dt.date(2026, 10, 1))
        drill_record(actor=sam, kind="fire", held_on=dt.date(2026, 9, 20), participants=520, plan=plan)
        return plan.pk

    pk = _in(school_a, given)
    page = client_for(sam, school_a).get(f"/safety/plans/{pk}/").content.decode()
    assert "2026年9月20日" in page or "2026-09-20" in page
    assert "v2" in page


def test_round_page_groups_lines_by_area_and_a_failed_line_opens_a_hazard(client_for, school_a, sam):
    from safety.models import Hazard
    from safety.services import round_open

    round_ = _in(school_a, lambda: round_open(
        actor=sam, kind="sweep", title="普查", started_on=dt.date(2026, 11, 2),
        items=[{"area": "fire", "text": "灭火器有效"}, {"area": "food", "text": "留样 48 小时"}]))
    client = client_for(sam, school_a)
    page = client.get(f"/safety/rounds/{round_.pk}/").content.decode()
    assert page.index("消防") < page.index("灭火器有效") < page.index("食品") < page.index("留样 48 小时")
    item_pk = _in(school_a, lambda: round_.items.get(area="fire").pk)
    client.post(f"/safety/rounds/items/{item_pk}/check/", {"result": "fail", "note": "两具过期",
                                                          "location_text": "二楼走廊"})
    assert _in(school_a, lambda: list(Hazard.objects.values_list("description", "location_text"))) == [
        ("两具过期", "二楼走廊")]


def test_template_page_shows_the_text(client_for, school_a, sam, dave):
    template = _in(school_a, lambda: agreement_template_create(actor=sam, kind=AgreementKind.SAFETY,
                                                               title="安全工作责任状", body="第一条 责任"))
    assert "第一条 责任" in client_for(dave, school_a).get(f"/safety/templates/{template.pk}/").content.decode()


def test_department_self_check_round_from_a_template(client_for, school_a, sam):
    from safety.models import InspectionRound
    from safety.services import checklist_template_save
    from schools.models import Department

    def given():
        template = checklist_template_save(actor=sam, name="部门自查表", kind="self_check",
                                           items=[{"area": "electricity", "text": "人走断电"}])
        return template.pk, Department.objects.create(name="教导处-自查").pk

    template_pk, department_pk = _in(school_a, given)
    response = client_for(sam, school_a).post("/safety/l/rounds/new/", {
        "kind": "self_check", "title": "教导处十一月自查", "template": template_pk, "department": department_pk,
        "started_on": "2026-11-20"})
    assert response.status_code == 302
    round_ = _in(school_a, lambda: InspectionRound.objects.values_list("kind", "department__name").get())
    assert round_ == ("self_check", "教导处-自查")
