"""Partner tokens: schools:read reads, only in the schools of the grant; no token writes the school's profile
(schools:write or not: the school keeps it).

The partner model and bearer authentication belong to the api app; here a stand-in partner is put on
the request the way api/auth.py does (request.partner), and the schema is executed directly.
"""

from dataclasses import dataclass, field

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test import RequestFactory
from strawberry.django.context import StrawberryDjangoContext

from api.schema import schema
from schools.models import Building
from tests.schools.factories import BuildingFactory

LIST = "{ buildingList(first: 5) { totalCount } }"
CREATE = 'mutation { buildingCreate(data: {name: "伙伴楼"}) { name } }'


@dataclass
class StandInPartner:
    scopes: set = field(default_factory=set)
    school_ids: set = field(default_factory=set)

    def may_access_school(self, school) -> bool:
        return school.pk in self.school_ids

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


def _run(query, school, partner):
    request = RequestFactory().post("/graphql/", HTTP_HOST=school.host)
    request.user = AnonymousUser()
    request.tenant = school
    request.partner = partner
    connection.set_tenant(school)
    result = schema.execute_sync(query, context_value=StrawberryDjangoContext(request=request, response=None))
    return result


def _codes(result):
    return [e.extensions["code"] for e in result.errors or []]


@pytest.mark.parametrize(
    ("scopes", "granted", "read_ok"),
    [({"schools:read"}, True, True), ({"schools:read", "schools:write"}, True, True),
     ({"assets:read", "assets:write"}, True, False), ({"schools:read", "schools:write"}, False, False)],
)
def test_partner_scopes(scopes, granted, read_ok, school_a, school_b):
    connection.set_tenant(school_a)
    BuildingFactory(name="旧楼")
    partner = StandInPartner(scopes=scopes, school_ids={school_a.pk} if granted else {school_b.pk})

    read = _run(LIST, school_a, partner)
    write = _run(CREATE, school_a, partner)

    assert (read.errors is None) is read_ok
    if read_ok:
        assert read.data["buildingList"]["totalCount"] == 1
    else:
        assert _codes(read) == ["FORBIDDEN"]
    # no token writes a building, whatever its scopes
    connection.set_tenant(school_a)
    assert not Building.objects.filter(name="伙伴楼").exists()
    assert _codes(write) == ["FORBIDDEN"]
    if granted and "schools:write" in scopes:
        assert write.errors[0].message == "Partners may not do this."
