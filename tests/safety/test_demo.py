"""The seed school's demo figures."""

from __future__ import annotations

from safety.choices import AgreementKind, PartyKind, SignedVia
from safety.demo import load_school
from safety.models import Agreement, Camera, SecurityTeamMember
from safety.selectors import agreement_coverage, hazard_stats
from safety.services import text_sha256
from tenants.roles import Role

from .conftest import person


def test_seed_school_reads_the_seed_figures(in_school_a, alice, sam, gina, mia):
    people = {Role.PRINCIPAL: alice, Role.SAFETY_OFFICER: sam, Role.GUARD: gina, Role.MAINTENANCE_WORKER: mia,
              Role.LOGISTICS_DIRECTOR: person("lee", Role.LOGISTICS_DIRECTOR, in_school_a),
              Role.UNIT_CONTACT: person("una", Role.UNIT_CONTACT, in_school_a)}

    load_school(school=in_school_a, people=people, seed=True)

    stats = hazard_stats()
    assert (stats["found"], stats["rectified"], stats["rate_percent"]) == (16, 11, 69)
    assert Camera.objects.count() == 6
    assert SecurityTeamMember.objects.filter(team="guard").count() == 2
    coverage = {row["kind"]: (row["signed"], row["total"]) for row in agreement_coverage()}
    assert coverage[AgreementKind.PARENT_NOTICE] == (481, 481)
    assert coverage[AgreementKind.ROUTE] == (481, 481)
    # Signed in one UPDATE per campaign: the signer and the digest are what signing writes one by one.
    for agreement in Agreement.objects.filter(signed_at__isnull=False):
        assert agreement.text_sha256 == text_sha256(agreement.text)
        assert agreement.signer_name == ("家长" if agreement.party_kind == PartyKind.PARENT else agreement.party_name)
        assert agreement.signed_via == SignedVia.ONLINE
    safety = Agreement.objects.filter(kind=AgreementKind.SAFETY)
    assert safety.filter(signed_at__isnull=True).count() == 0
    assert safety.filter(party_kind=PartyKind.UNIT).count() == 2
