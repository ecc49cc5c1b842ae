"""Employments: the one definition of where a person works now.

The contact row mirrors the current employment (account, title, seniority, department,
work email and where that address came from), so every reader — rule facts, policy,
review policy, drafting, queue, timeline, tasks — reads the current job. Only this module
changes those fields for a job change; the CRM import keeps the current employment in
step with the row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from signalseq.crm.models import Account, Contact
from signalseq.errors import ConflictError, InputRejected, NotFoundError, UsageError
from signalseq.normalize.people import normalize_email
from signalseq.people.models import Employment

# the contact's fields that belong to its current employment
ROLE_FIELDS = ("account_id", "title", "seniority", "department")


@dataclass(frozen=True)
class Address:
    """A work address we have reason to believe, with where it came from."""

    email: str
    source: str  # provider, crm, import, pattern, http, manual, personal
    confidence: float
    detail: str = ""


def current_account(session: Session, contact_id: int | Contact) -> Account | None:
    """The account the person works at now: the one every reader of "the contact's
    account / tier" uses (an enrollment's account is where it began)."""
    contact = contact_id if isinstance(contact_id, Contact) else session.get(Contact, contact_id)
    if contact is None or contact.account_id is None:
        return None
    return session.get(Account, contact.account_id)


def current(session: Session, contact_id: int) -> Employment | None:
    return session.scalar(
        select(Employment)
        .where(Employment.contact_id == contact_id, Employment.current.is_(True))
        .order_by(Employment.id.desc())
        .limit(1)
    )


def past(session: Session, contact_id: int) -> list[Employment]:
    """Ended employments, the latest first."""
    return list(
        session.scalars(
            select(Employment)
            .where(Employment.contact_id == contact_id, Employment.current.is_(False))
            .order_by(Employment.ended_on.desc().nulls_last(), Employment.id.desc())
        )
    )


def previous(session: Session, contact_id: int) -> Employment | None:
    found = past(session, contact_id)
    return found[0] if found else None


def sync_current(session: Session, contact: Contact, now: datetime, source: str) -> Employment:
    """Make the current employment say what the contact row says (a CRM import is the
    authority on the current job); start one when there is none."""
    account = session.get(Account, contact.account_id) if contact.account_id else None
    employment = current(session, contact.id)
    if employment is None:
        employment = Employment(contact_id=contact.id, current=True, source=source, created_at=now)
        session.add(employment)
    employment.account_id = contact.account_id
    employment.company_name = account.name if account else employment.company_name
    employment.company_domain = account.domain if account else employment.company_domain
    employment.title, employment.seniority = contact.title, contact.seniority
    employment.department = contact.department
    employment.email = contact.email
    employment.email_source, employment.email_confidence = (
        contact.email_source,
        contact.email_confidence,
    )
    return employment


def contact_by_past_email(session: Session, email: str) -> Contact | None:
    """The person who had this address at a former employer."""
    contact_id = session.scalar(
        select(Employment.contact_id)
        .where(Employment.email == email, Employment.current.is_(False))
        .limit(1)
    )
    return session.get(Contact, contact_id) if contact_id is not None else None


def left_account(session: Session, contact_id: int, account_id: int | None) -> bool:
    """Whether the person left this account (a past employment there, not the current):
    a stale CRM row must not move them back."""
    if account_id is None:
        return False
    now_at = current(session, contact_id)
    if now_at is not None and now_at.account_id == account_id:
        return False
    return any(e.account_id == account_id for e in past(session, contact_id))


def end_current(session: Session, contact: Contact, ended_on: date, signal_id: int | None) -> None:
    """The current job ends: its address stays on it (history) and leaves the contact."""
    employment = current(session, contact.id)
    if employment is not None:
        employment.current = False
        employment.ended_on = ended_on
        employment.signal_id = employment.signal_id or signal_id
    contact.email = None
    contact.email_source = contact.email_confidence = None


def start(
    session: Session,
    contact: Contact,
    *,
    account: Account | None,
    company_name: str | None,
    company_domain: str | None,
    title: str | None,
    seniority: str,
    department: str,
    started_on: date | None,
    signal_id: int | None,
    now: datetime,
) -> Employment:
    employment = Employment(
        contact_id=contact.id,
        account_id=account.id if account else None,
        company_name=(account.name if account else company_name),
        company_domain=(account.domain if account else company_domain),
        title=title,
        seniority=seniority,
        department=department,
        started_on=started_on,
        current=True,
        signal_id=signal_id,
        source="job_change",
        created_at=now,
    )
    session.add(employment)
    contact.account_id = employment.account_id
    contact.title, contact.seniority, contact.department = title, seniority, department
    return employment


