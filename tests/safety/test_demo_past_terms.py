"""The demo's past terms have hazards, so the bureau's trends (整改率, hazards found) draw several points."""

from __future__ import annotations

import datetime as dt

from safety.demo import load_school
from safety.selectors import hazard_stats
from safety.terms import current_term, term_of
from tenants.roles import Role

from .conftest import person


def test_the_two_terms_before_this_one_have_hazards_most_closed(in_school_a, alice, sam, gina, mia):
    people = {Role.PRINCIPAL: alice, Role.SAFETY_OFFICER: sam, Role.GUARD: gina, Role.MAINTENANCE_WORKER: mia,
              Role.LOGISTICS_DIRECTOR: person("lee", Role.LOGISTICS_DIRECTOR, in_school_a),
              Role.UNIT_CONTACT: person("una", Role.UNIT_CONTACT, in_school_a)}

    load_school(school=in_school_a, people=people, seed=True)

    this = current_term()
    last = term_of(this.start - dt.timedelta(days=1))
    before = term_of(last.start - dt.timedelta(days=1))
    assert hazard_stats(period=this)["found"] == 16  # the seed's own figures stay as they were
    previous = hazard_stats(period=last)
    earlier = hazard_stats(period=before)
    assert (previous["found"], previous["rectified"], previous["rate_percent"]) == (8, 6, 75)
    assert (earlier["found"], earlier["rectified"], earlier["rate_percent"]) == (8, 5, 62)
