"""What real models put around a message that must never reach a prospect: a
``Subject:`` line or a preamble ("Here is your email:") in the body, Markdown or HTML,
a literal ``\\n``, bracketed placeholders of any case, a second sign-off (or any on
LinkedIn), and the wrong language."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from signalseq.drafting.checks import Check, Span, spans

_SUBJECT_LINE = re.compile(r"^[ \t]*\**subject\**[ \t]*:.*$", re.IGNORECASE | re.MULTILINE)
_PREAMBLE = re.compile(
    r"\A\s*(?:(?:sure|certainly|of course|absolutely|okay|ok|great)\b[^\n]*"
    r"|(?:here(?:'s| is| are)|below is|as requested)\b[^\n]*"
    r"(?:email|draft|message|note|version|follow-up|script|text)[^\n]*)",
    re.IGNORECASE,
)
_MARKDOWN = re.compile(
    r"\*\*[^*\n]+\*\*|__[^_\n]+__|^[ \t]*#{1,6}[ \t]+\S|^[ \t]*[*+•][ \t]+\S"
    r"|\[[^\]\n]+\]\([^)\n]+\)|`[^`\n]+`|^[ \t]*>[ \t]",
    re.MULTILINE,
)
_HTML = re.compile(
    r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>\n]*)?/?>|&(?:nbsp|amp|lt|gt|quot|#\d+|#x[0-9a-f]+);",
    re.IGNORECASE,
)
_ESCAPED = re.compile(r"\\[nrt]")
_BRACKETED = re.compile(r"\[[^\[\]\n]{1,60}\]|\{[^{}\n]{1,60}\}|<<[^<>\n]{1,60}>>")
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
    return checks


def placeholders(subject: str, body: str) -> tuple[Span, ...]:
    """Bracketed text of any case ("[date]", "[Link]", "{company}", "<<name>>")."""
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
