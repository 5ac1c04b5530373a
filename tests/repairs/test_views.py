"""Pages: the public QR report page (photos, rate limit, reference), status page, board/list/detail access."""

from __future__ import annotations

import hashlib
import re

import pytest

from core.labels import ROOM, label_token
from repairs import services
from repairs.choices import Severity, Source, Status
from repairs.models import RepairSettings, WorkOrder
from repairs.services import work_order_report, work_order_triage

from .conftest import png, text_file


@pytest.fixture
def public(client_for, school_a):
    return client_for(None, school_a)


@pytest.fixture
def label(school_a, room):
    """The report page's address on room 301's QR label."""
    return f"/repairs/report/?label={label_token(schema_name=school_a.schema_name, kind=ROOM, pk=room.pk)}"


def test_public_page_opens_without_sign_in_for_a_room(public, label):
    response = public.get(label)
    assert response.status_code == 200
    assert "1号教学楼 301" in response.content.decode()


def test_public_report_returns_a_reference_and_a_private_status_link(public, room, label):
    # when someone scans the room's label and reports with a photo
    response = public.post(label, {
        "title": "灯不亮", "reporter_name": "家长", "reporter_phone": "13800000000", "photos": [png()],
    })

    # then an order exists with a reference and they land on its status page, by a private link
    order = WorkOrder.objects.get()
    assert response.status_code == 302
    match = re.fullmatch(r"/repairs/status/\?t=([\w-]{32})&new=1", response["Location"])
    assert match, response["Location"]
    assert order.follow_token_hash == hashlib.sha256(match.group(1).encode()).hexdigest()
    assert re.fullmatch(r"BX-\d{8}-0001", order.reference)
    assert (order.source, order.room, order.reporter, order.reporter_name) == (Source.PUBLIC, room, None, "家长")
    assert order.photos.count() == 1
    page = public.get(response["Location"]).content.decode()
    assert order.reference in page
    assert "13800000000" not in page


def test_public_report_with_a_non_image_is_refused(public, label):
    response = public.post(label, {"title": "灯不亮", "photos": [text_file()]})
    assert response.status_code == 400
    assert "不接受此类文件" in response.content.decode() or "not accepted" in response.content.decode()
    assert WorkOrder.objects.count() == 0


def test_public_report_with_a_too_large_photo_is_refused(public, label):
    response = public.post(label, {"title": "灯不亮", "photos": [png(size=services.PHOTO_MAX_BYTES + 1)]})
    assert response.status_code == 400
    assert WorkOrder.objects.count() == 0


def test_report_flood_from_one_address_is_refused(public, label):
    preset = RepairSettings.current()
    preset.public_reports_per_hour = 3
    preset.save()
    for i in range(3):
        assert public.post(label, {"title": f"灯{i}"}).status_code == 302

    response = public.post(label, {"title": "灯4"})

    assert response.status_code == 429
    assert "过多" in response.content.decode() or "Too many" in response.content.decode()
    assert WorkOrder.objects.count() == 3
    # another address is not affected
    assert public.post(label, {"title": "灯5"}, REMOTE_ADDR="10.0.0.9").status_code == 302


def test_labels_printed_before_tokens_show_only_scan_the_new_label(public, room):
    # a room that exists and one that does not get the same answer: no form, no room
    pages = [public.get(path) for path in (f"/repairs/report/?room={room.pk}", "/repairs/report/?room=999999",
                                           "/repairs/report/?room=abc", "/repairs/report/?label=r1:forged")]
    assert [p.status_code for p in pages] == [404, 404, 404, 404]
    assert all("data-testid=\"scan-label\"" in p.content.decode() for p in pages)
    assert all("301" not in p.content.decode() and "public-report-form" not in p.content.decode() for p in pages)


def test_status_page_by_reference_shows_nothing_to_anonymous(public, in_school_a):
    order = work_order_report(reporter=None, title="门锁坏了", location_note="东门", source=Source.PUBLIC)
    known = public.get(f"/repairs/status/?ref={order.reference}")
    unknown = public.get("/repairs/status/?ref=BX-20260101-9999")
    assert (known.status_code, unknown.status_code) == (200, 200)
    assert "门锁坏了" not in known.content.decode()
    assert "东门" not in known.content.decode()
    assert 'data-testid="reference"' not in known.content.decode()


@pytest.mark.parametrize(
    ("who", "expected"),
    [(None, 302), ("charlie", 403), ("bob", 200), ("dave", 200), ("erin", 403)],
)
@pytest.mark.parametrize("path", ["/repairs/", "/repairs/board/", "/repairs/mine/"])
def test_pages_access_matrix(client_for, school_a, in_school_a, who, expected, path, request):
    user = request.getfixturevalue(who) if who else None
    assert client_for(user, school_a).get(path).status_code == expected


def test_signed_in_report_and_detail(client_for, school_a, room, bob):
    client = client_for(bob, school_a)
    response = client.post("/repairs/new/", {"room": room.pk, "title": "窗户关不上", "photos": [png()]})
    order = WorkOrder.objects.get()
    assert response.status_code == 302
    assert order.reporter == bob
    page = client.get(f"/repairs/{order.pk}/").content.decode()
    assert order.reference in page
    photo = order.photos.get()
    assert client.get(f"/repairs/photo/{photo.pk}/").status_code == 200


