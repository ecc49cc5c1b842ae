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


TEST_SECRET = "test-secret-key-0123456789abcdef"
TEST_PUBLIC_URL = "https://signalseq.test"


def outbox_delivery(outbox, **settings):
    """Delivery into an outbox folder, with test settings (no SMTP unless given)."""
    from signalseq.delivery.service import Delivery
    from signalseq.delivery.transport import Transports
    from signalseq.settings import Settings

    configured = Settings(
        _env_file=None, secret_key=TEST_SECRET, public_url=TEST_PUBLIC_URL, **settings
    )
    return Delivery(Transports(outbox), TEST_PUBLIC_URL, TEST_SECRET, configured)
