"""Who must not be contacted: the static lists in ``rules/policy.yaml`` and what was
recorded at run time (unsubscribes, bounces, complaints)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from signalseq.normalize.domains import normalize_domain
from signalseq.policy.models import SuppressionEntry
from signalseq.policy.schema import PolicyFile


def contact_address(contact: Any, account: Any) -> tuple[str | None, str | None]:
    """The contact's e-mail (lower case) and the domain suppressions are checked against."""
    email = (contact.email or "").lower() or None
    domain = normalize_domain(email) if email else (account.domain if account else None)
    return email, domain


def recorded(session: Session, email: str | None, domain: str | None) -> str | None:
    """``address`` or ``domain`` when recorded at run time; one indexed lookup."""
    wanted = [
        and_(SuppressionEntry.kind == kind, SuppressionEntry.value == value)
        for kind, value in (("address", email), ("domain", domain))
        if value
    ]
    if not wanted:
        return None
    kinds = set(session.scalars(select(SuppressionEntry.kind).where(or_(*wanted))))
    return "address" if "address" in kinds else ("domain" if kinds else None)


def check(
    session: Session, policy: PolicyFile, email: str | None, domain: str | None
) -> str | None:
    """Why this address must not be contacted, or None."""
    if email and email in policy.suppression.addresses:
        return "address on the policy list"
    if domain and domain in policy.suppression.domains:
        return "domain on the policy list"
    found = recorded(session, email, domain)
    return f"{found} recorded" if found else None


def add(session: Session, kind: str, value: str, reason: str, at: datetime) -> None:
    """Record a suppression once (a second unsubscribe changes nothing)."""
    exists = session.scalar(
        select(SuppressionEntry.id).where(
            SuppressionEntry.kind == kind, SuppressionEntry.value == value
        )
    )
    if exists is None:
        session.add(SuppressionEntry(kind=kind, value=value, reason=reason, created_at=at))
