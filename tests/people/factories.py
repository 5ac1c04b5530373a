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


def texted_token(*, user, school=None) -> str:
    """The token of the latest link texted to the person's phone (what they open)."""
    import re

    from tenants.models import SmsMessage

    message = SmsMessage.objects.filter(recipient=user, school=school).order_by("-created_at", "-id").first()
    assert message is not None, f"no text message to {user}"
    return re.search(r"/people/invite/([\w-]+)/", message.text).group(1)


def owners_accept(*, school, password: str = "Owner-accepts-2026") -> list[User]:
    """Everyone the school invited accepts, as they would: a new account's owner by setting the password
    through the link texted to them, an existing account's owner signed in."""
    from tenants.people import invitation_accept, invitation_join_accept, invitation_pending_for_place

    accepted = []
    for invitation in list(invitation_pending_for_place(school=school, bureau=None).select_related("user")):
        if invitation.purpose == "join":
            invitation_join_accept(invitation_id=invitation.pk, user=invitation.user)
        else:
            invitation_accept(token=texted_token(user=invitation.user, school=school), school=school,
                              password=password)
        accepted.append(invitation.user)
    return accepted
