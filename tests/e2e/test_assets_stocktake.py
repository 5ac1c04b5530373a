"""A custodian counts a room on a phone: scans a label, sees it counted and what is still expected.

Also (issue 20, part 2): the camera-less fallback (the number typed), a label URL opened as the phone's own camera
app opens it (counted in the room being counted, not the card), an asset out on loan shown as 借出 with its
borrower and due date, and the camera in the page reading a label from a fake camera showing its QR code.
Screenshots go to /tmp/houqin-stocktake-*.png.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from tests.conftest import PASSWORD
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS

SHOTS = "/tmp/houqin-stocktake"


@pytest.fixture
def counting_room(django_db_blocker):
    """A room with two assets and a stocktake of it, committed so the live server sees them; removed after."""
    from assets.choices import Condition
    from assets.labels import qr_url
    from assets.models import Asset, Category, Loan, Stocktake
    from schools.models import Building, Room
    from tenants.models import School, User
    from tenants.roles import Role
    from tenants.services import membership_grant

    with django_db_blocker.unblock():
        school = School.objects.get(slug="alpha")
        user, created = User.objects.get_or_create(username="e2e-kate", defaults={"name": "E2E保管员"})
        if created:
            user.set_password(PASSWORD)
            user.save()
        membership_grant(user=user, role=Role.CUSTODIAN, school=school)
        connection.set_tenant(school)
        building = Building.objects.create(name="E2E楼")
        room = Room.objects.create(building=building, number="E101", name="E2E教室")
        category = Category.objects.get(code="A02010105")
        first = Asset.objects.create(
            asset_number="E2E0001", name="台式计算机甲", category=category, room=room
        )
        second = Asset.objects.create(
            asset_number="E2E0002", name="台式计算机乙", category=category, room=room
        )
        lent = Asset.objects.create(
            asset_number="E2E0003", name="投影仪丙", category=category, room=room, condition=Condition.LENT
        )
        Loan.objects.create(asset=lent, borrower=user, lent_by=user, due_on=dt.date(2099, 1, 31))
        # away at its repair (a loan returned damaged): 维修中, neither still expected nor 盘亏
        repairing = Asset.objects.create(
            asset_number="E2E0004", name="打印机丁", category=category, room=room, condition=Condition.UNDER_REPAIR
        )
        stocktake = Stocktake.objects.create(name="E2E盘点", created_by=user)
        stocktake.rooms.set([room])
        labels = {a.asset_number: qr_url(school, a) for a in (first, second, lent)}
        connection.set_schema_to_public()
    yield {
        "school": school,
        "room": room,
        "stocktake": stocktake,
        "assets": (first, second, lent, repairing),
        "labels": labels,
    }
    with django_db_blocker.unblock():
        connection.set_tenant(school)
        stocktake.delete()
        Loan.objects.filter(asset=lent).delete()
        Asset.objects.filter(pk__in=[first.pk, second.pk, lent.pk, repairing.pk]).delete()
        room.delete()
        building.delete()
        connection.set_schema_to_public()
        # Her role goes too: a reused test database must not keep a fourth person in school A. (The account
        # stays: deleting a user from the public schema would look for its rows in every school's tables.)
        from tenants.models import Membership

        Membership.objects.filter(user=user, school=school).delete()


def test_custodian_scans_a_room_on_a_phone(live_url, browser, counting_room):
    # given the custodian on a phone-sized screen
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    page = context.new_page()
    stocktake, room = counting_room["stocktake"], counting_room["room"]
    scan_path = f"/assets/stocktakes/{stocktake.pk}/rooms/{room.pk}/"
    page.goto(live_url("alpha.localhost", scan_path))
    page.fill("input[name=username]", "e2e-kate")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(live_url("alpha.localhost", scan_path))
    assert "台式计算机甲" in page.inner_text("body")

    # when she scans the first computer's label (the QR holds the label URL)
    page.fill("input[name=code]", "http://alpha.localhost/assets/qr/E2E0001/")
    with page.expect_navigation():
        page.click("[data-scan-submit]")

    # then it is listed as counted and in place, and only the second is still expected
    scanned = page.inner_text("body")
    assert "E2E0001" in scanned
    assert "账实相符" in scanned
    assert "已扫描 1，待盘 1" in scanned
    context.close()


def _sign_in(page, url):
    page.goto(url)
    page.fill("input[name=username]", "e2e-kate")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(url)


def _label_path(url: str) -> str:
    return "/assets/" + url.split("/assets/", 1)[1]


VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}


@pytest.mark.parametrize("screen", ["phone", "desktop"])
def test_counting_by_typed_number_and_by_a_label_url_on_a_phone(live_url, browser, counting_room, screen):
    # given the custodian on a phone-sized screen (and on the office's desktop), on the count of the room, with
    # no camera in this browser
    viewport = VIEWPORTS[screen]
    context = browser.new_context(locale="zh-CN", viewport=viewport)
    page = context.new_page()
    stocktake, room = counting_room["stocktake"], counting_room["room"]
    scan_path = f"/assets/stocktakes/{stocktake.pk}/rooms/{room.pk}/"
    _sign_in(page, live_url("alpha.localhost", scan_path))
    body = page.inner_text("body")
    assert "已扫描 0，待盘 2 · 借出 1" in body
    lent = page.inner_text("[data-testid=lent]")
    assert "E2E0003" in lent
    assert "借出" in lent
    assert "E2E保管员" in lent
    assert "应还 2099-01-31" in lent
    # the printer away at its repair is 维修中, apart from what is still expected
    assert "1 件维修中" in page.inner_text("[data-testid=scan-tally]")
    assert "打印机丁" in page.inner_text("[data-testid=repair]")
    assert "E2E0004" not in page.inner_text("[data-testid=expected]")
    # the camera button finds no camera and says to type the number
    page.click("[data-scanner-start]")
    page.wait_for_selector("[data-scanner-status]:has-text('无法使用摄像头')")
    page.screenshot(path=f"{SHOTS}-{screen}-start.png", full_page=True)

    # when she types the first computer's number (the camera-less fallback)
    page.fill("input[name=code]", "E2E0001")
    with page.expect_navigation():
        page.click("[data-scan-submit]")

    # then it is confirmed and counted
    assert "已盘点：E2E0001 台式计算机甲 于" in page.inner_text("body")
    assert "已扫描 1，待盘 1" in page.inner_text("[data-testid=scan-tally]")

    # when a mistyped number is entered, it is refused in Chinese and nothing is counted
    page.fill("input[name=code]", "E2E9999")
    with page.expect_navigation():
        page.click("[data-scan-submit]")
    assert "没有编号为 E2E9999 的资产" in page.inner_text("[data-field-error=code]")
    assert "已扫描 1，待盘 1" in page.inner_text("[data-testid=scan-tally]")

    # when the phone's own camera app opens the second computer's label URL
    page.goto(live_url("alpha.localhost", _label_path(counting_room["labels"]["E2E0002"])))

    # then she is back on the count, the computer counted in this room, not on its card
    page.wait_for_url(live_url("alpha.localhost", scan_path))
    assert "已盘点：E2E0002 台式计算机乙 于" in page.inner_text("body")
    assert "已扫描 2，待盘 0" in page.inner_text("[data-testid=scan-tally]")
    assert "账实相符" in page.inner_text("[data-testid=scanned]")
    page.screenshot(path=f"{SHOTS}-{screen}-counted.png", full_page=True)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"]

    # when the lent projector's label is opened, it is 借出 with who has it, not 账实相符
    page.goto(live_url("alpha.localhost", _label_path(counting_room["labels"]["E2E0003"])))
    page.wait_for_url(live_url("alpha.localhost", scan_path))
    assert "借出：E2E保管员，应还 2099-01-31" in page.inner_text("body")

    # and once she stops counting, a label opens the asset card again
    page.click("text=退出盘点")
    page.wait_for_url(live_url("alpha.localhost", f"/assets/stocktakes/{stocktake.pk}/"))
    page.goto(live_url("alpha.localhost", _label_path(counting_room["labels"]["E2E0001"])))
    page.wait_for_url(live_url("alpha.localhost", f"/assets/{counting_room['assets'][0].pk}/"))
    assert "台式计算机甲" in page.inner_text("h1")

    # when she finishes counting and signs the result
    page.goto(live_url("alpha.localhost", f"/assets/stocktakes/{stocktake.pk}/"))
    with page.expect_navigation():
        page.click("text=结束盘点")
    assert "待签字：E2E保管员" in page.inner_text("[data-testid=signatures]")
    with page.expect_navigation():
        page.click("text=签字确认结果")

    # then the result shows the projector 借出 with its borrower and due date, and her signature with its time
    lent = page.inner_text("[data-testid=lent]")
    assert "E2E0003" in lent
    assert "2099-01-31" in lent
    signed = page.inner_text("[data-testid=signatures]")
    assert "E2E保管员，" in signed
    assert "签字" in signed
    # and the printer 维修中, not 盘亏 and not proposed for disposal
    assert "打印机丁" in page.inner_text("[data-testid=repair]")
    assert "维修中" in page.inner_text("[data-testid=repair]")
    assert page.locator("[data-testid=repair] tr[data-code=E2E0004]").count() == 1
    assert page.locator("tr[data-code=E2E0004]").count() == 1  # in no discrepancy list
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    page.screenshot(path=f"{SHOTS}-{screen}-result.png", full_page=True)
    context.close()


def _qr_video(path: str, text: str) -> None:
    """A Y4M clip (what Chromium's fake camera plays) of a white frame showing `text`'s QR code."""
    import segno
    from PIL import Image

    width, height = 640, 480
    qr = segno.make(text, error="m")
    png = f"{path}.png"
    qr.save(png, scale=8, border=4)
    code = Image.open(png).convert("L")
    frame = Image.new("L", (width, height), 255)
    frame.paste(code, ((width - code.width) // 2, (height - code.height) // 2))
    luma = frame.tobytes()
    chroma = bytes([128]) * (width // 2 * height // 2)
    with open(path, "wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(10):
            out.write(b"FRAME\n" + luma + chroma + chroma)


def test_the_camera_in_the_page_reads_a_label(live_url, browser, counting_room, tmp_path):
    stocktake, room = counting_room["stocktake"], counting_room["room"]
    scan_path = f"/assets/stocktakes/{stocktake.pk}/rooms/{room.pk}/"
    clip = str(tmp_path / "label.y4m")
    _qr_video(clip, counting_room["labels"]["E2E0002"])
    # given a phone whose camera shows the second computer's label (a second Chromium, with a fake camera)
    camera = [
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={clip}",
    ]
    with_camera = browser.browser_type.launch(
        executable_path=CHROMIUM, args=CHROMIUM_ARGS + camera, headless=True
    )
    try:
        context = with_camera.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
        context.grant_permissions(["camera"])
        page = context.new_page()
        fetched = []
        page.on("request", lambda request: fetched.append(request.url))
        _sign_in(page, live_url("alpha.localhost", scan_path))

        # when she opens the camera in the page
        page.click("[data-scanner-start]")

        # then the label is read (this Chromium has no BarcodeDetector: the vendored ZXing reader) and counted
        page.wait_for_selector("text=已盘点：E2E0002 台式计算机乙 于", timeout=20_000)
        assert "已扫描 1，待盘 1" in page.inner_text("[data-testid=scan-tally]")
        # read by the vendored reader, served from this site (no CDN)
        assert page.evaluate("'BarcodeDetector' in window") is False
        assert any(u.endswith("/barcode-detector/ponyfill.min.js") for u in fetched)
        assert any(u.endswith("/barcode-detector/zxing_reader.wasm") for u in fetched)
        assert all(u.startswith(live_url("alpha.localhost", "")) for u in fetched if u.startswith("http"))
        page.screenshot(path=f"{SHOTS}-phone-camera.png", full_page=True)
        context.close()
    finally:
        with_camera.close()
