"""What real models put around a message that must never reach a prospect: a
``Subject:`` line or a preamble ("Here is your email:") in the body, notes to the writer
after it ("Let me know if you'd like changes", "Word count: 98"), Markdown or HTML, a
literal ``\\n``, placeholders of any case or shape (``[date]``, ``FIRST_NAME``, ``X%``,
``____``, "(insert link)"), a second sign-off or a signature block (the footer already
names the sender; no sign-off at all on LinkedIn), and the wrong language. A subject
the model labelled or quoted (``Subject: "…"``) is read without the label and quotes."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from signalseq.drafting.checks import Check, Span, spans

_SUBJECT_LINE = re.compile(
    r"^[ \t]*\**subject(?:[ \t]+line)?\**(?:[ \t]*:|[ \t]+[\-–—]).*$", re.IGNORECASE | re.MULTILINE
)
_SUBJECT_LABEL = re.compile(r"^\s*\**\s*subject(?:\s+line)?\s*\**(?:\s*:|\s+[\-–—])\s*", re.I)
_WRAPPERS = (('"', '"'), ("“", "”"), ("'", "'"), ("‘", "’"), ("«", "»"), ("**", "**"), ("*", "*"))
_PREAMBLE = re.compile(
    r"\A\s*(?:(?:sure|certainly|of course|absolutely|okay|ok|great)\b[^\n]*"
    r"|(?:here(?:'s| is| are)|below is|as requested)\b[^\n]*"
    r"(?:email|draft|message|note|version|follow-up|script|text)[^\n]*"
    r"|(?:draft|e-?mail|message|output|response|final (?:version|draft)|linkedin message"
    r"|call script|version \d)\b[^\n]{0,60}:[ \t]*\n)",  # "Draft:", "Email to Ada:"
    re.IGNORECASE,
)
_AFTERWORD = re.compile(  # the model talking to the writer, after the message
    r"^[ \t]*\(?(?:notes?|word count|alternative subject(?: lines?)?|subject line options"
    r"|tone|rationale|explanation|why this works)\b[^\n]*:.*$"
    r"|^[ \t]*(?:let me know if you(?:'d| would)? like|feel free to (?:adjust|modify|tweak|edit"
    r"|customi[sz]e)|i hope this (?:helps|works)|would you like me to|i can (?:also )?(?:adjust"
    r"|shorten|tweak|make it)).*$",
    re.IGNORECASE | re.MULTILINE,
)
_MARKDOWN = re.compile(
    r"\*\*[^*\n]+\*\*|__[^_\n]+__|^[ \t]*#{1,6}[ \t]+\S|^[ \t]*[*+•][ \t]+\S"
    r"|\[[^\]\n]+\]\([^)\n]+\)|`[^`\n]+`|^[ \t]*>[ \t]|^[ \t]*(?:-{3,}|\*{3,}|={3,})[ \t]*$",
    re.MULTILINE,
)
_HTML = re.compile(
    r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>\n]*)?/?>|&(?:nbsp|amp|lt|gt|quot|#\d+|#x[0-9a-f]+);",
    re.IGNORECASE,
)
_POSTSCRIPT = re.compile(r"^[ \t]*p\.?[ \t]?s\b", re.IGNORECASE | re.MULTILINE)
_ESCAPED = re.compile(r"\\[nrt]")
_BRACKETED = re.compile(
    r"\[[^\[\]\n]{1,60}\]|\{[^{}\n]{1,60}\}|<<[^<>\n]{1,60}>>"
    r"|_{3,}|(?-i:\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b|(?<![\w$])X{1,3}(?=\s?%)|\$X+\b)"  # FIRST_NAME X%
    r"|\((?:insert|add|include|paste|link to|your (?:name|company|title|link|calendar|signature"
    r"|email|phone))\b[^()\n]{0,60}\)",  # (insert link)
    re.IGNORECASE,
)
SIGN_OFF = re.compile(  # a line that is only a sign-off
    r"^[ \t]*(?:best|best regards|best wishes|all the best|kind regards|warm regards"
    r"|warmly|regards|cheers|thanks|many thanks|thank you|sincerely|talk soon|speak soon)"
    r"[ \t]*[,.!]?[ \t]*(?:\n|$)",
    re.IGNORECASE | re.MULTILINE,
)
MIN_WORDS_FOR_LANGUAGE = 8


def hygiene(subject: str, body: str, channel: str) -> list[Check]:
    checks = [
        _absent("subject_line", "a Subject: line in the body", spans("body", body, _SUBJECT_LINE)),
        _absent("preamble", "a preamble before the message", spans("body", body, _PREAMBLE)),
        _absent("markdown", "Markdown formatting", spans("body", body, _MARKDOWN)),
        _absent(
            "html",
            "HTML tags or entities",
            spans("body", body, _HTML) + spans("subject", subject, _HTML),
        ),
        _absent("escaped_newline", r"a literal \n", spans("body", body, _ESCAPED)),
    ]
    if channel != "call":  # a call script is for our own rep: notes in it are fine
        checks.append(_absent("afterword", "a note to the writer", spans("body", body, _AFTERWORD)))
    sign_offs = spans("body", body, SIGN_OFF)
    if channel.startswith("linkedin"):
        checks.append(_absent("sign_off", "a sign-off in a LinkedIn message", sign_offs))
    else:
        checks.append(
            Check(
                "sign_off",
                len(sign_offs) <= 1,
                f"{len(sign_offs)} sign-offs (at most one)",
                sign_offs if len(sign_offs) > 1 else (),
            )  # fmt: skip
        )
        if channel == "email":
            block = _signature_block(body)
            checks.append(_absent("signature_block", "a signature block", block))
    return checks


def clean_subject(subject: str) -> str:
    """The subject without a label or quotes a model put around it."""
    subject = _SUBJECT_LABEL.sub("", subject.strip(), count=1).strip()
    for opening, closing in _WRAPPERS:
        if (
            len(subject) > 2 * len(opening)
            and subject.startswith(opening)
            and subject.endswith(closing)
        ):
            return subject[len(opening) : -len(closing)].strip()
    return subject


def _signature_block(body: str) -> tuple[Span, ...]:
    """More than a name under the sign-off ("Maya Lindqvist / Account Executive,
    Tallyforge"): the footer already says who is writing, and from where. A P.S. may
    follow."""
    sign_offs = list(SIGN_OFF.finditer(body))
    if not sign_offs:
        return ()
    start = sign_offs[-1].end()
    tail = _POSTSCRIPT.split(body[start:], maxsplit=1)[0].rstrip()
    if sum(1 for line in tail.splitlines() if line.strip()) < 2:
        return ()
    if _AFTERWORD.search(tail) or _MARKDOWN.search(tail):
        return ()  # reported as what it is
    return (Span("body", start, start + len(tail), tail),)


def placeholders(subject: str, body: str) -> tuple[Span, ...]:
    """Placeholders of any case or shape: bracketed ("[date]", "[Link]", "{company}",
    "<<name>>"), blanks ("____", "FIRST_NAME", "XX%"), instructions ("(insert link)")."""
    return spans("subject", subject, _BRACKETED) + spans("body", body, _BRACKETED)


def _absent(name: str, what: str, found: tuple[Span, ...]) -> Check:
    if not found:
        return Check(name, True, f"no {what.removeprefix('a ').removeprefix('an ')}")
    return Check(name, False, f"{what}: " + ", ".join(repr(s.text) for s in found), found)


@lru_cache(maxsize=1)
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


_ENGLISH = frozenset(("the", "and", "to", "of", "in", "is", "you", "for", "with", "that", "it",
                     "this", "we", "your", "our", "be", "are", "at", "have"))  # fmt: skip
_TOKENS = re.compile(r"[a-z']+")


def _plainly_english(text: str) -> bool:
    """A fast path: one word in seven is an English function word (French, German,
    Swedish or Spanish text never gets there), so the model need not be asked."""
    words = _TOKENS.findall(text.lower())
    common = sum(w in _ENGLISH for w in words)
    return len(words) >= MIN_WORDS_FOR_LANGUAGE and common >= len(words) / 7


def language(body: str, expected: str | None) -> Check:
    """The body is in the expected language (when there is enough text to tell)."""
    if not expected:
        return Check("language", True, "no language expected")
    text = " ".join(line for line in body.splitlines() if line.strip())
    if len(text.split()) < MIN_WORDS_FOR_LANGUAGE:
        return Check("language", True, "too short to tell")
    if expected == "en" and _plainly_english(text):
        return Check("language", True, "written in en")
    found, probability = _identifier().classify(text)
    if found == expected or probability < 0.9:
        return Check("language", True, f"written in {expected}")
    return Check(
        "language",
        False,
        f"written in {found} (p={probability:.2f}), expected {expected}",
        (Span("body", 0, len(body), body[:80]),),
    )
