"""GraphQL of the people module: people and roles, links, leavers, role matrix, my notifications."""

from __future__ import annotations

import pytest

from tenants.models import Membership, NotificationPreference, User
from tenants.notifications import notify
from tenants.roles import SCHOOL_PERMISSIONS, Role

PEOPLE = "{ personList(first: 20) { totalCount edges { node { personId name phone roles { role post } } } } }"


def _people(result) -> dict:
    return {e["node"]["name"]: e["node"] for e in result["data"]["personList"]["edges"]}


def test_people_of_the_school_with_their_roles(school_a, alice, bob, client_for):
    bob.phone = "13900001111"
    bob.save()
    result = client_for(alice, school_a).gql(PEOPLE)
    people = _people(result)
    assert set(people) == {"Alice", "Bob", "Gina"}
    assert people["Bob"]["roles"] == [{"role": "teacher", "post": ""}]
    assert people["Bob"]["phone"] == "13900001111"
    # a teacher sees the people, not their phones
    assert _people(client_for(bob, school_a).gql(PEOPLE))["Bob"]["phone"] is None


@pytest.mark.parametrize("who", [None, "charlie"])
def test_outsiders_do_not_see_the_people(school_a, client_for, who):
    user = User.objects.get(username=who) if who else None
    result = client_for(user, school_a).gql(PEOPLE)
    assert result["data"] is None
    assert result["errors"][0]["extensions"]["code"] == ("UNAUTHENTICATED" if who is None else "FORBIDDEN")


GRANT = 'mutation($id: ID!) { roleGrant(personId: $id, role: "guard", post: "安保队") { name roles { role post } } }'


def test_a_principal_grants_a_second_role(school_a, alice, bob, client_for):
    result = client_for(alice, school_a).gql(GRANT, {"id": str(bob.pk)})
    assert result["data"]["roleGrant"] == {
        "name": "Bob", "roles": [{"role": "guard", "post": "安保队"}, {"role": "teacher", "post": ""}]}


@pytest.mark.parametrize("who", ["bob", "gina", "charlie", "dave"])
def test_others_cannot_grant_roles_and_nothing_changes(school_a, bob, client_for, who):
    result = client_for(User.objects.get(username=who), school_a).gql(GRANT, {"id": str(bob.pk)})
    assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert set(Membership.objects.active().filter(user=bob).values_list("role", flat=True)) == {Role.TEACHER}


def test_an_unknown_role_is_bad_input(school_a, alice, bob, client_for):
    result = client_for(alice, school_a).gql(
        'mutation($id: ID!) { roleGrant(personId: $id, role: "janitor") { name } }', {"id": str(bob.pk)})
    assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert result["errors"][0]["message"] == "该角色不存在。"


def test_invite_then_deactivate(school_a, alice, client_for):
    from .factories import owners_accept

    client = client_for(alice, school_a)
    invited = client.gql(
        'mutation { personInvite(data: {name: "周老师", phone: "13400000001", role: "teacher", post: "班主任"}) '
        "{ invitationId name login roles post url person { personId } } }"
    )["data"]["personInvite"]
    # An invitation tells the name and phone typed, never the account behind them nor its link (sent to the
    # phone); the person waits among the invitations until they accept.
    assert {k: v for k, v in invited.items() if k != "invitationId"} == {
        "name": "周老师", "login": "13400000001", "roles": ["teacher"], "post": "班主任", "url": None, "person": None}
    pending = client.gql("{ invitationPendingList { invitationId name } }")["data"]["invitationPendingList"]
    assert pending == [{"invitationId": invited["invitationId"], "name": "周老师"}]
    assert "周老师" not in _people(client.gql(PEOPLE))
    owners_accept(school=school_a)
    person_id = str(User.objects.get(phone="13400000001").pk)
    assert _people(client.gql(PEOPLE))["周老师"]["roles"] == [{"role": "teacher", "post": "班主任"}]
    left = client.gql(
        "mutation($id: ID!) { personDeactivate(personId: $id) { membershipsEnded userDeactivated sessionsEnded "
        "openTasks { label } } }", {"id": person_id}
    )["data"]["personDeactivate"]
    # The school ends its membership; the account stays its owner's (switched on, belonging nowhere here).
    assert left == {"membershipsEnded": 1, "userDeactivated": False, "sessionsEnded": 0, "openTasks": []}
    assert User.objects.get(phone="13400000001").is_active is True
    assert not Membership.objects.active().filter(user__phone="13400000001").exists()


