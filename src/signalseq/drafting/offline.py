"""The offline drafter: the default when no model endpoint is configured.

Deterministic (the same touch always gets the same words) and written from the same
research context a model would get:

* for the contact's role — a persona from their department and title picks the value
  propositions tagged for it in ``sender.yaml`` and what the note says they weigh;
* never the same claim twice to one person — value propositions, proof points and
  customer stories already sent (``already_claimed``) are not used again;
* varied — each sentence is put together from parts chosen by the contact's rotation
  number (mixed radix), so colleagues and the contacts of one step read differently;
* grounded by construction — every fact comes from the context or the sender profile;
  and for visit signals it never names what was read.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from signalseq.drafting.guardrails import count_words
from signalseq.drafting.personas import CONCERNS, persona
from signalseq.normalize.companies import display_company_name

NAME = "offline"
PURPOSES = ("opener", "bump", "new_angle", "value_add", "breakup", "connect", "message", "call")
MODEL = "offline-v2"
ROLE_WORDS = {
    "sales": "sales leader", "revops": "RevOps leader", "marketing": "marketing leader",
    "data": "data leader", "people": "people leader", "security": "security leader",
    "product": "product leader", "engineering": "engineering leader",
    "success": "customer success leader", "finance": "finance leader",
    "operations": "operations leader", "executive": "founder or CEO", "general": "team lead",
}  # fmt: skip


@dataclass(frozen=True)
class Text:
    subject: str | None
    body: str


def _salt(key: str) -> int:
    return int(hashlib.sha256(key.encode()).hexdigest()[:6], 16)


class _Writer:
    """One touch's facts, phrased."""

    def __init__(self, data: dict[str, Any], prompt_id: str, variant: int = 0):
        self.data = data
        self.signal: dict[str, Any] = data["signal"]
        self.sender: dict[str, Any] = data["sender"]
        self.contact: dict[str, Any] = data["contact"]
        self.kind = self.signal.get("kind")
        self.first = self.contact.get("first_name")
        self.company = data["account"].get("name") or self.signal.get("company") or "your team"
        self.purpose = str(data["step"]["purpose"])
        self.persona = persona(self.contact.get("department"), self.contact.get("title"))
        key = self.contact.get("id")
        base = key if isinstance(key, int) else _salt(str(self.contact.get("full_name")))
        self.number = base + 7919 * variant  # a redraft: other words than the version before
        self.claimed = {
            str(c.get("customer") or c.get("claim") or "").casefold()
            for c in data.get("already_claimed") or []
        }

    # --- choosing ---------------------------------------------------------------------

    def compose(self, key: str, *slots: Sequence[str]) -> str:
        """One option from each slot, chosen by the contact's number in mixed radix
        (contacts numbered close together never get the same combination)."""
        n = self.number + _salt(f"{key}|{self.purpose}") % 997
        parts = []
        for options in slots:
            parts.append(options[n % len(options)])
            n //= len(options)
        return "".join(parts)

    def pick(self, key: str, options: Sequence[str]) -> str:
        return self.compose(key, options)

    # --- claims, fresh ones only ----------------------------------------------------------

    def propositions(self) -> list[str]:
        """Value propositions not yet sent, those tagged for this persona first."""
        texts: list[str] = self.sender["value_propositions"]
        tags: list[list[str]] = self.sender.get("value_personas") or [[] for _ in texts]
        fresh = [
            (t, p) for t, p in zip(texts, tags, strict=False) if t.casefold() not in self.claimed
        ]
        mine = [t for t, p in fresh if self.persona in p]
        anyone = [t for t, p in fresh if not p]
        return mine + anyone

    def proofs(self) -> list[dict[str, Any]]:
        """Proof points not yet sent (a customer's story counts once)."""
        return [
            p for p in self.sender.get("proof_points") or []
            if str(p.get("customer") or p.get("claim")).casefold() not in self.claimed
        ]  # fmt: skip

    def story(self) -> dict[str, Any] | None:
        """A customer story not yet told."""
        for case in self.sender.get("case_studies") or []:
            if str(case.get("customer")).casefold() not in self.claimed:
                return case  # type: ignore[no-any-return]
        return None

    def value(self, offset: int = 0) -> str | None:
        props = self.propositions()
        if len(props) <= offset:
            return None
        return self._claim(
            "value", props[offset], ["", "In short, ", "What we do: ", "Put simply, "]
        )

    def proof(self, after_question: bool = False) -> str | None:
        points = self.proofs()
        if not points:
            return None
        leads = ["", "For example, ", "One data point: ", "As an example, ", "A recent result: ",
                 "To give you a sense, "]  # fmt: skip
        if after_question:  # not "for example" after a question
            leads = ["", "For context, ", "In case it is useful, ", "Related: ", "One data point: ",
                     "Why I ask: "]  # fmt: skip
        return self._claim("proof", points[0]["claim"], leads)

    def _claim(self, key: str, text: str, leads: list[str]) -> str:
        """A claim as written in the profile, introduced and closed in the contact's own
        way (the claim's words and numbers are never changed)."""
        return self.compose(
            key,
            [lead + (_lower_first(text, self.names) if lead else text) for lead in leads],
            [".", ", which is often the first thing people ask about.", " for teams like yours.",
             f", something {self.a_role} usually asks about.", "; happy to share how.",
             ", in case that is useful context."],
        )  # fmt: skip

    @property
    def names(self) -> list[str]:
        return [
            self.sender["company"],
            *(c.get("customer") or "" for c in self.sender.get("proof_points") or []),
        ]

    # --- facts, phrased -------------------------------------------------------------

    @property
    def greeting(self) -> str:
        hello = self.pick("greeting", ["Hi", "Hi", "Hello"])
        return f"{hello} {self.first}," if self.first else f"{hello} there,"

    @property
    def role(self) -> str:
        return ROLE_WORDS[self.persona]

    def concern(self, offset: int = 0) -> str:
        options = CONCERNS[self.persona]
        return options[(self.number // 11 + offset) % len(options)]  # not the slots' digit

    def raise_words(self) -> str:
        s = self.signal
        return " ".join(x for x in (s.get("amount"), s.get("round")) if x) or "new funding"

    def hook(self) -> str:
        """Why now, as a sentence."""
        s = self.signal
        if self.kind == "funding":
            lead = s.get("lead_investors") or []
            led = f" led by {lead[0]}" if lead else ""
            return self.compose(
                "hook-funding",
                ["Congratulations on the ", "Congrats to you and the team on the ",
                 "Saw the news about the ", "Great to see the "],
                [f"{self.raise_words()}{led}"],
                [".", " at " + self.company + ".", ", and well deserved."],
            )  # fmt: skip
        if self.kind == "job_change":
            title = s.get("new_title") or self.contact.get("title")
            employer = (
                display_company_name(s["new_company"]) if s.get("new_company") else self.company
            )
            role = f" as {title}" if title else ""
            if s.get("change_type") in ("promotion", "title_change"):
                return self.compose(
                    "hook-promotion",
                    ["Congratulations on stepping up", "Congrats on the promotion",
                     "Great to see the new role"],
                    [f"{role} at {employer}.", f"{role}."],
                )  # fmt: skip
            return self.compose(
                "hook-move",
                ["Congratulations on the move to ", "Congrats on joining ", "Saw that you joined "],
                [f"{employer}{role}.", f"{employer}{role}, and good luck with the first months."],
            )  # fmt: skip
        industry = self.data["account"].get("industry")
        where = f"{industry} teams" if industry else "Teams"
        return self.compose(
            "hook-visit",
            [f"{where} I talk to are rethinking how outbound gets started",
             f"More {where.lower() if industry else 'teams'} are changing what triggers outreach",
             f"A lot of {where.lower() if industry else 'teams'} are moving away from cold lists"],
            [", and I thought this might be relevant at " + self.company + ".",
             " this year, so here is a short note.", "; a short note in case it is useful."],
        )  # fmt: skip

    def insight(self) -> str:
        """What the signal usually means for someone in this role."""
        moment = {
            "funding": ["A new round usually brings a bigger pipeline target",
                        "After a raise the plan usually calls for more pipeline",
                        "Fresh funding tends to come with a higher number"],
            "job_change": ["The first months in a new role are when the plan gets set",
                           "A new role is usually the moment to rethink how things run",
                           "Early in a new role, habits are still easy to change"],
        }.get(self.kind or "", ["Most teams I talk to are weighing the same thing",
                                "It usually comes up when planning the next quarter",
                                "It tends to matter most when the team is growing"])  # fmt: skip
        return self.compose(
            "insight",
            moment,
            [f", and for {self.a_role} ", f"; for {self.a_role} ", f", and in my experience for {self.a_role} ",
             f"; talking to {self.roles}, "],
            [f"it often comes down to {self.concern()}.",
             f"the question is usually {self.concern()}.",
             f"it tends to mean {self.concern()}."],
        )  # fmt: skip

    def ask(self) -> str:
        return _capital(self.compose(
            "ask",
            ["", "If it is useful, ", "No pressure: ", "Curious: ", "One question: "],
            [_lower_first(_sentence(self.sender["call_to_action"], "?"), self.names).rstrip("?"),
             "would a short call next week to compare notes be worth it",
             f"is {self.concern(1)} on your list this quarter",
             "open to a quick call next week to see if it fits",
             "worth comparing notes for 20 minutes next week",
             f"would it help to walk through {self.concern(2)} together"],
            ["?", ", or is the timing off?"],
        ))  # fmt: skip

    def filler(self) -> str:
        """A sentence that claims nothing and asks nothing (to reach a word minimum)."""
        return self.compose(
            "filler",
            ["Most of the work is in agreeing which signals count",
             "The hard part is usually deciding which signals matter",
             "Usually the first step is choosing which signals to act on"],
            [", and that is quick to test.", "; the rest follows from there.",
             ", and it is easy to start small."],
        )  # fmt: skip

    @property
    def a_role(self) -> str:
        return ("an " if self.role[0] in "aeiou" else "a ") + self.role

    @property
    def roles(self) -> str:
        return "founders and CEOs" if self.persona == "executive" else f"{self.role}s"

    def question(self, key: str, spoken: bool = False) -> str:
        """One open question about what this persona weighs, at this company."""
        leads = ["", "Out of interest, ", "Quick one: "] if spoken else [
            "One question I should have asked: ", "A quick follow-up question: ",
            "Adding one thing to my note: ", "A question, if you have a second: "]  # fmt: skip
        return self.compose(
            f"question-{key}",
            leads,
            [f"how is {self.company} thinking about ", f"who at {self.company} looks after ",
             f"where does {self.company} stand on "],
            [f"{self.concern(2)}?", f"{self.concern()}?"],
        )  # fmt: skip

    @property
    def sign_off(self) -> str:
        return str(self.sender.get("signature") or f"Best,\n{self.sender['first_name']}")

    @property
    def me(self) -> str:
        return f"{self.sender['first_name']} from {self.sender['company']}"

    def short_hook(self) -> str:
        s = self.signal
        if self.kind == "funding":
            return f"the {s['round']}" if s.get("round") else "the new funding"
        if self.kind == "job_change":
            return "your new role"
        return "how outbound gets started"

    def subject(self) -> str:
        thread = self.data.get("thread") or {}
        if thread.get("continue") and thread.get("subject"):
            return "Re: " + str(thread["subject"]).removeprefix("Re: ")
        concern_topic = {"people": "ramping reps", "security": "tracing outreach",
                         "data": "explainable signals", "marketing": "acting on intent",
                         "revops": "testable routing"}.get(self.persona, "pipeline")  # fmt: skip
        if self.purpose == "breakup":
            return self.pick(
                "subject",
                [
                    "Closing the loop",
                    "Last note from me",
                    f"Should I close this out, {self.first}?",
                ],
            )
        if self.purpose == "value_add":
            story = self.story()
            return f"How {story['customer']} did it" if story else f"A note on {concern_topic}"
        if self.purpose == "new_angle":
            return self.pick(
                "subject",
                [
                    f"Another angle on {concern_topic}",
                    f"{concern_topic.capitalize()} at {self.company}",
                    "A different idea",
                ],
            )
        if self.kind == "funding" and self.signal.get("round"):
            r = self.signal["round"]
            return self.pick(
                "subject",
                [
                    f"{r} and {concern_topic}",
                    f"After the {r}",
                    f"{concern_topic.capitalize()} after the {r}",
                ],
            )
        if self.kind == "job_change":
            return self.pick(
                "subject",
                [
                    "Your new role",
                    f"{concern_topic.capitalize()} at {self.company}",
                    "Congrats on the new role",
                ],
            )
        return self.pick(
            "subject",
            [
                f"Outbound at {self.company}",
                f"{concern_topic.capitalize()} at {self.company}",
                "A thought on outbound",
            ],
        )


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _lower_first(text: str, keep: Sequence[str] = ()) -> str:
    """Lower-case the first letter to continue a sentence, unless it starts a name."""
    first = text.split(" ", 1)[0]
    if any(text.startswith(name) for name in keep if name) or (first.isupper() and len(first) > 1):
        return text
    return text[:1].lower() + text[1:]


def _sentence(text: str, end: str = ".") -> str:
    text = text.strip()
    return text if text.endswith((".", "?", "!")) else text + end


def _email(
    w: _Writer,
    paragraphs: list[list[str | None]],
    ask: str | None,
    limits: dict[str, Any],
    extras: Sequence[str | None] = (),
) -> str:
    """Greeting, paragraphs, the ask (if any), sign-off. Over the word limit, sentences
    are left out from the last paragraph backwards (the reason for writing stays);
    under it, ``extras`` join the last paragraph."""
    kept = [[s for s in p if s] for p in paragraphs]

    def body() -> str:
        parts = [w.greeting, *(" ".join(p) for p in kept if p), *([ask] if ask else []), w.sign_off]
        return "\n\n".join(parts)

    while count_words(body()) > limits["words_max"] and sum(len(p) for p in kept) > 1:
        longer = [p for p in kept if len(p) > 1] or [p for p in kept if p]
        longer[-1].pop()
    for extra in extras:
        if count_words(body()) >= limits["words_min"]:
            break
        if extra and count_words(body()) + count_words(extra) <= limits["words_max"]:
            kept[-1].append(extra)
    return body()


def draft(
    data: dict[str, Any], prompt_id: str, channel: str, purpose: str, variant: int = 0
) -> Text:
    """The text of one touch from its research context (``ResearchContext.plain()``);
    ``variant`` > 0 (a redraft) picks other wordings."""
    w = _Writer(data, prompt_id, variant)
    limits = data["limits"]
    if channel == "email":
        return Text(w.subject(), _email_body(w, purpose, limits))
    if channel == "linkedin_connect":
        return Text(None, _connect_note(w, limits))
    if channel == "linkedin_message":
        return Text(None, _linkedin_message(w))
    if channel == "call":
        return Text(None, _call_script(w))
    return Text(None, " ".join(x for x in (w.hook(), w.value()) if x))


def _email_body(w: _Writer, purpose: str, limits: dict[str, Any]) -> str:
    if purpose == "bump":
        return _email(
            w, [[w.question("bump"), w.proof(after_question=True)]], None, limits, [w.insight()]
        )
    if purpose == "new_angle":
        opening = w.compose(
            "angle",
            ["A different thought than my last note: ", "Another angle, in case the first one missed: ",
             "One more idea: ", "Coming at this from another side: "],
            [f"for {w.a_role}, ", f"for most {w.roles}, ", "in my experience, "],
            [f"{w.concern(1)} is often the harder part.", f"{w.concern(1)} tends to matter more.",
             f"{w.concern(1)} is where the time goes."],
        )  # fmt: skip
        extras = [w.insight(), w.filler()]
        return _email(w, [[opening, w.value()], [w.proof()]], w.ask(), limits, extras)
    if purpose == "value_add":
        return _email(w, _value_add(w), None, limits, [w.insight()])
    if purpose == "breakup":
        first = w.compose(
            "breakup",
            ["I have not heard back, so ", "Since I have not heard back, ", "Not having heard back, "],
            ["I will assume the timing is not right", "I will take it that now is not the moment",
             "I will stop writing after this one"],
            [".", " and leave it here.", " for now."],
        )  # fmt: skip
        follow = w.compose(
            "breakup-follow",
            ["If you ever want to look at ", f"Should {w.company} want to revisit ",
             "When it is time to look at "],
            [f"{w.concern(1)}, ", f"{w.concern(2)}, "],
            ["my notes will still be here.", "I am easy to find.", "this thread will still work."],
        )  # fmt: skip
        ask = w.compose(
            "breakup-ask",
            ["Should I close the file on this", "Shall I close this out", "Is it fine to close this",
             "Should I stop here"],
            [" for now?", " until later in the year?", "?"],
        )  # fmt: skip
        return _email(w, [[first, follow]], ask, limits, [w.insight()])
    opener: list[list[str | None]] = [[w.hook(), w.insight()], [w.value(), w.proof()]]
    return _email(w, opener, w.ask(), limits, [w.value(1), w.filler()])


def _value_add(w: _Writer) -> list[list[str | None]]:
    """A resource, no ask: a customer story (or a value proposition) and where to read more."""
    story = w.story()
    website = w.sender.get("website")
    where = [".", f"; the write-up is on {website}."] if website else ["."]
    closing = w.compose(
        "value-close",
        ["Nothing to do on your side", "No need to answer", "Nothing needed from you"],
        ["; I just thought it was worth passing on", "; it seemed worth sharing",
         "; passing it on in case it helps"],
        [f" given {w.concern()}", "", f" with {w.concern(1)} in mind"],
        where,
    )  # fmt: skip
    if story:
        told = w.compose(
            "story",
            ["Something that may be useful: ", "A short story that might help: ",
             "Sharing one customer's experience: ", "One example from a customer: "],
            [f"{story['customer']} {_lower_first(story['result'], w.names)}"],
            [".", f", which connects to {w.concern(2)}.", f", close to what {w.a_role} deals with."],
        )  # fmt: skip
        return [[told], [closing]]
    return [[w.value() or w.insight()], [closing]]


def _connect_note(w: _Writer, limits: dict[str, Any]) -> str:
    opening = w.hook().rstrip(".")
    note = w.compose(
        "connect",
        [f"Hi {w.first or 'there'}, {_lower_first(opening, [w.company, *w.names])}. "],
        [f"I work with {w.roles} on ", f"I spend my days with {w.roles} thinking about ",
         f"I talk with {w.roles} a lot about "],
        [f"{w.concern()}", f"{w.concern(1)}"],
        ["; would be glad to connect.", ", and would be happy to connect.",
         ", so it would be good to connect.", "; glad to connect if useful."],
    )  # fmt: skip
    if limits.get("max_chars") and len(note) > limits["max_chars"]:
        note = f"Hi {w.first or 'there'}, {_lower_first(opening, [w.company])}. Would be glad to connect."
    return note


def _linkedin_message(w: _Writer) -> str:
    thanks = w.compose(
        "li-thanks",
        ["Thanks for connecting", "Good to be connected", "Thanks for accepting",
         "Glad we are connected", "Nice to connect", "Thanks for the connection"],
        ["", " on here"],
        [f", {w.first or 'and good to meet you'}"],
        [".", "!"],
    )  # fmt: skip
    claim = w.proof() or w.value() or w.insight()
    why = w.compose(
        "li-why",
        [f"Given {w.short_hook()}, ", f"With {w.short_hook()} in mind, ", f"Thinking of {w.short_hook()}, "],
        [f"it seemed relevant for {w.company}.", f"it seemed worth sharing with {w.company}.",
         "I thought of you."],
    )  # fmt: skip
    return f"{thanks} {claim} {why} {w.ask()}"


def _call_script(w: _Writer) -> str:
    lines = [
        f"Opener: Hi {w.first or 'there'}, this is {w.me}. I am calling about {w.short_hook()}.",
        f"Why now: {w.insight()}",
    ]
    value = w.value()
    if value:
        lines.append(f"Value: {value}")
    lines += [
        f"Question: {_capital(w.question('call', spoken=True))}",
        f"Ask: {w.ask()}",
        f"Voicemail: Hi {w.first or 'there'}, {w.me} about {w.short_hook()}. "
        "I will follow up by email, so there is no need to call back.",
    ]
    return "\n".join(lines)
