"""JSON from outside (webhooks, provider files, model answers), parsed with a bound on
nesting: a signed but absurdly deep document is refused like malformed JSON, never
taken down to a RecursionError."""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 64


class TooDeep(json.JSONDecodeError):
    def __init__(self) -> None:
        super().__init__(f"nested deeper than {MAX_DEPTH} levels", "", 0)


def loads(data: str | bytes | bytearray) -> Any:
    """``json.loads``, refusing documents nested deeper than ``MAX_DEPTH``."""
    try:
        value = json.loads(data)
    except RecursionError as exc:
        raise TooDeep() from exc
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict | list):
            if depth > MAX_DEPTH:
                raise TooDeep()
            children = item.values() if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children)
    return value
