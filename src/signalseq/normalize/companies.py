"""Company names compared the way people mean them: "Acme, Inc. (US)" == "acme"."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from cleanco import basename

_PARENTHETICAL = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_PUNCT = re.compile(r"[^\w\s]")


@lru_cache(maxsize=65536)
def normalize_company_name(name: str | None) -> str:
    if not name:
        return ""
    text = unicodedata.normalize("NFKC", name)
    text = _PARENTHETICAL.sub(" ", text).replace("&", " and ")
    text = basename(text.strip()) or text
    text = _PUNCT.sub(" ", text.casefold())
    return re.sub(r"\s+", " ", text).strip()


def display_company_name(name: str) -> str:
    """How a person writes it in a sentence: "Indigo Security Pvt Ltd" → "Indigo Security"."""
    text = _PARENTHETICAL.sub(" ", unicodedata.normalize("NFKC", name)).strip()
    short = basename(text).strip(" ,.")
    return re.sub(r"\s+", " ", short or text)
