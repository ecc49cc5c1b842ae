"""Read one inbound message: classify it, match it to a contact and enrollment, and
apply its effect — each message once (by Message-ID), in one unit of work.

Matching: the Message-IDs it answers or reports on (``In-Reply-To``, ``References``,
the original message inside a bounce) name the touch; an unsubscribe by email carries
its signed token; anything else is matched by the sender's address. A bounce,
complaint or block is acted on only when it names a message we sent — anyone can write
a bounce naming any address. A message matching no one is dead-lettered, not dropped.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from signalseq.clock import ensure_utc
from signalseq.crm.models import Contact
from signalseq.deadletters import repository as deadletters
from signalseq.delivery import throttle
from signalseq.delivery.models import SoftBounce
from signalseq.delivery.unsubscribe import contact_addresses, find_token
from signalseq.enrollments.engagement import record_event
from signalseq.enrollments.models import Enrollment, Touch
from signalseq.enrollments.scheduling import contact_calendar
from signalseq.inbound.classify import Classification, classify, new_text, sentiment
from signalseq.inbound.models import InboundMessage
from signalseq.inbound.parse import Inbound, UnreadableMessage, parse
from signalseq.policy import suppression
from signalseq.tasks import service as tasks

log = logging.getLogger("signalseq.inbound")
SOFT_BOUNCE_LIMIT = 3  # days with a temporary failure before the address is suppressed
REPORTS = ("bounce", "soft_bounce", "complaint", "policy_block", "delivery_report")
_RAW_KEPT = 65536


@dataclass(frozen=True)
class InboundSettings:
    secret: str  # verifies unsubscribe tokens
    default_timezone: str = "UTC"
    default_country: str | None = None
    # our mailboxes' addresses: never taken for a failed recipient or a contact
    own_addresses: frozenset[str] = frozenset()


@dataclass
class Match:
    contact: Contact | None = None
    enrollment_id: int | None = None
    touch: Touch | None = None
    by: str | None = None


@dataclass(frozen=True)
class Processed:
    message_id: str
    classification: str
    effect: str
    contact_id: int | None = None
    duplicate: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "message_id": self.message_id,
            "classification": self.classification,
            "effect": self.effect,
            "contact": self.contact_id,
            "duplicate": self.duplicate,
        }


def process(
    session: Session,
    raw: bytes,
    *,
    source: str,
    settings: InboundSettings,
    now: datetime,
    mailbox_id: str | None = None,
) -> Processed:
    try:
        inbound = parse(raw, received_at=now)
    except UnreadableMessage as exc:
        deadletters.record(
            session,
            source=f"inbound:{source}",
            kind="email",
            raw=raw[:_RAW_KEPT].decode("utf-8", "replace"),
            reason=str(exc),
            now=now,
        )
        return Processed("", "unreadable", f"dead-lettered: {exc}")
    seen = session.scalar(
        select(InboundMessage).where(InboundMessage.message_id == inbound.message_id)
    )
    if seen is not None:
        return Processed(seen.message_id, seen.classification, seen.effect, seen.contact_id, True)
    addresses = partial(contact_addresses, session)
    token = find_token(settings.secret, inbound.subject, addresses)
    found = classify(inbound, own=settings.own_addresses, token=token is not None)
    match = _match(session, inbound, found, settings)
    effect = _apply(session, inbound, found, match, settings, source, mailbox_id, now)
    session.add(
        InboundMessage(
            message_id=_clean(inbound.message_id),
            source=source[:100],
            mailbox_id=mailbox_id or (match.touch.mailbox_id if match.touch else None),
            from_address=inbound.from_address and _clean(inbound.from_address),
            subject=_clean(inbound.subject)[:500],
            classification=found.kind,
            detail={
                "reason": _clean(found.reason),
                "status": found.status,
                "recipient": found.recipient and _clean(found.recipient),
                "snippet": _clean(new_text(inbound.text))[:500],
            },
            contact_id=match.contact.id if match.contact else None,
            enrollment_id=match.enrollment_id,
            touch_id=match.touch.id if match.touch else None,
            matched_by=match.by,
            return_date=found.return_date,
            effect=effect[:300],
            received_at=now,
        )
    )
    session.flush()
    return Processed(
        inbound.message_id, found.kind, effect, match.contact.id if match.contact else None
    )


def _clean(text: str) -> str:
    """Outside text as stored: without NUL characters (PostgreSQL refuses them)."""
    return text.replace("\x00", "")


def _contact_by_email(session: Session, address: str | None) -> Contact | None:
    if not address:
        return None
    return session.scalar(select(Contact).where(Contact.email == address.lower()))


def _match(
    session: Session, inbound: Inbound, found: Classification, settings: InboundSettings
) -> Match:
    ids = [*found.original_ids, *inbound.references]
    if ids:
        touch = session.scalar(select(Touch).where(Touch.message_id.in_(ids)).limit(1))
        if touch is not None:
            enrollment = session.get(Enrollment, touch.enrollment_id)
            contact = session.get(Contact, enrollment.contact_id) if enrollment else None
            return Match(contact, touch.enrollment_id, touch, "thread")
    if found.kind == "unsubscribe":
        token = find_token(settings.secret, inbound.subject, partial(contact_addresses, session))
        if token is not None:
            return Match(session.get(Contact, token.contact_id), None, None, "token")
    if found.kind in REPORTS:
        return Match()  # a report about no message of ours is acted on for nobody
    contact = _contact_by_email(session, inbound.from_address)
    return Match(contact, None, None, "sender" if contact else None)


def _apply(
    session: Session,
    inbound: Inbound,
    found: Classification,
    match: Match,
    settings: InboundSettings,
    source: str,
    mailbox_id: str | None,
    now: datetime,
) -> str:
    kind = found.kind
    if kind == "delivery_report":
        return "none: a delivery report"
    if kind in REPORTS and match.touch is None:
        # only a report that names a message we sent is acted on: anyone can write a
        # bounce naming any address
        why = f"{kind}: names no message we sent (about {found.recipient or '?'})"
        _dead_letter(session, inbound, source, why, now)
        return "unmatched report: dead-lettered, nobody suppressed"
    if kind == "policy_block":
        mailbox = (match.touch.mailbox_id if match.touch else None) or mailbox_id
        if mailbox is None:
            return "none: no mailbox to pause (unmatched)"
        if throttle.pause(session, mailbox, f"{found.status}: {found.reason}", now):
            log.error("mailbox %s paused: %s", mailbox, found.reason)
        return f"mailbox {mailbox} paused until a person resumes it"
    contact = match.contact
    if contact is None:
        why = f"{kind}: no contact matches (from {inbound.from_address or '?'})"
        _dead_letter(session, inbound, source, why, now)
        return "unmatched: dead-lettered"
    event: dict[str, Any] = {
        "at": now,
        "contact_id": contact.id,
        "touch_id": match.touch.id if match.touch else None,
        "source": f"email:{source}"[:100],
        "detail": {"message_id": inbound.message_id, "reason": found.reason},
    }
    if kind in ("bounce", "complaint"):
        # the address the report is about, when it is the contact's; else the one we sent to
        address = found.recipient if found.recipient == contact.email else contact.email
        bounce = kind == "bounce"
        if address:
            suppression.add(session, "address", address.lower(), "bounced" if bounce else kind, now)
        record_event(session, kind="bounced" if bounce else "unsubscribed", **event)
        return f"{'bounced' if bounce else kind}: {address} suppressed; enrollments exit"
    if kind == "soft_bounce":
        return _soft_bounce(session, found, contact, event, now)
    if kind == "auto_reply":
        record_event(
            session,
            kind="out_of_office",
            enrollment_id=match.enrollment_id,
            return_date=found.return_date,
            **event,
        )
        back = found.return_date.isoformat() if found.return_date else "no return date stated"
        return f"out of office ({back}): enrollment paused"
    if kind == "unsubscribe":
        record_event(session, kind="unsubscribed", **event)
        return f"unsubscribed: {contact.email} suppressed; enrollments exit"
    tone = sentiment(f"{inbound.subject}\n{inbound.text}")
    record_event(session, kind="replied", sentiment=tone, **event)
    calendar = contact_calendar(contact, settings.default_timezone, settings.default_country)
    task = tasks.open_reply(
        session,
        contact,
        match.enrollment_id,
        match.touch.id if match.touch else None,
        _clean(f"{inbound.subject}\n\n{new_text(inbound.text)}"),
        calendar,
        now,
    )
    session.flush()
    return f"replied ({tone}): enrollments exit; task #{task.id} for {task.owner or 'no owner'}"


def _dead_letter(
    session: Session, inbound: Inbound, source: str, reason: str, now: datetime
) -> None:
    deadletters.record(
        session,
        source=f"inbound:{source}",
        kind="email",
        raw=inbound.raw[:_RAW_KEPT].decode("utf-8", "replace"),
        reason=reason,
        now=now,
    )


def _soft_bounce(
    session: Session,
    found: Classification,
    contact: Contact,
    event: dict[str, Any],
    now: datetime,
) -> str:
    address = (contact.email or found.recipient or "").lower()
    row = session.get(SoftBounce, address, with_for_update=True)
    if row is None:
        row = SoftBounce(address=address, count=0, last_at=now)
        session.add(row)
    # one count per day: a full mailbox bounces every retry of one afternoon
    if row.count == 0 or ensure_utc(row.last_at).date() != now.date():
        row.count += 1
    row.last_at, row.last_status = now, found.status
    if row.count < SOFT_BOUNCE_LIMIT:
        return f"soft bounce (day {row.count} of {SOFT_BOUNCE_LIMIT}): the sequence goes on"
    suppression.add(session, "address", address, "repeated soft bounces", now)
    record_event(session, kind="bounced", **event)
    return f"soft bounces on {row.count} days: {address} suppressed; enrollments exit"


def list_messages(session: Session, limit: int = 100) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(InboundMessage).order_by(InboundMessage.id.desc()).limit(limit)
    ).all()
    return [
        {
            "id": row.id,
            "received_at": row.received_at.isoformat(),
            "source": row.source,
            "from": row.from_address,
            "subject": row.subject,
            "classification": row.classification,
            "matched_by": row.matched_by,
            "contact": row.contact_id,
            "enrollment": row.enrollment_id,
            "return_date": row.return_date.isoformat() if row.return_date else None,
            "effect": row.effect,
        }
        for row in rows
    ]
