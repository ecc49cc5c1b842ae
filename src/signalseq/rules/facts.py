"""The facts a rule can test, their types, and how they are built for one evaluation.

Names are ``signal.*``, ``account.*`` (including the as-of aggregates) and
``contact.*``. ``account.attributes.X`` / ``contact.attributes.X`` reach imported
columns nobody else claimed. A fact whose value is unknown is *missing*: every
condition on it is false except ``missing``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any, Literal

from signalseq.signals.aggregates import AGGREGATE_FACTS

FactType = Literal["number", "text", "bool", "list"]

SIGNAL_FACTS: dict[str, FactType] = {
    "signal.kind": "text",
    "signal.subtype": "text",
    "signal.source": "text",
    "signal.confidence": "number",
    "signal.match_status": "text",
    "signal.account_match_score": "number",
    # funding
    "signal.round": "text",
    "signal.amount_usd": "number",
    "signal.valuation_usd": "number",
    "signal.currency": "text",
    "signal.lead_investors": "list",
    "signal.investors": "list",
    "signal.round_extension": "bool",
    # job changes
    "signal.change_type": "text",
    "signal.new_title": "text",
    "signal.new_seniority": "text",
    "signal.new_department": "text",
    "signal.previous_title": "text",
    "signal.previous_seniority": "text",
    "signal.previous_company": "text",
    # website visits
    "signal.page_category": "text",
    "signal.path": "text",
    "signal.page_title": "text",
    "signal.intent": "bool",
}
ACCOUNT_FACTS: dict[str, FactType] = {
    "account.domain": "text",
    "account.name": "text",
    "account.tier": "number",
    "account.industry": "text",
    "account.employees": "number",
    "account.country": "text",
    "account.is_customer": "bool",
    "account.has_open_opportunity": "bool",
    "account.source": "text",
    **{f"account.{name}": "number" for name in AGGREGATE_FACTS},
}
CONTACT_FACTS: dict[str, FactType] = {
    "contact.email": "text",
    "contact.title": "text",
    "contact.seniority": "text",
    "contact.department": "text",
    "contact.country": "text",
    "contact.has_email": "bool",
    "contact.has_phone": "bool",
    "contact.has_linkedin": "bool",
    "contact.is_signal_person": "bool",
    # the address at the current employer: where it came from and how sure we are
    "contact.email_source": "text",
    "contact.email_confidence": "number",
    # the person's latest past employment (champion tracking)
    "contact.previous_title": "text",
    "contact.previous_company": "text",
    "contact.previous_account_customer": "bool",
    "contact.previous_account_tier": "number",
}
FACTS: dict[str, FactType] = {**SIGNAL_FACTS, **ACCOUNT_FACTS, **CONTACT_FACTS}
ATTRIBUTE_PREFIXES = ("account.attributes.", "contact.attributes.")


def fact_type(name: str) -> FactType | None:
    if name in FACTS:
        return FACTS[name]
    if name.startswith(ATTRIBUTE_PREFIXES) and len(name.split(".")) == 3:
        return "text"
    return None


@lru_cache(maxsize=4096)
def engine_key(name: str) -> str:
    """``account.tier`` → ``account__tier`` (durable_rules does not take dotted names)."""
    return name.replace(".", "__")


def _attr(name: str) -> Callable[[Any, dict[str, Any]], Any]:
    return lambda _signal, attrs: attrs.get(name)


def _role(role: str, name: str) -> Callable[[Any, dict[str, Any]], Any]:
    return lambda _signal, attrs: (attrs.get(role) or {}).get(name)


def _visit(name: str, derived: Callable[[Any], Any]) -> Callable[[Any, dict[str, Any]], Any]:
    """A visit fact stored in attributes, or derived from the subtype when absent."""

    def get(signal: Any, attrs: dict[str, Any]) -> Any:
        if name in attrs:
            return attrs[name]
        return derived(signal) if signal.kind == "website_visit" else None

    return get


# Facts read straight from the signal's columns: no attributes needed.
_COLUMN_GETTERS: dict[str, Callable[[Any], Any]] = {
    "signal.kind": lambda s: s.kind,
    "signal.subtype": lambda s: s.subtype,
    "signal.source": lambda s: s.source,
    "signal.confidence": lambda s: s.confidence,
    "signal.match_status": lambda s: s.match_status,
    "signal.account_match_score": lambda s: s.account_match_score,
}
# Facts read from the kind-specific attributes (a visit's category and intent fall back
# to the subtype, so visits rarely need their attributes decoded).
_ATTRIBUTE_GETTERS: dict[str, Callable[[Any, dict[str, Any]], Any]] = {
    "signal.round": _attr("round"),
    "signal.amount_usd": _attr("amount_usd"),
    "signal.valuation_usd": _attr("valuation_usd"),
    "signal.currency": _attr("currency"),
    "signal.lead_investors": _attr("lead_investors"),
    "signal.investors": _attr("investors"),
    "signal.round_extension": _attr("round_extension"),
    "signal.change_type": _attr("change_type"),
    "signal.new_title": _role("current", "title"),
    "signal.new_seniority": _role("current", "seniority"),
    "signal.new_department": _role("current", "department"),
    "signal.previous_title": _role("previous", "title"),
    "signal.previous_seniority": _role("previous", "seniority"),
    "signal.previous_company": _role("previous", "company_name"),
    "signal.page_category": _visit("page_category", lambda s: s.subtype),
    "signal.path": _attr("path"),
    "signal.page_title": _attr("page_title"),
    "signal.intent": _visit("intent", lambda s: s.subtype != "careers"),
}
_SUBTYPE_DERIVED = {"signal.page_category", "signal.intent"}


def needs_attributes(kind: str, names: frozenset[str] | None) -> bool:
    """Whether building these facts for a signal of this kind reads its attributes."""
    wanted = set(_ATTRIBUTE_GETTERS) if names is None else names & set(_ATTRIBUTE_GETTERS)
    if kind == "website_visit":
        wanted -= _SUBTYPE_DERIVED
    return bool(wanted)


class SignalFacts:
    """Builds a signal's facts: all of them, or only ``names`` (those rules refer to).
    The getters are chosen once, so building per signal is a few lookups."""

    def __init__(self, names: frozenset[str] | None = None):
        self.names = names
        self.columns = [(n, g) for n, g in _COLUMN_GETTERS.items() if names is None or n in names]
        self.derived = [
            (n, g) for n, g in _ATTRIBUTE_GETTERS.items() if names is None or n in names
        ]

    def __call__(self, signal: Any) -> dict[str, Any]:
        facts = {name: get(signal) for name, get in self.columns}
        if self.derived:
            attrs = signal.attributes or {}
            for name, get in self.derived:
                facts[name] = get(signal, attrs)
        return facts


_ALL_SIGNAL_FACTS = SignalFacts()


def signal_facts(signal: Any) -> dict[str, Any]:
    """Every fact of a signal."""
    return _ALL_SIGNAL_FACTS(signal)


def account_facts(account: Any, aggregates: dict[str, Any]) -> dict[str, Any]:
    if account is None:
        return {}
    facts: dict[str, Any] = {
        "account.domain": account.domain,
        "account.name": account.name,
        "account.tier": account.tier,
        "account.industry": account.industry,
        "account.employees": account.employees,
        "account.country": account.country,
        "account.is_customer": account.is_customer,
        "account.has_open_opportunity": account.has_open_opportunity,
        "account.source": account.source,
        **{f"account.{name}": value for name, value in aggregates.items()},
    }
    for key, value in (account.attributes or {}).items():
        facts[f"account.attributes.{key}"] = value
    return facts


def contact_facts(
    contact: Any, signal_contact_id: int | None, previous: Any = None
) -> dict[str, Any]:
    """``previous``: the latest past employment (``people.moves.PreviousJob``), if any."""
    if contact is None:
        return {}
    facts: dict[str, Any] = {
        "contact.email": contact.email,
        "contact.title": contact.title,
        "contact.seniority": contact.seniority,
        "contact.department": contact.department,
        "contact.country": contact.country
        or (contact.account.country if contact.account else None),
        "contact.has_email": bool(contact.email),
        "contact.has_phone": bool(contact.phone),
        "contact.has_linkedin": bool(contact.linkedin_url),
        "contact.is_signal_person": signal_contact_id is not None
        and contact.id == signal_contact_id,
        "contact.email_source": contact.email_source if contact.email else None,
        "contact.email_confidence": contact.email_confidence if contact.email else None,
        "contact.previous_title": previous.title if previous else None,
        "contact.previous_company": previous.company if previous else None,
        "contact.previous_account_customer": previous.account_customer if previous else None,
        "contact.previous_account_tier": previous.account_tier if previous else None,
    }
    for key, value in (contact.attributes or {}).items():
        facts[f"contact.attributes.{key}"] = value
    return facts
