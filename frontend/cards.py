"""Cards on the school home: each app may offer `home_cards(request, school)` in `<app>/home.py`.

A card is {"template": name, "context": dict, "order": int}.
"""

from __future__ import annotations

import importlib

from .nav import NAV_APPS


def cards_for(request, school) -> list[dict]:
    cards: list[dict] = []
    for app in NAV_APPS:
        try:
            module = importlib.import_module(f"{app}.home")
        except ModuleNotFoundError as exc:
            if exc.name != f"{app}.home":
                raise
            continue
        cards.extend(module.home_cards(request, school))
    return sorted(cards, key=lambda card: card.get("order", 100))
