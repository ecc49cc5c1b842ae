"""Checks run on every draft and stored with it.

A failing check names what failed and, where it can, the exact spans. ``grounding``
is the one that protects prospects from invented facts: every number, round, name and
claim about us is checked against the research context's facts (``grounding``).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from urllib.parse import urlsplit

from signalseq.drafting import hygiene
from signalseq.drafting.checks import Check, GuardrailReport, Span, spans
from signalseq.drafting.grounding import Facts, repeated
from signalseq.drafting.grounding import check as ground
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
_URL = re.compile(
    r"\b(?:https?://|www\.)[^\s<>()\"']*[^\s<>()\"'.,;:!?]", re.IGNORECASE
)  # a sentence's full stop is not part of the link


def count_words(text: str) -> int:
    return len(_WORD.findall(text))


def grounding(parts: list[tuple[str, str]], facts: Facts) -> Check:
    """Every number, round and name — and what we say about us — against the facts."""
    problems = ground(parts, facts)
    if not problems:
        return Check("grounding", True, "every number, round and name is in the facts")
    listed = ", ".join(f"{p.text!r} ({p.why})" for p in problems)
    return Check(
        "grounding",
        False,
        f"not in the research context or sender profile: {listed}",
        tuple(Span(p.part, p.start, p.end, p.text) for p in problems),
    )


def repeated_claims(parts: list[tuple[str, str]], facts: Facts) -> Check:
    """A warning, not a failure: a claim this person was already sent, made again."""
    problems = repeated(parts, facts)
    if not problems:
        return Check("repeated_claim", True, "no claim this person was already sent")
    return Check(
        "repeated_claim",
        True,
        "repeats what this person was already sent: "
        + "; ".join(f"{p.text!r} ({p.why})" for p in problems),
        tuple(Span(p.part, p.start, p.end, p.text) for p in problems),
        warning=True,
    )


def check_draft(
    subject: str | None,
    body: str,
    *,
    prompt: PromptFile,
    sender: SenderProfile,
    facts: Facts,
    threaded: bool,
    instructions: str = "",
    language: str | None = None,
) -> GuardrailReport:
    """``instructions`` is the system prompt: a draft must not quote it; ``language``
    the one it must be written in."""
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
        broken = spans("subject", subject, _HEADER_BREAK)
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
                spans("subject", subject, re.compile(r"^(?:re|fwd?)\s?:", re.I)) if is_re else (),
            )
        )
    elif subject:
        checks.append(Check("subject", False, f"a {prompt.channel} step has no subject"))
    sentences = [s for s in _SENTENCE_BREAK.split(body) if s.strip()]
    ctas = sum(1 for s in sentences if s.rstrip().endswith("?") or _CTA.search(s))
    if prompt.cta == "one":
        checks.append(Check("call_to_action", ctas == 1, f"{ctas} calls to action (exactly 1)"))
    elif prompt.cta == "none":
        checks.append(Check("call_to_action", ctas == 0, f"{ctas} calls to action (none)"))
    banned = tuple(
        Span("body", m.start(), m.end(), m.group(0)) for m in _banned(sender.banned).finditer(body)
    )
    checks.append(
        Check(
            "banned_phrases",
            not banned,
            "banned: " + ", ".join(repr(s.text) for s in banned) if banned else "none used",
            banned,
        )
    )
    leftovers = spans("subject", subject, _PLACEHOLDER) + spans("body", body, _PLACEHOLDER)
    leftovers += tuple(s for s in hygiene.placeholders(subject, body) if s not in leftovers)
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
        span for span in spans("body", body, _URL) if not _allowed_link(span.text, allowed)
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
    checks += hygiene.hygiene(subject, body, prompt.channel)
    checks.append(hygiene.language(body, language))
    checks.append(grounding([("subject", subject), ("body", body)], facts))
    checks.append(repeated_claims([("subject", subject), ("body", body)], facts))
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


@lru_cache(maxsize=64)
def _banned(phrases: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


@lru_cache(maxsize=256)
def _shingles(source: str, size: int) -> frozenset[tuple[str, ...]]:
    words = [w.casefold() for w in _WORD.findall(source)]
    return frozenset(tuple(words[i : i + size]) for i in range(len(words) - size + 1))


@lru_cache(maxsize=1)
def _invisible() -> re.Pattern[str]:
    """Every format character (Unicode category Cf), found once per process."""
    found = [chr(c) for c in range(0x110000) if unicodedata.category(chr(c)) == "Cf"]
    return re.compile("[" + "".join(re.escape(c) for c in found) + "]")


def _as_seen(text: str) -> bool:
    """``text`` already reads as it is written (the common case: no work to do)."""
    return text.isascii() or (
        not _invisible().search(text) and unicodedata.is_normalized("NFKC", text)
    )


def _visible(text: str) -> tuple[str, list[int]]:
    """``text`` as a reader sees it — NFKC, without invisible format characters (zero-
    width spaces and joiners, soft hyphens, direction marks) — and, for each character of
    that, its index in ``text``."""
    if _as_seen(text):
        return text, list(range(len(text)))
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
    shingles = _shingles(source if _as_seen(source) else _visible(source)[0], size)
    seen, where = _visible(text)
    found = list(_WORD.finditer(seen))
    words = [m.group(0).casefold() for m in found]
    spans: list[Span] = []
    for i in range(len(found) - size + 1):
        if tuple(words[i : i + size]) in shingles:
            start, end = where[found[i].start()], where[found[i + size - 1].end() - 1] + 1
            if spans and start <= spans[-1].end:
                start = spans[-1].start
                spans.pop()
            spans.append(Span("body", start, end, text[start:end]))
    return tuple(spans)


def _allowed_link(url: str, domains: tuple[str, ...]) -> bool:
    host = (urlsplit(url if "://" in url else f"https://{url}").hostname or "").lower()
    return any(host == d or host.endswith("." + d) for d in domains)
