"""Coverage of the school's service desk, the CCTV registry and leavers for partners.

The property company's service desk (schools:write) passes on feedback, reports and hands back found
items and logs convenience services; the CCTV and security vendors (safety:write) add the cameras and the
equipment they install; the district's HR system (people:write) ends the access of leavers, never of the
school's administrators. Each row keeps the partner's name, and a token without the scope changes nothing.
"""

from __future__ import annotations

import pytest
from django.db import connection

FEEDBACK = """mutation($data: FeedbackInput!) { feedbackSubmit(data: $data) { content reporterName partnerName } }"""
LOST = """mutation($data: LostItemInput!) { lostItemReport(data: $data) { id item finder partnerName } }"""
RETURN = """mutation($data: LostItemReturnInput!) {
  lostItemReturn(data: $data) { claimant returnedAt partnerName returnedByPartner } }"""
SERVICE = """mutation($data: ConvenienceServiceInput!) {
  convenienceServiceLog(data: $data) { kind handledBy partnerName } }"""
CAMERA = """mutation($data: CameraInput!) { cameraAdd(data: $data) { location status partnerName } }"""
EQUIPMENT = """mutation($data: EquipmentInput!) { securityEquipmentAdd(data: $data) { kind quantity partnerName } }"""
DEACTIVATE = """mutation($id: ID!) { personDeactivate(personId: $id) { membershipsEnded userDeactivated } }"""


def test_service_desk_writes_carry_the_partner_name(make_partner, bearer, school_a):
    from schools.models import ConvenienceService, Feedback, LostItem

    _, _, raw = make_partner(scopes=["schools:write"], schools=[school_a], name="城东物业")
    client = bearer(raw, school_a)
    feedback = client.gql(FEEDBACK, {"data": {"channel": "PHONE", "content": "三楼走廊灯不亮",
                                              "reporterName": "初二(3)班家长"}})
    assert feedback == {"data": {"feedbackSubmit": {"content": "三楼走廊灯不亮", "reporterName": "初二(3)班家长",
                                                    "partnerName": "城东物业"}}}
    lost = client.gql(LOST, {"data": {"item": "校园卡", "foundPlace": "食堂"}})["data"]["lostItemReport"]
    assert (lost["item"], lost["finder"], lost["partnerName"]) == ("校园卡", "城东物业", "城东物业")
    returned = client.gql(RETURN, {"data": {"lostItemId": lost["id"], "claimant": "张同学",
                                            "identifiedBy": "班主任确认"}})["data"]["lostItemReturn"]
    assert returned["claimant"] == "张同学"
    assert returned["returnedAt"]
    assert returned["returnedByPartner"] == "城东物业"
    service = client.gql(SERVICE, {"data": {"kind": "UNLOCK"}})
    assert service == {"data": {"convenienceServiceLog": {"kind": "UNLOCK", "handledBy": "城东物业",
                                                          "partnerName": "城东物业"}}}
    connection.set_tenant(school_a)
    row = Feedback.objects.get(content="三楼走廊灯不亮")
    assert row.submitted_by is None
    assert row.partner_name == "城东物业"
    item = LostItem.objects.get(item="校园卡")
    assert item.reported_by is None
    assert item.returned_by_partner == "城东物业"
    assert ConvenienceService.objects.get(kind="unlock", partner_name="城东物业").recorded_by is None
    # The row history names the partner too (no anonymous change).
    from tenants.audit import history_for

    history = history_for(item)
    assert len(history) == 2
    assert all("城东物业" in str(row["user"]) for row in history)


