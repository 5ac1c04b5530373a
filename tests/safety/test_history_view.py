"""A record's history as a person reads it: field names, choice labels, names, local times, 新建/修改/作废."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pghistory
from django.db import connection
from django.utils import translation

from safety.choices import Area, HazardGrade
from safety.models import Hazard
from safety.services import hazard_rectify, hazard_report
from schools.models import Building, Room
from tenants.audit import history_for
from tenants.history import history_render


def _history_section(html: str) -> str:
    start = html.index("修改历史")
    return html[start : html.index("</table>", start)]


def _hazard_reported_and_rectified(sam, mia):
    with pghistory.context(user=sam.pk, request_id="req-history-1"):
        hazard = hazard_report(
            reporter=sam,
            category=Area.FIRE,
            grade=HazardGrade.GENERAL,
            description="消防通道堵塞",
            location_text="食堂后门",
            responsible=mia,
        )
    with pghistory.context(user=mia.pk, request_id="req-history-2"):
        hazard_rectify(actor=mia, hazard=hazard, actions="清理杂物")
    return Hazard.objects.get(pk=hazard.pk)


def test_hazard_history_reads_in_chinese_with_labels_names_and_local_times(
    in_school_a, school_a, sam, mia, client_for
):
    # given a hazard reported by sam and rectified by mia
    hazard = _hazard_reported_and_rectified(sam, mia)
    connection.set_schema_to_public()

    # when sam opens it in Chinese
    page = client_for(sam, school_a).get(f"/safety/hazards/{hazard.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    history = _history_section(page.content.decode())

    # then the actions are 新建 and 修改, by name, and the changes use the field's and the choice's labels
    assert "新建" in history
    assert "修改" in history
    assert "状态：待整改 → 已整改，待验收" in history
    assert f"整改人：— → {mia.display_name}" in history
    assert "类别：消防" in history
    # no column names, raw choice values, ids or UTC ISO times
    for code in ("rectified_by_id", "status:", "rectified_by", "insert", "update", "+00:00", "T0", "open →"):
        assert code not in history, code
    # times are the school's (Asia/Shanghai)
    when = hazard.rectified_at.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")
    assert when in history


def test_history_in_english_uses_the_english_labels(in_school_a, sam, mia):
    hazard = _hazard_reported_and_rectified(sam, mia)
    with translation.override("en"):
        rows = history_for(hazard)
        update, insert = rows[0], rows[-1]
        assert (update["action"], insert["action"]) == ("Changed", "Created")
        status = next(c for c in update["changes"] if c["field"] == "status")
        assert (status["old"], status["new"]) == ("Not yet rectified", "Rectified, awaiting verification")
        rectifier = next(c for c in update["changes"] if c["field"] == "rectified_by")
        assert rectifier["old"] == ""
        assert rectifier["new"] == mia.display_name
    # the raw event stays for the tests and tools that read it
    assert update["diff"]["status"] == ["open", "rectified"]


def test_history_leaves_out_ids_and_names_removed_objects(in_school_a):
    building = Building.objects.create(name="实验楼")
    other = Building.objects.create(name="旧教学楼")
    with translation.override("zh-hans"):
        room = Room.objects.create(building=building, number="301", name="化学实验室")
        room.building = other
        room.save()
        rows = history_for(room)
        change = next(c for c in rows[0]["changes"] if c["field"] == "building")
        assert (change["old"], change["new"]) == (str(building), str(other))
        # the insert lists what was set, not the primary key
        assert "id" not in {c["field"] for c in rows[-1]["changes"]}
        assert "化学实验室" in {c["new"] for c in rows[-1]["changes"]}
        # a related row that is gone reads as removed, not as its number
        gone = {**rows[0], "diff": {"building_id": [building.pk + other.pk + 1000, other.pk]}}
        change = history_render(Room, [gone])[0]["changes"][0]
        assert change["old"] == "（已删除）"


def test_a_cancelled_work_order_and_a_deleted_row_read_as_voided(in_school_a):
    from repairs.models import WorkOrder
    from tenants.history import action_label

    with translation.override("zh-hans"):
        assert action_label("update", {"status": ["new", "cancelled"]}, WorkOrder) == "作废"
        assert action_label("update", {"status": ["new", "assigned"]}, WorkOrder) == "修改"
        assert action_label("delete", {}, Room) == "作废"
        assert action_label("insert", {}, Room) == "新建"
