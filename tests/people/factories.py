"""Factories and sheet builders for the people tests."""

from __future__ import annotations

from io import BytesIO

import factory
from openpyxl import Workbook

from tenants.models import User
from tenants.services import membership_grant

HEADER = ("姓名", "手机", "岗位", "部门", "角色")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"person{n}")
    name = factory.Sequence(lambda n: f"人员{n}")
    phone = factory.Sequence(lambda n: f"139{n:08d}")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-42")

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def member(*, school=None, bureau=None, role, post="", **kwargs) -> User:
    """A person with one role in a school or bureau."""
    user = UserFactory(**kwargs)
    membership_grant(user=user, role=role, school=school, bureau=bureau, post=post)
    return user


def sheet(rows, header=HEADER) -> bytes:
    """An .xlsx staff sheet with a header row and the given rows."""
    workbook = Workbook()
    ws = workbook.active
    ws.append(list(header))
    for row in rows:
        ws.append(list(row))
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
