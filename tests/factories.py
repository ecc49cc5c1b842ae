"""Rows the tests need again and again: a contact (with its account) enrolled in a
sequence."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from signalseq.crm.models import Account, Contact
from signalseq.enrollments.models import Enrollment


def enroll(
    session: Session,
    *,
    contact: dict[str, Any],
    account: dict[str, Any] | None = None,
    **enrollment: Any,
) -> Enrollment:
    """An account (if given), its contact, and an active enrollment of that contact;
    ``enrollment`` sets its columns (branch ``main`` and rule ``r`` unless given)."""
    company = None
    if account is not None:
        company = Account(**account)
        session.add(company)
        session.flush()
    person = Contact(account_id=company.id if company else None, **contact)
    session.add(person)
    session.flush()
    row = Enrollment(
        contact_id=person.id,
        account_id=company.id if company else None,
        **{"branch": "main", "rule_id": "r", **enrollment},
    )
    session.add(row)
    session.flush()
    return row
