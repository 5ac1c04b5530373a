"""The school home's asset card: totals by kind and by top-level category."""

from __future__ import annotations

from .selectors import asset_totals


def home_cards(request, school) -> list[dict]:
    totals = asset_totals(user=request.user)
    return [{"template": "assets/cards/totals.html", "context": totals, "order": 20}]
