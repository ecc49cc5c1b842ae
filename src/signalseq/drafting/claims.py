"""What a piece of text claims: quantities (money with its currency, shares, multiples,
durations, counts, years, dates), funding rounds and names — each with its exact span.

Used both ways: on a draft (what it says) and on the research context's facts (what is
true), so the two are compared as like with like. Numbers may be written in figures or
in words ("forty-one percent", "half", "a third", "twice").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from number_parser import parse_number

from signalseq.drafting.vocabulary import MODERN, STOP

# --- quantities ---------------------------------------------------------------------

_CURRENCY_PREFIX = {
    "us$": "USD", "$": "USD", "usd": "USD", "a$": "AUD", "au$": "AUD", "c$": "CAD",
    "ca$": "CAD", "s$": "SGD", "€": "EUR", "eur": "EUR", "£": "GBP", "gbp": "GBP",
    "₹": "INR", "rs": "INR", "rs.": "INR", "inr": "INR", "¥": "JPY", "jpy": "JPY",
    "chf": "CHF", "sek": "SEK", "kr": "SEK",
}  # fmt: skip
_CURRENCY_SUFFIX = {
    "usd": "USD", "dollars": "USD", "eur": "EUR", "euros": "EUR", "gbp": "GBP",
    "pounds": "GBP", "inr": "INR", "rupees": "INR", "jpy": "JPY", "yen": "JPY",
}  # fmt: skip
_SCALE = {
    "k": 1e3, "thousand": 1e3, "m": 1e6, "mn": 1e6, "mm": 1e6, "million": 1e6,
    "b": 1e9, "bn": 1e9, "billion": 1e9, "lakh": 1e5, "lac": 1e5, "lakhs": 1e5,
    "crore": 1e7, "cr": 1e7, "crores": 1e7, "t": 1e12, "trillion": 1e12,
}  # fmt: skip
_DURATION_DAYS = {
    "minute": 1 / 1440, "min": 1 / 1440, "hour": 1 / 24, "hr": 1 / 24, "day": 1.0,
    "week": 7.0, "month": 30.0, "quarter": 91.0, "year": 365.0,
}  # fmt: skip
_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
         ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
         ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
         ("dec", "december")]
    )
    for m in names
}  # fmt: skip
_FRACTIONS = {
    "half": ("share", 50.0), "a half": ("share", 50.0), "one half": ("share", 50.0),
    "a third": ("share", 100 / 3), "one third": ("share", 100 / 3),
    "two thirds": ("share", 200 / 3), "two-thirds": ("share", 200 / 3),
    "a quarter of": ("share", 25.0), "one quarter of": ("share", 25.0),
    "three quarters": ("share", 75.0), "three-quarters": ("share", 75.0),
    "a fifth": ("share", 20.0), "a tenth": ("share", 10.0),
    "twice": ("multiple", 2.0), "double": ("multiple", 2.0), "doubled": ("multiple", 2.0),
    "doubling": ("multiple", 2.0), "triple": ("multiple", 3.0), "tripled": ("multiple", 3.0),
    "quadrupled": ("multiple", 4.0), "twofold": ("multiple", 2.0),
    "threefold": ("multiple", 3.0), "fourfold": ("multiple", 4.0), "fivefold": ("multiple", 5.0),
    "tenfold": ("multiple", 10.0),
}  # fmt: skip
_NUMBER_WORDS = (
    "zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen"
    "|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy"
    "|eighty|ninety|hundred|dozen"
)
_CUR_PRE = r"(?P<pre>US\$|AU?\$|CA?\$|S\$|[$€£₹¥]|(?:USD|EUR|GBP|INR|JPY|CHF|SEK|Rs\.?)\s?)"
_FIGURE = r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
_WORDS = rf"(?P<words>(?:{_NUMBER_WORDS})(?:[\s-]+(?:and[\s-]+)?(?:{_NUMBER_WORDS}))*)"
_SCALE_RE = r"(?P<scale>\s?(?:[kKmMbBtT]|mn|MM|bn|Bn|BN|thousand|million|billion|trillion|lakhs?|lac|crores?|[Cc]r)\b)"
_UNIT = (
    r"(?P<unit>\s?(?:%|percent\b|per\s?cent\b|percentage points?\b|pp\b)"
    r"|\s?(?:x\b|×|-?fold\b|times(?=\s+(?:more|less|fewer|faster|slower|higher|lower|as|the|over|bigger|larger|greater|better)\b))"
    r"|[\s-](?:minutes?|mins?|hours?|hrs?|days?|weeks?|months?|quarters?|years?)\b)"
)
_CUR_POST = r"(?P<post>\s(?:USD|EUR|GBP|INR|JPY|dollars|euros|pounds|rupees|yen)\b)"
_QUANTITY = re.compile(
    rf"(?<![\w.$€£₹¥/-]){_CUR_PRE}?(?:{_FIGURE}|\b{_WORDS}\b)(?![\w.]\d)"
    rf"{_SCALE_RE}?{_UNIT}?{_CUR_POST}?",
    re.IGNORECASE,
)
_FRACTION = re.compile(
    r"\b(?:" + "|".join(sorted((re.escape(k) for k in _FRACTIONS), key=len, reverse=True)) + r")\b",
    re.IGNORECASE,
)
_MONTH_NAMES = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DATE = re.compile(
    rf"\b(?P<m1>{_MONTH_NAMES})\.?\s+(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?\b"
    r"(?:\s*(?:and|to|-|–|&)\s*(?P<d1b>\d{1,2})(?:st|nd|rd|th)?\b)?(?:,?\s+(?P<y1>\d{4}))?"
    rf"|\b(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m2>{_MONTH_NAMES})\b\.?(?:,?\s+(?P<y2>\d{{4}}))?"
    r"|\b(?P<y3>\d{4})-(?P<m3>\d{2})-(?P<d3>\d{2})\b",
    re.IGNORECASE,
)
_PLAN = re.compile(
    r"\b(?:next|coming|upcoming|following|within|worth)\s+(?:the\s+)?$|\bworth\s+(?:a\s+)?$", re.I
)
_MEETING = re.compile(  # what we offer, not what we claim: "a 20-minute call", "2-minute video"
    r"\s+(?:call|chat|meeting|conversation|demo|walkthrough|walk-through|slot|overview|video"
    r"|read|summary|intro|introduction|tour|recording|explainer|session|look)\b",
    re.I,
)
_TIME_OF_DAY = re.compile(r"\b\d{1,2}(?::\d{2})?\s?(?:am|pm|a\.m\.|p\.m\.)|\b\d{1,2}:\d{2}\b", re.I)
# counts of the email's own parts ("two ideas", "3 quick questions") and list markers
_SELF_COUNT = re.compile(
    rf"\b(?:{_NUMBER_WORDS}|\d{{1,2}})\s+(?:(?:quick|short|more|other|small|simple|final)\s+)?"
    r"(?:ideas?|thoughts?|questions?|things?|points?|options?|suggestions?|tips?|examples?"
    r"|takeaways?|notes?|data points?|lessons?|observations?)\b"
    r"|^[ \t]*\d{1,2}[.)](?=\s)",
    re.IGNORECASE | re.MULTILINE,
)
# a month named without a day is a claim only about the prospect and in the past ("since
# your promotion in September"); "a call in December" and "teams plan in January" are not
_FULL_MONTHS = (
    "January|February|March|April|May|June|July|August|September|October|November|December"
)
_MONTH_ONLY = re.compile(
    rf"\b(?:since|back in|earlier in|in|during|from|of)\s+(?:early |mid-|late )?"
    rf"(?P<m>{_FULL_MONTHS})\b(?![ \t]*\d)"
)
_ABOUT_THEM = re.compile(
    r"\b(?:you|your|you're|you've)\b|\b(?:raised|announced|joined|closed|promoted|visited)\b", re.I
)
_AHEAD = re.compile(  # "by/before/until December" are not even read: no such prefix
    r"\?|\b(?:would|could|will|shall|can|let's|happy to|free|next|coming|upcoming|planning"
    r"|hope)\b",
    re.I,
)
_PERIOD = re.compile(r"\b(?:Q[1-4]|H[12]|FY\s?\d{2,4}|24/7)\b|\b\d+(?:st|nd|rd|th)\b", re.I)


@dataclass(frozen=True)
class Quantity:
    kind: str  # money, share, multiple, duration, count, year, date
    value: float
    currency: str | None = None
    step: float = 0.0  # the precision it was written with (12M: 1M; 12.5M: 0.1M)

    def agrees(self, other: Quantity) -> bool:
        """Same kind, same currency, and equal at the precision of the one written less
        precisely ("$12M" agrees with 12,000,000; "33%" with "a third")."""
        if self.kind != other.kind or self.currency != other.currency:
            return False
        slack = max(self.step, other.step) / 2  # "$3B" is not "$2.5B": strictly inside
        return abs(self.value - other.value) < slack or self.value == other.value


@dataclass(frozen=True)
class Found:
    """A claim and where it is in its text."""

    what: Quantity
    start: int
    end: int
    text: str
    plan: bool = False  # proposed, not claimed ("the next two quarters", "a 20-minute call")


def _step(figure: str, scale: float) -> float:
    decimals = len(figure.split(".")[1]) if "." in figure else 0
    return scale * 10.0**-decimals


def quantities(text: str, plans_too: bool = True) -> list[Found]:
    """Every quantity in ``text`` with its span; ``plans_too=False`` leaves out durations
    that propose rather than claim ("in the next two quarters", "a 20-minute call")."""
    return [f for f in _quantities(text) if plans_too or not f.plan]


@lru_cache(maxsize=4096)
def _quantities(text: str) -> tuple[Found, ...]:
    found: list[Found] = []
    taken: list[tuple[int, int]] = []

    def add(what: Quantity, start: int, end: int, plan: bool = False) -> None:
        if any(s < end and start < e for s, e in taken):
            return
        taken.append((start, end))
        found.append(Found(what, start, end, text[start:end], plan))

    for skip in (
        *_TIME_OF_DAY.finditer(text),
        *_PERIOD.finditer(text),
        *_SELF_COUNT.finditer(text),
    ):
        taken.append(skip.span())
    for match in _DATE.finditer(text):
        month = match["m1"] or match["m2"] or match["m3"]
        day = int(match["d1"] or match["d2"] or match["d3"])
        year = match["y1"] or match["y2"] or match["y3"]
        number = int(month) if month.isdigit() else _MONTHS[month.lower()]
        if 1 <= day <= 31:
            add(Quantity("date", number * 100 + day), match.start(), match.end())
            if match["d1b"]:  # "Nov 15 and 16"
                found.append(Found(Quantity("date", number * 100 + int(match["d1b"])),
                                   match.start(), match.end(), match.group(0)))  # fmt: skip
            if year:
                found.append(Found(Quantity("year", float(year)), match.start(), match.end(), year))
    for match in _MONTH_ONLY.finditer(text):  # "since your promotion in September"
        sentence = _sentence_around(text, match.start())
        plan = not _ABOUT_THEM.search(sentence) or bool(_AHEAD.search(sentence))
        add(Quantity("month", _MONTHS[match["m"].lower()]), match.start("m"), match.end("m"), plan)
    for match in _FRACTION.finditer(text):
        kind, value = _FRACTIONS[match.group(0).lower()]
        add(Quantity(kind, value, step=0.0), match.start(), match.end())
    for match in _QUANTITY.finditer(text):
        quantity = _quantity(match)
        if quantity is None:
            continue
        plan = quantity.kind == "duration" and _planned(text, match)
        add(quantity, match.start(), match.end(), plan)
    found.sort(key=lambda f: f.start)
    return tuple(found)


# a stop inside a word ("tallyforge-demo.com", "2.5", "e.g.") does not end a sentence
_SENTENCE = re.compile(r"(?:[^.!?\n]|[.!?](?=[^\s.!?]))+(?:[.!?]+|$)|\n")


@lru_cache(maxsize=1024)
def sentences(text: str) -> tuple[tuple[int, int], ...]:
    """Where each sentence of ``text`` starts and ends."""
    return tuple(m.span() for m in _SENTENCE.finditer(text) if m.group(0).strip())


def _sentence_around(text: str, position: int) -> str:
    for start, end in sentences(text):
        if start <= position < end:
            return text[start:end]
    return ""


def forget_texts() -> None:
    """Empty the caches kept per text and per spelled number."""
    for cached in (_quantities, _spelled, _rounds, sentences):
        cached.cache_clear()


def _planned(text: str, match: re.Match[str]) -> bool:
    before = text[max(0, match.start() - 24) : match.start()]
    return bool(_PLAN.search(before) or _MEETING.match(text, match.end()))


_SINGLE = {
    word: index if index < 20 else (index - 18) * 10
    for index, word in enumerate(_NUMBER_WORDS.split("|")[:28])
} | {"hundred": 100, "dozen": 12}


@lru_cache(maxsize=1024)
def _spelled(words: str) -> int | None:
    """ "forty one" → 41 (number-parser, English; single words looked up directly)."""
    if words in _SINGLE:
        return _SINGLE[words]
    value = parse_number(words, language="en")
    return int(value) if isinstance(value, int | float) else None


def _quantity(match: re.Match[str]) -> Quantity | None:
    figure, words = match["num"], match["words"]
    unit = (match["unit"] or "").strip(" -").lower()
    pre, post = (match["pre"] or "").strip().lower(), (match["post"] or "").strip().lower()
    scale_word = (match["scale"] or "").strip().lower()
    if figure is not None:
        value = float(figure.replace(",", ""))
    else:
        parsed = _spelled(words.lower().replace("-", " "))
        if parsed is None:
            return None
        value = float(parsed)
        if words.lower() in ("one", "zero") and not (unit or pre or scale_word):
            return None  # "one story", "the one ask": not a claim
    scale = _SCALE.get(scale_word, 1.0)
    if scale_word in ("m", "b", "t", "k") and not (pre or post) and figure is None:
        return None
    step = _step(figure, scale) if figure is not None else scale
    currency = _CURRENCY_PREFIX.get(pre) or _CURRENCY_SUFFIX.get(post)
    if currency:
        return Quantity("money", value * scale, currency, step)
    if unit in ("%", "percent", "per cent", "percent", "pp") or unit.startswith(
        ("percentage", "per")
    ):
        return Quantity("share", value, step=_step(figure or "1", 1.0))
    if unit in ("x", "×", "times", "fold"):
        return Quantity("multiple", value, step=_step(figure or "1", 1.0))
    if unit:
        base = unit.rstrip("s")
        days = _DURATION_DAYS.get(base) or _DURATION_DAYS.get(base.rstrip("s"))
        if days is None:
            days = _DURATION_DAYS[{"mins": "min", "hrs": "hr"}.get(unit, base)]
        return Quantity("duration", value * days, step=days * _step(figure or "1", 1.0))
    if scale != 1.0:
        return Quantity("count", value * scale, step=step)
    if figure is not None and "." not in figure and "," not in figure and 1900 <= value <= 2100:
        return Quantity("year", value)
    return Quantity("count", value, step=step)


# --- rounds -------------------------------------------------------------------------

_ROUND = re.compile(
    r"\b(?:series\s+(?P<letter>[a-h])\b(?P<plus>\+)?|(?P<pre>pre-?\s?seed)\b"
    r"|(?P<seed>seed)(?=\s+(?:round|funding|stage|raise|investment)))",
    re.IGNORECASE,
)


def rounds(text: str) -> list[tuple[str, int, int]]:
    """Funding rounds named in ``text``, normalised (``series b``, ``seed``)."""
    return list(_rounds(text))


@lru_cache(maxsize=1024)
def _rounds(text: str) -> tuple[tuple[str, int, int], ...]:
    found = []
    for match in _ROUND.finditer(text):
        if match["letter"]:
            name = f"series {match['letter'].lower()}{match['plus'] or ''}"
        elif match["pre"]:
            name = "pre-seed"
        else:
            name = "seed"
        found.append((name, match.start(), match.end()))
    return tuple(found)


# --- words --------------------------------------------------------------------------

WORD = re.compile(r"[^\W\d_][\w'’&.-]*[\w]|[^\W\d_]")


@lru_cache(maxsize=1)
def dictionary() -> frozenset[str]:
    """English words written in lower case (so not names): the word lists of the
    ``english-words`` package (Webster's 2nd and GCIDE), read once."""
    from english_words import get_english_words_set

    words = get_english_words_set(["web2", "gcide"], lower=False)
    return frozenset(w for w in words if w.islower()) | MODERN


def is_dictionary_word(word: str) -> bool:
    """A common English word, inflected or not ("teams", "booked", "congratulations")."""
    w = word.casefold().removesuffix("'s").removesuffix("’s")
    words = dictionary()
    candidates = [w]
    for suffix, repl in (("ies", "y"), ("es", ""), ("s", ""), ("ed", ""), ("ed", "e"),
                         ("ing", ""), ("ing", "e"), ("er", ""), ("est", "")):  # fmt: skip
        if w.endswith(suffix) and len(w) > len(suffix) + 2:
            candidates.append(w[: -len(suffix)] + repl)
    doubled = [c[:-1] for c in candidates if len(c) > 3 and c[-1] == c[-2]]  # "planned"
    return any(c in words for c in (*candidates, *doubled))


_SUFFIXES = ("ations", "ation", "ings", "ing", "ies", "ied", "es", "ed", "ly", "s")


def stem(word: str) -> str:
    """A crude stem for overlap: suffixes off, then the first five letters
    ("meetings" and "meeting", "booked" and "book", "integrate" and "integration")."""
    w = word.casefold().removesuffix("'s").removesuffix("’s")
    for suffix in _SUFFIXES:
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            w = w[: -len(suffix)] + ("y" if suffix in ("ies", "ied") else "")
            break
    return w[:5]


_LETTERS = re.compile(r"[^\W\d_]+")


def content_stems(text: str) -> frozenset[str]:
    """The stems of a text's content words (no stop words, no short words)."""
    return frozenset(
        stem(w) for w in _LETTERS.findall(text) if len(w) >= 3 and w.casefold() not in STOP
    )


def around(text: str, start: int, end: int, reach: int = 4) -> frozenset[str]:
    """What a quantity measures: the stems of the lower-case content words within
    ``reach`` words either side of ``text[start:end]`` in its sentence (names left out:
    "41% more first meetings" → meeting, book)."""
    before = re.split(r"[.!?;\n]", text[:start])[-1]
    after = re.split(r"[.!?;\n]", text[end:])[0]
    words = [*_LETTERS.findall(before)[-reach:], *_LETTERS.findall(after)[:reach]]
    return content_stems(" ".join(w for w in words if w.islower()))
