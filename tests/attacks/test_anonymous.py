"""Anonymous pages show only what the label names (issue 17, item 6).

Tried as a visitor without an account, on a school's host: before the fix `/repairs/report/` listed every
room of the school, `?asset=<number>` showed any asset and the room it stands in, and
`/repairs/status/?ref=BX-…-0001` (sequential, unthrottled) showed any report's title, place and status.
Now only a label token (printed in the QR code, core.labels) opens the report form, for that room or
asset only; a report is followed by a private link; reference numbers answer nothing to anonymous callers.
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache
from django.db import connection

from assets.labels import asset_label_token, qr_url
from core.labels import ROOM, label_token
from repairs.models import WorkOrder
from repairs.services import work_order_report
from repairs.views import FOLLOW_MISSES_PER_HOUR
from schools.models import Room
from tests.assets.factories import AssetFactory
from tests.conftest import HostClient, host_of
from tests.repairs.factories import BuildingFactory, RoomFactory

ROOM_NAME = "校长室ZQX"
SECRET_PLACE = "机要档案室ZQX"


@pytest.fixture(autouse=True)
def _fresh_counters():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def place(in_school_a):
    """School A: a room with a label, and a projector standing in a room whose name must not leak."""
    room = RoomFactory(number="301", name=ROOM_NAME)
    secret = RoomFactory(building=BuildingFactory(name="行政楼"), number="909", name=SECRET_PLACE)
    projector = AssetFactory(name="投影仪", room=secret)
    connection.set_schema_to_public()
    return {"room": room, "secret": secret, "projector": projector}


@pytest.fixture
def anonymous(school_a):
    return HostClient(host_of(school_a))


def _room_label(school, room) -> str:
    return f"/repairs/report/?label={label_token(schema_name=school.schema_name, kind=ROOM, pk=room.pk)}"


def _count(school) -> int:
    connection.set_tenant(school)
    try:
        return WorkOrder.objects.count()
    finally:
        connection.set_schema_to_public()


def test_room_list_is_not_shown_to_anonymous(anonymous, place):
    page = anonymous.get("/repairs/report/")

    body = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="scan-label"' in body
    assert 'name="room"' not in body
    assert ROOM_NAME not in body
    assert SECRET_PLACE not in body
    assert "301" not in body


def test_a_room_label_names_its_room_and_offers_no_other(anonymous, place, school_a):
    page = anonymous.get(_room_label(school_a, place["room"])).content.decode()
    assert ROOM_NAME in page
    assert 'name="room"' not in page  # no list to choose from
    assert SECRET_PLACE not in page


def test_asset_number_reveals_nothing(anonymous, place):
    number = place["projector"].asset_number
    for path in (f"/repairs/report/?asset={number}", "/repairs/report/?asset=T99999999"):
        page = anonymous.get(path)
        body = page.content.decode()
        assert page.status_code == 404
        assert "投影仪" not in body
        assert SECRET_PLACE not in body
        assert "行政楼" not in body
    # the asset's QR address without its token, followed to the end, shows nothing either
    followed = anonymous.get(f"/assets/qr/{number}/", follow=True)
    assert followed.status_code == 404
    assert "投影仪" not in followed.content.decode()


def test_an_asset_label_names_the_asset_without_its_place(anonymous, place, school_a):
    url = urlsplit(qr_url(school_a, place["projector"]))
    page = anonymous.get(f"{url.path}?{url.query}", follow=True)
    body = page.content.decode()
    assert page.status_code == 200
    assert "投影仪" in body
    assert SECRET_PLACE not in body
    assert "行政楼" not in body
    assert "909" not in body
    # and the report it sends is booked to the asset and its room, which the reporter never saw
    response = anonymous.post(f"/repairs/report/?label={asset_label_token(school_a, place['projector'])}",
                              {"title": "不亮了"})
    assert response.status_code == 302
    connection.set_tenant(school_a)
    order = WorkOrder.objects.get()
    assert (order.asset_id, order.room_id) == (place["projector"].pk, place["secret"].pk)


def _without_tokens(body: str, typed: str) -> str:
    """The page without what differs per request anyway: the CSRF token, the CSP nonce, the address typed."""
    body = re.sub(r'(content|value|nonce)="[A-Za-z0-9+/=_-]{20,}"', r'\1=""', body)
    return body.replace(typed, "")


def test_sequential_reference_reveals_nothing(anonymous, place, school_a):
    connection.set_tenant(school_a)
    order = work_order_report(reporter=None, title="门锁坏了ZQX", room=Room.objects.get(pk=place["secret"].pk))
    connection.set_schema_to_public()

    known = anonymous.get(f"/repairs/status/?ref={order.reference}")
    unknown = anonymous.get("/repairs/status/?ref=BX-20000101-9999")

    assert (known.status_code, unknown.status_code) == (200, 200)
    # (the reference itself appears only as the address typed, in the language switcher's return link)
    for text in ("门锁坏了ZQX", SECRET_PLACE, order.get_status_display(), 'data-testid="reference"'):
        assert text not in known.content.decode()
    # the same page whatever the reference names: no oracle
    assert _without_tokens(known.content.decode(), order.reference) == _without_tokens(
        unknown.content.decode(), "BX-20000101-9999")


def test_the_private_link_works_for_the_reporter(anonymous, place, school_a):
    response = anonymous.post(_room_label(school_a, place["room"]), {"title": "空调漏水", "reporter_phone": "13800000000"})
    assert response.status_code == 302
    link = response["Location"]
    assert re.fullmatch(r"/repairs/status/\?t=[\w-]{32}&new=1", link), link

    page = HostClient(host_of(school_a)).get(link)  # another browser, the same link
    body = page.content.decode()
    assert page.status_code == 200
    assert "空调漏水" in body
    assert ROOM_NAME in body
    assert "13800000000" not in body
    # the order keeps only the link's hash
    connection.set_tenant(school_a)
    token = link.split("t=", 1)[1].split("&", 1)[0]
    assert WorkOrder.objects.values_list("follow_token_hash", flat=True).get() == hashlib.sha256(
        token.encode()).hexdigest()


def test_follow_up_lookups_are_rate_limited(anonymous, place, school_a):
    link = anonymous.post(_room_label(school_a, place["room"]), {"title": "窗户坏了"})["Location"]
    token = link.split("t=", 1)[1].split("&", 1)[0]

    misses = [anonymous.get(f"/repairs/status/?t={token[:-4]}{i:04d}").status_code
              for i in range(FOLLOW_MISSES_PER_HOUR)]
    after = anonymous.get(f"/repairs/status/?t={token[:-4]}zzzz")
    own = anonymous.get(f"/repairs/status/?t={token}")

    assert misses == [404] * FOLLOW_MISSES_PER_HOUR
    assert (after.status_code, own.status_code) == (429, 429)
    assert "窗户坏了" not in own.content.decode()  # a guess that hits is not confirmed either
    # another address is not affected
    assert anonymous.get(f"/repairs/status/?t={token}", REMOTE_ADDR="10.0.0.9").status_code == 200


def test_a_label_of_school_a_does_nothing_on_school_b(place, school_a, school_b):
    label = _room_label(school_a, place["room"])
    on_b = HostClient(host_of(school_b))
    before = (_count(school_a), _count(school_b))

    page = on_b.get(label)
    post = on_b.post(label, {"title": "跨校报修"})

    assert (page.status_code, post.status_code) == (404, 404)
    assert ROOM_NAME not in page.content.decode()
    assert 'data-testid="scan-label"' in page.content.decode()
    assert (_count(school_a), _count(school_b)) == before
    # and a follow-up link of school A opens nothing on school B
    link = HostClient(host_of(school_a)).post(label, {"title": "灯坏了"})["Location"]
    assert on_b.get(link).status_code == 404


def test_printed_room_labels_carry_the_token(client_for, school_a, place):
    from tenants.roles import Role
    from tests.safety.conftest import person

    lena = person("lena", Role.LOGISTICS_DIRECTOR, school_a)
    page = client_for(lena, school_a).get("/repairs/labels/").content.decode()
    assert _room_label(school_a, place["room"]) in page
    assert f"?room={place['room'].pk}" not in page


def test_a_signed_in_member_without_a_label_chooses_the_room(client_for, school_a, bob, place):
    response = client_for(bob, school_a).get(f"/repairs/report/?room={place['room'].pk}")
    assert response.status_code == 302
    assert response["Location"] == f"/repairs/new/?room={place['room'].pk}"
