"""Need-to-know (issue 17, item 7): an agreement and its scan are read by the signer, the roles that run
the campaigns (safety officer, logistics director) and the principal — not by another teacher, a guard,
an on-campus unit's contact, the bureau or a partner token; /metrics is refused in production without
its token.

Before the fix every member (and the bureau) opened any agreement and its scan by id, parents' copies
included, GraphQL listed every copy to every reader, and /metrics was open whenever METRICS_TOKEN was unset.
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import override_settings

from api.services import api_token_create, partner_client_create
from safety.choices import AgreementKind, PartyKind
from safety.models import Agreement
from safety.services import (
    agreement_campaign_issue,
    agreement_scan_upload,
    agreement_template_create,
    school_class_create,
)
from tenants.roles import Role
from tests.conftest import HostClient, host_of
from tests.safety.conftest import person

SCAN = b"%PDF-1.4 signed paper copy"
LIST = "{ agreementList(first: 100) { edges { node { pk partyName } } } }"
SIGN = 'mutation($id: ID!) { agreementSign(id: $id, signerName: "冒名") { signedAt } }'


@pytest.fixture
def world(school_a, alice, bob, gina, settings, tmp_path):
    """School A: a campaign to every member (bob's copy signed on paper, scanned) and one to a class's parents."""
    settings.MEDIA_ROOT = str(tmp_path)
    people = {
        "sam": person("sam", Role.SAFETY_OFFICER, school_a),
        "lena": person("lena", Role.LOGISTICS_DIRECTOR, school_a),
        "ted": person("ted", Role.TEACHER, school_a),
        "uma": person("uma", Role.UNIT_CONTACT, school_a),
    }
    connection.set_tenant(school_a)
    sam = people["sam"]
    staff = agreement_template_create(actor=sam, kind=AgreementKind.SAFETY, title="安全责任书", body="岗位安全职责。")
    agreement_campaign_issue(actor=sam, template=staff, term="2026-2027-1", groups=["teachers"])
    school_class_create(grade=1, name="一年级1班", student_count=1)
    notice = agreement_template_create(actor=sam, kind=AgreementKind.PARENT_NOTICE, title="家长告知书", body="告知事项")
    agreement_campaign_issue(actor=sam, template=notice, term="2026-2027-1", groups=["parents"])
    bobs = Agreement.objects.get(user=bob)
    agreement_scan_upload(actor=sam, agreement=bobs,
                          scan=SimpleUploadedFile("bob.pdf", SCAN, content_type="application/pdf"), signer_name="Bob")
    parents = Agreement.objects.get(party_kind=PartyKind.PARENT)
    agreement_scan_upload(actor=sam, agreement=parents,
                          scan=SimpleUploadedFile("parent.pdf", SCAN, content_type="application/pdf"),
                          signer_name="王家长")
    copies = {"bob": Agreement.objects.get(pk=bobs.pk), "parent": Agreement.objects.get(pk=parents.pk),
              "ted": Agreement.objects.get(user=people["ted"])}
    connection.set_schema_to_public()
    return {"school": school_a, "copies": copies, "people": {**people, "alice": alice, "bob": bob, "gina": gina}}


def _client(world, username):
    from tenants.models import User

    client = HostClient(host_of(world["school"]))
    client.force_login(User.objects.get(username=username))
    return client


# (who, copy) → may read. Readers: the signer, those who run campaigns (safety officer, logistics
# director: agreement_campaign_issue's MANAGERS) and the principal.
MATRIX = [
    ("bob", "bob", True),        # the signer
    ("sam", "bob", True),        # safety officer
    ("lena", "bob", True),       # logistics director (runs campaigns in the code)
    ("alice", "bob", True),      # principal
    ("ted", "bob", False),       # a teacher who is not the signer
    ("gina", "bob", False),      # guard
    ("uma", "bob", False),       # on-campus unit contact
    ("dave", "bob", False),      # the bureau's leader (reads the school's pages, not its agreements)
    ("sam", "parent", True),
    ("alice", "parent", True),
    ("bob", "parent", False),    # parents' copies: names, class, seat, signature
    ("ted", "parent", False),
    ("gina", "parent", False),
    ("uma", "parent", False),
    ("dave", "parent", False),
]


@pytest.mark.parametrize(("who", "copy", "allowed"), MATRIX)
def test_agreement_page_and_scan_only_to_those_who_need_them(world, who, copy, allowed):
    agreement = world["copies"][copy]
    client = _client(world, who)

    page = client.get(f"/safety/agreements/{agreement.pk}/")
    scan = client.get(f"/safety/agreements/{agreement.pk}/scan/")

    if allowed:
        assert (page.status_code, scan.status_code) == (200, 200)
        assert agreement.party_name in page.content.decode()
        assert b"".join(scan.streaming_content) == SCAN
    else:
        # 404, exactly as for an id that does not exist: no existence oracle
        missing = client.get("/safety/agreements/999999/")
        assert (page.status_code, scan.status_code, missing.status_code) == (404, 404, 404)
        assert agreement.party_name not in page.content.decode()


def test_another_schools_principal_is_refused_the_same_for_any_id(world, charlie, school_b):
    agreement = world["copies"]["parent"]
    on_a = HostClient(host_of(world["school"]))
    on_a.force_login(charlie)
    # on school A's host: refused before any lookup, the same for a real and an unknown id
    assert [on_a.get(f"/safety/agreements/{pk}/{tail}").status_code
            for pk in (agreement.pk, 999999) for tail in ("", "scan/")] == [403, 403, 403, 403]
    # on their own host the id names nothing of school A
    on_b = HostClient(host_of(school_b))
    on_b.force_login(charlie)
    assert on_b.get(f"/safety/agreements/{agreement.pk}/").status_code == 404
    assert on_b.get(f"/safety/agreements/{agreement.pk}/scan/").status_code == 404


def test_the_parent_reads_their_copy_through_their_own_link_only(world):
    parent = world["copies"]["parent"]
    anonymous = HostClient(host_of(world["school"]))
    assert "告知事项" in anonymous.get(f"/safety/sign/{parent.token}/").content.decode()
    # the signing link is no key to the signed-in pages
    assert anonymous.get(f"/safety/agreements/{parent.pk}/scan/").status_code == 302


def test_campaign_page_lists_only_ones_own_copy_to_a_teacher(world):
    parent = world["copies"]["parent"]
    ted = _client(world, "ted").get(f"/safety/campaigns/{parent.campaign_id}/").content.decode()
    sam = _client(world, "sam").get(f"/safety/campaigns/{parent.campaign_id}/").content.decode()
    assert parent.party_name not in ted
    assert parent.party_name in sam


GRAPHQL_READERS = {"bob": {"bob"}, "ted": {"ted"}, "gina": set(), "uma": set(),
                   "sam": {"bob", "ted", "parent"}, "lena": {"bob", "ted", "parent"},
                   "alice": {"bob", "ted", "parent"}}


@pytest.mark.parametrize("who", sorted(GRAPHQL_READERS))
def test_graphql_lists_only_the_copies_one_may_read(world, who):
    body = _client(world, who).gql(LIST)

    names = {edge["node"]["partyName"] for edge in body["data"]["agreementList"]["edges"]}
    seen = {key for key, copy in world["copies"].items() if copy.party_name in names}
    assert seen == GRAPHQL_READERS[who]
    if who not in ("sam", "lena", "alice"):
        assert len(names) <= 1  # one's own copy at most


def test_graphql_signing_someone_elses_copy_is_not_found_and_changes_nothing(world):
    teds = world["copies"]["ted"]
    body = _client(world, "bob").gql(SIGN, {"id": str(teds.pk)})
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    connection.set_tenant(world["school"])
    assert Agreement.objects.get(pk=teds.pk).signed_at is None


def test_graphql_bureau_other_school_and_partner_read_no_agreement(world, dave, charlie, oscar, school_a):
    for user in (dave, charlie):
        client = HostClient(host_of(school_a))
        client.force_login(user)
        body = client.gql(LIST)
        edges = ((body.get("data") or {}).get("agreementList") or {}).get("edges") or []
        assert edges == [], user.username
    partner = partner_client_create(actor=oscar, name="安防公司", bureau=school_a.bureau, scopes=["safety:read"],
                                    schools=[school_a])
    _token, raw = api_token_create(actor=oscar, client=partner, name="main")
    body = HostClient(host_of(school_a), HTTP_AUTHORIZATION=f"Bearer {raw}").gql(LIST)
    assert body["data"]["agreementList"]["edges"] == []


# ---------------------------------------------------------------------------------------------- /metrics


@override_settings(DEBUG=False, METRICS_TOKEN="")
def test_metrics_without_a_token_are_refused_in_production(db):
    for host in ("localhost", "alpha.localhost"):
        response = HostClient(host).get("/metrics")
        assert response.status_code == 403
        assert b"houqin_" not in response.content


@override_settings(DEBUG=False, METRICS_TOKEN="scrape-me")
def test_metrics_need_the_bearer_token_when_set(db):
    assert HostClient("localhost").get("/metrics").status_code == 403
    assert HostClient("localhost").get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-m").status_code == 403
    assert HostClient("localhost").get("/metrics", HTTP_AUTHORIZATION="scrape-me").status_code == 403
    ok = HostClient("localhost").get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-me")
    assert ok.status_code == 200
    assert b"houqin_requests_total" in ok.content


@override_settings(DEBUG=True, METRICS_TOKEN="")
def test_metrics_stay_open_in_development(db):
    assert HostClient("localhost").get("/metrics").status_code == 200


def test_check_deploy_warns_when_the_metrics_token_is_unset(settings):
    from django.core import checks

    settings.METRICS_TOKEN = ""
    found = [m.id for m in checks.run_checks(include_deployment_checks=True, tags=[checks.Tags.security])]
    assert "frontend.W001" in found
    settings.METRICS_TOKEN = "set"
    found = [m.id for m in checks.run_checks(include_deployment_checks=True, tags=[checks.Tags.security])]
    assert "frontend.W001" not in found
