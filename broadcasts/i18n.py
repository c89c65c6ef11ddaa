"""The campaigns page's texts per language: one file per language in broadcasts/locales/ (`ro.json`, `en.json`),
nested keys, as the inbox's (inbox/i18n.py). The page loads its language's file
(`/campaigns/locales/{language}.json`); the server uses the same files for the login page. The languages are
the inbox's (an account's language is one choice for both pages); Romanian is the default.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from inbox.i18n import languages, pick

LOCALES = Path(__file__).parent / "locales"

__all__ = ["LOCALES", "languages", "locale", "pick"]


@cache
def locale(language: str) -> dict[str, Any]:
    """A language's texts of the campaigns page, as nested objects."""
    return json.loads((LOCALES / f"{pick(language)}.json").read_text(encoding="utf-8"))
