"""The contact policy, applied in one place after a rule matches. Each check has its
own skip reason; the first failing check is the decision's reason, and every check's
result is kept in the trace."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any, Protocol, TypeVar

from signalseq.policy.schema import PolicyFile
from signalseq.policy.suppression import contact_address


class History(Protocol):
    """What the policy needs to know about past enrollments and suppressions."""

    def active_sequences(self, contact_id: int) -> list[str]: ...
    def last_enrolled(self, contact_id: int, sequence_id: str) -> datetime | None: ...
    def last_touch(self, contact_id: int) -> datetime | None: ...
    def account_enrollments_since(self, account_id: int, since: datetime) -> int: ...
    def suppressed(self, email: str | None, domain: str | None) -> str | None: ...


T = TypeVar("T")


def _once(lookup: Callable[[], T]) -> Callable[[], T]:
    return cache(lookup)


def _as_is(lookup: Callable[[], T]) -> Callable[[], T]:
    return lookup


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
    explain: bool = True,
) -> GateResult:
    """Every check in order. With ``explain`` each check's result and detail is kept;
    without it, the first failing check ends the evaluation."""
    checks: list[dict[str, Any]] = []
    email, domain = contact_address(contact, account)
    country = contact.country or (account.country if account else None)
    status = policy.jurisdictions.countries.get(country or "", policy.jurisdictions.default)
    needs_review = status == "needs_review"
    # Each history lookup runs at most once. Explaining calls a lookup again for its detail,
    # so it is memoized then; without explaining each check calls it once and stops early.
    memo = _once if explain else _as_is
    suppression = memo(lambda: history.suppressed(email, domain))
    last_enrolled = memo(lambda: history.last_enrolled(contact.id, sequence_id))
    last_touch = memo(lambda: history.last_touch(contact.id))
    active = memo(lambda: history.active_sequences(contact.id))
    recent_count = memo(
        lambda: history.account_enrollments_since(account.id, as_of - timedelta(days=30))
    )

    def clash() -> list[str]:
        if policy.exclusivity == "one_active":
            return active()
        if policy.exclusivity == "one_per_sequence":
            return [s for s in active() if s == sequence_id]
        return []

    cooldown = policy.cooldowns.get(sequence_id, policy.cooldown_days)
    limit = policy.max_new_enrollments_per_account_30d
    # (name, passes?, detail) — details are only built when explaining
    plan: list[tuple[str, Callable[[], bool], Callable[[], str]]] = [
        (
            "suppressed",
            lambda: (
                not (
                    (email in policy.suppression.addresses if email else False)
                    or suppression() == "address"
                )
            ),
            lambda: (
                "on the suppression list"
                if email in policy.suppression.addresses
                else (f"suppressed: {suppression()}" if suppression() else "not suppressed")
            ),
        ),
        (
            "suppressed_domain",
            lambda: (
                not (
                    bool(domain and domain in policy.suppression.domains)
                    or suppression() == "domain"
                )
            ),
            lambda: f"domain {domain} suppressed",
        ),
        (
            "no_channel",
            lambda: (
                bool(contact.email or contact.phone or contact.linkedin_url)
                or not policy.require_channel
            ),
            lambda: (
                "has e-mail, phone or LinkedIn"
                if (contact.email or contact.phone or contact.linkedin_url)
                else "no e-mail, phone or LinkedIn"
            ),
        ),
        (
            "customer",
            lambda: not (bool(account and account.is_customer) and policy.exclude.customers),
            lambda: (
                "account is a customer" if account and account.is_customer else "not a customer"
            ),
        ),
        (
            "open_opportunity",
            lambda: (
                not (
                    bool(account and account.has_open_opportunity)
                    and policy.exclude.open_opportunities
                )
            ),
            lambda: (
                "account has an open opportunity"
                if account and account.has_open_opportunity
                else "no open opportunity"
            ),
        ),
        (
            "jurisdiction_blocked",
            lambda: status != "blocked",
            lambda: f"{country or 'unknown country'}: {status}",
        ),
        (
            "already_enrolled",
            lambda: not clash(),
            lambda: f"active in {', '.join(clash())}" if clash() else "no active enrollment",
        ),
        (
            "cooldown",
            lambda: (last := last_enrolled()) is None or as_of - last >= timedelta(days=cooldown),
            lambda: (
                f"enrolled in {sequence_id} on {last_enrolled():%Y-%m-%d}, cooldown {cooldown} days"
                if last_enrolled()
                else "never enrolled"
            ),
        ),
        (
            "recent_touch",
            lambda: (
                (touched := last_touch()) is None
                or as_of - touched >= timedelta(days=policy.min_days_since_last_touch)
            ),
            lambda: f"last touched {last_touch():%Y-%m-%d}" if last_touch() else "never touched",
        ),
    ]
    if account is not None:
        plan.append(
            (
                "account_cap",
                lambda: recent_count() < limit,
                lambda: f"{recent_count()} new enrollments at the account in 30 days (max {limit})",
            )
        )
    failed: str | None = None
    for name, passes, detail in plan:
        passed = passes()
        if explain:
            checks.append({"check": name, "passed": passed, "detail": detail()})
        if not passed and failed is None:
            failed = name
            if not explain:
                break
    return GateResult(failed, needs_review, checks)
