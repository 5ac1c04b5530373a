"""The GraphQL contract: breaking changes against the baseline must be recorded in graphql/CHANGELOG.md."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from graphql.utilities import find_breaking_changes

from graphql import build_schema

CONTRACT_DIR = Path(settings.BASE_DIR) / "graphql"
BASELINE_PATH = CONTRACT_DIR / "schema.baseline.graphql"
CHANGELOG_PATH = CONTRACT_DIR / "CHANGELOG.md"


def breaking_changes(old_sdl: str, new_sdl: str) -> list[str]:
    """graphql-core's descriptions of what breaks clients going from old_sdl to new_sdl."""
    return [change.description for change in find_breaking_changes(build_schema(old_sdl), build_schema(new_sdl))]


def unrecorded_breaking_changes(old_sdl: str, new_sdl: str, changelog: str) -> list[str]:
    """Breaking changes whose description does not appear in the changelog (one per line, verbatim)."""
    return [change for change in breaking_changes(old_sdl, new_sdl) if change not in changelog]
