"""Agreements at the scale of a school (issue 20, part 1): class signing slips with each family's QR code and
link, the links in the export, reminders by channel (in-app, head teachers' slips, SMS), coverage per
campaign, and duplicates refused without 仍要创建."""

from __future__ import annotations

import datetime as dt
import html
import io
import os
import re

import pytest
import segno
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from openpyxl import load_workbook

from safety.choices import AgreementKind, PartyKind, SignedVia
from safety.models import Agreement, AgreementCampaign, AgreementTemplate, SchoolClass, Student
from safety.selectors import campaign_coverage_list
from safety.services import (
    agreement_campaign_issue,
    agreement_campaign_remind,
    agreement_sign,
    agreement_template_create,
    school_class_create,
    school_class_roster_set,
)
from safety.terms import today
from tenants.models import Notification, SmsMessage, SmsStatus
from tenants.roles import Role
from tests.safety.conftest import person

TERM = "2026-2027-1"


def _in(school, fn):
    """Run fn in the school's schema, then back to wherever the test was (in_school_a or public)."""
    before = connection.tenant if connection.schema_name != "public" else None
    connection.set_tenant(school)
    try:
        return fn()
    finally:
        if before is not None:
            connection.set_tenant(before)
        else:
            connection.set_schema_to_public()


@pytest.fixture
def tina(school_a):
    """Another teacher of school A, head teacher of no class here."""
    return person("tina", Role.TEACHER, school_a)


@pytest.fixture
def route(school_a, sam, bob):
    """Bob's class of 10 (a roster of 3 with 2 phones), a class of 2 without a head teacher; the route agreement."""

    def given():
        bobs = school_class_create(grade=1, name="一年级1班", student_count=10, head_teacher=bob)
        school_class_create(grade=1, name="一年级2班", student_count=2)
        school_class_roster_set(actor=sam, school_class=bobs, rows=[
            {"seat_no": n, "name": name, "guardian_phone": phone}
            for n, name, phone in [(1, "张小明", "13800000001"), (2, "李小红", "13800000002"), (3, "王小刚", "")]])
        # the roster is the class now: its three pupils
        template = agreement_template_create(actor=sam, kind=AgreementKind.ROUTE, title="学生路途安全责任书",
                                             body="家长负责学生上下学路途安全。")
        campaign = agreement_campaign_issue(actor=sam, template=template, term=TERM, groups=["parents"],
                                            due_on=dt.date(2026, 9, 20))
        return campaign.pk, bobs.pk

    campaign_id, class_id = _in(school_a, given)
    return {"campaign": campaign_id, "class": class_id, "url": f"/safety/campaigns/{campaign_id}/classes/{class_id}/slips/"}


def test_parents_copies_carry_the_roster_names_and_a_short_token(in_school_a, sam, route):
    rows = Agreement.objects.filter(campaign_id=route["campaign"], school_class_id=route["class"]).order_by("seat_no")
    assert [a.party_name for a in rows] == ["一年级1班 张小明家长", "一年级1班 李小红家长", "一年级1班 王小刚家长"]
    assert SchoolClass.objects.get(pk=route["class"]).student_count == 3
    # 128 bits, 22 characters: unguessable and short enough to print under the QR code
    assert {len(a.token) for a in rows} == {22}


def test_head_teacher_prints_the_slips_of_their_class(client_for, school_a, bob, route):
    response = client_for(bob, school_a).get(route["url"])

    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('data-testid="slip"') == 3
    for text in ("张小明", "李小红", "《学生路途安全责任书》", "@page { size: A4", "break-after: page"):
        assert text in page
    assert page.count('src="data:image/svg+xml') == 3
    assert "请于 2026-09-20 前签署" in page


@pytest.mark.parametrize(("who", "status"), [
    ("sam", 200),  # the safety officer
    ("alice", 200),  # the principal
    ("tina", 403),  # another teacher
    ("gina", 403),  # the guard
    ("dave", 403),  # the bureau reads the school but not its families' links
    ("charlie", 403),  # another school
])
def test_slips_only_for_the_head_teacher_and_the_managers(client_for, school_a, route, request, who, status):
    user = request.getfixturevalue(who)
    assert client_for(user, school_a).get(route["url"]).status_code == status


