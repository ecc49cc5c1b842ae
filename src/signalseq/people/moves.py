"""A job-change signal applied to the person it names, before its rules are decided.

``new_company`` ends the current employment (its address retired with it) and starts
one at the new account with an address a finder has reason to believe, or none;
``promotion`` and ``title_change`` retitle the current one; ``departure`` ends it. A
person who left an account leaves its running enrollments (exit ``left_company``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from signalseq.crm.models import Account, Contact
from signalseq.enrollments import lifecycle
from signalseq.enrollments.models import Enrollment
from signalseq.normalize.domains import normalize_domain
from signalseq.people import employments
from signalseq.people.finder import EmailFinder, FindResult
from signalseq.people.models import Employment
from signalseq.signals.models import Signal

LEFT_COMPANY = "left_company"


@dataclass
class Move:
    change: str
    contact_id: int
    before: str  # "Sales Director at Quill Systems GmbH"
    after: str
    address: FindResult | None = None
    left_enrollments: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        found = self.address.address if self.address else None
        return {
            "change": self.change,
            "before": self.before,
            "after": self.after,
            "address": found.email if found else None,
            "address_source": found.source if found else None,
            "address_confidence": found.confidence if found else None,
            "address_detail": found.detail if found else None,
            "address_missing": self.address.summary if self.address and not found else None,
            "left_enrollments": self.left_enrollments,
        }


def _role_text(title: str | None, company: str | None) -> str:
    return " at ".join(p for p in (title or "(no title)", company) if p)


def _started(role: dict[str, Any], fallback: datetime) -> date:
    text = role.get("started_on")
    if isinstance(text, str):
        try:
            return date.fromisoformat(text[:10])
        except ValueError:
            pass
    return fallback.date()


def apply_job_change(
    session: Session, signal: Signal, contact: Contact, finder: EmailFinder, now: datetime
) -> Move | None:
    attributes = signal.attributes or {}
    change = attributes.get("change_type")
    previous = attributes.get("previous") or {}
    current = attributes.get("current") or {}
    if not isinstance(previous, dict) or not isinstance(current, dict):
        return None
    was = employments.current(session, contact.id)
    old_account = session.get(Account, contact.account_id) if contact.account_id else None
    before = _role_text(contact.title, old_account.name if old_account else (
        was.company_name if was else previous.get("company_name")))  # fmt: skip
    if change in ("promotion", "title_change"):
        employments.retitle(
            session,
            contact,
            current.get("title"),
            current.get("seniority") or contact.seniority,
            current.get("department") or contact.department,
        )
        return Move(change, contact.id, before, _role_text(contact.title, old_account.name
                    if old_account else None))  # fmt: skip
    if change == "departure":
        move = Move(change, contact.id, before, "left; no current employer known")
        move.left_enrollments = _leave(session, contact, None, signal, now)
        employments.end_current(
            session, contact, _started(current or previous, signal.occurred_at), signal.id
        )
        contact.account_id = None
        return move
    if change != "new_company":
        return None
    account = session.get(Account, signal.account_id) if signal.account_id else None
    domain = (account.domain if account else None) or normalize_domain(
        current.get("company_domain")
    )
    company = account.name if account else current.get("company_name")
    move = Move(change, contact.id, before, _role_text(current.get("title"), company))
    move.left_enrollments = _leave(session, contact, account, signal, now)
    held = contact.email  # a CRM address at the new domain may already be on the row
    employments.end_current(session, contact, _started(current, signal.occurred_at), signal.id)
    contact.email = held
    employments.start(
        session,
        contact,
        account=account,
        company_name=current.get("company_name"),
        company_domain=domain,
        title=current.get("title"),
        seniority=current.get("seniority") or "individual",
        department=current.get("department") or "other",
        started_on=_started(current, signal.occurred_at),
        signal_id=signal.id,
        now=now,
    )
    session.flush()
    move.address = finder.find(session, contact, domain, current.get("email"))
    employments.use_address(session, contact, move.address.address)
    return move


def _leave(
    session: Session, contact: Contact, new_account: Account | None, signal: Signal, now: datetime
) -> list[int]:
    """Exit the running enrollments that were about the job the person left."""
    running = session.scalars(
        select(Enrollment).where(
            Enrollment.contact_id == contact.id, Enrollment.state.in_(("active", "paused"))
        )
    ).all()
    left = []
    for enrollment in running:
        if new_account is not None and enrollment.account_id == new_account.id:
            continue
        cause = f"left the company (job change, signal #{signal.id})"
        lifecycle.exit_enrollment(session, enrollment, LEFT_COMPANY, now, cause)
        left.append(enrollment.id)
    return left


@dataclass(frozen=True)
class PreviousJob:
    title: str | None
    company: str | None
    account_tier: int | None
    account_customer: bool | None


def previous_jobs(session: Session, contact_ids: list[int]) -> dict[int, PreviousJob]:
    """Each contact's latest past employment, with its account's tier and customer flag."""
    if not contact_ids:
        return {}
    rows = session.execute(
        select(Employment, Account)
        .outerjoin(Account, Employment.account_id == Account.id)
        .where(Employment.contact_id.in_(contact_ids), Employment.current.is_(False))
        .order_by(Employment.contact_id, Employment.ended_on, Employment.id)
    ).all()
    found: dict[int, PreviousJob] = {}
    for employment, account in rows:  # the latest wins
        found[employment.contact_id] = PreviousJob(
            employment.title,
            account.name if account else employment.company_name,
            account.tier if account else None,
            account.is_customer if account else None,
        )
    return found


def previous_job(session: Session, contact_id: int) -> PreviousJob | None:
    return previous_jobs(session, [contact_id]).get(contact_id)
