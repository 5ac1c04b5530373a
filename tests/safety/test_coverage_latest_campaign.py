"""The bureau's agreement_coverage_<kind> is the kind's latest campaign of the term, the figure the school's safety
board marks — never campaigns added together (issue 20, part 1); and the reminder's breakdown by channel reaches
GraphQL (agreementCampaignRemind)."""

from __future__ import annotations

import re

import pytest
from django.db import connection

from reporting.models import SchoolMetrics
from reporting.services import school_metrics_refresh
from safety.choices import AgreementKind, PartyKind
from safety.models import Agreement, AgreementCampaign
from safety.selectors import agreement_coverage, campaign_coverage_list
from safety.services import (
    agreement_campaign_issue,
    agreement_sign,
    agreement_template_create,
    school_class_create,
)
from safety.terms import current_term, term_label
from tenants.models import User


def _sign(campaign, n: int) -> None:
    for agreement in Agreement.objects.filter(campaign=campaign, party_kind=PartyKind.PARENT).order_by("pk")[:n]:
        agreement_sign(agreement=agreement, signer_name="家长", token=agreement.token)


@pytest.fixture
def two_route_campaigns(school_a, sam, bob):
    """This term, the route agreement issued twice to a class of 3: the first 2 / 3 signed, the second 1 / 3."""
    connection.set_tenant(school_a)
    term = term_label(current_term())
    school_class_create(grade=1, name="一年级1班", student_count=3, head_teacher=bob)
    template = agreement_template_create(actor=sam, kind=AgreementKind.ROUTE, title="学生路途安全责任书", body="条款")
    first = agreement_campaign_issue(actor=sam, template=template, term=term, groups=["parents"])
    second = agreement_campaign_issue(actor=sam, template=template, term=term, groups=["parents"],
                                      confirm_duplicate=True)
    _sign(first, 2)
    _sign(second, 1)
    connection.set_schema_to_public()
    return {"first": first.pk, "second": second.pk, "term": term}


def test_the_kinds_figure_is_its_latest_campaign_not_the_sum(school_a, two_route_campaigns):
    connection.set_tenant(school_a)
    [route] = [r for r in agreement_coverage() if r["kind"] == AgreementKind.ROUTE]
    rows = {r["campaign_id"]: r for r in campaign_coverage_list()}
    connection.set_schema_to_public()

    assert (route["signed"], route["total"], route["campaign_id"], route["campaigns"]) == (
        1, 3, two_route_campaigns["second"], 2)
    assert rows[two_route_campaigns["second"]]["counted"] is True
    assert rows[two_route_campaigns["first"]]["counted"] is False
    assert (rows[two_route_campaigns["first"]]["signed"], rows[two_route_campaigns["first"]]["total"]) == (2, 3)


def test_the_bureau_reads_the_figure_the_school_board_marks(client_for, school_a, two_route_campaigns, alice):
    # when the school's row of the read-model is recomputed
    school_metrics_refresh(school=school_a)
    value = SchoolMetrics.objects.get(school=school_a).values["agreement_coverage_route"]

    # then the bureau's figure is the second campaign's 1 / 3, not (2 + 1) / (3 + 3)
    assert value == pytest.approx(1 / 3)
    # and the school's board marks that campaign as the one the bureau counts, with the same figure
    page = client_for(alice, school_a).get("/safety/").content.decode()
    second, first = two_route_campaigns["second"], two_route_campaigns["first"]
    counted = re.search(rf'<tr data-campaign="{second}" data-counted>(.*?)</tr>', page, re.S)
    assert counted is not None, page
    assert "教育局统计" in counted.group(1)
    assert "1 / 3" in counted.group(1)
    assert "33%" in counted.group(1)
    assert re.search(rf'<tr data-campaign="{first}"><td>.*?2 / 3', page, re.S)


def test_one_campaign_of_a_kind_carries_no_badge(client_for, school_a, sam, bob, alice):
    connection.set_tenant(school_a)
    school_class_create(grade=1, name="一年级1班", student_count=3, head_teacher=bob)
    template = agreement_template_create(actor=sam, kind=AgreementKind.ROUTE, title="学生路途安全责任书", body="条款")
    campaign = agreement_campaign_issue(actor=sam, template=template, term=term_label(current_term()),
                                        groups=["parents"])
    connection.set_schema_to_public()
    page = client_for(alice, school_a).get("/safety/").content.decode()
    assert f'<tr data-campaign="{campaign.pk}" data-counted>' in page
    assert "教育局统计" not in page


def test_graphql_board_coverage_is_the_latest_campaign(client_for, school_a, two_route_campaigns, alice):
    body = client_for(alice, school_a).gql("{ safetyBoard { coverage { kind signed total campaigns campaignTitle } } }")
    assert "errors" not in body, body
    assert body["data"]["safetyBoard"]["coverage"] == [
        {"kind": "route", "signed": 1, "total": 3, "campaigns": 2, "campaignTitle": "学生路途安全责任书"}
    ]


REMIND = """mutation($id: ID!) { agreementCampaignRemind(id: $id) {
  staffNotified classesSentSlips parentsBySlip smsQueued smsDelivers parentsWithoutPhone
  classesWithoutHeadTeacher unreachable alreadyRemindedToday total message } }"""


def test_graphql_remind_returns_the_breakdown_by_channel(client_for, school_a, sam, bob):
    # given a class of 3 with its head teacher, a class of 2 without one, and the agreement to the staff too
    connection.set_tenant(school_a)
    school_class_create(grade=1, name="一年级1班", student_count=3, head_teacher=bob)
    school_class_create(grade=1, name="一年级2班", student_count=2)
    template = agreement_template_create(actor=sam, kind=AgreementKind.ROUTE, title="学生路途安全责任书", body="条款")
    campaign = agreement_campaign_issue(actor=sam, template=template, term=term_label(current_term()),
                                        groups=["teachers", "parents"])
    staff = Agreement.objects.filter(campaign=campaign, party_kind=PartyKind.TEACHER)
    closed = staff.exclude(user=sam).first().user
    User.objects.filter(pk=closed.pk).update(is_active=False)  # a leaver's account: no channel reaches them
    members = staff.count()
    connection.set_schema_to_public()

    body = client_for(sam, school_a).gql(REMIND, {"id": str(campaign.pk)})

    assert "errors" not in body, body
    result = body["data"]["agreementCampaignRemind"]
    # no roster phones: no text; bob's 3 families by slip; the 2 of the class without a head teacher unreachable
    assert result == {
        "staffNotified": members - 1, "classesSentSlips": 1, "parentsBySlip": 3, "smsQueued": 0,
        "smsDelivers": False, "parentsWithoutPhone": 5, "classesWithoutHeadTeacher": 1, "unreachable": 2 + 1,
        "alreadyRemindedToday": 0, "total": members - 1 + 1,
        "message": f"已在系统内通知 {members - 1} 名教职工；1 个班级的签字单已发给班主任；5 名家长在班级花名册中无手机号；"
                   "1 个班级没有班主任，无法分发签字单；3 名未签署人员无法通过任何渠道提醒。",
    }
    connection.set_tenant(school_a)
    assert AgreementCampaign.objects.filter(pk=campaign.pk).exists()
    connection.set_schema_to_public()


def test_graphql_remind_is_for_the_safety_managers(client_for, school_a, two_route_campaigns, bob):
    body = client_for(bob, school_a).gql(REMIND, {"id": str(two_route_campaigns["first"])})
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
