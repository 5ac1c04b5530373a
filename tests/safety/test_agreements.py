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
    assert all(len(a.token) >= 30 for a in rows)
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

    assert "cannot be signed twice" in error.value.message_dict["signed_at"][0]
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
    assert error.value.message_dict["text"] == ["A signed agreement cannot be changed."]

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
    second = agreement_template_create(actor=sam, kind=AgreementKind.FIRE, title="消防安全责任状", body="v2", post="门卫")
    assert (first.version, second.version) == (1, 2)