def test_slips_of_another_class_are_refused_to_a_head_teacher(client_for, school_a, bob, route):
    other = _in(school_a, lambda: SchoolClass.objects.get(name="一年级2班").pk)
    assert client_for(bob, school_a).get(f"/safety/campaigns/{route['campaign']}/classes/{other}/slips/").status_code == 403
    assert client_for(None, school_a).get(route["url"]).status_code == 302  # to the sign-in page


def test_a_parent_signs_from_the_slips_qr_and_link(client_for, school_a, bob, route):
    page = client_for(bob, school_a).get(route["url"]).content.decode()
    first = re.search(r'data-seat="1".*?<img src="([^"]+)".*?href="([^"]+)" data-testid="slip-link">([^<]+)<', page, re.S)
    qr, url, shown = (html.unescape(g) for g in first.groups())
    # the QR code holds exactly the link printed under it
    assert qr == segno.make(url, error="m").svg_data_uri(scale=4, border=1)
    assert url == f"http://{shown}"
    assert "/safety/s/" in url

    parent = client_for(None, school_a)
    path = url.split(school_a.host, 1)[1].lstrip(":0123456789")
    opened = parent.get(path)
    assert opened.status_code == 200
    assert "家长负责学生上下学路途安全。" in opened.content.decode()
    parent.post(path, {"signer_name": "张爸爸"})

    signed = _in(school_a, lambda: Agreement.objects.get(campaign_id=route["campaign"], school_class_id=route["class"],
                                                          seat_no=1))
    assert (signed.signer_name, signed.signed_via) == ("张爸爸", SignedVia.ONLINE)
    # the slip now says so, without a QR code
    again = client_for(bob, school_a).get(route["url"]).content.decode()
    assert again.count('src="data:image/svg+xml') == 2
    assert "已签署 · 张爸爸" in again
    assert client_for(bob, school_a).get(route["url"] + "?state=unsigned").content.decode().count('data-testid="slip"') == 2


def test_the_slips_as_a_pdf(client_for, school_a, sam, route):
    response = client_for(sam, school_a).get(route["url"] + "?format=pdf")
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    if os.environ.get("SLIPS_PDF"):  # to look at it: SLIPS_PDF=/tmp/slips.pdf
        with open(os.environ["SLIPS_PDF"], "wb") as out:
            out.write(response.content)


def test_campaign_page_lists_the_classes_a_person_may_print(client_for, school_a, sam, bob, route):
    campaign = f"/safety/campaigns/{route['campaign']}/"
    assert client_for(sam, school_a).get(campaign).content.decode().count('data-testid="slips-link"') == 2
    page = client_for(bob, school_a).get(campaign).content.decode()
    assert page.count('data-testid="slips-link"') == 1
    assert "一年级1班" in page


