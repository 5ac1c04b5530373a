"""The anonymous reporter's private link: 催修 while the repair is worked on, then confirm and rate, or reopen."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from repairs import services
from repairs.choices import Severity, Status
from repairs.models import WorkOrder
from tenants.models import Notification

from .conftest import png


@pytest.fixture
def public(client_for, school_a):
    return client_for(None, school_a)


@pytest.fixture
def reported(public, school_a, room, lena):
    """A fault reported from the room's QR label by a parent: the order and the status page's address."""
    from core.labels import ROOM, label_token

    label = f"/repairs/report/?label={label_token(schema_name=school_a.schema_name, kind=ROOM, pk=room.pk)}"
    response = public.post(label, {"title": "灯不亮", "reporter_name": "王家长", "photos": [png()]})
    status_url = re.sub(r"&new=1$", "", response["Location"])
    return WorkOrder.objects.get(), status_url


def test_the_reporter_urges_once_every_two_hours_and_the_director_is_told(public, reported, lena):
    order, url = reported
    page = public.get(url).content.decode()
    assert 'data-testid="urge-form"' in page
    assert 'data-testid="confirm-form"' not in page

    response = public.post(url, {"action": "urge"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.urge_count == 1
    assert Notification.objects.filter(recipient=lena, kind="repairs.urged").count() == 1
    assert "王家长（通过跟进链接）" in {n.partner_name for n in order.notes.all()}

    # a second urge at once is refused with when it may be sent again, and changes nothing
    page = public.post(url, {"action": "urge"}).content.decode()
    assert "后可再次催修" in page
    order.refresh_from_db()
    assert order.urge_count == 1
    assert Notification.objects.filter(recipient=lena, kind="repairs.urged").count() == 1

    # two hours later it goes again, to the assignee once there is one
    services.work_order_urge_by_link(token=url.split("t=")[1], now=timezone.now() + dt.timedelta(hours=2, minutes=1))
    order.refresh_from_db()
    assert order.urge_count == 2


def test_the_reporter_rates_a_completed_repair_or_reopens_it(public, reported, lena, mario):
    order, url = reported
    services.work_order_triage(order=order, actor=lena, severity=Severity.MINOR, assignee=mario)
    services.work_order_start(order=order, actor=mario)
    services.work_order_complete(order=order, actor=mario, closing_note="换了灯管")

    page = public.get(url).content.decode()
    assert 'data-testid="confirm-form"' in page
    assert 'data-testid="urge-form"' not in page
    # a rating out of range or missing is refused and changes nothing
    page = public.post(url, {"action": "confirm", "rating": "9"}).content.decode()
    assert "1 到 5" in page or "1–5" in page or 'data-testid="errors"' in page
    order.refresh_from_db()
    assert order.status == Status.COMPLETED
    # an empty reason does not reopen
    public.post(url, {"action": "reopen", "reason": "  "})
    order.refresh_from_db()
    assert order.status == Status.COMPLETED
    # it is not fixed: back to the assignee with a fresh clock
    public.post(url, {"action": "reopen", "reason": "还是不亮"})
    order.refresh_from_db()
    assert (order.status, order.reopen_count) == (Status.ASSIGNED, 1)
    services.work_order_start(order=order, actor=mario)
    services.work_order_complete(order=order, actor=mario, closing_note="换了镇流器")
    response = public.post(url, {"action": "confirm", "rating": "4", "comment": "修得快"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert (order.status, order.rating) == (Status.CONFIRMED, 4)
    assert "修得快" in {n.text for n in order.notes.all()}
    page = public.get(url).content.decode()
    assert "4★" in page
    assert 'data-testid="confirm-form"' not in page


def test_a_wrong_link_changes_nothing(public, reported):
    order, url = reported
    response = public.post("/repairs/status/?t=" + "x" * 32, {"action": "urge"})
    assert response.status_code == 404
    order.refresh_from_db()
    assert order.urge_count == 0
    with pytest.raises(PermissionDenied):
        services.work_order_urge_by_link(token="")
