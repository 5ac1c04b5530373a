"""History rows equal writes, however the write is made: save, update(), bulk operations, raw SQL,
the admin and an import. Triggers record them, so no path around the ORM escapes."""

from __future__ import annotations

import datetime as dt
import io

from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from openpyxl import Workbook
from pghistory.models import Events

from schools.models import Department
from tenants.models import Membership, User
from tenants.roles import Role
from tenants.services import membership_grant


def _events(model) -> list[str]:
    event_model = apps.get_model(model._meta.app_label, f"{model.__name__}Event")
    return list(event_model.objects.order_by("pgh_id").values_list("pgh_label", flat=True))


def test_every_orm_path_writes_one_history_row_per_row_changed(in_school_a):
    start = len(_events(Department))
    one = Department(name="史-1")
    one.save()                                                               # save: 1 insert
    Department.objects.bulk_create([Department(name=f"史-b{i}") for i in range(3)])  # bulk: 3 inserts
    changed = Department.objects.filter(name__startswith="史-").update(sort_order=9)  # update(): 4 updates
    rows = list(Department.objects.filter(name__startswith="史-b"))
    for row in rows:
        row.sort_order = 1
    Department.objects.bulk_update(rows, ["sort_order"])                   # bulk_update: 3 updates
    with connection.cursor() as cursor:                                     # raw SQL: 1 update
        cursor.execute("UPDATE schools_department SET sort_order = 5 WHERE id = %s", [one.pk])
    Department.objects.filter(name__startswith="史-b").delete()            # delete: 3 deletes

    labels = _events(Department)[start:]
    assert changed == 4
    assert labels.count("insert") == 4
    assert labels.count("update") == 4 + 3 + 1
    assert labels.count("delete") == 3


def test_import_writes_one_history_row_per_imported_row(in_school_a, alice):
    from assets.imports import assets_import
    from assets.models import Asset

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["资产编号", "资产名称", "分类代码", "单价", "数量", "入账日期", "存放地点"])
    for i in range(5):
        sheet.append([f"H{i:04d}", "台式计算机", "A02010105", 5600, 1, dt.date(2025, 9, 1), ""])
    buffer = io.BytesIO()
    workbook.save(buffer)
    custodian = User.objects.create_user(username="hist-custodian", password="x" * 12)
    membership_grant(user=custodian, role=Role.CUSTODIAN, school=in_school_a)
    connection.set_tenant(in_school_a)
    start = len(_events(Asset))

    assert assets_import(upload=SimpleUploadedFile("a.xlsx", buffer.getvalue()), actor=custodian) == 5

    assert _events(Asset)[start:] == ["insert"] * 5
    assert Asset.objects.filter(asset_number__startswith="H").count() == 5


def test_admin_change_is_recorded_with_the_acting_user(db, client_for, oscar, alice, school_a):
    # given the platform operator edits a membership in the admin
    oscar.is_staff = True
    oscar.is_superuser = True
    oscar.save()
    membership = Membership.objects.get(user=alice, school=school_a)
    client = client_for(oscar, None)
    url = f"/admin/tenants/membership/{membership.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200

    # when the post is saved
    response = client.post(url, {
        "user": alice.pk, "school": school_a.pk, "bureau": "", "role": Role.PRINCIPAL, "post": "校长（改）",
        "is_active": "on", "created_at_0": "2026-01-01", "created_at_1": "08:00:00", "ended_at_0": "", "ended_at_1": "",
    })
    assert response.status_code == 302, response.content.decode()[:2000]

    # then one update event names the operator
    events = list(Events.objects.tracks(membership).order_by("-pgh_id"))
    assert events[0].pgh_label == "update"
    assert events[0].pgh_context["user"] == oscar.pk
    assert events[0].pgh_diff["post"] == ["", "校长（改）"]
