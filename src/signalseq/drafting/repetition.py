"""How templated the drafts read: the share of sentences that appear word for word in
another contact's draft of the same prompt (names masked), and the claims a person was
sent more than once. Printed by the demo; the targets are < 10% and 0."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from signalseq.drafting.context import summary
from signalseq.drafting.grounding import claims_made
from signalseq.drafting.models import Draft
from signalseq.enrollments.models import Touch

_SENTENCE = re.compile(r"(?<=[.!?])\s+")


@dataclass
class Repetition:
    sentences: int = 0
    shared: int = 0
    by_prompt: dict[str, tuple[int, int]] = field(default_factory=dict)  # sentences, shared
    people: int = 0
    repeated_claims: int = 0  # claims sent to one person in two or more touches
    examples: list[str] = field(default_factory=list)

    @property
    def shared_share(self) -> float:
        return self.shared / self.sentences if self.sentences else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "sentences": self.sentences,
            "shared_with_another_contact": self.shared,
            "shared_share": round(self.shared_share, 4),
            "by_prompt": {k: {"sentences": s, "shared": n} for k, (s, n) in self.by_prompt.items()},
            "people": self.people,
            "repeated_claims": self.repeated_claims,
        }


def _masked(sentence: str, names: list[str]) -> str:
    text = sentence.casefold()
    for name in sorted((n.casefold() for n in names if n), key=len, reverse=True):
        text = text.replace(name, "<name>")
    return " ".join(text.split())


def _names(context: dict[str, Any]) -> list[str]:
    contact, account = context.get("contact") or {}, context.get("account") or {}
    signal, sender = context.get("signal") or {}, context.get("sender") or {}
    found = [contact.get("full_name"), contact.get("first_name"), account.get("name"),
             account.get("legal_name"), signal.get("company"), signal.get("new_company"),
             sender.get("company"), sender.get("first_name")]  # fmt: skip
    return [str(n) for n in found if n]


def measure(session: Session) -> Repetition:
    """Over every draft in the store (the latest version of each touch)."""
    rows = session.execute(
        select(
            Touch.enrollment_id, Touch.channel, Touch.id, Draft.prompt_id, Draft.body, Draft.context
        )
        .join(Draft, Draft.touch_id == Touch.id)
        .order_by(Touch.enrollment_id, Touch.step_index)
    ).all()
    result = Repetition()
    seen: dict[str, Counter[str]] = defaultdict(Counter)  # prompt → sentence → contacts
    drafts = []
    for enrollment, channel, _touch, prompt_id, body, context in rows:
        names = _names(context or {})
        sentences = {
            _masked(s, names) for s in _SENTENCE.split(summary(body, channel, None)) if s.strip()
        }
        drafts.append((enrollment, prompt_id or "?", sentences, body, context or {}))
        for sentence in sentences:
            seen[prompt_id or "?"][sentence] += 1
    per_prompt: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    claims_by_person: dict[int, Counter[str]] = defaultdict(Counter)
    for enrollment, prompt_id, sentences, body, context in drafts:
        for sentence in sentences:
            shared = seen[prompt_id][sentence] > 1
            per_prompt[prompt_id][0] += 1
            per_prompt[prompt_id][1] += shared
            if shared and len(result.examples) < 5:
                result.examples.append(f"{prompt_id}: {sentence}")
        sender = context.get("sender") or {}
        person = (context.get("contact") or {}).get("id") or -enrollment
        if sender:
            for made in claims_made([body], sender):
                claims_by_person[person][str(made["customer"] or made["claim"])] += 1
    result.by_prompt = {k: (v[0], v[1]) for k, v in sorted(per_prompt.items())}
    result.sentences = sum(v[0] for v in per_prompt.values())
    result.shared = sum(v[1] for v in per_prompt.values())
    result.people = len(claims_by_person)
    result.repeated_claims = sum(
        1 for counts in claims_by_person.values() for n in counts.values() if n > 1
    )
    return result
