"""What the queue and item pages show, read in a few indexed queries each: the page
costs the same with 100 pending items or 100,000."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from signalseq.crm.models import Account, Contact
from signalseq.delivery import presend
from signalseq.delivery.mailboxes import Mailbox
from signalseq.delivery.service import choose_mailbox
from signalseq.drafting.models import Draft, DraftRevision
from signalseq.enrollments.models import Enrollment, Touch
from signalseq.errors import NotFoundError
from signalseq.people import employments
from signalseq.review import audit, counts
from signalseq.review.models import ReviewItem, ReviewReason
from signalseq.review.queue import failed_checks, last_editor
from signalseq.signals.models import Signal

PAGE_SIZE = 50


@dataclass(frozen=True)
class Filters:
    sequence: str | None = None
    rule: str | None = None
    tier: str | None = None  # "1", "2"… or "none"
    reason: str | None = None

    def active(self) -> dict[str, str]:
        return {k: v for k, v in vars(self).items() if v}


@dataclass
class QueueRow:
    item_id: int
    touch_id: int
    due_at: datetime
    sla_at: datetime
    overdue: bool
    reasons: list[dict[str, str]]
    low_risk: bool
    claimed_by: str | None
    contact_id: int
    contact: str
    title: str | None
    account: str | None
    tier: int | None
    sequence: str
    rule: str
    step: str
    channel: str
    subject: str | None
    timezone: str | None = None  # the contact's, for their local time beside due times

    def as_dict(self) -> dict[str, Any]:
        data = dict(vars(self))
        data["due_at"] = self.due_at.isoformat()
        data["sla_at"] = self.sla_at.isoformat()
        return data


@dataclass
class QueuePage:
    rows: list[QueueRow]
    counts: dict[str, int]
    next_after: str | None  # cursor of the next page
    filters: Filters = field(default_factory=Filters)

    def facet(self, prefix: str) -> dict[str, int]:
        return {
            k.removeprefix(prefix): v
            for k, v in sorted(self.counts.items())
            if k.startswith(prefix)
        }


def _cursor(after: str | None) -> tuple[datetime, int] | None:
    if not after:
        return None
    try:
        stamp, _, ident = after.rpartition("_")
        return datetime.fromisoformat(stamp), int(ident)
    except ValueError:
        return None


def _pending(now: datetime, filters: Filters) -> list[Any]:
    conditions: list[Any] = [ReviewItem.state == "pending"]
    if filters.sequence:
        conditions.append(ReviewItem.sequence_id == filters.sequence)
    if filters.rule:
        conditions.append(ReviewItem.rule_id == filters.rule)
    if filters.tier == "none":
        conditions.append(ReviewItem.account_tier.is_(None))
    elif filters.tier and filters.tier.isdigit():
        conditions.append(ReviewItem.account_tier == int(filters.tier))
    if filters.reason:
        conditions.append(
            ReviewItem.id.in_(
                select(ReviewReason.item_id).where(ReviewReason.code == filters.reason)
            )
        )
    return conditions


def queue_page(
    session: Session,
    now: datetime,
    filters: Filters | None = None,
    after: str | None = None,
    limit: int = PAGE_SIZE,
) -> QueuePage:
    """One page of pending items, due first, with the counters of the whole queue."""
    filters = filters or Filters()
    conditions = _pending(now, filters)
    cursor = _cursor(after)
    if cursor is not None:
        conditions.append(tuple_(ReviewItem.due_at, ReviewItem.id) > tuple_(*cursor))
    rows = session.execute(
        select(ReviewItem, Touch, Contact, Account, Draft.subject)
        .join(Touch, Touch.id == ReviewItem.touch_id)
        .join(Contact, Contact.id == ReviewItem.contact_id)
        .outerjoin(Account, Account.id == Contact.account_id)
        .outerjoin(Draft, Draft.touch_id == ReviewItem.touch_id)
        .where(*conditions)
        .order_by(ReviewItem.due_at, ReviewItem.id)
        .limit(limit + 1)
    ).all()
    more = len(rows) > limit
    page = [
        QueueRow(
            item_id=item.id,
            touch_id=touch.id,
            due_at=item.due_at,
            sla_at=item.sla_at,
            overdue=now >= item.sla_at,
            reasons=item.reasons,
            low_risk=item.low_risk,
            claimed_by=item.claimed_by
            if item.lease_until is not None and item.lease_until > now
            else None,
            contact_id=contact.id,
            contact=contact.full_name,
            title=contact.title,
            account=account.name if account else None,
            tier=item.account_tier,
            sequence=item.sequence_id,
            rule=item.rule_id,
            step=touch.step_id,
            channel=touch.channel,
            subject=subject,
            timezone=contact.timezone or (account.timezone if account else None),
        )
        for item, touch, contact, account, subject in rows[:limit]
    ]
    last = page[-1] if more and page else None
    return QueuePage(
        page,
        counts.pending(session),
        f"{last.due_at.isoformat()}_{last.item_id}" if last else None,
        filters,
    )


def due_items(
    session: Session, now: datetime, after: tuple[datetime, int] | None, limit: int
) -> list[tuple[int, datetime]]:
    """Pending items whose touch is due by now, in due order, after ``after``."""
    query = select(ReviewItem.id, ReviewItem.due_at).where(
        ReviewItem.state == "pending", ReviewItem.due_at <= now
    )
    if after is not None:
        query = query.where(tuple_(ReviewItem.due_at, ReviewItem.id) > tuple_(*after))
    rows = session.execute(query.order_by(ReviewItem.due_at, ReviewItem.id).limit(limit))
    return [(item_id, due_at) for item_id, due_at in rows]


def _neighbour(session: Session, item: ReviewItem, forward: bool) -> int | None:
    """The pending item before or after ``item`` in queue order (for j/k)."""
    if forward:
        position = tuple_(ReviewItem.due_at, ReviewItem.id) > tuple_(item.due_at, item.id)
        order: tuple[Any, Any] = (ReviewItem.due_at, ReviewItem.id)
    else:
        position = tuple_(ReviewItem.due_at, ReviewItem.id) < tuple_(item.due_at, item.id)
        order = (ReviewItem.due_at.desc(), ReviewItem.id.desc())
    return session.scalar(
        select(ReviewItem.id)
        .where(ReviewItem.state == "pending", position)
        .order_by(*order)
        .limit(1)
    )


def next_pending(session: Session, item_id: int) -> int | None:
    """The pending item after ``item_id`` (whatever became of it), else the first one."""
    item = session.get(ReviewItem, item_id)
    following = _neighbour(session, item, True) if item is not None else None
    if following is not None:
        return following
    return session.scalar(
        select(ReviewItem.id)
        .where(ReviewItem.state == "pending", ReviewItem.id != item_id)
        .order_by(ReviewItem.due_at, ReviewItem.id)
        .limit(1)
    )


def item_view(
    session: Session,
    item_id: int,
    now: datetime,
    mailboxes: list[Mailbox] | None = None,
    lease: timedelta = timedelta(minutes=10),
) -> dict[str, Any]:
    """Everything the item page shows: the draft and its versions, who it goes to and
    from, why it is here, the research context and trigger signal, the guardrails, and
    the item's audit trail."""
    item = session.get(ReviewItem, item_id)
    if item is None:
        raise NotFoundError(f"no review item {item_id}")
    touch = session.get(Touch, item.touch_id)
    draft = session.scalar(select(Draft).where(Draft.touch_id == item.touch_id))
    enrollment = session.get(Enrollment, item.enrollment_id)
    contact = session.get(Contact, item.contact_id)
    if touch is None or draft is None or enrollment is None or contact is None:
        raise NotFoundError(f"review item {item_id} has lost its touch")
    account = session.get(Account, contact.account_id) if contact.account_id else None
    signal = session.get(Signal, enrollment.signal_id) if enrollment.signal_id else None
    revisions = session.scalars(
        select(DraftRevision)
        .where(DraftRevision.touch_id == touch.id)
        .order_by(DraftRevision.version)
    ).all()
    live_claim = item.lease_until is not None and item.lease_until > now
    return {
        "item": {
            "id": item.id,
            "state": item.state,
            "reasons": item.reasons,
            "low_risk": item.low_risk,
            "due_at": item.due_at,
            "sla_at": item.sla_at,
            "overdue": now >= item.sla_at,
            "claimed_by": item.claimed_by if live_claim else None,
            "lease_until": item.lease_until if live_claim else None,
            "claimed_minutes": (
                max(0, int((now - (item.lease_until - lease)).total_seconds() // 60))
                if live_claim and item.lease_until is not None
                else None
            ),
            "resolution": item.resolution,
            "decided_by": item.decided_by,
        },
        "touch": touch,
        "draft": draft,
        "enrollment": enrollment,
        "contact": contact,
        "account": account,
        "signal": signal,
        "revisions": revisions,
        "failed_checks": failed_checks(draft),
        "last_editor": last_editor(session, touch.id),
        "recipient": recipient_view(session, contact, touch.channel),
        "sender": (
            choose_mailbox(session, mailboxes, enrollment, contact, account).address
            if mailboxes and touch.channel == "email"
            else None
        ),
        "employment": employment_change(session, contact),
        "audit": [audit.as_dict(e) for e in audit.of_touch(session, touch.id)],
        "previous_id": _neighbour(session, item, False) if item.state == "pending" else None,
        "next_id": _neighbour(session, item, True) if item.state == "pending" else None,
    }


def recipient_view(session: Session, contact: Contact, channel: str) -> dict[str, Any]:
    """Where an email would go, where that address came from, and what stops it."""
    return {
        "address": contact.email,
        "source": contact.email_source,
        "confidence": contact.email_confidence,
        "problem": presend.address_problem(session, contact) if channel == "email" else None,
    }


def employment_change(session: Session, contact: Contact) -> dict[str, Any] | None:
    """The person's move, when they have one: the latest past role and the current one."""
    before = employments.previous(session, contact.id)
    if before is None:
        return None
    now_at = employments.current(session, contact.id)
    return {
        "previous_title": before.title,
        "previous_company": before.company_name,
        "previous_email": before.email,
        "ended_on": before.ended_on,
        "title": now_at.title if now_at else None,
        "company": now_at.company_name if now_at else None,
        "started_on": now_at.started_on if now_at else None,
    }
