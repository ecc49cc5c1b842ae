"""A guardrail's result: a named check, whether it passed, and the exact spans it found."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Span:
    part: str  # subject or body
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    message: str
    spans: tuple[Span, ...] = ()
    warning: bool = False  # passed, but a person should look at the spans


@dataclass(frozen=True)
class GuardrailReport:
    checks: tuple[Check, ...] = field(default_factory=tuple)

    @property
    def passed(self) -> bool:
        return all(check.ok for check in self.checks)

    @property
    def failures(self) -> list[Check]:
        return [check for check in self.checks if not check.ok]

    def as_list(self) -> list[dict[str, Any]]:
        return [asdict(check) for check in self.checks]

    def feedback(self) -> str:
        """What the model is told when it is asked again."""
        return "; ".join(f"{c.name}: {c.message}" for c in self.failures)


def spans(part: str, text: str, pattern: re.Pattern[str]) -> tuple[Span, ...]:
    return tuple(Span(part, m.start(), m.end(), m.group(0)) for m in pattern.finditer(text))