def test_photos_are_not_served_to_other_schools(client_for, school_a, room, bob, charlie):
    order = work_order_report(reporter=bob, title="窗户", room=room, photos=[png()])
    photo = order.photos.get()
    assert client_for(charlie, school_a).get(f"/repairs/photo/{photo.pk}/").status_code == 403
    assert client_for(None, school_a).get(f"/repairs/photo/{photo.pk}/").status_code == 302


@pytest.mark.parametrize(("who", "allowed"), [("bob", False), ("mario", False), ("lena", True)])
def test_triage_page_matrix(client_for, school_a, room, bob, mario, lena, who, allowed, request):
    order = work_order_report(reporter=bob, title="屋顶漏水", room=room)
    user = request.getfixturevalue(who)
    response = client_for(user, school_a).post(f"/repairs/{order.pk}/triage/", {
        "severity": "major", "assignee": mario.pk})
    order.refresh_from_db()
    if allowed:
        assert response.status_code == 302
        assert (order.severity, order.assignee) == (Severity.MAJOR, mario)
    else:
        assert response.status_code == 403
        assert (order.severity, order.assignee) == (Severity.MINOR, None)


def test_worker_phone_flow_start_pause_complete(client_for, school_a, room, bob, lena, mario):
    order = work_order_report(reporter=bob, title="水龙头漏水", room=room)
    work_order_triage(order=order, actor=lena, severity=Severity.MINOR, assignee=mario)
    client = client_for(mario, school_a)
    assert order.reference in client.get("/repairs/mine/").content.decode()
    client.post(f"/repairs/{order.pk}/start/", {"next": "/repairs/mine/"})
    client.post(f"/repairs/{order.pk}/pause/", {"reason": "等配件", "next": "/repairs/mine/"})
    order.refresh_from_db()
    assert (order.status, order.pause_reason) == (Status.PAUSED, "等配件")
    client.post(f"/repairs/{order.pk}/resume/")
    # completion without a closing note is refused
    client.post(f"/repairs/{order.pk}/complete/", {"closing_note": "", "labour_minutes": 10})
    order.refresh_from_db()
    assert order.status == Status.IN_PROGRESS
    client.post(f"/repairs/{order.pk}/complete/", {"closing_note": "换了阀芯", "labour_minutes": 10})
    order.refresh_from_db()
    assert (order.status, order.labour_minutes) == (Status.COMPLETED, 10)


def test_confirming_someone_elses_order_from_the_page_changes_nothing(client_for, school_a, room, bob, gina, lena,
                                                                       mario):
    order = work_order_report(reporter=bob, title="灯", room=room)
    work_order_triage(order=order, actor=lena, severity=Severity.MINOR, assignee=mario)
    services.work_order_complete(order=order, actor=mario, closing_note="好了")
    client_for(gina, school_a).post(f"/repairs/{order.pk}/confirm/", {"rating": 5})
    order.refresh_from_db()
    assert (order.status, order.rating) == (Status.COMPLETED, None)
    client_for(bob, school_a).post(f"/repairs/{order.pk}/confirm/", {"rating": 4})
    order.refresh_from_db()
    assert (order.status, order.rating) == (Status.CONFIRMED, 4)


def test_list_filters_and_excel_export(client_for, school_a, room, bob, lena):
    work_order_report(reporter=bob, title="灯不亮", room=room)
    major = work_order_report(reporter=bob, title="屋顶漏水", room=room)
    work_order_triage(order=major, actor=lena, severity=Severity.MAJOR)
    client = client_for(bob, school_a)
    page = client.get("/repairs/?severity=major").content.decode()
    assert "屋顶漏水" in page
    assert "灯不亮" not in page
    export = client.get("/repairs/?severity=major&export=xlsx")
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")
    from io import BytesIO

    from openpyxl import load_workbook

    rows = list(load_workbook(BytesIO(export.content)).active.iter_rows(values_only=True))[2:]  # under the title
    assert len(rows) == 2
    assert rows[1][3] == "屋顶漏水"


def test_settings_page_only_for_director_and_principal(client_for, school_a, in_school_a, bob, lena, alice):
    assert client_for(bob, school_a).get("/repairs/settings/").status_code == 403
    response = client_for(lena, school_a).post("/repairs/settings/", {
        "minor_due_time": "20:00", "major_due_days": 2, "vendor_due_days": 5, "due_soon_hours": 3,
        "public_reports_per_hour": 5, "robot_kind": "", "robot_url": ""})
    assert response.status_code == 302
    assert RepairSettings.current().major_due_days == 2
    assert client_for(alice, school_a).get("/repairs/settings/").status_code == 200


@pytest.mark.parametrize(("who", "expected"), [("bob", 403), ("lena", 200), (None, 302)])
def test_room_labels_link_to_the_public_page(client_for, school_a, room, lena, bob, who, expected, request):
    user = request.getfixturevalue(who) if who else None
    response = client_for(user, school_a).get("/repairs/labels/")
    assert response.status_code == expected
    if expected == 200:
        page = response.content.decode()
        assert f"/repairs/report/?label={label_token(schema_name=school_a.schema_name, kind=ROOM, pk=room.pk)}" in page
        assert "data:image/svg+xml" in page
