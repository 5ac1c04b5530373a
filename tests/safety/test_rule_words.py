"""The rules' own words: a closed hazard reads 销号 (never a project's 结项), and 挂牌督办 lasts only while it is open."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from django.db import connection
from django.utils import translation

from safety.choices import Area, HazardGrade, HazardStatus
from safety.services import hazard_rectify, hazard_report, hazard_verify
from schools.choices import ProjectStage

BADGE = re.compile(r'<span class="badge[^"]*" data-testid="supervised">([^<]*)</span>')
STATUS = re.compile(r'data-testid="status">([^<]*)</span>')


def _in(school, fn):
    connection.set_tenant(school)
    try:
        return fn()
    finally:
        connection.set_schema_to_public()


def _major(school, sam, mia):
    return _in(school, lambda: hazard_report(
        reporter=sam, category=Area.ELECTRICITY, grade=HazardGrade.MAJOR, description="配电箱线路老化",
        location_text="教学楼一楼配电间", responsible=mia, measures="更换老化电线", funds=Decimal("3500.00"),
        deadline=dt.date(2026, 12, 20), contingency_plan="停用该教室"))


def test_the_closed_label_is_the_hazards_own_word():
    with translation.override("zh-hans"):
        assert str(HazardStatus.CLOSED.label) == "已销号"
        # the same English word stays a project's 结项
        assert str(ProjectStage.CLOSED.label) == "结项"
    with translation.override("en"):
        assert str(HazardStatus.CLOSED.label) == "Closed"


def test_an_open_major_hazard_wears_the_badge_and_a_closed_one_reads_xiaohao(client_for, school_a, sam, mia, alice):
    # given a major hazard with its 五定, reported by the safety officer
    hazard = _major(school_a, sam, mia)
    page = client_for(sam, school_a).get(f"/safety/hazards/{hazard.pk}/").content.decode()
    # then while it is open it is listed for supervision
    assert BADGE.findall(page) == ["挂牌督办"]
    assert STATUS.findall(page) == ["待整改"]

    # when it is rectified and the principal verifies it
    _in(school_a, lambda: hazard_rectify(actor=mia, hazard=hazard, actions="已更换线路"))
    _in(school_a, lambda: hazard_verify(actor=alice, hazard=hazard, accepted=True, note="复查合格"))

    # then its page reads 已销号, without the 挂牌督办 badge and without a project's 结项
    response = client_for(sam, school_a).get(f"/safety/hazards/{hazard.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert STATUS.findall(page) == ["已销号"]
    assert BADGE.findall(page) == []
    assert "结项" not in page
    # the record keeps that it was supervised (the database requires it of a major hazard)
    assert _in(school_a, lambda: type(hazard).objects.values_list("status", "supervised").get(pk=hazard.pk)) == (
        "closed", True)


def test_the_hazard_ledger_and_its_export_read_xiaohao(client_for, school_a, sam, mia, alice):
    from io import BytesIO

    from openpyxl import load_workbook

    hazard = _major(school_a, sam, mia)
    _in(school_a, lambda: hazard_rectify(actor=mia, hazard=hazard, actions="已更换线路"))
    _in(school_a, lambda: hazard_verify(actor=alice, hazard=hazard, accepted=True, note="复查合格"))
    client = client_for(alice, school_a)

    listing = client.get("/safety/l/hazards/").content.decode()
    assert "已销号" in listing
    assert "结项" not in listing
    workbook = load_workbook(BytesIO(client.get("/safety/l/hazards/?export=xlsx").content))
    cells = [str(c.value) for sheet in workbook for row in sheet.iter_rows() for c in row if c.value is not None]
    assert "已销号" in cells
    assert "结项" not in cells


def test_the_board_and_the_bureau_list_a_major_hazard_for_supervision_only_while_open(
        client_for, school_a, sam, mia, alice, dave):
    hazard = _major(school_a, sam, mia)
    board = client_for(alice, school_a).get("/safety/").content.decode()
    drill = client_for(dave).get(f"/bureau/schools/{school_a.pk}/").content.decode()
    assert hazard.description in board
    assert "挂牌督办重大隐患" in drill
    assert hazard.description in drill

    _in(school_a, lambda: hazard_rectify(actor=mia, hazard=hazard, actions="已更换线路"))
    _in(school_a, lambda: hazard_verify(actor=alice, hazard=hazard, accepted=True, note="复查合格"))

    board = client_for(alice, school_a).get("/safety/").content.decode()
    drill = client_for(dave).get(f"/bureau/schools/{school_a.pk}/").content.decode()
    assert hazard.description not in board
    assert hazard.description not in drill


def _glossary_sections() -> dict[str, str]:
    from django.conf import settings

    text = (settings.BASE_DIR / "docs" / "GLOSSARY.md").read_text(encoding="utf-8")
    return {part.split("\n", 1)[0]: part for part in text.split("\n## ")[1:]}


def test_the_glossary_names_every_status_with_its_term():
    from assets.choices import DisposalMethod, DisposalStatus, PurchaseStatus
    from repairs.choices import Severity, Status
    from safety.choices import AgreementKind

    sections = _glossary_sections()
    enums = [HazardStatus, HazardGrade, Status, Severity, PurchaseStatus, DisposalStatus, DisposalMethod,
             AgreementKind, ProjectStage]
    for enum in enums:
        # given the section whose heading names the enum
        path = f"{enum.__module__}.{enum.__name__}"
        [section] = [body for heading, body in sections.items() if enum.__name__ in heading and (
            path in heading or f"`{enum.__name__}`" in heading)]
        # then every code of it has a row
        missing = [value for value in enum.values if f"`{value}`" not in section]
        assert missing == [], f"{path}: no glossary row for {missing}"
    # and a hazard's rows carry the very words its pages show
    with translation.override("zh-hans"):
        hazards = sections[next(h for h in sections if "HazardStatus" in h)]
        for value, label in HazardStatus.choices:
            row = next(line for line in hazards.splitlines() if line.startswith(f"| `{value}` |"))
            assert row.split("|")[3].strip() == str(label)
