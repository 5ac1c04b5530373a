from __future__ import annotations

from django.db.models import Count, Q
from django.utils import timezone

from .choices import OPEN_STATUSES, RUNNING_STATUSES
from .models import WorkOrder


def home_cards(request, school) -> list[dict]:
    now = timezone.now()
    counts = WorkOrder.objects.aggregate(
        open=Count("pk", filter=Q(status__in=OPEN_STATUSES)),
        overdue=Count("pk", filter=Q(status__in=RUNNING_STATUSES, due_at__lt=now)),
        mine=Count("pk", filter=Q(status__in=OPEN_STATUSES, assignee_id=request.user.pk)),
    )
    return [{"template": "repairs/home_card.html", "context": counts, "order": 30}]
