"""我的待办 (issue 20, part 3): each person sees what waits for them, every link opens for them, the owner of a
hazard hears of it when it becomes theirs and before its deadline (once), the hazard ledger shows 整改率."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from assets import services as asset_services
from assets.choices import DisposalMethod
from repairs.services import work_order_report, work_order_triage
from safety.choices import HazardGrade, HazardStatus
from safety.services import hazard_plan, hazard_rectify, hazard_report, hazard_verify, hazards_remind_due_soon
from tenants.models import Notification, User
from tenants.roles import Role
from tenants.services import membership_grant
from tests.assets.factories import AssetFactory, ConsumableItemFactory, DepartmentFactory, category
from tests.safety.factories import HazardFactory

TODAY = timezone.localdate


def _person(username: str, role: str, school) -> User:
    user = User.objects.create_user(username=username, password="x-pass-42", name=username.title())
    membership_grant(user=user, role=role, school=school)
    return user


@pytest.fixture
def sam(school_a):
    """Safety officer of A (manages hazards, verifies general ones)."""
    return _person("sam", Role.SAFETY_OFFICER, school_a)


@pytest.fixture
def mia(school_a):
    """Maintenance worker of A."""
    return _person("mia", Role.MAINTENANCE_WORKER, school_a)


@pytest.fixture
def lena(school_a):
    """Logistics director of A (dispatches repairs, manages the property ledgers)."""
    return _person("lena", Role.LOGISTICS_DIRECTOR, school_a)


def _in(school, fn):
    connection.set_tenant(school)
    try:
        return fn()
    finally:
        connection.set_schema_to_public()


def _hazard(responsible, **fields):
    return HazardFactory(
        responsible=responsible, deadline=fields.pop("deadline", TODAY() + dt.timedelta(days=10)), **fields
    )


def _links(html: str) -> list[str]:
    """The item links of the to-do page."""
    return re.findall(r'data-testid="todo-item"[^>]*>\s*<a class="[^"]*" href="([^"]+)"', html)


def _assert_links_open(client, html: str) -> None:
    links = _links(html)
    assert links
    for url in links:
        response = client.get(url, follow=True)
        assert response.status_code == 200, url


# ---------------------------------------------------------------- the page, per person


def test_hazard_owner_sees_their_hazard_and_not_anyone_elses(client_for, school_a, bob, mia):
    # given a hazard bob is responsible for, one of mia's, and a closed one of bob's
    mine = _in(
        school_a, lambda: _hazard(bob, description="楼梯扶手松动", deadline=TODAY() - dt.timedelta(days=1))
    )
    _in(school_a, lambda: _hazard(mia, description="配电箱未上锁"))
    _in(
        school_a,
        lambda: _hazard(
            bob,
            description="早已销号的隐患",
            status=HazardStatus.CLOSED,
            rectified_by=mia,
            rectified_at=timezone.now(),
            verified_by=bob,
            verified_at=timezone.now(),
        ),
    )
    client = client_for(bob, school_a)

    # when
    response = client.get("/todo/")

    # then: his open hazard, overdue and in red, with the link that opens it; not mia's, not the closed one
    html = response.content.decode()
    assert response.status_code == 200
    assert "楼梯扶手松动" in html
    assert "配电箱未上锁" not in html
    assert "早已销号的隐患" not in html
    assert f'href="/safety/hazards/{mine.pk}/"' in html
    assert re.search(r'class="text-danger[^"]*" data-testid="todo-deadline"', html)
    _assert_links_open(client, html)


def test_maintenance_worker_sees_the_orders_assigned_to_them(client_for, school_a, mia, lena, bob):
    # given an order lena assigned to mia, and one still waiting for dispatch
    def given():
        order = work_order_report(reporter=bob, title="三楼水龙头漏水", location_note="三楼卫生间")
        work_order_triage(order=order, actor=lena, severity="minor", assignee=mia)
        work_order_report(reporter=bob, title="操场灯不亮", location_note="操场")
        return order

    order = _in(school_a, given)
    client = client_for(mia, school_a)

    # when
    html = client.get("/todo/").content.decode()

    # then
    assert order.reference in html
    assert "操场灯不亮" not in html  # dispatching is the logistics director's, not the worker's
    assert 'data-section="repairs.mine"' in html
    _assert_links_open(client, html)
    # and the logistics director has the unassigned one to dispatch
    assert "操场灯不亮" in client_for(lena, school_a).get("/todo/").content.decode()


def test_principal_sees_the_approvals_waiting_for_the_principal(client_for, school_a, alice, lena, bob):
    # given a submitted purchase request, a pending disposal and a pending requisition
    def given():
        purchase = asset_services.purchase_request_create(
            actor=bob,
            department=DepartmentFactory(name="信息中心"),
            title="教室电脑",
            reason="教学",
            channel="government",
            lines=[
                asset_services.LineInput(
                    name="台式计算机",
                    category=category("A02010105"),
                    quantity=2,
                    estimated_unit_price=Decimal("5600.00"),
                )
            ],
        )
        asset_services.purchase_request_submit(request=purchase, actor=bob)
        asset = AssetFactory(name="旧投影仪", booked_on=dt.date(2010, 1, 1))
        asset_services.disposal_request(
            asset=asset, actor=lena, method=DisposalMethod.SCRAP, reason="损坏无法修复"
        )
        asset_services.requisition_create(
            item=ConsumableItemFactory(name="粉笔"), quantity=5, requester=bob, reason="上课用"
        )
        return purchase

    purchase = _in(school_a, given)
    client = client_for(alice, school_a)

    # when
    html = client.get("/todo/").content.decode()

    # then
    for section in ("assets.purchase_approve", "assets.disposal_approve", "assets.requisition_approve"):
        assert f'data-section="{section}"' in html
    assert purchase.number in html
    assert "旧投影仪" in html
    _assert_links_open(client, html)
    # and a teacher has none of these to decide
    teacher = client_for(bob, school_a).get("/todo/").content.decode()
    assert "assets.purchase_approve" not in teacher
    assert "旧投影仪" not in teacher


def test_a_rectification_waits_for_a_verifier_other_than_the_rectifier(
    client_for, school_a, sam, mia, bob, alice
):
    # given bob's hazard, rectified by mia; and a major one rectified by sam
    def given():
        general = _hazard(bob, description="灭火器过期")
        hazard_rectify(actor=mia, hazard=general, actions="已更换灭火器")
        major = _hazard(
            bob,
            description="围墙开裂",
            grade=HazardGrade.MAJOR,
            supervised=True,
            measures="加固",
            funds=Decimal("1000"),
            contingency_plan="设置警戒",
        )
        hazard_rectify(actor=sam, hazard=major, actions="已加固")
        return general, major

    general, major = _in(school_a, given)

    # then: the safety officer verifies the general one (not the major one, nor his own rectification)
    sam_html = client_for(sam, school_a).get("/todo/").content.decode()
    assert 'data-section="safety.hazards_verify"' in sam_html
    assert f"/safety/hazards/{general.pk}/" in sam_html
    assert "围墙开裂" not in sam_html
    # the principal verifies both
    alice_html = client_for(alice, school_a).get("/todo/").content.decode()
    assert "围墙开裂" in alice_html
    assert "灭火器过期" in alice_html
    # bob still sees them as his, waiting for verification, with no red deadline
    bob_html = client_for(bob, school_a).get("/todo/").content.decode()
    assert str(HazardStatus.RECTIFIED.label) in bob_html
    assert "text-danger" not in bob_html


def test_a_long_section_shows_the_first_ten_and_a_link_to_the_rest(client_for, school_a, bob):
    # given 12 hazards of bob's
    _in(school_a, lambda: [_hazard(bob, description=f"隐患第{i}条") for i in range(12)])
    client = client_for(bob, school_a)

    # when
    html = client.get("/todo/").content.decode()

    # then
    assert len(_links(html)) == 10
    more = re.search(r'<a href="([^"]+)" data-testid="todo-more">([^<]+)</a>', html)
    assert more is not None
    assert "2" in more.group(2)
    assert more.group(1) == "/safety/hazards/?responsible=me"
    listed = client.get(more.group(1)).content.decode()
    assert listed.count("隐患第") == 12


def test_the_home_page_shows_the_count_and_the_menu_links_the_page(client_for, school_a, bob):
    _in(school_a, lambda: [_hazard(bob) for _ in range(3)])
    html = client_for(bob, school_a).get("/").content.decode()
    assert re.search(r'data-testid="todo-count">3<', html)
    assert 'href="/todo/"' in html


def test_a_bureau_reader_has_an_empty_list(client_for, school_a, dave, bob):
    _in(school_a, lambda: _hazard(bob, description="只属于学校的隐患"))
    response = client_for(dave, school_a).get("/todo/")
    assert response.status_code == 200
    assert "只属于学校的隐患" not in response.content.decode()


# ---------------------------------------------------------------- notifications


def _notified(user, kind: str) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user, kind=kind))


def test_the_person_made_responsible_is_notified_once(school_a, in_school_a, sam, bob, mia):
    # when sam reports a hazard with bob responsible
    hazard = hazard_report(
        reporter=sam,
        category="fire",
        description="消防通道堵塞",
        location_text="食堂后门",
        responsible=bob,
        deadline=TODAY() + dt.timedelta(days=7),
    )

    # then bob hears of it, with the link to the hazard
    [note] = _notified(bob, "safety.hazard_assigned")
    assert note.url == f"/safety/hazards/{hazard.pk}/"
    assert "消防通道堵塞" in note.title

    # when the plan is saved again unchanged, then nobody is told again
    plan = {
        "grade": HazardGrade.GENERAL,
        "measures": "清理",
        "funds": None,
        "deadline": hazard.deadline,
        "contingency_plan": "",
    }
    hazard_plan(actor=sam, hazard=hazard, responsible=bob, **plan)
    assert len(_notified(bob, "safety.hazard_assigned")) == 1

    # when the responsible person changes, then the new one is told
    hazard_plan(actor=sam, hazard=hazard, responsible=mia, **plan)
    assert len(_notified(mia, "safety.hazard_assigned")) == 1
    assert len(_notified(bob, "safety.hazard_assigned")) == 1


def test_nobody_is_notified_of_a_hazard_they_gave_themselves(school_a, in_school_a, sam):
    hazard_report(
        reporter=sam, category="fire", description="自己负责的隐患", location_text="库房", responsible=sam
    )
    assert _notified(sam, "safety.hazard_assigned") == []


def test_the_owner_is_reminded_before_the_deadline_once(school_a, in_school_a, bob, mia):
    # given one hazard due tomorrow, one due in a week, and one due tomorrow already rectified
    due = _hazard(bob, description="明天到期", deadline=TODAY() + dt.timedelta(days=1))
    _hazard(bob, description="下周到期", deadline=TODAY() + dt.timedelta(days=7))
    done = _hazard(bob, description="已整改", deadline=TODAY() + dt.timedelta(days=1))
    hazard_rectify(actor=mia, hazard=done, actions="已修复")

    # when the daily job runs twice
    first = hazards_remind_due_soon()
    second = hazards_remind_due_soon()

    # then one reminder, the first time only
    assert (first, second) == (1, 0)
    [note] = _notified(bob, "safety.hazard_due_soon")
    assert note.url == f"/safety/hazards/{due.pk}/"

    # when the deadline moves, then the new deadline is reminded of again
    due.deadline = TODAY() + dt.timedelta(days=2)
    due.save(update_fields=["deadline"])
    assert hazards_remind_due_soon() == 1


def test_the_daily_hazard_task_reminds_and_escalates(school_a, bob):
    from safety.tasks import hazards_overdue_escalate_task

    _in(school_a, lambda: _hazard(bob, deadline=TODAY()))
    _in(school_a, lambda: _hazard(bob, deadline=TODAY() - dt.timedelta(days=1)))
    hazards_overdue_escalate_task.apply(kwargs={"schema_name": school_a.schema_name})
    hazards_overdue_escalate_task.apply(kwargs={"schema_name": school_a.schema_name})
    assert len(_notified(bob, "safety.hazard_due_soon")) == 1
    assert len(_notified(bob, "safety.hazard_overdue")) == 1


# ---------------------------------------------------------------- the hazard ledger


def test_hazard_ledger_shows_the_terms_rectification_rate_and_overdue(client_for, school_a, sam, mia, bob):
    # given four hazards found this term: one closed, one overdue
    def given():
        hazards = [_hazard(bob) for _ in range(3)]
        hazards.append(_hazard(bob, deadline=TODAY() - dt.timedelta(days=2), description="逾期的隐患"))
        hazard_rectify(actor=mia, hazard=hazards[0], actions="已整改")
        hazard_verify(actor=sam, hazard=hazards[0], accepted=True)

    _in(school_a, given)
    client = client_for(sam, school_a)

    # when
    html = client.get("/safety/hazards/").content.decode()

    # then
    assert re.search(r'data-testid="rectification-rate">25%<', html)
    overdue = re.search(r'<a class="[^"]*" href="([^"]+)" data-testid="overdue-link">1<', html)
    assert overdue is not None
    listed = client.get(f"/safety/hazards/{overdue.group(1)}").content.decode()
    assert "逾期的隐患" in listed
    assert listed.count("<tr>") == 2  # the header and the one overdue hazard


# ---------------------------------------------------------------- GraphQL

TODO = """{ myTodo { total sections { key label total moreUrl
  items { kind title url since deadline deadlineAt overdue } } } }"""


def test_my_todo_query_gives_the_pages_items(client_for, school_a, bob):
    hazard = _in(
        school_a, lambda: _hazard(bob, description="窗户护栏缺失", deadline=TODAY() - dt.timedelta(days=3))
    )
    result = client_for(bob, school_a).gql(TODO)
    assert "errors" not in result
    data = result["data"]["myTodo"]
    assert data["total"] == 1
    [section] = data["sections"]
    assert section["key"] == "safety.hazards_mine"
    assert section["moreUrl"] == "/safety/hazards/?responsible=me"
    assert section["items"] == [
        {
            "kind": "safety.hazard_rectify",
            "title": "窗户护栏缺失（东门外）",
            "url": f"/safety/hazards/{hazard.pk}/",
            "since": TODAY().isoformat(),
            "deadline": (TODAY() - dt.timedelta(days=3)).isoformat(),
            "deadlineAt": None,
            "overdue": True,
        }
    ]


@pytest.mark.parametrize(
    ("who", "where", "code"), [(None, "school", "UNAUTHENTICATED"), ("alice", "bureau", "WRONG_HOST")]
)
def test_my_todo_needs_a_person_on_a_school_host(client_for, school_a, alice, who, where, code):
    client = client_for(alice if who else None, school_a if where == "school" else None)
    result = client.gql(TODO)
    assert result["errors"][0]["extensions"]["code"] == code


def test_my_todo_refuses_a_partner_token(school_a, oscar, bob):
    from api.services import api_token_create, partner_client_create
    from tests.api.conftest import ALL_READ, BearerClient
    from tests.conftest import host_of

    _in(school_a, lambda: _hazard(bob))
    client = partner_client_create(
        actor=oscar, name="物业公司", bureau=None, scopes=ALL_READ, grant_bureau=None, schools=[school_a]
    )
    _token, raw = api_token_create(actor=oscar, client=client, name="main")
    result = BearerClient(host_of(school_a), raw).gql(TODO)
    assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert result["data"] is None
