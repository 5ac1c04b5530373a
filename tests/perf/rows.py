"""Row makers for the query-count tests: make(n, ctx) adds n rows that the page or field lists.

`ctx` carries `user` (the acting user) and `school` (school A). Rows are bulk-inserted and rolled back
with the test. Modules add theirs here (keyed by the name used in budgets.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone


@dataclass
class Context:
    user: object
    school: object


def notifications(n: int, ctx: Context) -> None:
    from tenants.models import Notification

    now = timezone.now()
    Notification.objects.bulk_create(
        Notification(recipient=ctx.user, school=ctx.school if i % 2 else None, kind="perf", title=f"通知{i}",
                     body="正文", url="/", dedupe_key=f"perf-{ctx.user.pk}-{i}-{n}", created_at=now)
        for i in range(n)
    )


def schools(n: int, ctx: Context) -> None:
    """School rows in school A's bureau (bulk: no schema is created, the lists do not need one)."""
    from tenants.models import School

    start = School.objects.count()
    School.objects.bulk_create(
        School(bureau_id=ctx.school.bureau_id, name=f"列表学校{start + i}", slug=f"perf{start + i}",
               schema_name=f"perf{start + i}", student_count=i)
        for i in range(n)
    )


def memberships(n: int, ctx: Context) -> None:
    """n more schools where the user is a teacher (a district-wide team member)."""
    from tenants.models import Membership, School
    from tenants.roles import Role

    before = set(School.objects.values_list("pk", flat=True))
    schools(n, ctx)
    Membership.objects.bulk_create(
        Membership(user=ctx.user, school=school, role=Role.TEACHER)
        for school in School.objects.exclude(pk__in=before)
    )


MAKERS = {"notifications": notifications, "schools": schools, "memberships": memberships}
