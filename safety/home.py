"""The safety card on the school home."""

from __future__ import annotations

from django.db.models import Q

from tenants.access import can_read_school

from . import selectors
from .choices import HazardStatus
from .models import Hazard
from .terms import current_term, term_label


def home_cards(request, school) -> list[dict]:
    if not can_read_school(request.user, school):
        return []
    term = current_term()
    stats = selectors.hazard_stats(period=term)
    coverage = selectors.campaign_coverage_list(term=term_label(term))
    return [{
        "template": "safety/card.html",
        "order": 20,
        "context": {
            "stats": stats,
            "coverage": coverage,
            "drills": selectors.drills_vs_required(period=term),
            "supervised": Hazard.objects.filter(Q(supervised=True) & ~Q(status=HazardStatus.CLOSED)).count(),
        },
    }]