def _export(client, campaign_id):
    response = client.get(f"/safety/campaigns/{campaign_id}/?export=xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    header = next(i for i, row in enumerate(rows) if "签订方名称" in row)
    return rows[header], rows[header + 1:]


def test_the_export_has_each_familys_signing_link_for_managers(client_for, school_a, sam, bob, route):
    header, rows = _export(client_for(sam, school_a), route["campaign"])
    column = header.index("签署链接")
    tokens = _in(school_a, lambda: dict(Agreement.objects.filter(campaign_id=route["campaign"])
                                        .values_list("party_name", "token")))
    by_name = {row[header.index("签订方名称")]: row[column] for row in rows if row[header.index("签订方名称")]}
    assert len(by_name) == 5
    assert by_name["一年级1班 张小明家长"] == school_a.url(f"/safety/s/{tokens['一年级1班 张小明家长']}/")
    assert all(by_name[name].endswith(f"/safety/s/{token}/") for name, token in tokens.items())
    # a teacher's export (their own copies only) has no links column
    header, _rows = _export(client_for(bob, school_a), route["campaign"])
    assert "签署链接" not in header


def test_reminder_reaches_each_party_by_its_channel_and_says_how(school_a, in_school_a, sam, alice, bob, route):
    # given the same agreement to every member too, and one family already signed
    template = AgreementTemplate.objects.get(title="学生路途安全责任书")
    staff = agreement_campaign_issue(actor=sam, template=template, term="2026-2027-2", groups=["teachers", "parents"])
    members = Agreement.objects.filter(campaign=staff, party_kind=PartyKind.TEACHER).count()
    signed = Agreement.objects.get(campaign=staff, school_class_id=route["class"], seat_no=2)
    agreement_sign(agreement=signed, signer_name="李妈妈", token=signed.token)

    # when the safety officer reminds
    result = agreement_campaign_remind(campaign=staff)

    # then every member in the app, the one family with a phone by SMS (kept here: no provider),
    # bob's class by its slips, and the class without a head teacher is named
    assert (result.staff, result.sms, result.classes, result.parents_no_phone, result.classes_no_head) == (
        members, 1, 1, 3, 1)
    # bob's 2 unsigned families reachable by their slips; the 2 of the class without a head teacher or a phone by none
    assert (result.parents_by_slip, result.unreachable) == (2, 2)
    assert result.message() == (f"已在系统内通知 {members} 名教职工；已记录 1 条给家长的短信（未配置短信服务商，未实际发出）；"
                                "1 个班级的签字单已发给班主任；3 名家长在班级花名册中无手机号；1 个班级没有班主任，无法分发签字单；"
                                "2 名未签署人员无法通过任何渠道提醒。")
    texts = list(SmsMessage.objects.filter(kind="safety.agreement_reminder").values_list("phone", "text", "status"))
    token = Agreement.objects.get(campaign=staff, school_class_id=route["class"], seat_no=1).token
    assert texts == [("13800000001", f"【后勤云】阿尔法小学提醒：请为张小明签署《学生路途安全责任书》："
                                      f"{school_a.url(f'/safety/s/{token}/')}", SmsStatus.KEPT)]
    note = Notification.objects.get(recipient=bob, kind="safety.agreement_reminder", url__contains="/slips/")
    assert note.title == "一年级1班 有 2 名家长未签署：学生路途安全责任书"
    assert note.url == f"/safety/campaigns/{staff.pk}/classes/{route['class']}/slips/?state=unsigned"
    assert Notification.objects.filter(recipient=alice, kind="safety.agreement_reminder").count() == 1

    # when reminded again the same day, nothing is sent twice, and the message says so
    again = agreement_campaign_remind(campaign=staff)
    assert again.total == 0
    assert again.message() == ("今天已提醒过所有未签署人员，未重复发送；3 名家长在班级花名册中无手机号；"
                               "1 个班级没有班主任，无法分发签字单；2 名未签署人员无法通过任何渠道提醒。")
    assert SmsMessage.objects.filter(kind="safety.agreement_reminder").count() == 1
    assert Notification.objects.filter(recipient=alice, kind="safety.agreement_reminder").count() == 1

    # the next day they are reminded again
    tomorrow = agreement_campaign_remind(campaign=staff, on=today() + dt.timedelta(days=1))
    assert (tomorrow.staff, tomorrow.sms, tomorrow.classes) == (members, 1, 1)


def test_the_scheduled_reminder_texts_nobody(school_a, in_school_a, route):
    result = agreement_campaign_remind(campaign=AgreementCampaign.objects.get(pk=route["campaign"]), sms=False)
    assert (result.sms, result.classes) == (0, 1)
    assert not SmsMessage.objects.filter(kind="safety.agreement_reminder").exists()
    # and a manager may still text the families that evening
    assert agreement_campaign_remind(campaign=AgreementCampaign.objects.get(pk=route["campaign"])).sms == 2


def test_remind_button_shows_the_counts(client_for, school_a, sam, route):
    response = client_for(sam, school_a).post(f"/safety/campaigns/{route['campaign']}/remind/", follow=True)
    page = response.content.decode()
    assert "已记录 2 条给家长的短信（未配置短信服务商，未实际发出）" in page
    assert "1 个班级的签字单已发给班主任" in page


def test_coverage_per_campaign_not_per_kind(school_a, in_school_a, sam, route):
    template = AgreementTemplate.objects.get(title="学生路途安全责任书")
    second = agreement_campaign_issue(actor=sam, template=template, term=TERM, groups=["parents"], confirm_duplicate=True)
    first = Agreement.objects.filter(campaign_id=route["campaign"]).first()
    agreement_sign(agreement=first, signer_name="家长", token=first.token)

    rows = {r["campaign_id"]: (r["title"], r["signed"], r["total"]) for r in campaign_coverage_list(term=TERM)}

    assert rows == {route["campaign"]: ("学生路途安全责任书", 1, 5), second.pk: ("学生路途安全责任书", 0, 5)}


def test_the_board_shows_each_campaign_separately(client_for, school_a, sam, alice, route):
    from safety.terms import current_term, term_label

    def issue_twice():
        template = AgreementTemplate.objects.get(title="学生路途安全责任书")
        a = agreement_campaign_issue(actor=sam, template=template, term=term_label(current_term()), groups=["parents"],
                                     confirm_duplicate=True)
        b = agreement_campaign_issue(actor=sam, template=template, term=term_label(current_term()), groups=["parents"],
                                     confirm_duplicate=True)
        return a.pk, b.pk

    a, b = _in(school_a, issue_twice)
    page = client_for(alice, school_a).get("/safety/").content.decode()
    for pk in (a, b):
        assert re.search(rf'<tr data-campaign="{pk}"[^>]*><td><a href="/safety/campaigns/{pk}/">学生路途安全责任书</a>'
                         r'.*?<td class="text-end text-nowrap">0 / 5</td>', page)


def test_a_duplicate_template_or_campaign_is_refused_without_confirmation(school_a, in_school_a, sam, route):
    with pytest.raises(ValidationError) as error:
        agreement_template_create(actor=sam, kind=AgreementKind.ROUTE, title="学生路途安全责任书", body="又一份")
    assert "已有同类模板“学生路途安全责任书”" in error.value.message_dict["confirm_duplicate"][0]
    assert AgreementTemplate.objects.count() == 1
    template = AgreementTemplate.objects.get()

    with pytest.raises(ValidationError) as error:
        agreement_campaign_issue(actor=sam, template=template, term=TERM, groups=["parents"])
    assert "（已签 0 / 5）" in error.value.message_dict["confirm_duplicate"][0]
    assert AgreementCampaign.objects.count() == 1

    # confirmed, both are created; another term is no duplicate
    assert agreement_template_create(actor=sam, kind=AgreementKind.ROUTE, title="学生路途安全责任书", body="v2",
                                     confirm_duplicate=True).version == 2
    agreement_campaign_issue(actor=sam, template=template, term=TERM, groups=["parents"], confirm_duplicate=True)
    agreement_campaign_issue(actor=sam, template=template, term="2026-2027-2", groups=["parents"])
    assert AgreementCampaign.objects.count() == 3


def test_the_form_asks_create_anyway_before_a_duplicate(client_for, school_a, sam, route):
    client = client_for(sam, school_a)
    data = {"kind": AgreementKind.ROUTE, "post": "", "title": "学生路途安全责任书", "body": "又一份"}

    response = client.post("/safety/l/templates/new/", data)

    assert response.status_code == 200
    page = response.content.decode()
    assert 'type="checkbox" name="confirm_duplicate"' in page
    assert "仍要创建" in page
    assert 'data-field-error="confirm_duplicate"' in page
    assert _in(school_a, AgreementTemplate.objects.count) == 1
    assert client.post("/safety/l/templates/new/", {**data, "confirm_duplicate": "on"}).status_code == 302
    assert _in(school_a, AgreementTemplate.objects.count) == 2
    # the checkbox is not in the way of a form without a duplicate
    assert 'type="checkbox" name="confirm_duplicate"' not in client.get("/safety/l/templates/new/").content.decode()


def test_the_roster_is_kept_by_the_head_teacher(client_for, school_a, bob, tina, route):
    url = f"/safety/classes/{route['class']}/roster/"
    assert client_for(tina, school_a).get(url).status_code == 403
    page = client_for(bob, school_a).get(url).content.decode()
    assert "1 张小明 13800000001" in page

    response = client_for(bob, school_a).post(url, {"lines": "1 张小明 13800000009\n2 李小红\n3 王小刚 12345"})
    assert response.status_code == 200
    assert "手机号为 1 开头的 11 位数字" in response.content.decode()
    assert client_for(bob, school_a).post(url, {"lines": "1 张小明 13800000009\n2 李小红"}).status_code == 302
    assert _in(school_a, lambda: list(Student.objects.values_list("seat_no", "name", "guardian_phone"))) == [
        (1, "张小明", "13800000009"), (2, "李小红", "")]


def test_roster_service_refuses_another_teacher(in_school_a, tina, route):
    with pytest.raises(PermissionDenied):
        school_class_roster_set(actor=tina, school_class=SchoolClass.objects.get(pk=route["class"]), rows=[])
