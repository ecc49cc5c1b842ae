"""What moves a claimed touch forward one state. Each handler runs inside the unit of
work that holds the touch (locked on PostgreSQL), so it happens whole or not at all."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from signalseq.crm.models import Account, Contact
from signalseq.drafting import service as drafting
from signalseq.drafting.models import Draft
from signalseq.drafting.service import DraftJob, DraftResult
from signalseq.enrollments import lifecycle
from signalseq.enrollments.engagement import EXITS
from signalseq.enrollments.models import EngagementEvent, Enrollment, Touch
from signalseq.policy import suppression
from signalseq.policy.schema import PolicyFile
from signalseq.sequences.schema import SequenceFile

HELD = "held"  # a handler's answer for "not mine to move": a flagged draft awaits a person


class Transport(Protocol):
    name: str

    def deliver(self, touch: Touch, draft: Draft, contact: Contact, now: datetime) -> object: ...


@dataclass
class StageContext:
    sequences: dict[tuple[str, int], SequenceFile]
    policy: PolicyFile
    transport: Transport
    now: datetime


def start(session: Session, touch: Touch, ctx: StageContext) -> str:
    lifecycle.move_touch(session, touch, "drafting", "due", ctx.now)
    return "drafting"


def drafted(
    session: Session, touch: Touch, ctx: StageContext, job: DraftJob, result: DraftResult
) -> str:
    """Store the draft, then send it to review or approve it: review when the step or the
    enrollment's policy asks for it, and always when a guardrail failed."""
    drafting.store(session, touch, job, result)
    enrollment = session.get(Enrollment, touch.enrollment_id)
    assert enrollment is not None
    sequence = ctx.sequences.get((enrollment.sequence_id, enrollment.sequence_version))
    step = sequence.step(touch.branch, touch.step_id) if sequence else None
    review = step.review if step else "always"  # a step that vanished is looked at by a person
    failed = [check.name for check in result.guardrails.failures]
    if failed:
        cause = f"drafted by {result.drafter}; flagged: {', '.join(failed)}"
        lifecycle.move_touch(session, touch, "in_review", cause, ctx.now)
        return "in_review"
    cause = f"drafted by {result.drafter}; review: {review}"
    if review == "always" or (review == "policy" and enrollment.needs_review):
        lifecycle.move_touch(session, touch, "in_review", cause, ctx.now)
        return "in_review"
    lifecycle.move_touch(session, touch, "approved", cause, ctx.now)
    return "approved"


def approve(session: Session, touch: Touch, ctx: StageContext) -> str:
    """The simulated reviewer (``simulate --approve``): approves what is in review,
    except drafts that failed a guardrail, which it leaves for a person."""
    text = session.scalar(select(Draft).where(Draft.touch_id == touch.id))
    if text is not None and not text.guardrails_passed:
        return HELD
    lifecycle.move_touch(session, touch, "approved", "approved by the simulated reviewer", ctx.now)
    return "approved"


def deliver(session: Session, touch: Touch, ctx: StageContext) -> str:
    """Send, after checking again — in this transaction — that the enrollment still runs,
    that no reply, meeting, unsubscribe or bounce is waiting to be applied, and that the
    contact is not suppressed."""
    enrollment = session.get(Enrollment, touch.enrollment_id, with_for_update=True)
    assert enrollment is not None
    if enrollment.state != "active":
        lifecycle.move_touch(
            session, touch, "cancelled", f"enrollment {enrollment.state} at send", ctx.now
        )
        return "cancelled"
    contact = session.get(Contact, enrollment.contact_id)
    assert contact is not None
    stop = session.scalar(
        select(EngagementEvent.kind)
        .where(
            EngagementEvent.contact_id == contact.id,
            EngagementEvent.applied_at.is_(None),
            EngagementEvent.kind.in_(EXITS),
        )
        .limit(1)
    )
    if stop is not None:  # recorded, not applied yet: it wins over the send
        lifecycle.exit_enrollment(session, enrollment, stop, ctx.now, f"{stop} (at send)")
        return "cancelled"
    account = session.get(Account, enrollment.account_id) if enrollment.account_id else None
    why = suppression.check(session, ctx.policy, *suppression.contact_address(contact, account))
    if why is not None:
        lifecycle.exit_enrollment(session, enrollment, "suppressed", ctx.now, f"suppressed: {why}")
        return "cancelled"
    text = session.scalar(select(Draft).where(Draft.touch_id == touch.id))
    if text is None:
        lifecycle.move_touch(session, touch, "failed", "no draft to send", ctx.now)
        return "failed"
    ctx.transport.deliver(touch, text, contact, ctx.now)
    lifecycle.move_touch(session, touch, "sent", f"delivered by {ctx.transport.name}", ctx.now)
    touch.sent_at = ctx.now
    enrollment.last_touch_at = ctx.now
    return "sent"
