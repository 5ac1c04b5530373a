"""Agreements: issue to groups, sign online or by scan, immutability, coverage and reminders."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import ProgrammingError, transaction

from safety.choices import AgreementKind, PartyKind, SignedVia
from safety.models import Agreement
from safety.selectors import agreement_coverage, campaign_coverage
from safety.services import (
    agreement_campaign_issue,
    agreement_campaign_remind,
    agreement_sign,
    agreement_template_create,
    agreement_text_update,
    school_class_create,
    text_sha256,
)
from schools.models import Department, OnCampusUnit
from tenants.models import Notification

TERM = "2026-2027-1"


@pytest.fixture
def route_campaign(in_school_a, sam):
    school_class_create(grade=1, name="一年级1班", student_count=3)
    school_class_create(grade=1, name="一年级2班", student_count=2)
    template = agreement_template_create(actor=sam, kind=AgreementKind.ROUTE, title="学生路途安全责任书",
                                         body="家长负责学生上下学路途安全。")
    return agreement_campaign_issue(actor=sam, template=template, term=TERM, groups=["parents"])


def test_parents_of_every_class_get_a_copy_with_a_link(route_campaign):
    rows = Agreement.objects.filter(campaign=route_campaign)
    assert rows.count() == 5
    assert set(rows.values_list("party_kind", flat=True)) == {PartyKind.PARENT}
    assert all(len(a.token) >= 22 for a in rows)  # 128 bits
    assert campaign_coverage(campaign_id=route_campaign.pk)["total"] == 5


def test_parent_signs_by_link_and_text_hash_is_kept(route_campaign):
    agreement = Agreement.objects.filter(campaign=route_campaign).first()
    signed = agreement_sign(agreement=agreement, signer_name="张家长", token=agreement.token)
    assert signed.signed_via == SignedVia.ONLINE
    assert signed.text_sha256 == text_sha256(agreement.text)
    assert signed.signer_name == "张家长"
    coverage = {row["kind"]: row for row in agreement_coverage(term=TERM)}
    assert (coverage[AgreementKind.ROUTE]["signed"], coverage[AgreementKind.ROUTE]["total"]) == (1, 5)


def test_signing_twice_is_refused(route_campaign):
    agreement = Agreement.objects.filter(campaign=route_campaign).first()
    first = agreement_sign(agreement=agreement, signer_name="张家长", token=agreement.token)

    with pytest.raises(ValidationError) as error:
        agreement_sign(agreement=agreement, signer_name="李四", token=agreement.token)

    assert error.value.message_dict["signed_at"] == ["该责任书已签署，不能重复签署。"]
    agreement.refresh_from_db()
    assert (agreement.signer_name, agreement.signed_at) == ("张家长", first.signed_at)


def test_wrong_token_is_refused(route_campaign):
    agreement = Agreement.objects.filter(campaign=route_campaign).first()
    with pytest.raises(PermissionDenied):
        agreement_sign(agreement=agreement, signer_name="X", token="guess")
    agreement.refresh_from_db()
    assert agreement.signed_at is None


def test_editing_a_signed_agreement_is_refused_by_service_and_database(route_campaign, sam):
    agreement = Agreement.objects.filter(campaign=route_campaign).first()
    agreement_sign(agreement=agreement, signer_name="张家长", token=agreement.token)
    original = agreement.text

    with pytest.raises(ValidationError) as error:
        agreement_text_update(actor=sam, agreement=agreement, text="改过的条款")
    assert error.value.message_dict["text"] == ["已签署的责任书不能修改。"]

    # even raw SQL cannot change or delete it
    with pytest.raises(ProgrammingError, match="Cannot update or delete"), transaction.atomic():
        Agreement.objects.filter(pk=agreement.pk).update(text="改过的条款")
    with pytest.raises(ProgrammingError, match="Cannot update or delete"), transaction.atomic():
        Agreement.objects.filter(pk=agreement.pk).delete()
    agreement.refresh_from_db()
    assert agreement.text == original


def test_text_changed_after_opening_is_refused(route_campaign):
    agreement = Agreement.objects.filter(campaign=route_campaign).first()
    with pytest.raises(ValidationError):
        agreement_sign(agreement=agreement, signer_name="张家长", token=agreement.token, seen_sha256="0" * 64)
    agreement.refresh_from_db()
    assert agreement.signed_at is None


def test_teachers_departments_units_and_reminders(in_school_a, sam, alice, bob):
    Department.objects.create(name="总务处", head=alice)
    OnCampusUnit.objects.create(name="XX幼儿园")
    template = agreement_template_create(actor=sam, kind=AgreementKind.SAFETY, title="安全工作责任状", body="……")
    campaign = agreement_campaign_issue(actor=sam, template=template, term=TERM,
                                        groups=["teachers", "departments", "units"])
    teachers = Agreement.objects.filter(campaign=campaign, party_kind=PartyKind.TEACHER)
    usernames = set(teachers.values_list("user__username", flat=True))
    assert {"alice", "bob", "gina", "sam"} <= usernames
    assert Agreement.objects.filter(campaign=campaign, party_kind=PartyKind.DEPARTMENT, party_name="总务处").exists()
    assert Agreement.objects.filter(campaign=campaign, party_kind=PartyKind.UNIT).count() == 1

    # bob may not sign alice's copy
    with pytest.raises(PermissionDenied):
        agreement_sign(agreement=teachers.get(user=alice), signer_name="Bob", user=bob)
    agreement_sign(agreement=teachers.get(user=bob), signer_name="Bob", user=bob)

    # reminders go to those with accounts who have not signed, once a day
    agreement_campaign_remind(campaign=campaign)
    agreement_campaign_remind(campaign=campaign)
    reminded = Notification.objects.filter(kind="safety.agreement_reminder")
    assert not reminded.filter(recipient=bob).exists()
    assert reminded.filter(recipient=alice).count() == 1


def test_new_template_version(in_school_a, sam):
    first = agreement_template_create(actor=sam, kind=AgreementKind.FIRE, title="消防安全责任状", body="v1", post="门卫")
    # the same title again is a revision only when confirmed (仍要创建)
    second = agreement_template_create(actor=sam, kind=AgreementKind.FIRE, title="消防安全责任状", body="v2", post="门卫",
                                       confirm_duplicate=True)
    assert (first.version, second.version) == (1, 2)


def test_fire_agreement_by_post_goes_to_that_post_only(in_school_a, sam, gina):
    from tenants.roles import Role
    from tenants.services import membership_grant

    membership_grant(user=gina, role=Role.GUARD, school=in_school_a, post="门卫")
    template = agreement_template_create(actor=sam, kind=AgreementKind.FIRE, title="门卫消防安全责任状", body="……",
                                         post="门卫")
    campaign = agreement_campaign_issue(actor=sam, template=template, term=TERM, groups=["teachers"])
    assert list(Agreement.objects.filter(campaign=campaign).values_list("user__username", flat=True)) == ["gina"]


def test_head_teachers_hear_about_unsigned_parents(in_school_a, sam, bob):
    school_class_create(grade=3, name="三年级1班", student_count=3, head_teacher=bob)
    template = agreement_template_create(actor=sam, kind=AgreementKind.ROUTE, title="学生路途安全责任书", body="……")
    campaign = agreement_campaign_issue(actor=sam, template=template, term=TERM, groups=["parents"])
    first = Agreement.objects.filter(campaign=campaign).first()
    agreement_sign(agreement=first, signer_name="家长", token=first.token)

    agreement_campaign_remind(campaign=campaign)

    titles = list(Notification.objects.filter(recipient=bob).values_list("title", flat=True))
    assert titles == ["三年级1班 有 2 名家长未签署：学生路途安全责任书"]


def test_coverage_is_one_aggregate_query(route_campaign, django_assert_num_queries):
    with django_assert_num_queries(1):
        rows = agreement_coverage(term=TERM)
    assert [(r["kind"], r["signed"], r["total"]) for r in rows] == [(AgreementKind.ROUTE, 0, 5)]


def test_paper_copy_scan_is_recorded_once(route_campaign, sam, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from safety.services import agreement_scan_upload

    settings.MEDIA_ROOT = str(tmp_path)
    agreement = Agreement.objects.filter(campaign=route_campaign).first()
    scan = SimpleUploadedFile("signed.pdf", b"%PDF-1.4 signed copy", content_type="application/pdf")
    signed = agreement_scan_upload(actor=sam, agreement=agreement, scan=scan, signer_name="王家长")
    assert (signed.signed_via, signed.signer_name) == (SignedVia.SCAN, "王家长")
    again = SimpleUploadedFile("again.pdf", b"%PDF-1.4 other", content_type="application/pdf")
    with pytest.raises(ValidationError):
        agreement_scan_upload(actor=sam, agreement=agreement, scan=again, signer_name="别人")
    agreement.refresh_from_db()
    assert agreement.signer_name == "王家长"
