"""The offline drafter: the default when no model endpoint is configured.

Deterministic (the same touch always gets the same words) and written from the same
research context and prompt metadata a model would get. Every fact it uses comes from
the context or the sender profile, so it passes the grounding check by construction;
sentences it can drop or add keep it inside the prompt's word limits. Variation comes
from a stable hash of the contact and step, so two prospects at one company do not get
identical notes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from signalseq.drafting.guardrails import count_words
from signalseq.normalize.companies import display_company_name

NAME = "offline"
PURPOSES = ("opener", "bump", "new_angle", "value_add", "breakup", "connect", "message", "call")
MODEL = "offline-v1"
TOPICS = {
    "pricing": "pricing",
    "demo": "seeing it in action",
    "case_study": "customer results",
    "integrations": "integrations",
    "security": "security reviews",
    "docs": "implementation",
    "blog": "signal-based outbound",
    "home": "signal-based outbound",
}


@dataclass(frozen=True)
class Text:
    subject: str | None
    body: str


class _Writer:
    """One touch's facts, phrased."""

    def __init__(self, data: dict[str, Any], prompt_id: str, variant: int = 0):
        self.data = data
        self.signal: dict[str, Any] = data["signal"]
        self.sender: dict[str, Any] = data["sender"]
        self.kind = self.signal.get("kind")
        self.first = data["contact"].get("first_name")
        self.company = data["account"].get("name") or self.signal.get("company") or "your team"
        seed = f"{data['contact'].get('full_name')}|{data['step']['id']}|{prompt_id}"
        if variant:  # a redraft: other words than the version before
            seed += f"|{variant}"
        self.seed = int(hashlib.sha256(seed.encode()).hexdigest()[:8], 16)
        purpose = str(data["step"]["purpose"])
        self.rotation = self.seed + (PURPOSES.index(purpose) if purpose in PURPOSES else 0)

    def pick(self, options: Sequence[str], salt: int = 0) -> str:
        return options[(self.seed + salt) % len(options)]

    def nth(self, options: Sequence[Any], offset: int) -> Any:
        """A different item per purpose (opener, bump, new angle… rotate through the
        list), so each touch of a sequence takes a new angle."""
        return options[(self.rotation + offset) % len(options)] if options else None

    # --- facts, phrased -------------------------------------------------------------

    @property
    def greeting(self) -> str:
        return f"Hi {self.first}," if self.first else "Hi there,"

    @property
    def topic(self) -> str:
        return TOPICS.get(self.signal.get("top_category") or "", "signal-based outbound")

    def hook(self) -> str:
        """The reason for writing, as a full sentence."""
        s = self.signal
        if self.kind == "funding":
            what = " ".join(x for x in (s.get("amount"), s.get("round")) if x) or "new funding"
            lead = s.get("lead_investors") or []
            led = f" led by {lead[0]}" if lead else ""
            return self.pick(
                [
                    f"Congratulations on the {what}{led}.",
                    f"Saw the news that {self.company} closed its {what}{led}: congratulations.",
                ]
            )
        if self.kind == "job_change":
            title = s.get("new_title")
            employer = (
                display_company_name(s["new_company"]) if s.get("new_company") else self.company
            )
            role = f" as {title}" if title else ""
            if s.get("change_type") in ("promotion", "title_change"):
                return f"Congratulations on stepping up{role} at {employer}."
            return self.pick(
                [
                    f"Congratulations on the move to {employer}{role}.",
                    f"Saw that you joined {employer}{role}: congratulations on the new role.",
                ]
            )
        if self.kind == "website_visit":
            return (
                f"Teams like {self.company} often look hard at {self.topic} when they "
                "start rethinking outbound, so here is a short note on how others approach it."
            )
        return f"I have been following what {self.company} is building."

    def short_hook(self) -> str:
        s = self.signal
        if self.kind == "funding":
            return f"the {s['round']}" if s.get("round") else "the new funding"
        if self.kind == "job_change":
            return "your new role"
        if self.kind == "website_visit":
            return f"your look at {self.topic}"
        return "what you are building"

    def insight(self) -> str:
        if self.kind == "funding":
            return (
                "A new round usually comes with a bigger pipeline target and new reps to "
                "ramp at once, and the first quarter after the announcement tends to set "
                "the pace."
            )
        if self.kind == "job_change":
            return (
                "The first months in a new role are usually when the outbound motion gets "
                "rebuilt, and it is easier to set the rules before the old habits settle in."
            )
        if self.kind == "website_visit":
            return (
                f"Teams looking into {self.topic} are usually weighing how quickly it pays "
                "back and how much work the rollout takes."
            )
        return "Most sales teams spend too much of the week on accounts that are not ready to talk."

    def value(self, offset: int = 0) -> str:
        props: list[str] = self.sender["value_propositions"]
        return _sentence(self.nth(props, offset))

    def proof(self, offset: int = 0) -> str | None:
        points = self.sender.get("proof_points") or []
        point = self.nth(points, offset)
        return _sentence(point["claim"]) if point else None

    def case(self) -> dict[str, Any] | None:
        case: dict[str, Any] | None = self.nth(self.sender.get("case_studies") or [], 0)
        return case

    @property
    def ask(self) -> str:
        return _sentence(self.sender["call_to_action"], "?")

    @property
    def sign_off(self) -> str:
        return str(self.sender.get("signature") or f"Best,\n{self.sender['first_name']}")

    @property
    def me(self) -> str:
        return f"{self.sender['first_name']} from {self.sender['company']}"

    def subject(self, purpose: str) -> str:
        thread = self.data.get("thread") or {}
        if thread.get("continue") and thread.get("subject"):
            return "Re: " + str(thread["subject"]).removeprefix("Re: ")
        s = self.signal
        if purpose == "breakup":
            return self.pick(["Closing the loop", f"Should I close this out, {self.first}?"])
        if purpose == "value_add" and self.case():
            return f"How {self.case()['customer']} did it"  # type: ignore[index]
        if purpose == "new_angle":
            return f"A different angle for {self.company}"
        if self.kind == "funding" and s.get("round"):
            return self.pick([f"{s['round']} and your pipeline", f"After the {s['round']}"])
        if self.kind == "job_change":
            return self.pick(["Your new role", f"Outbound at {self.company}"])
        if self.kind == "website_visit":
            return f"{self.topic.capitalize()} at {self.company}"
        return f"Outbound at {self.company}"


