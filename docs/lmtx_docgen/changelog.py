"""The changelog page (``changelog.md``): the repository's CHANGELOG.md, copied in at build time."""

from __future__ import annotations

from .common import REPO_ROOT

CHANGELOG = REPO_ROOT / "CHANGELOG.md"


def changelog() -> str:
    """CHANGELOG.md, as it stands in the repository."""
    return CHANGELOG.read_text(encoding="utf-8")
