"""The school home card: the titles the school holds, and where to apply for more."""

from __future__ import annotations

from .models import AwardRecord


def home_cards(request, school) -> list[dict]:
    records = list(AwardRecord.objects.filter(school=school).order_by("-granted_on", "title")[:6])
    return [{"template": "reporting/home_card.html", "context": {"records": records}, "order": 90}]
