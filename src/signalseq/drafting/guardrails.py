"""Checks run on every draft and stored with it.

A failing check names what failed and, where it can, the exact spans. ``grounding``
is the one that protects prospects from invented facts: every number, amount,
percentage and mid-sentence proper name must appear in the research context or the
sender profile.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from signalseq.drafting.prompts import PromptFile
from signalseq.drafting.sender import SenderProfile

_WORD = re.compile(r"\w[\w'’-]*")
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+|\n+")
_CTA = re.compile(
    r"\b(let me know|reply|book (?:a|some) (?:time|call|slot)|grab (?:a )?(?:time|slot)"
    r"|find (?:a )?time|calendar link|are you open|open to|worth a)\b",
    re.IGNORECASE,
)
_HEADER_BREAK = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]|\\n|\\r")
_PLACEHOLDER = re.compile(
    r"\{\{|\}\}|\{%|%\}|\{#|\{[a-z_]+\}|\[(?:first|last|company|name|title|your|insert|contact)"
    r"[^\]]*\]|<(?:first|last|company|name|title|insert)[^>]*>|\bXXX+\b|\bTODO\b|\bTBD\b"
    r"|lorem ipsum",
    re.IGNORECASE,
)
_URL = re.compile(r"\bhttps?://[^\s<>()\"']+|\bwww\.[^\s<>()\"']+", re.IGNORECASE)
_NUMBER = re.compile(
    r"(?<![\w.])[$€£₹¥]?(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)"
    r"(?:\s?(%|percent\b|million\b|billion\b|thousand\b|bn\b|[kKmMbB]\b|x\b))?"
)
_SCALE = {"k": 1e3, "thousand": 1e3, "m": 1e6, "million": 1e6, "b": 1e9, "bn": 1e9, "billion": 1e9}
_CAPITALIZED = re.compile(r"\b[^\W\d_][\w'’&-]*")
ALLOWED_NAMES = frozenset(
    [
        "i",
        "i'm",
        "i'd",
        "i'll",
        "i've",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "q1",
        "q2",
        "q3",
        "q4",
        "ceo",
        "cto",
        "cfo",
        "coo",
        "cro",
        "cmo",
        "cio",
        "ciso",
        "vp",
        "svp",
        "evp",
        "sdr",
        "sdrs",
        "bdr",
        "bdrs",
        "ae",
        "aes",
        "revops",
        "crm",
        "b2b",
        "saas",
        "ai",
        "api",
        "roi",
        "gtm",
        "ok",
        "ps",
        "linkedin",
        "re",
        "hi",
        "hello",
        "thanks",
        "best",
        "cheers",
        "regards",
        "series",
        "seed",
        "pre-seed",
    ]
)


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


def count_words(text: str) -> int:
    return len(_WORD.findall(text))


def _spans(part: str, text: str, pattern: re.Pattern[str]) -> tuple[Span, ...]:
    return tuple(Span(part, m.start(), m.end(), m.group(0)) for m in pattern.finditer(text))


def _numbers(text: str) -> list[tuple[re.Match[str], tuple[str, float]]]:
    """Each number with what it means: a percentage, or a quantity after scaling
    ($12M and 12 million are both 12,000,000; a date's 12 is just 12)."""
    found = []
    for match in _NUMBER.finditer(text):
        value = float(match.group(1).replace(",", ""))
        unit = (match.group(2) or "").lower()
        if unit in ("%", "percent"):
            found.append((match, ("%", value)))
        else:
            found.append((match, ("n", value * _SCALE.get(unit, 1))))
    return found


def _sentence_starts(text: str) -> set[int]:
    starts = {0}
    for match in re.finditer(r"(?:[.!?:]\s+|\n\s*|[—–-]\s+|[\"“(]\s*)", text):
        starts.add(match.end())
    return starts


@lru_cache(maxsize=65536)
def _normal(word: str) -> str:
    return re.sub(r"(?:'s|’s)$", "", word.casefold()).strip(".-'’&")


def _unknown_names(part: str, text: str, known: set[str]) -> list[Span]:
    spans: list[Span] = []
    starts = _sentence_starts(text)
    run: list[re.Match[str]] = []

    def close() -> None:
        if run:
            start, end = run[0].start(), run[-1].end()
            spans.append(Span(part, start, end, text[start:end]))
            run.clear()

    opener: re.Match[str] | None = None  # an unknown capitalized word starting a sentence
    for match in _CAPITALIZED.finditer(text):
        word = match.group(0)
        adjacent = run[-1] if run else opener
        follows = adjacent is not None and text[adjacent.end() : match.start()] == " "
        known_word = _normal(word) in known
        if not word[0].isupper():
            close()
            opener = None
        elif match.start() in starts:
            close()  # "Globex Industries said…": a sentence's first word is a name only
            opener = None if known_word else match  # when an unknown name follows it
        elif known_word:
            if run and follows:
                run.append(match)  # "Sequoia Capital": a known word inside an unknown name
            else:
                close()
                opener = None
        else:
            if not follows:
                close()
            elif not run and opener is not None:
                run.append(opener)
            run.append(match)
            opener = None
    close()
    return spans


@lru_cache(maxsize=1024)
def _index(text: str) -> tuple[frozenset[tuple[str, float]], frozenset[str]]:
    """The numbers and words of one grounding text (the sender profile is the same for
    every draft, so it is indexed once)."""
    return (
        frozenset(meaning for _, meaning in _numbers(text)),
        frozenset(_normal(w) for w in _WORD.findall(text)),
    )


def grounding(parts: list[tuple[str, str]], corpus: Sequence[str]) -> Check:
    """Numbers (by value: $12M and 12 million agree) and capitalized words that do not
    start a sentence, each looked up in the corpus; consecutive unknown words are one
    span."""
    known_numbers: set[tuple[str, float]] = set()
    known_words: set[str] = set(ALLOWED_NAMES)
    for text in corpus:
        numbers, words = _index(text)
        known_numbers |= numbers
        known_words |= words
    spans: list[Span] = []
    for part, text in parts:
        spans += [
            Span(part, m.start(), m.end(), m.group(0).strip())
            for m, meaning in _numbers(text)
            if meaning not in known_numbers
        ]
        spans += _unknown_names(part, text, known_words)
    if not spans:
        return Check("grounding", True, "every number and name is in the research context")
    listed = ", ".join(repr(s.text) for s in spans)
    return Check(
        "grounding",
        False,
        f"not in the research context or sender profile: {listed}",
        tuple(spans),
    )


def check_draft(
    subject: str | None,
    body: str,
    *,
    prompt: PromptFile,
    sender: SenderProfile,
    corpus: Sequence[str],
    threaded: bool,
    instructions: str = "",
) -> GuardrailReport:
    """``instructions`` is the system prompt: a draft must not quote it."""
    checks: list[Check] = []
    words = count_words(body)
    limits = prompt.words
    checks.append(
        Check(
            "word_count",
            limits.min <= words <= limits.max,
            f"{words} words (limits {limits.min}–{limits.max})",
        )
    )
    if prompt.max_chars is not None:
        checks.append(
            Check(
                "length",
                len(body) <= prompt.max_chars,
                f"{len(body)} characters (at most {prompt.max_chars})",
            )
        )
    subject = (subject or "").strip()
    if prompt.output == "email":
        ok = 0 < len(subject) <= prompt.subject_max_chars
        why = "missing" if not subject else f"{len(subject)} characters"
        checks.append(Check("subject", ok, f"{why} (at most {prompt.subject_max_chars})"))
        broken = _spans("subject", subject, _HEADER_BREAK)
        checks.append(
            Check(
                "subject_one_line",
                not broken,
                "a line break or control character in the subject" if broken else "one line",
                broken,
            )
        )
        is_re = subject.lower().startswith(("re:", "re :", "fw:", "fwd:"))
        checks.append(
            Check(
                "reply_prefix",
                threaded or not is_re,
                "Re:/Fwd: on an email that does not continue a thread"
                if is_re and not threaded
                else "prefix matches threading",
                _spans("subject", subject, re.compile(r"^(?:re|fwd?)\s?:", re.I)) if is_re else (),
            )
        )
    elif subject:
        checks.append(Check("subject", False, f"a {prompt.channel} step has no subject"))
    sentences = [s for s in _SENTENCE_BREAK.split(body) if s.strip()]
    ctas = sum(1 for s in sentences if s.rstrip().endswith("?") or _CTA.search(s))
    if prompt.cta == "one":
        checks.append(Check("call_to_action", ctas == 1, f"{ctas} calls to action (exactly 1)"))
    banned = tuple(
        Span("body", m.start(), m.end(), m.group(0))
        for phrase in sender.banned
        for m in re.finditer(rf"(?<!\w){re.escape(phrase)}(?!\w)", body, re.IGNORECASE)
    )
    checks.append(
        Check(
            "banned_phrases",
            not banned,
            "banned: " + ", ".join(repr(s.text) for s in banned) if banned else "none used",
            banned,
        )
    )
    leftovers = _spans("subject", subject, _PLACEHOLDER) + _spans("body", body, _PLACEHOLDER)
    checks.append(
        Check(
            "placeholders",
            not leftovers,
            "left in: " + ", ".join(repr(s.text) for s in leftovers) if leftovers else "none",
            leftovers,
        )
    )
    allowed = sender.link_domains
    bad_links = tuple(
        span for span in _spans("body", body, _URL) if not _allowed_link(span.text, allowed)
    )
    checks.append(
        Check(
            "links",
            not bad_links,
            "not on the allow-list: " + ", ".join(s.text for s in bad_links)
            if bad_links
            else "only allowed links",
            bad_links,
        )
    )
    checks.append(grounding([("subject", subject), ("body", body)], corpus))
    leaked = _quoted(body, instructions)
    checks.append(
        Check(
            "instructions_leak",
            not leaked,
            "quotes the instructions: " + ", ".join(repr(s.text) for s in leaked)
            if leaked
            else "does not quote the instructions",
            leaked,
        )
    )
    return GuardrailReport(tuple(checks))


@lru_cache(maxsize=256)
def _shingles(source: str, size: int) -> frozenset[tuple[str, ...]]:
    words = [w.casefold() for w in _WORD.findall(source)]
    return frozenset(tuple(words[i : i + size]) for i in range(len(words) - size + 1))


def _visible(text: str) -> tuple[str, list[int]]:
    """``text`` as a reader sees it — NFKC, without invisible format characters (zero-
    width spaces and joiners, soft hyphens, direction marks) — and, for each character of
    that, its index in ``text``."""
    chars: list[str] = []
    where: list[int] = []
    for index, char in enumerate(text):
        if unicodedata.category(char) == "Cf":
            continue
        for part in unicodedata.normalize("NFKC", char):
            chars.append(part)
            where.append(index)
    return "".join(chars), where


def _quoted(text: str, source: str, size: int = 8) -> tuple[Span, ...]:
    """Runs of ``size`` words of ``source`` that appear in ``text``, as spans of text;
    both read as a person sees them, so invisible characters hide nothing."""
    if not source:
        return ()
    shingles = _shingles(_visible(source)[0], size)
    seen, where = _visible(text)
    found = list(_WORD.finditer(seen))
    spans: list[Span] = []
    for i in range(len(found) - size + 1):
        if tuple(m.group(0).casefold() for m in found[i : i + size]) in shingles:
            start, end = where[found[i].start()], where[found[i + size - 1].end() - 1] + 1
            if spans and start <= spans[-1].end:
                start = spans[-1].start
                spans.pop()
            spans.append(Span("body", start, end, text[start:end]))
    return tuple(spans)


def _allowed_link(url: str, domains: tuple[str, ...]) -> bool:
    host = (urlsplit(url if "://" in url else f"https://{url}").hostname or "").lower()
    return any(host == d or host.endswith("." + d) for d in domains)