def test_a_found_item_is_handed_back_once(make_partner, bearer, school_a):
    _, _, raw = make_partner(scopes=["schools:write"], schools=[school_a])
    client = bearer(raw, school_a)
    lost = client.gql(LOST, {"data": {"item": "雨伞", "foundPlace": "操场"}})["data"]["lostItemReport"]
    data = {"lostItemId": lost["id"], "claimant": "李同学", "identifiedBy": "描述颜色"}
    assert client.gql(RETURN, {"data": data})["data"]["lostItemReturn"]["claimant"] == "李同学"
    again = client.gql(RETURN, {"data": {**data, "claimant": "王同学"}})
    assert again["data"] is None
    assert again["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    from schools.models import LostItem

    connection.set_tenant(school_a)
    assert LostItem.objects.get(item="雨伞").claimant == "李同学"


@pytest.mark.parametrize(("query", "data"), [
    (FEEDBACK, {"channel": "PHONE", "content": "MARKER 投诉"}),
    (LOST, {"item": "MARKER 水杯", "foundPlace": "操场"}),
    (SERVICE, {"kind": "PUMP", "notes": "MARKER"}),
])
def test_service_desk_needs_schools_write_and_the_grant(make_partner, bearer, school_a, school_b, query, data):
    from schools.models import ConvenienceService, Feedback, LostItem

    _, _, read_only = make_partner(scopes=["schools:read", "safety:write"], schools=[school_a])
    _, _, other_school = make_partner(scopes=["schools:write"], schools=[school_b], name="别校物业")
    for raw in (read_only, other_school):
        result = bearer(raw, school_a).gql(query, {"data": data})
        assert result["data"] is None
        assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    connection.set_tenant(school_a)
    assert not Feedback.objects.filter(content__contains="MARKER").exists()
    assert not LostItem.objects.filter(item__contains="MARKER").exists()
    assert not ConvenienceService.objects.filter(notes="MARKER").exists()


def test_service_desk_input_is_validated(make_partner, bearer, school_a):
    from schools.models import ConvenienceService

    _, _, raw = make_partner(scopes=["schools:write"], schools=[school_a])
    result = bearer(raw, school_a).gql(SERVICE, {"data": {"kind": "PUMP", "doneOn": "2999-01-01"}})
    assert result["data"] is None
    assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    connection.set_tenant(school_a)
    assert not ConvenienceService.objects.filter(done_on__year=2999).exists()


def test_vendor_adds_cameras_and_equipment_under_its_name(make_partner, bearer, school_a):
    from safety.models import Camera, SecurityEquipment

    _, _, raw = make_partner(scopes=["safety:write"], schools=[school_a], name="海康安防")
    client = bearer(raw, school_a)
    camera = client.gql(CAMERA, {"data": {"location": "东门", "retentionDays": 90}})
    assert (camera["data"]["cameraAdd"]["location"], camera["data"]["cameraAdd"]["partnerName"]) == ("东门", "海康安防")
    equipment = client.gql(EQUIPMENT, {"data": {"kind": "FORK", "quantity": 2, "location": "门卫室"}})
    assert equipment["data"]["securityEquipmentAdd"]["partnerName"] == "海康安防"
    connection.set_tenant(school_a)
    assert Camera.objects.get(location="东门").retention_days == 90
    assert SecurityEquipment.objects.get(location="门卫室", partner_name="海康安防").quantity == 2
    connection.set_schema_to_public()
    _, _, reader = make_partner(scopes=["safety:read"], schools=[school_a])
    refused = bearer(reader, school_a).gql(CAMERA, {"data": {"location": "西门"}})
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    connection.set_tenant(school_a)
    assert not Camera.objects.filter(location="西门").exists()


def test_hr_system_ends_a_leavers_access_not_an_admins(make_partner, bearer, school_a, alice, bob):
    from tenants.models import Membership

    _, _, raw = make_partner(scopes=["people:write"], schools=[school_a], name="区人事系统")
    client = bearer(raw, school_a)
    refused = client.gql(DEACTIVATE, {"id": str(alice.pk)})
    assert refused["data"] is None
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert Membership.objects.active().filter(user=alice, school=school_a).exists()

    ended = client.gql(DEACTIVATE, {"id": str(bob.pk)})
    assert ended["data"]["personDeactivate"]["membershipsEnded"] == 1
    membership = Membership.objects.get(user=bob, school=school_a)
    assert not membership.is_active
    assert membership.ended_by_partner == "区人事系统"


def test_people_write_needs_the_scope_and_opens_no_role_or_invitation(make_partner, bearer, school_a, bob):
    from tenants.models import Membership

    _, _, reader = make_partner(scopes=["people:read", "schools:write"], schools=[school_a])
    refused = bearer(reader, school_a).gql(DEACTIVATE, {"id": str(bob.pk)})
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    _, _, writer = make_partner(scopes=["people:write"], schools=[school_a])
    invite = bearer(writer, school_a).gql(
        'mutation { personInvite(data: {name: "新人", phone: "13900000001", role: "teacher"}) { url } }')
    assert invite["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert Membership.objects.active().filter(user=bob, school=school_a).exists()
