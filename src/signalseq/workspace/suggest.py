"""“Did you mean …?” for names a workspace author mistyped."""

from __future__ import annotations

from collections.abc import Iterable
from difflib import get_close_matches


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'branch'?)`` when a choice is close to ``word``, else ``""``."""
    close = get_close_matches(word, sorted(set(choices)), n=1, cutoff=0.8)
    return f" (did you mean {close[0]!r}?)" if close else ""
