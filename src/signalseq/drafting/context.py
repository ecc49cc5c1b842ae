"""The research context of one touch, built from stored data only.

Text that came from outside — feed headlines, page titles, job titles, investor names —
is kept as :class:`Untrusted`; the prompt sees it fenced in ``<data>`` tags and labelled,
so an instruction hidden in a headline is read as a fact about the prospect, not obeyed.
The same context holds the facts a draft is grounded in (``grounding.facts_of``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from signalseq.crm.models import Account, Contact
from signalseq.drafting.grounding import claims_made
from signalseq.drafting.hygiene import SIGN_OFF
from signalseq.drafting.prompts import PromptFile
from signalseq.drafting.sender import SenderProfile
from signalseq.enrollments.models import Touch
from signalseq.normalize.companies import display_company_name
from signalseq.people.models import Employment
from signalseq.signals.models import Signal

VISIT_LOOKBACK = timedelta(days=14)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "INR": "₹", "JPY": "¥"}
_ROUND_LABELS = {"pre_seed": "pre-seed round", "seed": "seed round"}


class Untrusted(str):
    """Outside text; ``source`` says where it came from."""

    source: str

    def __new__(cls, value: str, source: str) -> Untrusted:
        text = _CONTROL.sub("", value)
        text = " ".join(text.replace("<", "‹").replace(">", "›").split())[:300]
        obj = super().__new__(cls, text)
        obj.source = source
        return obj


def untrusted(value: object, source: str) -> Untrusted | None:
    return Untrusted(str(value), source) if value not in (None, "") else None


def fence(value: Untrusted) -> str:
    return f'<data source="{value.source}">{value}</data>'


def money(amount: object, currency: str | None) -> str | None:
    """``12000000, USD`` → ``$12M``; ``2500000, EUR`` → ``€2.5M``."""
    try:
        value = Decimal(str(amount))
    except (InvalidOperation, ValueError):
        return None
    number, suffix = f"{value:.0f}", ""
    for size, unit in ((Decimal(10) ** 9, "B"), (Decimal(10) ** 6, "M"), (Decimal(1000), "K")):
        if value >= size:
            number, suffix = f"{value / size:.1f}".removesuffix(".0"), unit
            break
    code = (currency or "USD").upper()
    symbol = _SYMBOLS.get(code)
    return f"{symbol}{number}{suffix}" if symbol else f"{code} {number}{suffix}"


def round_label(code: str | None) -> str | None:
    if not code:
        return None
    if code in _ROUND_LABELS:
        return _ROUND_LABELS[code]
    if code.startswith("series_"):
        return f"Series {code.removeprefix('series_').upper()}"
    return f"{code.replace('_', ' ')} round"


def _role(side: Any, prefix: str) -> dict[str, Any]:
    side = side if isinstance(side, dict) else {}
    return {
        f"{prefix}_title": untrusted(side.get("title"), "job title"),
        f"{prefix}_company": untrusted(side.get("company_name"), "company name"),
    }


# Every key is always present (None or empty when it does not apply), so a template can
# test any fact of any signal kind without tripping StrictUndefined.
EMPTY_SIGNAL: dict[str, Any] = {
    "kind": None,
    "occurred_on": None,
    "days_ago": None,
    "company": None,
    "headline": None,
    "url": None,
    "round": None,
    "amount": None,
    "amount_usd": None,
    "lead_investors": [],
    "investors": [],
    "change_type": None,
    "new_title": None,
    "new_company": None,
    "previous_title": None,
    "previous_company": None,
    "pages": [],
    "page_count": 0,
    "categories": [],
    "top_category": None,
    "first_visit": None,
    "last_visit": None,
    "summary": "no signal",
}


def signal_facts(signal: Signal | None, visits: list[Signal], now: datetime) -> dict[str, Any]:
    if signal is None:
        return dict(EMPTY_SIGNAL)
    facts: dict[str, Any] = EMPTY_SIGNAL | {
        "kind": signal.kind,
        "occurred_on": signal.occurred_at.date().isoformat(),
        "days_ago": max((now - signal.occurred_at).days, 0),
        "company": untrusted(signal.company_name, "company name"),
    }
    a = signal.attributes or {}
    if signal.kind == "funding":
        facts |= {
            "headline": untrusted(a.get("headline"), "news headline"),
            "url": a.get("url"),
            "round": round_label(a.get("round")),
            "amount": money(a["amount"], a.get("currency")) if a.get("amount") else None,
            "amount_usd": money(a["amount_usd"], "USD") if a.get("amount_usd") else None,
            "lead_investors": [
                untrusted(i, "investor name") for i in a.get("lead_investors") or []
            ],
            "investors": [untrusted(i, "investor name") for i in a.get("investors") or []],
        }
    elif signal.kind == "job_change":
        facts |= {"change_type": a.get("change_type")}
        facts |= _role(a.get("current"), "new") | _role(a.get("previous"), "previous")
    elif signal.kind == "website_visit":
        pages = [
            {
                "path": untrusted(v.attributes.get("path"), "page address"),
                "title": untrusted(v.attributes.get("page_title"), "page title"),
                "category": v.attributes.get("page_category"),
                "visited_on": v.occurred_at.date().isoformat(),
            }
            for v in sorted(visits or [signal], key=lambda v: v.occurred_at)
        ]
        categories = [p["category"] for p in pages if p["category"] not in (None, "careers")]
        facts |= {
            "pages": pages,
            "page_count": len(pages),
            "categories": sorted(set(categories)),
            "top_category": max(set(categories), key=categories.count) if categories else None,
            "first_visit": pages[0]["visited_on"],
            "last_visit": pages[-1]["visited_on"],
        }
    return facts


def _summary(facts: dict[str, Any], company: str, person: str) -> str:
    """The signal in our own words, from trusted values only."""
    if facts["kind"] == "funding":
        what = " ".join(str(x) for x in (facts.get("amount"), facts.get("round")) if x)
        return f"{company} raised {what or 'new funding'} ({facts['occurred_on']})"
    if facts["kind"] == "job_change":
        return f"{person} started a new role ({facts['occurred_on']})"
    if facts["kind"] == "website_visit":
        topics = ", ".join(facts.get("categories") or []) or "the product"
        return (
            f"people at {company} read about {topics} on our website "
            f"({facts['first_visit']} to {facts['last_visit']})"
        )
    return "no signal"


@dataclass(frozen=True)
class PreviousTouch:
    step_id: str
    channel: str
    purpose: str
    subject: str | None
    body: str
    sent_at: datetime | None


_GREETING = re.compile(r"^\s*(?:hi|hello|hey|dear)\b[^,.!:\n]{0,60}[,.!:]?\s*", re.IGNORECASE)
_SCRIPT_LINE = re.compile(r"^\s*(opener|why now|value|proof|question|ask|voicemail)\s*:\s*", re.I)
SUMMARY_CHARS = 400


def summary(body: str, channel: str = "email", limit: int | None = SUMMARY_CHARS) -> str:
    """What an earlier touch said and offered, in its own words: the greeting,
    sign-off and signature left out; of a call script, what was said (the value, the
    proof, the question and the ask), not the lines that introduce the caller."""
    lines = [line.strip() for line in body.splitlines() if line.strip()]
    if channel == "call":
        kept = []
        for line in lines:
            label = _SCRIPT_LINE.match(line)
            if label and label.group(1).lower() not in ("opener", "voicemail"):
                kept.append(line[label.end() :])
        lines = kept
    else:
        for index, line in enumerate(lines):
            if SIGN_OFF.match(line):  # "Best," alone, not "Thanks for connecting…"
                lines = lines[:index]  # the sign-off and the signature under it
                break
        if lines:
            lines[0] = _GREETING.sub("", lines[0], count=1)
    text = " ".join(line for line in lines if line)
    if limit is None or len(text) <= limit:
        return text
    cut = text[:limit]
    end = max(cut.rfind(". "), cut.rfind("? "), cut.rfind("! "))
    return cut[: end + 1] if end > 0 else cut.rsplit(" ", 1)[0] + "…"


@dataclass(frozen=True)
class ResearchContext:
    data: dict[str, Any]

    def prompt_variables(self) -> dict[str, Any]:
        """The data with outside text fenced and labelled."""
        variables: dict[str, Any] = _walk(
            self.data, lambda v: fence(v) if isinstance(v, Untrusted) else v
        )
        return variables

    def plain(self) -> dict[str, Any]:
        """JSON-ready, unfenced (stored with the draft, shown to reviewers)."""
        plain: dict[str, Any] = _walk(
            self.data, lambda v: str(v) if isinstance(v, Untrusted) else v
        )
        return plain


def _walk(value: Any, leaf: Callable[[Any], Any]) -> Any:
    if isinstance(value, dict):
        return {k: _walk(v, leaf) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, leaf) for v in value]
    return leaf(value)


def assemble(
    *,
    touch: Touch,
    contact: Contact,
    account: Account | None,
    signal: Signal | None,
    visits: list[Signal],
    previous: list[PreviousTouch],
    sender: SenderProfile,
    prompt: PromptFile,
    now: datetime,
    previous_job: Employment | None = None,
) -> ResearchContext:
    """``previous_job``: the person's latest past employment (a mover's old role)."""
    first_name = contact.first_name or (contact.full_name or "").split(" ")[0] or None
    title, previous_title, previous_company = contact.title, None, None
    if previous_job is not None:
        previous_title, previous_company = previous_job.title, previous_job.company_name
    if signal is not None and signal.kind == "job_change":  # the move is newer than the CRM
        moved = signal.attributes or {}
        current, before = (
            side if isinstance(side := moved.get(key), dict) else {}
            for key in ("current", "previous")
        )
        title = current.get("title") or title
        previous_title = before.get("title") or previous_title
        previous_company = before.get("company_name") or previous_company
    last_email = next((p for p in reversed(previous) if p.channel == "email" and p.subject), None)
    threaded = touch.thread == "continue" and last_email is not None
    facts = signal_facts(signal, visits, now)
    sender_data = sender.as_context()
    company = display_company_name(account.name) if account else "their company"
    facts["summary"] = _summary(facts, company, contact.full_name)
    data = {
        "signal": facts,
        # CRM text is outside text too: fenced like headlines and titles
        "account": {
            "name": untrusted(company, "company name") if account else None,
            "legal_name": untrusted(account.name, "company name") if account else None,
            "domain": untrusted(account.domain, "domain") if account else None,
            "industry": untrusted(account.industry, "industry") if account else None,
            "employees": account.employees if account else None,
            "tier": account.tier if account else None,
            "country": account.country if account else None,
        },
        "contact": {
            "id": contact.id,
            "first_name": untrusted(first_name, "contact name"),
            "full_name": untrusted(contact.full_name, "contact name"),
            "title": untrusted(title, "job title"),
            "seniority": contact.seniority,
            "department": contact.department,
            "country": contact.country,
            "language": sender.language_for(contact.country, contact.attributes or {}),
            "previous_title": untrusted(previous_title, "job title"),
            "previous_company": untrusted(previous_company, "company name"),
        },
        "sender": sender_data,
        # our claims this person has already been sent: not to be made again
        "already_claimed": claims_made([p.body for p in previous], sender_data),
        "previous_touches": [
            {
                "step": p.step_id,
                "channel": p.channel,
                "purpose": p.purpose,
                "subject": p.subject,
                "summary": summary(p.body, p.channel),
                "sent_on": p.sent_at.date().isoformat() if p.sent_at else None,
            }
            for p in previous
        ],
        "step": {
            "id": touch.step_id,
            "branch": touch.branch,
            "channel": touch.channel,
            "purpose": touch.purpose,
            "number": touch.step_index + 1,
        },
        "limits": {
            "words_min": prompt.words.min,
            "words_max": prompt.words.max,
            "max_chars": prompt.max_chars,
            "subject_max_chars": prompt.subject_max_chars,
            "cta": prompt.cta,
        },
        "thread": {
            "continue": threaded,
            "subject": last_email.subject if threaded and last_email else None,
        },
    }
    return ResearchContext(data)
