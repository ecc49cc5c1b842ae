"""Grounding: every factual claim of a draft checked against the research context's
*facts* — never against limits, addresses or template metadata.

Facts are the signal (amount with its currency, round, investors, dates, roles), the
account, the contact, and the sender profile's value propositions, proof points and
case studies, each kept as a claim with its numbers and its customer. A draft's claims:

* quantities — agree in kind, currency and value at the precision written ("$18M" and
  "18 million dollars"; "33%" and "a third"); a number taken from one of our claims must
  sit in a sentence about the same thing ("41% more first meetings", not "41% higher
  reply rates"); a sentence naming a customer may only carry that customer's numbers,
  and one customer's result is not everyone's ("Our customers see 41% more…" fails
  where the 41% is Harbor Freightworks' alone; "one of our customers" passes);
* dates — a day, or a month said of the prospect in the past ("since your promotion in
  September"), is one of the facts' dates; "a call in December" is a plan;
* rounds — exactly the signal's ("Series A" for a B fails);
* names — as whole names (a run of capitalised words), wherever they stand; a
  capitalised dictionary word or a number opening a sentence is not a name, a known
  business abbreviation or department is not one either; known brands fail in lower
  case too;
* titles given to someone, or a move "from A to B" — the titles in the facts ("Chief
  Human Resources Officer" and "CHRO" are one title);
* events — what the prospect is congratulated on ("your recent promotion", "congrats on
  the raise") is what the signal reports, down to the kind of job change;
* what *we* do — any sentence with we/our or our company's name in it ("We integrate
  natively with your CRM", "Setup takes a week with our onboarding team") says only what
  the sender profile says, and claims no superlative ("the only platform").
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, fields
from functools import lru_cache
from typing import Any

import pycountry

from signalseq.drafting import claims
from signalseq.drafting.claims import Quantity
from signalseq.drafting.vocabulary import BRANDS, GENERIC, OPENERS, RESOURCES

_BREAK = re.compile(r"(?:[.!?:;]\s+|\n\s*|[—–]\s*|\s-\s|[\"“(]\s*)")

# "one of our customers", "a logistics company": a single customer's result, unnamed
_ONE_CUSTOMER = re.compile(
    r"\b(?:one|a|an)\s+(?:of\s+(?:our|the)\s+)?(?:[\w-]+\s+){0,2}"
    r"(?:customers?|clients?|compan(?:y|ies)|teams?|firms?|businesses|business)\b",
    re.IGNORECASE,
)
# uniqueness and leadership, in a sentence about us: never in a sender profile by accident
_SUPERLATIVE = re.compile(
    r"(?<!\w)(?:the only|the (?:first|leading|best|fastest|largest|biggest|top|most \w+)"
    r" (?:[\w-]+ )?(?:platform|tool|solution|product|vendor|company|provider|option|choice|to)\b"
    r"|#1\b|number one\b|no\. ?1\b|(?:market|industry)[- ]leading\b|best[- ]in[- ]class\b"
    r"|world[- ]class\b|unmatched\b|unrivall?ed\b|second to none\b|(?:the )?leader in\b)",
    re.IGNORECASE,
)
# an event attributed to the prospect: congratulated on, or "your …"
_EVENT = re.compile(
    r"(?:\b(?:congrat\w*|kudos)\b[^.!?\n]{0,50}?|\byour (?:recent |latest |new |big )?)\b(?:"
    r"(?P<promotion>promot\w+)|(?P<joining>joining|joined|new (?:company|employer))"
    r"|(?P<job>new (?:role|job|position|gig|title)|step(?:ping|ped)? (?:up|into)"
    r"|(?:move|moving) (?:to|into))"
    r"|(?P<funding>raise|fund-?raise|funding round|funding|round))\b",
    re.IGNORECASE,
)
# which signal (and, for a job change, which change) each kind of event needs
_EVENT_NEEDS = {
    "promotion": ("job_change", "promotion"),
    "joining": ("job_change", "new_company"),
    "job": ("job_change", None),
    "funding": ("funding", None),
}
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_US = re.compile(r"\b(?:we|we're|we've|we'd|we'll|our|ours)\b", re.IGNORECASE)


@dataclass(frozen=True)
class OurClaim:
    """One thing the sender profile claims: a value proposition, or a customer's result
    (a customer's proof point and case study are the same claim)."""

    text: str
    customer: str | None
    stems: frozenset[str]
    quantities: tuple[Quantity, ...]

    @classmethod
    def of(cls, text: str, customer: str | None = None) -> OurClaim:
        return _our_claim(text, customer or None)

    def said_in(self, sentence: str) -> bool:
        if self.customer:
            return self.customer.casefold() in sentence.casefold()
        stems = claims.content_stems(sentence)
        shared = stems & self.stems
        if shared and self.quantities:
            said = [f.what for f in claims.quantities(sentence)]
            if any(q.agrees(c) for q in said for c in self.quantities):
                return True
        return len(shared) >= max(3, len(self.stems) / 2)


@lru_cache(maxsize=1024)
def _our_claim(text: str, customer: str | None) -> OurClaim:
    found = tuple(f.what for f in claims.quantities(text))
    return OurClaim(text, customer, claims.content_stems(text), found)


@lru_cache(maxsize=64)
def _our_claims(sender_json: str) -> tuple[OurClaim, ...]:
    sender = json.loads(sender_json)
    found = [OurClaim.of(str(v)) for v in sender.get("value_propositions") or []]
    found += [
        OurClaim.of(str(p.get("claim")), p.get("customer"))
        for p in sender.get("proof_points") or []
    ]
    found += [
        OurClaim.of(str(c.get("result")), c.get("customer"))
        for c in sender.get("case_studies") or []
    ]
    return tuple(found)


def claims_made(bodies: Iterable[str], sender: dict[str, Any]) -> list[dict[str, str | None]]:
    """Which of the sender's claims these texts (earlier touches) made, once each."""
    ours = _our_claims(json.dumps(sender, sort_keys=True, default=str))
    made: dict[str, dict[str, str | None]] = {}
    for body in bodies:
        for start, end in claims.sentences(body):
            for claim in ours:
                key = (claim.customer or claim.text).casefold()
                if key not in made and claim.said_in(body[start:end]):
                    made[key] = {"claim": claim.text, "customer": claim.customer}
    return list(made.values())


def repeated(parts: Iterable[tuple[str, str]], facts: Facts) -> list[Problem]:
    """Sentences that make a claim this person was already sent."""
    problems = []
    for part, text in parts:
        for start, end in claims.sentences(text):
            sentence = text[start:end]
            for claim in facts.already:
                if claim.said_in(sentence):
                    lead = len(sentence) - len(sentence.lstrip())
                    problems.append(Problem(part, start + lead, end, sentence.strip(),
                                            f"already sent: {claim.text[:80]}"))  # fmt: skip
                    break
    return problems


@dataclass(frozen=True)
class Fact:
    """A quantity that is true, where it comes from: ``about`` holds the content stems
    of the claim it belongs to (empty for a bare fact such as the raise's amount)."""

    quantity: Quantity
    about: frozenset[str] = frozenset()
    customer: str | None = None


@dataclass
class Facts:
    quantities: list[Fact] = field(default_factory=list)
    names: set[tuple[str, ...]] = field(default_factory=set)  # every run of every name
    tokens: set[str] = field(default_factory=set)  # every word of every fact
    rounds: set[str] = field(default_factory=set)
    customers: dict[str, str] = field(default_factory=dict)  # lower-cased → as written
    ours: set[str] = field(default_factory=set)  # content stems of what we say about us
    titles: set[str] = field(default_factory=set)  # job titles, normalised
    already: list[OurClaim] = field(default_factory=list)  # sent to this person before
    numbered: set[str] = field(default_factory=set)  # names with digits ("Studio 54")
    us: set[str] = field(default_factory=set)  # our company's name, lower-cased
    events: set[str] = field(default_factory=set)  # what happened: funding, job_change…

    def merge(self, other: Facts) -> Facts:
        merged: dict[str, Any] = {}
        for name in (f.name for f in fields(self)):
            mine, theirs = getattr(self, name), getattr(other, name)
            if isinstance(mine, dict):
                merged[name] = {**mine, **theirs}
            else:
                merged[name] = mine + theirs if isinstance(mine, list) else mine | theirs
        return Facts(**merged)

    # --- building ---------------------------------------------------------------------

    def add_name(self, value: object) -> None:
        """A whole name (company, person, investor, title): each contiguous run of its
        words is a known name."""
        if not value:
            return
        text = str(value)
        words, runs = _name_runs(text)
        self.tokens.update(words)
        self.names |= runs
        if _DIGIT.search(text):
            self.numbered.add(text.casefold())

    def add_text(self, value: object, *, claim: bool = False, customer: str | None = None) -> None:
        """Free text that states facts (a headline, a proof point): its numbers, rounds,
        and runs of capitalised words. ``claim``: one of ours, bound to its words."""
        if not value:
            return
        text = str(value)
        for found in claims.quantities(text):
            about = claims.around(text, found.start, found.end) if claim else frozenset()
            self.quantities.append(Fact(found.what, about, customer))
            if found.what.kind == "date":
                self.quantities.append(Fact(Quantity("month", found.what.value // 100)))
        self.rounds.update(name for name, _, _ in claims.rounds(text))
        self.tokens.update(_norm(w) for w in claims.WORD.findall(text))
        for run in _capital_runs(text):
            self.add_name(" ".join(m.group(0) for m in run))
        if claim:
            self.ours |= claims.content_stems(text)

    def add_title(self, value: object) -> None:
        if value:
            self.add_name(value)
            self.titles.add(_title(str(value)))

    def add_quantity(self, quantity: Quantity | None) -> None:
        if quantity is not None:
            self.quantities.append(Fact(quantity))
            if quantity.kind == "date":  # "in November" is said of Nov 3
                self.quantities.append(Fact(Quantity("month", quantity.value // 100)))


_TITLE = re.compile(
    r"\b(?:[Aa]s|to|[Ff]rom(?=[^.!?\n]{1,60}\bto\b)|role of|position of|joined as"  # from A to B
    r"|joining as|step(?:ping|ped)? up as)\s+(?:the\s+|a\s+|an\s+|new\s+|your\s+)?"
    # up to two words before the role: "Senior" VP, "Product" Manager, "Sales" Director
    r"(?P<title>(?:[A-Z][\w&/-]* ){0,2}?(?:Vice President|President|VP|SVP|EVP"
    r"|AVP|Head|Director|Chief(?: [\w&-]+){1,3} Officer|C[A-Z]{1,3}O|General Manager"
    r"|Manager|Lead|Account Executive)\b(?:,? (?:of|and|for|&|[A-Z][\w&/-]*))*)"
)
_TITLE_WORDS = {"vice president": "vp", "senior vice president": "svp", " of ": " ",
                " and ": " ", " & ": " ", " for ": " ", ",": " "}  # fmt: skip


_CHIEF = re.compile(r"\bchief ((?:[\w-]+ ){1,3})officer\b")


def _title(text: str) -> str:
    """A title compared as written loosely: "VP of Sales" = "Vice President, Sales",
    "Chief Human Resources Officer" = "CHRO"."""
    title = f" {text.casefold()} "
    title = _CHIEF.sub(lambda m: "c" + "".join(w[0] for w in m[1].split()) + "o", title)
    for long, short in _TITLE_WORDS.items():
        title = title.replace(long, short)
    return " ".join(w for w in title.split() if w not in ("of", "and", "the"))


_DIGIT = re.compile(r"\d")


@lru_cache(maxsize=4096)
def _name_runs(text: str) -> tuple[tuple[str, ...], frozenset[tuple[str, ...]]]:
    """A name's words, and every contiguous run of up to 8 of them (names recur across
    drafts: the account, its investors, the sender's customers)."""
    words = tuple(map(_norm, claims.WORD.findall(text)))
    runs = (words[i:j] for i in range(len(words)) for j in range(i + 1, min(len(words), i + 8) + 1))
    return words, frozenset(runs)


def _norm(word: str) -> str:
    return word.casefold().replace("’", "'").removesuffix("'s").strip(".-'&")


def _capital_runs(text: str) -> Iterator[list[re.Match[str]]]:
    """Runs of capitalised words separated by single spaces."""
    run: list[re.Match[str]] = []
    for match in claims.WORD.finditer(text):
        word = match.group(0)
        capital = word != word.lower()  # a capital anywhere: "Acme", "iPhone", "HubSpot"
        joined = bool(run) and text[run[-1].end() : match.start()] in (" ", "-", " & ")
        if capital and (joined or not run):
            run.append(match)
            continue
        if run:
            yield run
        run = [match] if capital else []
    if run:
        yield run


def _dates(value: object) -> list[Quantity]:
    found = []
    for f in claims.quantities(str(value or "")):
        if f.what.kind in ("date", "year"):
            found.append(f.what)
    return found


@lru_cache(maxsize=64)
def _sender_facts(sender_json: str) -> Facts:
    """The sender profile's facts (the same for every draft: built once)."""
    sender = json.loads(sender_json)
    facts = Facts()
    facts.add_name(sender.get("company"))
    if sender.get("company"):
        facts.us.add(str(sender["company"]).casefold())
    person = sender.get("sender") or {}
    facts.add_name(person.get("name"))
    facts.add_title(person.get("title"))
    facts.add_text(sender.get("product"), claim=True)
    facts.add_name(sender.get("website"))
    if sender.get("website"):
        facts.ours |= claims.content_stems(RESOURCES)
    for proposition in sender.get("value_propositions") or []:
        facts.add_text(proposition, claim=True)
    for point in sender.get("proof_points") or []:
        customer = point.get("customer")
        facts.add_name(customer)
        facts.add_text(point.get("claim"), claim=True, customer=customer)
        if customer:
            facts.customers[customer.casefold()] = customer
    for case in sender.get("case_studies") or []:
        customer = case.get("customer")
        facts.add_name(customer)
        facts.add_name(case.get("industry"))
        facts.add_text(case.get("result"), claim=True, customer=customer)
        if customer:
            facts.customers[customer.casefold()] = customer
    facts.add_text(sender.get("call_to_action"), claim=True)
    facts.add_text(sender.get("signature"))
    return facts


def _country_names(code: object) -> list[str]:
    if not code:
        return []
    try:
        country = pycountry.countries.get(alpha_2=str(code).upper())
    except (KeyError, LookupError):
        return []
    if country is None:
        return []
    return [
        getattr(country, a) for a in ("name", "official_name", "common_name") if hasattr(country, a)
    ]


def facts_of(data: dict[str, Any]) -> Facts:
    """The facts of one research context (``ResearchContext.data`` or its plain form)."""
    own = Facts()
    signal = data.get("signal") or {}
    if signal.get("kind"):
        own.events.add(str(signal["kind"]))
        if signal.get("change_type"):  # "job_change:promotion"
            own.events.add(f"{signal['kind']}:{signal['change_type']}")
    for key in ("company", "new_company", "previous_company"):
        own.add_name(signal.get(key))
    own.add_title(signal.get("new_title"))
    own.add_title(signal.get("previous_title"))
    for investor in [*(signal.get("lead_investors") or []), *(signal.get("investors") or [])]:
        own.add_name(investor)
    own.add_text(signal.get("headline"))
    for key in ("amount", "amount_usd", "round"):
        own.add_text(signal.get(key))
    for page in signal.get("pages") or []:
        own.add_text(page.get("title"))
        for date in _dates(page.get("visited_on")):
            own.add_quantity(date)
    for topic in signal.get("categories") or []:
        own.add_name(str(topic).replace("_", " "))
    for key in ("occurred_on", "first_visit", "last_visit"):
        for date in _dates(signal.get(key)):
            own.add_quantity(date)
    if signal.get("days_ago") is not None:
        own.add_quantity(Quantity("duration", float(signal["days_ago"]), step=1.0))
    if signal.get("page_count"):
        own.add_quantity(Quantity("count", float(signal["page_count"])))
    account = data.get("account") or {}
    for key in ("name", "legal_name", "domain", "industry"):
        own.add_name(account.get(key))
    if account.get("employees"):
        own.add_quantity(Quantity("count", float(account["employees"]), step=1.0))
    contact = data.get("contact") or {}
    for key in ("first_name", "full_name", "previous_company"):
        own.add_name(contact.get(key))
    own.add_title(contact.get("title"))
    own.add_title(contact.get("previous_title"))
    own.add_name(contact.get("department"))
    for code in {account.get("country"), contact.get("country")}:
        for name in _country_names(code):
            own.add_name(name)
    for touch in data.get("previous_touches") or []:
        for date in _dates(touch.get("sent_on")):
            own.add_quantity(date)
        own.add_name(touch.get("subject"))
    for made in data.get("already_claimed") or []:
        own.already.append(OurClaim.of(str(made.get("claim") or ""), made.get("customer")))
    sender = data.get("sender") or {}
    return _sender_facts(json.dumps(sender, sort_keys=True, default=str)).merge(own)


def forget_texts() -> None:
    """Empty the caches kept per text (numbers, rounds, sentences, names): what a
    benchmark does to measure text it has not seen."""
    claims.forget_texts()
    _name_runs.cache_clear()


# --- checking a draft ---------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    part: str
    start: int
    end: int
    text: str
    why: str


def _sentence_of(spans: Iterable[tuple[int, int]], position: int) -> tuple[int, int]:
    for start, end in spans:
        if start <= position < end:
            return start, end
    return 0, 0


def check(parts: Iterable[tuple[str, str]], facts: Facts) -> list[Problem]:
    problems: list[Problem] = []
    for part, text in parts:
        if not text:
            continue
        problems += _quantity_problems(part, text, facts)
        problems += _round_problems(part, text, facts)
        problems += _name_problems(part, text, facts)
        problems += _our_claim_problems(part, text, facts)
        problems += _title_problems(part, text, facts)
        problems += _event_problems(part, text, facts)
    problems.sort(key=lambda p: (p.part != "subject", p.start))
    return problems


def _customers_in(sentence: str, facts: Facts) -> set[str]:
    lowered = sentence.casefold()
    return {c for c in facts.customers if c in lowered}


def _inside_names(text: str, facts: Facts) -> list[tuple[int, int]]:
    """Where the text names something whose name holds a number ("Co 0", "Studio 54")."""
    lowered, spans = text.casefold(), []
    for name in facts.numbered:
        start = lowered.find(name)
        while start >= 0:
            spans.append((start, start + len(name)))
            start = lowered.find(name, start + 1)
    return spans


def _quantity_problems(part: str, text: str, facts: Facts) -> list[Problem]:
    problems = []
    sentences = claims.sentences(text)
    in_names = _inside_names(text, facts)
    for found in claims.quantities(text, plans_too=False):
        if any(s <= found.start and found.end <= e for s, e in in_names):
            continue
        agreeing = [f for f in facts.quantities if found.what.agrees(f.quantity)]
        if not agreeing:
            problems.append(Problem(part, found.start, found.end, found.text, "not in the facts"))
            continue
        start, end = _sentence_of(sentences, found.start)
        sentence = text[start:end]
        named = _customers_in(sentence, facts)
        if named:
            if not any(f.customer and f.customer.casefold() in named for f in agreeing):
                who = ", ".join(facts.customers[c] for c in sorted(named))
                problems.append(
                    Problem(part, found.start, found.end, found.text, f"not a result of {who}")
                )
            continue
        if all(f.customer for f in agreeing) and not _ONE_CUSTOMER.search(sentence):
            why = "only in a result of " + " or ".join(sorted({str(f.customer) for f in agreeing}))
            problems.append(Problem(part, found.start, found.end, found.text, why))
            continue
        if all(f.about for f in agreeing):
            around = claims.around(text, found.start, found.end)
            if not any(around & f.about for f in agreeing):
                problems.append(
                    Problem(part, found.start, found.end, found.text, "attached to another claim")
                )
    return problems


def _round_problems(part: str, text: str, facts: Facts) -> list[Problem]:
    return [
        Problem(part, start, end, text[start:end], "not the round raised")
        for name, start, end in claims.rounds(text)
        if name not in facts.rounds
    ]


def _title_case(text: str) -> bool:
    words = [w for w in claims.WORD.findall(text) if len(w) >= 4]
    return len(words) >= 2 and sum(w[0].isupper() for w in words) >= 0.6 * len(words)


def _generic(word: str) -> bool:
    return word in GENERIC or (word.endswith("s") and word[:-1] in GENERIC)  # "VPs", "AEs"


def _known(words: tuple[str, ...], facts: Facts) -> bool:
    return not words or words in facts.names or all(_generic(w) for w in words)


def _name_problems(part: str, text: str, facts: Facts) -> list[Problem]:
    problems = []
    starts = {0} | {m.end() for m in _BREAK.finditer(text)}
    # rounds and numbers are checked as such, not as names ("Series B", "Twenty-three days")
    spans = [(s, e) for _, s, e in claims.rounds(text)]
    spans += [(f.start, f.end) for f in claims.quantities(text)]
    not_names = {i for start, end in spans for i in range(start, end)}
    title_case = part == "subject" and _title_case(text)
    for run in _capital_runs(text):
        run = [m for m in run if m.start() not in not_names]
        if not run:
            continue
        words = [_norm(m.group(0)) for m in run]
        if (
            run[0].start() in starts
            and tuple(words) not in facts.names
            and (words[0] in OPENERS or claims.is_dictionary_word(words[0]))
        ):  # "Should I…", "Teams in India…": a sentence's first word, not a name
            run, words = run[1:], words[1:]
        segments = [list(zip(run, words, strict=True))]
        if title_case:  # "How Harbor Freightworks Did It": dictionary words are not names
            segments = _split(
                segments[0], lambda w: (w,) not in facts.names and claims.is_dictionary_word(w)
            )
        for segment in segments:
            names = tuple(w for _, w in segment)
            while names and _generic(names[0]) and names not in facts.names:
                segment, names = segment[1:], names[1:]
            while names and _generic(names[-1]) and names not in facts.names:
                segment, names = segment[:-1], names[:-1]
            if _known(names, facts):
                continue
            start, end = segment[0][0].start(), segment[-1][0].end()
            problems.append(Problem(part, start, end, text[start:end], "not a name in the facts"))
    for match in claims.WORD.finditer(text):  # brands: in lower case, or opening a sentence
        word = _norm(match.group(0))
        if word not in BRANDS or word in facts.tokens:
            continue
        lower = match.group(0).islower() and not claims.is_dictionary_word(word)
        if lower or (match.start() in starts and claims.is_dictionary_word(word)):
            problems.append(
                Problem(part, match.start(), match.end(), match.group(0), "not a name in the facts")
            )
    return problems


def _split(segment: list[Any], is_gap: Any) -> list[list[Any]]:
    pieces: list[list[Any]] = [[]]
    for item in segment:
        if is_gap(item[1]):
            pieces.append([])
        else:
            pieces[-1].append(item)
    return [p for p in pieces if p]


def _our_claim_problems(part: str, text: str, facts: Facts) -> list[Problem]:
    """A sentence about us ("We integrate natively with your CRM") says what the
    sender profile says, in other words at most."""
    problems = []
    known: set[str] | None = None
    for start, end in claims.sentences(text):
        sentence = text[start:end].strip()
        lowered = sentence.casefold()
        if not (_US.search(sentence) or any(name in lowered for name in facts.us)):
            continue
        offset = text.index(sentence, start)
        boast = _SUPERLATIVE.search(sentence)
        if boast:
            start, end = offset + boast.start(), offset + boast.end()
            problems.append(
                Problem(part, start, end, boast.group(0), "a superlative we do not claim")
            )
            continue
        stems = claims.content_stems(_URL.sub(" ", sentence))  # links: the links check
        if known is None:  # built once, and only for a text that speaks about us
            known = facts.ours | {claims.stem(t) for t in facts.tokens}
        unknown = {s for s in stems if s not in known}
        if len(unknown) >= 2 and len(unknown) * 2 >= len(stems):
            problems.append(
                Problem(part, offset, offset + len(sentence), sentence, "not something we claim")
            )
    return problems


def _event_problems(part: str, text: str, facts: Facts) -> list[Problem]:
    """An event the prospect is congratulated on ("your recent promotion", "congrats on
    the raise") is the one the signal reports."""
    problems = []
    for match in _EVENT.finditer(text):
        which = str(match.lastgroup)
        kind, change = _EVENT_NEEDS[which]
        changes = {e.partition(":")[2] for e in facts.events if e.startswith(kind + ":")}
        if kind not in facts.events or (change and changes and change not in changes):
            start, end = match.span(which)
            problems.append(Problem(part, start, end, text[start:end], "not what happened"))
    return problems


def _title_problems(part: str, text: str, facts: Facts) -> list[Problem]:
    """A role given to someone ("your promotion to VP of Customer Success") is one of
    the titles in the facts."""
    problems = []
    for match in _TITLE.finditer(text):
        written = match["title"].rstrip(", ")
        written = re.sub(r"(?:,? (?:of|and|for|&))+$", "", written)
        # "VP of Sales, Lena": a known title, then a name
        prefixes = [written.rsplit(",", k)[0] for k in range(written.count(",") + 1)]
        if not any(_title(prefix) in facts.titles for prefix in prefixes):
            start = match.start("title")
            problems.append(
                Problem(part, start, start + len(written), written, "not a title in the facts")
            )
    return problems