def test_waiting_invitations_are_sent_again_linked_and_withdrawn_over_graphql(school_a, alice, client_for):
    client = client_for(alice, school_a)
    client.gql('mutation { personInvite(data: {name: "周老师", phone: "13400000002", role: "guard"}) { name } }')
    first = client.gql("{ invitationPendingList { invitationId } }")["data"]["invitationPendingList"][0]
    resent = client.gql('mutation($id: ID!) { invitationResend(invitationId: $id) { invitationId name roles } }',
                        {"id": first["invitationId"]})["data"]["invitationResend"]
    assert (resent["name"], resent["roles"]) == ("周老师", ["guard"])
    assert resent["invitationId"] != first["invitationId"]  # a new link replaced the old one
    # an account this school made that has never signed in: the one case its link is shown
    link = client.gql('mutation($id: ID!) { invitationLink(invitationId: $id) { name login url } }',
                      {"id": resent["invitationId"]})["data"]["invitationLink"]
    assert (link["name"], link["login"]) == ("周老师", "13400000002")
    assert link["url"].startswith("http://alpha.localhost:8000/people/invite/")
    current = client.gql("{ invitationPendingList { invitationId } }")["data"]["invitationPendingList"][0]
    assert client.gql('mutation($id: ID!) { invitationWithdraw(invitationId: $id) }',
                      {"id": current["invitationId"]}) == {"data": {"invitationWithdraw": True}}
    assert client.gql("{ invitationPendingList { invitationId } }")["data"]["invitationPendingList"] == []
    again = client.gql('mutation($id: ID!) { invitationWithdraw(invitationId: $id) }', {"id": current["invitationId"]})
    assert again["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_a_person_of_another_school_is_not_found(school_a, alice, charlie, client_for):
    result = client_for(alice, school_a).gql(GRANT, {"id": str(charlie.pk)})
    assert result["errors"][0]["extensions"]["code"] == "NOT_FOUND"


def test_role_matrix(school_a, bob, client_for):
    result = client_for(bob, school_a).gql("{ roleMatrix { key roles } }")
    assert len(result["data"]["roleMatrix"]) == len(SCHOOL_PERMISSIONS)
    assert result["data"]["roleMatrix"][0] == {"key": "people.manage", "roles": ["principal", "logistics_director"]}


def test_my_notifications_and_preferences(school_a, alice, bob, client_for):
    notify(kind="repairs", title="甲", users=[alice], school=school_a, dedupe_key="g1")
    notify(kind="repairs", title="乙", users=[bob], school=school_a, dedupe_key="g2")
    client = client_for(alice, school_a)
    result = client.gql("{ unreadNotificationCount notificationList(first: 5) { edges { node { title schoolName } } } }")
    assert result["data"] == {"unreadNotificationCount": 1,
                              "notificationList": {"edges": [{"node": {"title": "甲", "schoolName": "阿尔法小学"}}]}}
    assert client.gql("mutation { notificationMarkRead }")["data"]["notificationMarkRead"] == 1
    alice.email = "alice@example.cn"
    alice.save()
    pref = client.gql('mutation { notificationPreferenceSet(kind: "repairs", channel: "digest") { kind channel } }')
    assert pref["data"]["notificationPreferenceSet"] == {"kind": "repairs", "channel": "digest"}
    assert NotificationPreference.objects.get(user=alice).channel == "digest"


def test_bureau_members_on_the_bureau_host(bureau_north, dave, client_for):
    people = _people(client_for(dave).gql(PEOPLE))
    assert set(people) == {"Dave"}
    assert people["Dave"]["roles"] == [{"role": "bureau_leader", "post": ""}]


IMPORT = "mutation($c: String!) { staffImport(contentBase64: $c) { ok created errors { row column message } invitations { name url } } }"


def _b64(rows) -> str:
    import base64

    from .factories import sheet

    return base64.b64encode(sheet(rows)).decode()


def test_staff_import_and_roster_over_graphql(school_a, alice, client_for):
    client = client_for(alice, school_a)
    result = client.gql(IMPORT, {"c": _b64([("钱老师", "13200000001", "班主任", "", "")])})["data"]["staffImport"]
    assert (result["ok"], result["created"], result["errors"]) == (True, 1, [])  # created: invited, deprecated
    assert result["invitations"][0]["name"] == "钱老师"
    roster = client.gql("{ staffList(first: 10) { totalCount edges { node { name post phone personId } } } }")
    node = roster["data"]["staffList"]["edges"][0]["node"]
    assert (node["name"], node["post"], node["phone"]) == ("钱老师", "班主任", "13200000001")
    assert node["personId"] is None  # linked when they accept
    from .factories import owners_accept

    owners_accept(school=school_a)
    roster = client.gql("{ staffList(first: 10) { edges { node { personId } } } }")
    assert roster["data"]["staffList"]["edges"][0]["node"]["personId"] == str(User.objects.get(phone="13200000001").pk)


def test_a_bad_sheet_over_graphql_reports_rows_and_saves_nothing(school_a, alice, client_for):
    result = client_for(alice, school_a).gql(IMPORT, {"c": _b64([("", "13200000001", "", "", "")])})
    assert result["data"]["staffImport"]["ok"] is False
    assert result["data"]["staffImport"]["errors"] == [{"row": 2, "column": "姓名", "message": "缺少姓名。"}]
    assert not User.objects.filter(phone="13200000001").exists()


@pytest.mark.parametrize("who", ["bob", "charlie"])
def test_only_admins_import_over_graphql(school_a, client_for, who):
    result = client_for(User.objects.get(username=who), school_a).gql(
        IMPORT, {"c": _b64([("钱老师", "13200000001", "", "", "")])})
    assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert not User.objects.filter(phone="13200000001").exists()


def test_staff_roster_hides_phones_from_teachers(school_a, alice, bob, client_for):
    client_for(alice, school_a).gql(IMPORT, {"c": _b64([("钱老师", "13200000001", "班主任", "", "")])})
    roster = client_for(bob, school_a).gql("{ staffList { edges { node { name phone } } } }")
    assert roster["data"]["staffList"]["edges"] == [{"node": {"name": "钱老师", "phone": None}}]


ROBOT = """mutation { robotChannelCreate(name: "后勤群", provider: WECOM,
  webhookUrl: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=secret-key") { robotId name webhookHost } }"""


def test_robots_over_graphql_never_return_the_address(school_a, alice, client_for):
    from tenants.models import RobotChannel

    client = client_for(alice, school_a)
    created = client.gql(ROBOT)["data"]["robotChannelCreate"]
    assert (created["name"], created["webhookHost"]) == ("后勤群", "qyapi.weixin.qq.com")
    listed = client.gql("{ robotChannelList { name webhookHost } }")
    assert listed["data"]["robotChannelList"] == [{"name": "后勤群", "webhookHost": "qyapi.weixin.qq.com"}]
    assert "secret-key" not in str(listed)
    deleted = client.gql(f'mutation {{ robotChannelDelete(robotId: "{created["robotId"]}") }}')
    assert deleted["data"]["robotChannelDelete"] is True
    assert RobotChannel.objects.count() == 0


@pytest.mark.parametrize("who", ["bob", "charlie", "dave"])
def test_only_admins_handle_robots_over_graphql(school_a, client_for, who):
    from tenants.models import RobotChannel

    client = client_for(User.objects.get(username=who), school_a)
    assert client.gql(ROBOT)["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert client.gql("{ robotChannelList { name } }")["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert RobotChannel.objects.count() == 0


def test_bureau_create_is_for_the_operator(oscar, dave, client_for):
    from tenants.models import Bureau

    query = 'mutation { bureauCreate(name: "西区教育局", code: "west") { code name } }'
    assert client_for(dave).gql(query)["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert client_for(oscar).gql(query)["data"]["bureauCreate"] == {"code": "west", "name": "西区教育局"}
    assert Bureau.objects.filter(code="west").count() == 1


def test_invitation_accept_over_graphql(school_a, alice, client_for):
    from tenants.people import invitation_create, person_create

    person = person_create(name="钱老师", phone="13200000002")
    token = invitation_create(user=person, created_by=alice, school=school_a).url.rstrip("/").rsplit("/", 1)[-1]
    query = "mutation($t: String!, $p: String!) { invitationAccept(token: $t, password: $p) }"
    client = client_for(None, school_a)
    weak = client.gql(query, {"t": token, "p": "123"})
    assert weak["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert client.gql(query, {"t": token, "p": "Plum-blossom-2026"})["data"]["invitationAccept"] is True
    again = client.gql(query, {"t": token, "p": "Plum-blossom-2027"})
    assert again["errors"][0]["message"] == "该链接已被使用，请重新索取。"
    person.refresh_from_db()
    assert person.check_password("Plum-blossom-2026")