def _lower_first(text: str, keep: Sequence[str] = ()) -> str:
    """Lower-case the first letter to continue a sentence, unless it starts a name."""
    first = text.split(" ", 1)[0]
    if first in keep or first.isupper():
        return text
    return text[:1].lower() + text[1:]


def _sentence(text: str, end: str = ".") -> str:
    text = text.strip()
    return text if text.endswith((".", "?", "!")) else text + end


def _email(
    w: _Writer,
    paragraphs: list[list[str]],
    optional: list[tuple[int, str | None]],
    ask: str,
    limits: dict[str, Any],
) -> str:
    """Greeting, paragraphs, the one ask, sign-off. Optional sentences join their
    paragraph (in order) while the body stays under the word limit."""
    paragraphs = [list(p) for p in paragraphs]

    def words() -> int:
        return count_words(" ".join([w.greeting, *sum(paragraphs, []), ask, w.sign_off]))

    for index, sentence in optional:
        if not sentence:
            continue
        if words() + count_words(sentence) <= limits["words_max"]:
            paragraphs[index].append(sentence)
        elif words() >= limits["words_min"]:
            break
    return "\n\n".join([w.greeting, *(" ".join(p) for p in paragraphs if p), ask, w.sign_off])


def draft(
    data: dict[str, Any], prompt_id: str, channel: str, purpose: str, variant: int = 0
) -> Text:
    """The text of one touch from its research context (``ResearchContext.plain()``);
    ``variant`` > 0 (a redraft) picks other wordings."""
    w = _Writer(data, prompt_id, variant)
    limits = data["limits"]
    if channel == "email":
        return Text(w.subject(purpose), _email_body(w, purpose, limits))
    if channel == "linkedin_connect":
        opening = f"{w.greeting.removesuffix(',')}, {_lower_first(w.hook())}"
        note = f"{opening} I work with sales leaders on {w.sender['product']}. Would be glad to connect."
        if limits.get("max_chars") and len(note) > limits["max_chars"]:
            note = f"{opening} Would be glad to connect."
        return Text(None, note)
    if channel == "linkedin_message":
        proof = w.proof(1) or w.value(1)
        body = (
            f"Thanks for connecting, {w.first or 'and good to meet you'}. {proof} "
            f"Given {w.short_hook()}, it seemed relevant for {w.company}. "
            "Open to a short call next week to see if it fits?"
        )
        return Text(None, body)
    if channel == "call":
        return Text(None, _call_script(w))
    return Text(None, f"{w.hook()} {w.value()}")


def _email_body(w: _Writer, purpose: str, limits: dict[str, Any]) -> str:
    keep = [w.sender["company"]]
    if purpose == "bump":
        about = "my note" if w.data.get("previous_touches") else "this"
        return _email(
            w,
            [
                [
                    f"Bringing {about} about {w.short_hook()} back to the top of your inbox, in "
                    "case the timing is better this week."
                ]
            ],
            [(0, w.proof(2)), (0, w.value(1))],
            f"Open to a short call to see whether it fits {w.company}?",
            limits,
        )
    if purpose == "new_angle":
        return _email(
            w,
            [[f"A different angle on {w.short_hook()}: {_lower_first(w.value(2), keep)}"], []],
            [(1, w.proof(0)), (1, w.insight())],
            "Would it help if I sent over how teams like yours set it up?",
            limits,
        )
    if purpose == "value_add":
        case = w.case()
        story = (
            f"One story that may be useful for {w.company}: {case['customer']} "
            f"{_lower_first(case['result'], keep)}"
            if case
            else w.proof(1) or w.value(1)
        )
        return _email(
            w,
            [[_sentence(story)], []],
            [(1, w.value(0)), (1, w.insight())],
            "Want me to send over the playbook they used?",
            limits,
        )
    if purpose == "breakup":
        return _email(
            w,
            [
                [
                    "I have not heard back, so I will assume the timing is not right and stop "
                    "writing after this one."
                ]
            ],
            [(0, f"If outbound comes back onto the list, {_lower_first(w.value(0), keep)}")],
            "Should I close the file on this for now?",
            limits,
        )
    return _email(
        w,
        [[w.hook(), w.insight()], []],
        [(1, w.value(0)), (1, w.proof(0))],
        w.ask,
        limits,
    )


def _call_script(w: _Writer) -> str:
    lines = [
        f"Opener: Hi {w.first or 'there'}, this is {w.me}. I am calling about {w.short_hook()}.",
        f"Why now: {w.insight()}",
        f"Value: {w.value(0)}",
    ]
    if w.proof(0):
        lines.append(f"Proof: {w.proof(0)}")
    lines += [
        f"Question: how is {w.company} planning outbound for the next quarter?",
        f"Ask: {w.ask}",
        f"Voicemail: Hi {w.first or 'there'}, {w.me} about {w.short_hook()}. "
        "I will follow up by email, so there is no need to call back.",
    ]
    return "\n".join(lines)
