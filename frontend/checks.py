"""System checks of the web front: what `manage.py check --deploy` reports before a release."""

from __future__ import annotations

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def metrics_token_check(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """/metrics without METRICS_TOKEN refuses every scrape in production (frontend.middleware)."""
    if settings.METRICS_TOKEN:
        return []
    return [checks.Warning(
        "METRICS_TOKEN is not set: /metrics refuses every request while DEBUG is off.",
        hint="Set METRICS_TOKEN and give Prometheus the same value as its bearer token.",
        id="frontend.W001",
    )]
