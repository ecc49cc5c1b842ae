"""Queries over accounts and contacts."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from signalseq.crm.models import Account, Contact


def account_by_crm_id(session: Session, crm_id: str) -> Account | None:
    return session.scalar(select(Account).where(Account.crm_id == crm_id))


def account_by_domain(session: Session, domain: str) -> Account | None:
    return session.scalar(select(Account).where(Account.domain == domain))


def accounts_by_normalized_name(session: Session, normalized: str) -> Sequence[Account]:
    return session.scalars(select(Account).where(Account.normalized_name == normalized)).all()


def contact_by(session: Session, **criteria: str) -> Contact | None:
    """The contact with exactly these column values (e.g. ``email=...``)."""
    query = select(Contact)
    for column, value in criteria.items():
        query = query.where(getattr(Contact, column) == value)
    return session.scalar(query)


def list_accounts(
    session: Session, *, tier: int | None = None, limit: int | None = None
) -> Sequence[Account]:
    query = select(Account).order_by(Account.name, Account.id)
    if tier is not None:
        query = query.where(Account.tier == tier)
    if limit:
        query = query.limit(limit)
    return session.scalars(query).all()


def list_contacts(
    session: Session,
    *,
    account_domain: str | None = None,
    seniority: str | None = None,
    limit: int | None = None,
) -> Sequence[Contact]:
    query = (
        select(Contact).options(joinedload(Contact.account)).order_by(Contact.full_name, Contact.id)
    )
    if account_domain:
        query = query.join(Account, Contact.account_id == Account.id).where(
            Account.domain == account_domain
        )
    if seniority:
        query = query.where(Contact.seniority == seniority)
    if limit:
        query = query.limit(limit)
    return session.scalars(query).all()


def counts(session: Session) -> dict[str, int]:
    return {
        "accounts": session.scalar(select(func.count(Account.id))) or 0,
        "contacts": session.scalar(select(func.count(Contact.id))) or 0,
        "contacts_without_account": session.scalar(
            select(func.count(Contact.id)).where(Contact.account_id.is_(None))
        )
        or 0,
    }
