"""Partner tokens (the property company) through repairs:read / repairs:write, and the beat tasks."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from django.utils import timezone
from strawberry.django.context import StrawberryDjangoContext

from repairs.choices import Frequency, Severity, Status
from repairs.models import MaintenancePlan, WorkOrder
from repairs.services import work_order_report


@dataclass
class FakePartner:
    """Stands in for api's partner client (request.partner is set by the token authentication)."""

    scopes: set = field(default_factory=set)
    school_slugs: set = field(default_factory=set)
    client: SimpleNamespace = field(default_factory=lambda: SimpleNamespace(name="物业公司"))

    def may_access_school(self, school) -> bool:
        return school.slug in self.school_slugs

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


def run_as_partner(partner, school, query, variables=None):
    from api.schema import schema

    request = RequestFactory().post("/graphql/", HTTP_HOST=school.host)
    request.tenant = school
    request.user = AnonymousUser()
    request.partner = partner
    result = schema.execute_sync(query, variable_values=variables or {},
                                 context_value=StrawberryDjangoContext(request=request, response=None))
    errors = [e.extensions.get("code") for e in (result.errors or [])]
    return result.data, errors


LIST = "{ workOrderList { totalCount edges { node { reference status } } } }"
TRIAGE = "mutation($r: String!) { workOrderTriage(data: {reference: $r, severity: MAJOR}) { severity dueAt } }"


@pytest.fixture
def order(room, bob):
    return work_order_report(reporter=bob, title="寝室电线错乱", room=room)


@pytest.mark.parametrize(
    ("scopes", "slugs", "expected"),
    [({"repairs:read"}, {"alpha"}, None), (set(), {"alpha"}, "FORBIDDEN"), ({"repairs:read"}, {"beta"}, "FORBIDDEN"),
     ({"assets:read"}, {"alpha"}, "FORBIDDEN")],
)
def test_partner_lists_orders_with_repairs_read(school_a, order, scopes, slugs, expected):
    data, errors = run_as_partner(FakePartner(scopes, slugs), school_a, LIST)
    if expected is None:
        assert errors == []
        assert data["workOrderList"]["totalCount"] == 1
    else:
        assert errors == [expected]


@pytest.mark.parametrize(("scopes", "allowed"), [({"repairs:read"}, False), ({"repairs:read", "repairs:write"}, True)])
def test_partner_updates_orders_with_repairs_write(school_a, order, scopes, allowed):
    data, errors = run_as_partner(FakePartner(scopes, {"alpha"}), school_a, TRIAGE, {"r": order.reference})
    order.refresh_from_db()
    if allowed:
        assert errors == []
        assert order.severity == Severity.MAJOR
        # the due time moved: the clock names the partner
        assert order.clock_events.get(kind="due_changed").partner_name == "物业公司"
    else:
        assert errors == ["FORBIDDEN"]
        assert (order.severity, order.triaged_at) == (Severity.MINOR, None)


def test_partner_cannot_confirm_for_the_reporter(school_a, order):
    WorkOrder.objects.filter(pk=order.pk).update(status=Status.COMPLETED)
    query = "mutation($r: String!) { workOrderConfirm(data: {reference: $r, rating: 5}) { status } }"
    _, errors = run_as_partner(FakePartner({"repairs:read", "repairs:write"}, {"alpha"}), school_a, query,
                               {"r": order.reference})
    assert errors == ["FORBIDDEN"]
    order.refresh_from_db()
    assert order.status == Status.COMPLETED


def test_beat_schedule_names_registered_tasks():
    from config.celery import app
    from repairs.schedules import BEAT_SCHEDULE

    app.loader.import_default_modules()
    for entry in BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks


def test_school_tasks_run_the_services(in_school_a):
    from repairs.tasks import repairs_escalate_school_task, repairs_plans_school_task

    MaintenancePlan.objects.create(title="除草", frequency=Frequency.MONTHLY, next_due_on=timezone.localdate(),
                                   lead_days=0)
    assert repairs_plans_school_task() == 1
    assert repairs_plans_school_task() == 0
    assert repairs_escalate_school_task() == {"due_soon": [], "overdue": [], "vendor_due_soon": [],
                                              "vendor_late": []}
