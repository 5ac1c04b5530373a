"""The public fault-report page a room's QR label opens: no sign-in, a photo, a private link to follow."""

from __future__ import annotations

import re

import pytest
from django.db import connection

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def labelled_room(django_db_blocker):
    """A room of school alpha, committed so the live server sees it; removed afterwards with what it got."""
    from repairs.models import ReferenceCounter, WorkOrder
    from schools.models import Building, Room
    from tenants.models import School

    with django_db_blocker.unblock():
        school = School.objects.get(slug="alpha")
        connection.set_tenant(school)
        building, _ = Building.objects.get_or_create(name="E2E楼")
        room = Room.objects.create(building=building, number="E201", name="三年级二班")
        connection.set_schema_to_public()
        yield room
        connection.set_tenant(school)
        for order in WorkOrder.objects.filter(room=room):
            for photo in order.photos.all():
                photo.image.delete(save=False)
            order.delete()
        ReferenceCounter.objects.all().delete()
        room.delete()
        building.delete()
        connection.set_schema_to_public()


def _label(room) -> str:
    """The address in room's QR label: the public report page by the room's label token."""
    from core.labels import ROOM, label_token

    return f"/repairs/report/?label={label_token(schema_name='alpha', kind=ROOM, pk=room.pk)}"


def test_anyone_reports_a_fault_from_the_qr_page_and_gets_a_reference(live_url, page, labelled_room):
    # given someone scans the label of room E201 with a phone
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_url("alpha.localhost", _label(labelled_room)))
    assert "E201" in page.inner_text("[data-testid=target]")

    # when they describe the fault, attach a photo and submit, without signing in
    page.fill("input[name=title]", "灯管不亮")
    page.fill("input[name=reporter_name]", "家长")
    page.set_input_files("input[name=photos]", files=[{"name": "fault.png", "mimeType": "image/png", "buffer": PNG}])
    page.click("button[type=submit]")

    # then they see a reference number and the status, in Chinese
    page.wait_for_selector("[data-testid=reference]")
    reference = page.inner_text("[data-testid=reference]")
    assert re.fullmatch(r"BX-\d{8}-\d{4}", reference)
    assert "已收到" in page.inner_text("body")
    assert page.inner_text("[data-testid=status]") == "已报修"

    # and their private link opens it again; the reference number alone shows nothing
    link = page.input_value("[data-testid=follow-url]")
    assert re.search(r"/repairs/status/\?t=[\w-]{32}$", link), link
    page.goto(live_url("alpha.localhost", f"/repairs/status/?ref={reference}"))
    assert page.locator("[data-testid=reference]").count() == 0
    page.goto(link)  # the absolute link, as the reporter would keep it
    assert page.inner_text("[data-testid=reference]") == reference


def test_an_old_label_without_a_token_asks_for_the_new_label(live_url, page, labelled_room):
    page.goto(live_url("alpha.localhost", f"/repairs/report/?room={labelled_room.pk}"))
    assert "新二维码标签" in page.inner_text("[data-testid=scan-label]")
    assert page.locator("[data-testid=public-report-form]").count() == 0


def test_a_non_image_photo_is_refused_on_the_page(live_url, page, labelled_room):
    page.goto(live_url("alpha.localhost", _label(labelled_room)))
    page.fill("input[name=title]", "窗户坏了")
    page.set_input_files("input[name=photos]", files=[{"name": "fault.png", "mimeType": "image/png",
                                                        "buffer": b"not an image"}])
    page.click("button[type=submit]")
    page.wait_for_selector("[data-field-error=photos]")
    assert page.locator("[data-testid=reference]").count() == 0


@pytest.mark.parametrize("viewport", [{"width": 390, "height": 844}, {"width": 1280, "height": 900}],
                         ids=["phone", "desktop"])
def test_an_anonymous_reporter_urges_then_rates_the_repair_on_a_phone(
    live_url, page, labelled_room, django_db_blocker, viewport
):
    from repairs import services
    from repairs.choices import Severity
    from repairs.models import WorkOrder
    from tenants.models import School

    # given a parent reported a fault from the label and kept the private link
    page.set_viewport_size(viewport)
    page.goto(live_url("alpha.localhost", _label(labelled_room)))
    page.fill("input[name=title]", "门锁坏了")
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=reference]")
    link = page.input_value("[data-testid=follow-url]")

    # when they urge it, they are told it went out; at once again, they are told when they may
    page.goto(link)
    page.click("[data-testid=urge-form] button")
    assert "已提醒维修人员" in page.inner_text("main")
    page.click("[data-testid=urge-form] button")
    assert "后可再次催修" in page.inner_text("[data-testid=errors]")

    # and once the school has repaired it, they rate it from the same link
    with django_db_blocker.unblock():
        school = School.objects.get(slug="alpha")
        connection.set_tenant(school)
        order = WorkOrder.objects.get(room=labelled_room, title="门锁坏了")
        # the property company triages and repairs it through its partner token
        services.work_order_triage(order=order, actor=None, severity=Severity.MINOR, vendor_name="锁具维修部",
                                   by_partner=True, partner_name="物业公司")
        services.work_order_complete(order=order, actor=None, closing_note="换锁芯", by_partner=True,
                                     partner_name="锁具维修部")
        connection.set_schema_to_public()
    page.goto(link)
    page.screenshot(path=f"/tmp/houqin-repair-rate-{'phone' if viewport['width'] < 500 else 'desktop'}.png",
                    full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    page.click("label[for=rating-5]")
    page.fill("#confirm-comment", "很快就修好了")
    page.click("[data-testid=confirm-form] button[type=submit]")
    assert "已确认维修完成" in page.inner_text("main")
    assert "5★" in page.inner_text("main")
    with django_db_blocker.unblock():
        connection.set_tenant(school)
        order.refresh_from_db()
        assert (order.status, order.rating) == ("confirmed", 5)
        connection.set_schema_to_public()
