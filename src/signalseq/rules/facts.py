"""The facts a rule can test, their types, and how they are built for one evaluation.

Names are ``signal.*``, ``account.*`` (including the as-of aggregates) and
``contact.*``. ``account.attributes.X`` / ``contact.attributes.X`` reach imported
columns nobody else claimed. A fact whose value is unknown is *missing*: every
condition on it is false except ``missing``.
"""

from __future__ import annotations

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
}
FACTS: dict[str, FactType] = {**SIGNAL_FACTS, **ACCOUNT_FACTS, **CONTACT_FACTS}
ATTRIBUTE_PREFIXES = ("account.attributes.", "contact.attributes.")


def fact_type(name: str) -> FactType | None:
    if name in FACTS:
        return FACTS[name]
    if name.startswith(ATTRIBUTE_PREFIXES) and len(name.split(".")) == 3:
        return "text"
    return None


def engine_key(name: str) -> str:
    """``account.tier`` → ``account__tier`` (durable_rules does not take dotted names)."""
    return name.replace(".", "__")


def signal_facts(signal: Any) -> dict[str, Any]:
    """From a stored ``Signal``: the kind-specific attributes under stable names."""
    attrs = signal.attributes or {}
    current = attrs.get("current") or {}
    previous = attrs.get("previous") or {}
    facts: dict[str, Any] = {
        "signal.kind": signal.kind,
        "signal.subtype": signal.subtype,
        "signal.source": signal.source,
        "signal.confidence": signal.confidence,
        "signal.match_status": signal.match_status,
        "signal.account_match_score": signal.account_match_score,
        "signal.round": attrs.get("round"),
        "signal.amount_usd": attrs.get("amount_usd"),
        "signal.valuation_usd": attrs.get("valuation_usd"),
        "signal.currency": attrs.get("currency"),
        "signal.lead_investors": attrs.get("lead_investors"),
        "signal.investors": attrs.get("investors"),
        "signal.round_extension": attrs.get("round_extension"),
        "signal.change_type": attrs.get("change_type"),
        "signal.new_title": current.get("title"),
        "signal.new_seniority": current.get("seniority"),
        "signal.new_department": current.get("department"),
        "signal.previous_title": previous.get("title"),
        "signal.previous_seniority": previous.get("seniority"),
        "signal.previous_company": previous.get("company_name"),
        "signal.page_category": attrs.get("page_category"),
        "signal.path": attrs.get("path"),
        "signal.page_title": attrs.get("page_title"),
        "signal.intent": attrs.get("intent"),
    }
    return facts


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


def contact_facts(contact: Any, signal_contact_id: int | None) -> dict[str, Any]:
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
    }
    for key, value in (contact.attributes or {}).items():
        facts[f"contact.attributes.{key}"] = value
    return facts
