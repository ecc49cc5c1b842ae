"""The contact policy, applied in one place after a rule matches. Each check has its
own skip reason; the first failing check is the decision's reason, and every check's
result is kept in the trace."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from signalseq.normalize.domains import normalize_domain
from signalseq.policy.schema import PolicyFile


class History(Protocol):
    """What the policy needs to know about past enrollments and suppressions."""

    def active_sequences(self, contact_id: int) -> list[str]: ...
    def last_enrolled(self, contact_id: int, sequence_id: str) -> datetime | None: ...
    def last_touch(self, contact_id: int) -> datetime | None: ...
    def account_enrollments_since(self, account_id: int, since: datetime) -> int: ...
    def suppressed(self, email: str | None, domain: str | None) -> str | None: ...


@dataclass
class GateResult:
    reason: str | None
    needs_review: bool
    checks: list[dict[str, Any]]


def apply_policy(
    policy: PolicyFile,
    history: History,
    *,
    contact: Any,
    account: Any,
    sequence_id: str,
    as_of: datetime,
) -> GateResult:
    checks: list[dict[str, Any]] = []

    def check(name: str, passed: bool, detail: str) -> None:
        checks.append({"check": name, "passed": passed, "detail": detail})

    email = (contact.email or "").lower() or None
    domain = normalize_domain(email) if email else (account.domain if account else None)
    listed = email in policy.suppression.addresses if email else False
    recorded = history.suppressed(email, domain)
    check(
        "suppressed",
        not (listed or recorded == "address"),
        "on the suppression list"
        if listed
        else (f"suppressed: {recorded}" if recorded else "not suppressed"),
    )
    domain_listed = bool(domain and domain in policy.suppression.domains) or recorded == "domain"
    check(
        "suppressed_domain",
        not domain_listed,
        f"domain {domain} suppressed" if domain_listed else "domain ok",
    )
    has_channel = bool(contact.email or contact.phone or contact.linkedin_url)
    check(
        "no_channel",
        has_channel or not policy.require_channel,
        "has e-mail, phone or LinkedIn" if has_channel else "no e-mail, phone or LinkedIn",
    )
    is_customer = bool(account and account.is_customer)
    check(
        "customer",
        not (is_customer and policy.exclude.customers),
        "account is a customer" if is_customer else "not a customer",
    )
    has_opportunity = bool(account and account.has_open_opportunity)
    check(
        "open_opportunity",
        not (has_opportunity and policy.exclude.open_opportunities),
        "account has an open opportunity" if has_opportunity else "no open opportunity",
    )
    country = contact.country or (account.country if account else None)
    status = policy.jurisdictions.countries.get(country or "", policy.jurisdictions.default)
    check("jurisdiction_blocked", status != "blocked", f"{country or 'unknown country'}: {status}")
    active = history.active_sequences(contact.id)
    clash = (
        active
        if policy.exclusivity == "one_active"
        else [s for s in active if s == sequence_id]
        if policy.exclusivity == "one_per_sequence"
        else []
    )
    check(
        "already_enrolled",
        not clash,
        f"active in {', '.join(clash)}" if clash else "no active enrollment",
    )
    cooldown = policy.cooldowns.get(sequence_id, policy.cooldown_days)
    last = history.last_enrolled(contact.id, sequence_id)
    in_cooldown = last is not None and as_of - last < timedelta(days=cooldown)
    check(
        "cooldown",
        not in_cooldown,
        f"enrolled in {sequence_id} on {last:%Y-%m-%d}, cooldown {cooldown} days"
        if last
        else "never enrolled",
    )
    touched = history.last_touch(contact.id)
    too_recent = touched is not None and as_of - touched < timedelta(
        days=policy.min_days_since_last_touch
    )
    check(
        "recent_touch",
        not too_recent,
        f"last touched {touched:%Y-%m-%d}" if touched else "never touched",
    )
    if account is not None:
        count = history.account_enrollments_since(account.id, as_of - timedelta(days=30))
        limit = policy.max_new_enrollments_per_account_30d
        check(
            "account_cap",
            count < limit,
            f"{count} new enrollments at the account in 30 days (max {limit})",
        )
    failed = next((c["check"] for c in checks if not c["passed"]), None)
    return GateResult(failed, status == "needs_review", checks)
