"""Funding rounds from news headlines (and summaries), or the reason a headline is not one.

A funding signal needs a named company, a raise (a verb like "raises", or a round
noun like "Series B funding") and an amount or a round. Look-alikes are rejected with a
reason: VC fund closes, acquisitions, IPOs, grants and government programmes, financial
results (profit, revenue, ARR), market-size reports, roundups and trend pieces.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from decimal import Decimal

from signalseq.connectors.funding.money import Money, find_amounts
from signalseq.errors import InputRejected


class NotFunding(InputRejected):
    """The headline is not a company raising money; ``reason`` is a stable code."""

    def __init__(self, reason: str, detail: str):
        self.reason = reason
        super().__init__(f"{reason}: {detail}")


@dataclass
class FundingRound:
    company: str
    round: str | None = None  # pre_seed, seed, series_a … series_h, growth, debt, bridge, extension
    extension: bool = False
    amount: Decimal | None = None
    currency: str | None = None
    currency_stated: bool = True
    amount_usd: int | None = None
    valuation_usd: int | None = None
    lead_investors: list[str] = field(default_factory=list)
    investors: list[str] = field(default_factory=list)

    def attributes(self) -> dict[str, object]:
        return {
            "round": self.round,
            "round_extension": self.extension,
            "amount": str(self.amount) if self.amount is not None else None,
            "currency": self.currency,
            "currency_stated": self.currency_stated,
            "amount_usd": self.amount_usd,
            "valuation_usd": self.valuation_usd,
            "lead_investors": self.lead_investors,
            "investors": self.investors,
        }


_I = re.IGNORECASE
_RAISE_VERBS = re.compile(
    r"\b(raises|raised|raising|secures|secured|closes|closed|lands|landed|nets|netted|bags|bagged"
    r"|snags|snagged|grabs|scores|swipes|pulls in|picks up|gets|receives|completes"
    r"|(?:announces|unveils)(?=[^.]{0,40}\b(?:funding|round|investment|financing|seed|series)\b)"
    r"|taps|attracts|collects|rakes in|hauls in|banks|nabs|nabbed|captures|captured"
    r"|racks up|takes(?=\s+(?:in\s+)?[$€£₹])"
    r"|(?:launches|debuts|emerges from stealth|comes out of stealth) with(?=\s+[$€£₹]))\b",
    _I,
)
_OTHER_VERBS = re.compile(
    r"\b(expands|plans|launches|debuts|unveils|adds|names|hires|opens|partners|wins|takes"
    r"|is|are|was|will|could|has|have|says|said)\b",
    _I,
)
_FUNDING_NOUNS = re.compile(
    r"\b(funding|financing|investment|round|seed|series [a-h]|raise|backing|capital)\b", _I
)
_ROUNDS: list[tuple[str, re.Pattern[str]]] = [
    ("pre_seed", re.compile(r"\bpre[- ]?seed\b", _I)),
    ("series", re.compile(r"\bseries[- ]([a-h])\b(?:[- ]?(\d))?|\b([A-H])[- ]round\b", _I)),
    ("seed", re.compile(r"(?<!pre-)(?<!pre )\bseed\b", _I)),
    (
        "debt",
        re.compile(
            r"\b(venture )?debt\b|\bcredit (facility|line)\b|\bline of credit\b|\bloan\b", _I
        ),
    ),
    ("bridge", re.compile(r"\bbridge (round|financing|funding)\b", _I)),
    ("growth", re.compile(r"\bgrowth (round|equity|funding|financing|investment)\b", _I)),
]
_EXTENSION = re.compile(
    r"\b(?:series [a-h]|seed|round|funding|financing)\s+extension\b"
    r"|\bextension\s+(?:round|funding|financing)\b|\bextends\s+(?:its|a|the)\s+(?:series|seed|round)",
    _I,
)

_REJECTIONS: list[tuple[str, re.Pattern[str]]] = [
    ("not_an_announcement", re.compile(r"^(check out|how|why|what|here'?s|inside|meet|ask)\b", _I)),
    (
        "plans_or_talks",
        re.compile(
            r"\bin (?:early )?(?:talks|discussions|negotiations)\b|\bseeking\b|\blooking to raise\b"
            r"|\bplans? to raise\b|\b(?:is|are) raising\b|\bset to raise\b|\baims? to raise\b"
            r"|\bin the process of raising\b",
            _I,
        ),
    ),
    (
        "not_investment",
        re.compile(r"\bpre-?orders\b|\bin sales\b|\bin bookings\b|\bin revenue\b", _I),
    ),
    (
        "not_a_raise",
        re.compile(
            r"\bbankrupt(cy)?\b|\bshuts? down\b|\blays? off\b|\blayoffs\b|\bwinds? down\b"
            r"|\bcuts? (?:\d+% of )?(?:staff|jobs|workforce|employees)\b",
            _I,
        ),
    ),
    (
        "ipo",
        re.compile(
            r"(?<!pre-)\bIPO\b(?!\s+round)|\bgoes public\b|\bpublic offering\b|\bper share\b|\bSPAC\b"
            r"|\bstock market debut\b|\blisting\b",
            _I,
        ),
    ),
    (
        "vc_fund",
        re.compile(
            r"\b(raises|closes|launches|debuts|unveils|announces|secures|lands|nabs|targets|targeting"
            r"|seeks|seeking)\b"
            # not an investor's name: "from BR Startups Fund", "backed by Founders Fund"
            r"(?:(?!\b(?:from|by)\b).){0,80}?(?<!Founders )(?<!Vision )\bfund\b(?!ing)"
            r"(?!\s+(?-i:[A-Z]))"
            r"|\bin capital to (back|invest)\b|\bfund (i{1,3}|iv|v|vi|\d)\b"
            r"|\bventures? (fund|debuts|launches|closes)\b|\bdebuts? [^,]*\bventures\b"
            r"|\bto (back|invest in)\b[^.]{0,60}\bstartups\b"
            r"|\b(?:investors?|VC firm|venture (?:capital )?firm),? (?:has )?(?:raised|raises|closes|closed)\b",
            _I,
        ),
    ),
    (
        "acquisition",
        re.compile(
            r"\bacquir(es|ed|ing)\b|\bacquisition\b|\bbuys\b|\bbought\b"
            r"|\bbuying\b|\bmerg(es|er|ing)\b|\btakeover\b",
            _I,
        ),
    ),
    (
        "grant",
        re.compile(
            r"\bgrants?\b|\bsubsid(y|ies)\b|\bgovernment\b|\bministry\b|\bprogramme\b"
            r"|\binvests? [^.]*\bin (\w+ )?projects\b",
            _I,
        ),
    ),
    (
        "financial_results",
        re.compile(
            r"\bprofits?\b|\blosses\b|\bloss\b|\bARR\b|\brevenue (up|down|target|grows|rises|falls)\b"
            r"|\bsoars past revenue\b|\bnet income\b|\bEBITDA\b|\bQ[1-4] (results|financials)\b"
            r"|\bfinancials\b|\bearnings\b",
            _I,
        ),
    ),
    (
        "market_report",
        re.compile(
            r"\bmarket (is )?(expected|projected|forecast|size|to reach|will reach)\b"
            r"|\bexpected to reach\b|\bCAGR\b|\bmarket report\b",
            _I,
        ),
    ),
    (
        "roundup",
        re.compile(
            r"\b(startups|companies|firms) (raised|raise|have raised)\b|\broundup\b"
            r"|\bthis week in\b|\bweekly funding\b|\bfunding (recap|report)\b"
            r"|\braised record\b|\bVC investment\b|\binvestment in [^.]{0,40}\bstartups\b"
            r"|\bVCs? (?:investing|invested|poured)\b|\bstartups to raise\b",
            _I,
        ),
    ),
]

_PREFIX = re.compile(r"^(?:\[[^\]]+\]\s*|[A-Z][\w|&.' ]{0,30}:\s+)")
_PUBLISHER_PREFIX = re.compile(r"^[^–—]{3,60}\s[–—]\s")
_SUFFIX = re.compile(r"\s[|–—-]\s[^|–—-]{2,40}$")
_DESCRIPTORS = re.compile(
    r"\b(start-?ups?|company|companies|firm|provider|app|platform|business|specialist|maker"
    r"|developer|manager|fintech|unicorn|studio|vendor|operator|brand|player|outfit|venture"
    r"|service|marketplace|tool)\b"
    r"|\b[\w.]+-(backed|based|powered|owned|focused)\b",
    _I,
)
# descriptor words that also open names ("Service Partner One", "Studio Ghibli")
_NAME_LIKE_DESCRIPTORS = frozenset(
    {"service", "platform", "app", "studio", "brand", "venture", "business", "tool",
     "marketplace", "manager", "operator", "player", "vendor", "outfit", "specialist"}
)  # fmt: skip
_APPOSITIVE = re.compile(r",\s+(?:(?:a|an|the|which|whose|that)\b|(?=[a-z]))", _I)
# "Quanta just raised": adverbs are not the name ("Elevate Now" is)
_TRAILING_ADVERB = re.compile(
    r"(\s+(?:(?i:reportedly|officially|finally|quietly|recently|secretly|reportedly|"
    r"successfully|already|formally|newly|quickly|rapidly)|just|now|also|today))+$"
)  # a list, not "-ly": Definely, Grammarly and Bitly are names
_OWNER = re.compile(r"^(?:[A-Z][\w.&-]*\s+){0,2}[\w.&-]+'s\s+(?=[A-Z0-9])")  # "Elon Musk's …"
# "… as Astrobotic raises": a clause ends where the name begins
_CLAUSE = re.compile(r"^.*\b(?:as|while|when|because|since)\s+(?=[A-Z])")
# "… for his AI memory startup, Supermemory": the name said last
_NAMED_LAST = re.compile(
    r"\b(?:startup|company|firm),\s+(?P<name>[A-Z][\w.&-]*(?:\s+[A-Z][\w.&-]*){0,2})\s*$"
)
_ROLE = re.compile(r"\s+(?:CEO|CTO|CFO|COO|founder|co-founder|chief)\b.*$", _I)
_NAME_JOINERS = frozenset(
    {"of", "and", "de", "la", "le", "du", "di", "da", "von", "van", "for", "&"}
)
_INVESTOR_STOP = re.compile(
    r"\s(to|for|in|at|as|on|after|amid|via|through|with participation)\b|[;|–—(]|,\s(?:a|an|the)\s|$",
    _I,
)
_DESCRIBED_INVESTOR = re.compile(
    r"^(?:new |existing |strategic |lead |global |investors? |including )+", _I
)


# "Uber invests $100M in WeRide", "Mozilla invests in Germany's Cliqz": the investor first
_INVESTOR_FIRST = re.compile(
    r"\b(?:has\s+)?(?:invests|invested|backs|backed)\s+(?:another\s+|up to\s+)?"
    r"(?:[$€£₹][\d.,]+\s?(?:[kmb]n?|million|billion)?\s+)?(?:in|into)\s+"
    r"(?P<company>[\w.&'-]+(?:\s+[A-Z0-9][\w.&'-]*){0,3})"
    # "Nvidia is the latest investor to back AV startup Nuro in $203M funding round"
    r"|\bto back\s+(?P<to_back>.{1,60}?)\s+in\s+(?:a\s+)?[$€£₹]"
    # "Trinity Backs Dave Asprey's Bulletproof With $9M"
    r"|\b(?:backs|backed)\s+(?:[A-Z][\w.&-]*\s+){0,3}?(?:[\w.&-]+'s\s+)?"
    r"(?P<backed>[A-Z][\w.&-]*(?:\s+[A-Z][\w.&-]*){0,2})\s+with\s+[$€£₹]",
    _I,
)
# "DroneBase raises from Union Square": a raise with a named investor and no amount
_FROM_INVESTOR = re.compile(
    r"\b(?:raises|raised|secures|secured|lands|gets|nabs|wins)\s+(?:\w+\s+)?from\s+[A-Z]"
)


def _clean(title: str) -> str:
    text = re.sub(r"<[^>]+>", "", html.unescape(title))
    text = text.replace("\u2019", "'").replace("\u00a0", " ")
    text = re.sub(r"\s+", " ", text).strip()
    text = _PREFIX.sub("", text, count=1)
    text = _PUBLISHER_PREFIX.sub("", text, count=1)
    text = re.sub(r"^[^?]{3,80}\?\s+(?=[A-Z])", "", text, count=1)  # "Where are they now? …"
    return _SUFFIX.sub("", text).strip()


def _is_valuation(text: str, money: Money) -> bool:
    before = text[max(0, money.start - 25) : money.start].lower()
    after = text[money.end : money.end + 25].lower()
    return bool(
        re.search(
            r"(valued at( over| nearly| about)?|valuation of|at (a |an )?(\w+ )?)\s*$", before
        )
        and ("valuation" in after or "valued" in before)
    ) or after.lstrip().startswith(("valuation", "post-money", "pre-money"))


_BESIDE_A_RAISE = frozenset({"acquisition", "ipo", "not_a_raise"})


def _beside_a_raise(text: str, verb: re.Match[str] | None, other: re.Match[str]) -> bool:
    """An acquisition, IPO or layoff mentioned beside a raise, not instead of one: the raise
    verb and its money come first, or the other news sits in a clause before the raise."""
    if verb is None:
        return False
    money = [m.start for m in find_amounts(text)]
    if verb.start() < other.start():
        return any(verb.start() < at < other.start() for at in money)
    between = text[other.end() : verb.start()]
    return "," in between and any(at > verb.start() for at in money)


def _is_count(text: str, money: Money) -> bool:
    """ "8 million customers": a number of things, not money (no currency was written)."""
    after = text[money.end : money.end + 30].lower()
    return not money.currency_stated and bool(
        re.match(r"^\s*(customers|users|subscribers|downloads|people|members|views|visitors"
                 r"|installs|riders|drivers|merchants|devices)\b", after)
    )  # fmt: skip


def _is_market_size(text: str, money: Money) -> bool:
    after = text[money.end : money.end + 40].lower()
    return bool(re.match(r"^\s*([\w-]+\s){0,3}(market|industry|opportunity|sector)\b", after))


def _round(text: str) -> tuple[str | None, bool]:
    extension = bool(_EXTENSION.search(text))
    for name, pattern in _ROUNDS:
        match = pattern.search(text)
        if match:
            if name == "series":
                return f"series_{(match.group(1) or match.group(3)).lower()}", extension
            return name, extension
    return ("extension" if extension else None), extension


def _split_names(text: str) -> list[str]:
    parts = re.split(r",\s*|\s+(?:and|&)\s+", text, flags=_I)
    names = []
    for part in parts:
        name = _DESCRIBED_INVESTOR.sub("", part.strip(" .,'\"")).strip()
        name = re.sub(r"^(the|others?|more|other investors)$", "", name, flags=_I).strip()
        if name and (name[0].isupper() or name[0].isdigit()):
            names.append(name)
    return names


def _investors(text: str) -> tuple[list[str], list[str]]:
    leads: list[str] = []
    others: list[str] = []
    for cue, target in (
        (r"\bled by\b", leads),
        (r"\bwith participation (?:from|of)\b", others),
        (r"\b(?:including )?from\b", others),
        (r"\bbacking from\b", others),
    ):
        for match in re.finditer(cue, text, _I):
            rest = text[match.end() :]
            stop = _INVESTOR_STOP.search(rest)
            chunk = rest[: stop.start()] if stop else rest
            for name in _split_names(chunk):
                if name not in leads and name not in target:
                    target.append(name)
    return leads, [name for name in others if name not in leads]


def _looks_like_name(words: str) -> bool:
    parts = words.split()
    return 0 < len(parts) <= 5 and all(
        p[:1].isupper() or p[:1].isdigit() or p.lower() in _NAME_JOINERS for p in parts
    )


def _after_description(subject: str) -> str:
    """ "European AI rising star Nexos AI" → "Nexos AI": the run of capitalised words after
    the last lower-case word of a description (not "Bank of America")."""
    words = subject.split()
    while len(words) > 1 and words[-1][:1].islower():  # "Darktrace intercepts $65M…"
        words.pop()
    subject = " ".join(words)
    lower = [i for i, w in enumerate(words) if w[:1].islower() and w.lower() not in _NAME_JOINERS]
    camel = lower == [0] and any(c.isupper() for c in words[0])  # "eBay Ventures"
    if not lower or lower[-1] == len(words) - 1 or camel:
        return subject
    tail = words[lower[-1] + 1 :]
    return " ".join(tail) if tail[0][:1].isupper() or tail[0][:1].isdigit() else subject


def _company(text: str, cue_at: int) -> str | None:
    subject = text[:cue_at].strip(" ,")
    subject = _CLAUSE.sub("", subject)
    other = _OTHER_VERBS.search(subject)
    if other:
        subject = subject[: other.start()].strip(" ,")
    if "," in subject:
        # "Orchard Robotics, founded by …, raises": the name first; else a clause comes
        # before the name ("A year after filing to IPO, still-private Cerebras raises")
        head = subject.split(",", 1)[0].strip()
        tail = subject.rsplit(",", 1)[1].strip(" '\"")
        named = _after_description(tail)
        if _looks_like_name(head) or not (named[:1].isupper() or named[:1].isdigit()):
            subject = head  # "YC alum Mendel, a 'Ramp for LatAm',": the description follows
        else:
            subject = tail
    appositive = _APPOSITIVE.search(subject)
    if appositive:
        subject = subject[: appositive.start()]
    # "Security startup Wallarm" → "Wallarm"; but a name may hold such a word itself
    # ("Service Partner One", "The Nuclear Company"): never the first word, never all of it
    descriptors = [
        d for d in _DESCRIPTORS.finditer(subject)
        if (subject[d.end() :].strip(" ,:'\"") or d.group(0).islower())
        and (d.start() > 0 or d.group(0).lower() not in _NAME_LIKE_DESCRIPTORS)
    ]  # fmt: skip
    if descriptors:
        subject = subject[descriptors[-1].end() :]
    subject = _ROLE.sub("", _TRAILING_ADVERB.sub("", subject)).strip(" ,:'\"")
    subject = _after_description(subject)
    subject = _OWNER.sub("", subject)  # "Sweden's DigiExam" → "DigiExam"
    subject = re.sub(r"'s$", "", subject)  # "Cashfree's $53M funding"
    if not _DESCRIPTORS.search(subject.split()[-1] if subject else ""):  # "The Nuclear Company"
        subject = re.sub(r"^(the|a|an|its|their)\s+", "", subject, flags=_I)
    # Names start with a capital or a digit ("6Sense"), or open the headline ("scoutbee raises")
    if not subject or not (
        subject[0].isupper() or subject[0].isdigit() or text.startswith(subject)
    ):
        return None
    if len(subject.split()) > 5:
        return None
    return subject


# a headline is a line; a feed may carry a megabyte in one: every pattern reads a bounded
# prefix, so no pattern's time grows with the input
MAX_TITLE = 400
MAX_SUMMARY = 2000


def extract_funding(title: str, summary: str = "") -> FundingRound:
    """The funding round a headline announces; raises NotFunding with a reason otherwise."""
    title, summary = title[: MAX_TITLE * 4], summary[: MAX_SUMMARY * 4]
    text = _clean(title)[:MAX_TITLE]
    if not text:
        raise NotFunding("empty", "no headline")
    verb = _RAISE_VERBS.search(text)
    for reason, pattern in _REJECTIONS:
        found_at = pattern.search(text)
        if found_at is None:
            continue
        if reason in _BESIDE_A_RAISE and _beside_a_raise(text, verb, found_at):
            continue  # "Raises $45M, Acquires MartJack"; "A year after filing to IPO, X raises"
        raise NotFunding(reason, text)
    noun = _FUNDING_NOUNS.search(text)
    amounts = [
        m for m in find_amounts(text) if not _is_market_size(text, m) and not _is_count(text, m)
    ]
    raised = [m for m in amounts if not _is_valuation(text, m)]
    valuation = next((m for m in amounts if _is_valuation(text, m)), None)
    round_name, extension = _round(text)
    investee = None if verb else _INVESTOR_FIRST.search(text)
    if not verb and not noun and not investee:
        raise NotFunding("not_funding", text)
    # a named investor, or a raise "at a $4B valuation", is a raise without an amount
    named_investor = bool(
        investee is not None
        or _FROM_INVESTOR.search(text)
        or (verb is not None and valuation is not None)
    )
    if not raised and round_name is None and not named_investor:
        raise NotFunding("no_amount_or_round", text)
    if not verb and not raised and not investee:
        raise NotFunding("trend_piece", text)
    if investee is not None:  # "NBCUniversal has invested $200M in BuzzFeed"
        name = investee.group("company") or investee.group("backed") or investee.group("to_back")
        company = _company(name + " raises", len(name))
    else:
        # the raise verb marks where the name ends ("Invoice financing marketplace Arex
        # picks up…"); without one, the first funding noun or amount does
        cue = (
            verb.start()
            if verb
            else min([m.start() for m in (noun,) if m] + [m.start for m in raised[:1]])
        )
        company = _company(text, cue)
        if company is not None and not verb and "," in text[:cue]:
            company = None  # "OpenAI, Thinking Machines Lab, and the chaos of a $2B seed round"
    named_last = _NAMED_LAST.search(text)
    if named_last is not None:  # the headline ends on the name: it wins
        company = named_last.group("name")
    if company is None:
        raise NotFunding("no_company", text)
    found = FundingRound(company=company, round=round_name, extension=extension)
    # the amount the raise verb names ("opens $99/month beta, raises $30M")
    after_verb = [m for m in raised if verb is not None and m.start > verb.start()]
    money = after_verb[0] if after_verb else (raised[0] if raised else None)
    if money is None and summary:
        about = _clean(summary)[:MAX_SUMMARY]
        money = next(
            (
                m
                for m in find_amounts(about)
                if not _is_valuation(about, m) and not _is_market_size(about, m)
            ),
            None,
        )
    if money is not None:
        found.amount, found.currency = money.amount, money.currency
        found.currency_stated, found.amount_usd = money.currency_stated, money.usd
    if valuation is not None:
        found.valuation_usd = valuation.usd
    found.lead_investors, found.investors = _investors(text)
    return found