def retitle(
    session: Session, contact: Contact, title: str | None, seniority: str, department: str
) -> None:
    """A promotion or a new title at the same employer."""
    employment = current(session, contact.id)
    contact.title, contact.seniority, contact.department = title, seniority, department
    if employment is not None:
        employment.title, employment.seniority = title, seniority
        employment.department = department


def use_address(session: Session, contact: Contact, address: Address | None) -> None:
    """The contact's work address at the current employer, or none."""
    contact.email = address.email if address else None
    contact.email_source = address.source if address else None
    contact.email_confidence = address.confidence if address else None
    employment = current(session, contact.id)
    if employment is not None:
        employment.email = contact.email
        employment.email_source = contact.email_source
        employment.email_confidence = contact.email_confidence


def allowed_domains(session: Session, contact: Contact) -> tuple[set[str], set[str]]:
    """(the current employer's domains, the past employers' domains) of a contact: one
    query, run before every send."""
    account = session.get(Account, contact.account_id) if contact.account_id else None
    current_domains = {account.domain} if account and account.domain else set()
    past_domains: set[str] = set()
    for domain, now_at in session.execute(
        select(Employment.company_domain, Employment.current).where(
            Employment.contact_id == contact.id, Employment.company_domain.is_not(None)
        )
    ):
        if domain:
            (current_domains if now_at else past_domains).add(domain)
    return current_domains, past_domains - current_domains


def set_address(
    session: Session, contact_id: int, address: str, *, personal: bool, now: datetime
) -> Contact:
    """A person sets the contact's address: at the current employer (``manual``) or one
    the person gave as their own (``personal``, exempt from the employer-domain check)."""
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise NotFoundError(f"no contact #{contact_id}")
    try:
        email = normalize_email(address)
    except InputRejected as exc:
        raise UsageError(str(exc)) from exc
    owner = session.scalar(
        select(Contact.id).where(Contact.email == email, Contact.id != contact_id)
    )
    if owner is not None:
        raise ConflictError(f"{email} is contact #{owner}'s address")
    current_domains, _former = allowed_domains(session, contact)
    host = email.rsplit("@", 1)[-1]
    if (
        not personal
        and current_domains
        and not any(host == d or host.endswith("." + d) for d in current_domains)
    ):
        raise UsageError(
            f"{email} is not at the current employer ({', '.join(sorted(current_domains))}); "
            "pass --personal if the person gave it as their own"
        )
    use_address(session, contact, Address(email, "personal" if personal else "manual", 1.0,
                                          f"set by hand {now:%Y-%m-%d}"))  # fmt: skip
    return contact


def history(session: Session, contact_id: int) -> list[dict[str, object]]:
    """The contact's employments, the current first."""
    rows = session.scalars(
        select(Employment)
        .where(Employment.contact_id == contact_id)
        .order_by(
            Employment.current.desc(),
            Employment.ended_on.desc().nulls_first(),
            Employment.id.desc(),
        )  # fmt: skip
    ).all()
    return [
        {
            "current": e.current,
            "company": e.company_name,
            "domain": e.company_domain,
            "account_id": e.account_id,
            "title": e.title,
            "seniority": e.seniority,
            "email": e.email,
            "email_source": e.email_source,
            "email_confidence": e.email_confidence,
            "started_on": e.started_on.isoformat() if e.started_on else None,
            "ended_on": e.ended_on.isoformat() if e.ended_on else None,
            "source": e.source,
        }
        for e in rows
    ]


def movers(session: Session) -> list[dict[str, object]]:
    """Contacts who changed employer: who they were, where they are, the address used
    now and where it came from, or the open task to find one."""
    from signalseq.tasks.models import Task  # tasks read people; this is the one way back

    moved = session.scalars(
        select(Employment)
        .where(Employment.current.is_(True), Employment.source == "job_change")
        .order_by(Employment.contact_id)
    ).all()
    rows = []
    for employment in moved:
        contact = session.get(Contact, employment.contact_id)
        before = previous(session, employment.contact_id)
        if contact is None or before is None:
            continue
        task = session.scalar(
            select(Task.id).where(
                Task.contact_id == contact.id, Task.kind == "find_email", Task.state == "open"
            )
        )
        rows.append(
            {
                "contact_id": contact.id,
                "name": contact.full_name,
                "before": f"{before.title or '?'} at {before.company_name or '?'}",
                "after": f"{employment.title or '?'} at {employment.company_name or '?'}",
                "former_address": before.email,
                "address": contact.email,
                "address_source": contact.email_source,
                "address_confidence": contact.email_confidence,
                "find_email_task": task,
            }
        )
    return rows
