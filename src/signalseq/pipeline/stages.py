"""What moves a claimed touch forward one state. Each handler runs inside the unit of
work that holds the touch (locked on PostgreSQL), so it happens whole or not at all."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from signalseq.crm.models import Contact
from signalseq.delivery import presend, recipients
from signalseq.delivery import service as delivery
from signalseq.delivery.mailboxes import Mailbox
from signalseq.delivery.service import Delivery, Reserved
from signalseq.delivery.throttle import Slot
from signalseq.drafting import service as drafting
from signalseq.drafting.models import Draft
from signalseq.drafting.sender import SenderProfile
from signalseq.drafting.service import DraftJob, DraftResult
from signalseq.enrollments import lifecycle
from signalseq.enrollments.models import Enrollment, Touch
from signalseq.enrollments.scheduling import contact_calendar, step_windows
from signalseq.people import employments
from signalseq.policy.schema import PolicyFile
from signalseq.review import queue
from signalseq.review.assess import reasons_for
from signalseq.review.models import ReviewItem
from signalseq.review.policy import ReviewPolicy
from signalseq.sequences.calendar import BusinessCalendar
from signalseq.sequences.schema import SequenceFile
from signalseq.tasks import service as tasks

HELD = "held"  # a handler's answer for "not mine to move": a flagged draft awaits a person
SIMULATED_REVIEWER = queue.Reviewer("simulated-reviewer", "reviewer")
WHOLE_DAY = [(time(0, 0), time(23, 59, 59))]  # the window of a step that vanished


@dataclass
class StageContext:
    sequences: dict[tuple[str, int], SequenceFile]
    policy: PolicyFile
    delivery: Delivery
    now: datetime
    review: ReviewPolicy
    default_timezone: str = "UTC"
    default_country: str | None = None
    mailboxes: list[Mailbox] = field(default_factory=list)
    sender: SenderProfile | None = None
    worker: str = "worker"
    reserved: list[Reserved] = field(default_factory=list)  # marked sending, to send now

    def window_close(self, session: Session, touch: Touch, enrollment: Enrollment) -> datetime:
        """When the send window the touch is due in closes, in the contact's time."""
        calendar, windows = self.calendar(session, touch, enrollment)
        return calendar.window_close(touch.due_at, windows)

    def next_slot(
        self,
        session: Session,
        touch: Touch,
        enrollment: Enrollment,
        after: datetime | None = None,
    ) -> datetime:
        calendar, windows = self.calendar(session, touch, enrollment)
        start = max(after or self.now, self.now)
        seed = f"{enrollment.id}/{touch.branch}/{touch.step_id}/{start.isoformat()}"
        return calendar.next_slot(start, windows, seed)

    def calendar(
        self, session: Session, touch: Touch, enrollment: Enrollment
    ) -> tuple[BusinessCalendar, list[tuple[time, time]]]:
        """The contact's business calendar and the step's send windows."""
        contact = session.get(Contact, enrollment.contact_id)
        assert contact is not None
        sequence = self.sequences.get((enrollment.sequence_id, enrollment.sequence_version))
        step = sequence.step(touch.branch, touch.step_id) if sequence else None
        windows = step_windows(sequence, step) if sequence and step else WHOLE_DAY
        return contact_calendar(contact, self.default_timezone, self.default_country), windows


def start(session: Session, touch: Touch, ctx: StageContext) -> str:
    lifecycle.move_touch(session, touch, "drafting", "due", ctx.now)
    return "drafting"


def drafted(
    session: Session, touch: Touch, ctx: StageContext, job: DraftJob, result: DraftResult
) -> str:
    """Store the draft, then queue it for a person if any review reason applies (always
    when a guardrail failed), else release it: approved, bound to this exact text."""
    draft = drafting.store(session, touch, job, result, ctx.now)
    enrollment = session.get(Enrollment, touch.enrollment_id)
    assert enrollment is not None
    sequence = ctx.sequences.get((enrollment.sequence_id, enrollment.sequence_version))
    step = sequence.step(touch.branch, touch.step_id) if sequence else None
    review = step.review if step else "always"  # a step that vanished is looked at by a person
    reasons = reasons_for(session, touch, enrollment, draft, review, ctx.review)
    if reasons:
        why = ", ".join(
            r.code + (f" ({r.detail})" if r.code == "guardrails" else "") for r in reasons
        )
        cause = f"drafted by {result.drafter}; review: {why}"
        lifecycle.move_touch(session, touch, "in_review", cause[:200], ctx.now)
        queue.open_item(session, touch, draft, reasons, ctx.review, ctx.now)
        return "in_review"
    lifecycle.move_touch(session, touch, "approved", f"drafted by {result.drafter}", ctx.now)
    queue.release(session, touch, draft, ctx.now)
    return "approved"


def approve(
    session: Session, touch: Touch, ctx: StageContext, until: datetime | None = None
) -> str:
    """The simulated reviewer (``simulate --approve-reviews``): approves what is in
    review through the queue like a person would, except drafts that failed a guardrail
    or were voided, and touches due from ``until`` on, which it leaves for a person."""
    if until is not None and touch.due_at >= until:
        return HELD
    item = session.scalar(
        select(ReviewItem).where(ReviewItem.touch_id == touch.id, ReviewItem.state == "pending")
    )
    draft = session.scalar(select(Draft).where(Draft.touch_id == touch.id))
    if item is None or draft is None:
        return HELD
    if any(r["code"] in ("guardrails", "approval_void") for r in item.reasons):
        return HELD
    if item.claimed_by not in (None, SIMULATED_REVIEWER.name) and (
        item.lease_until is not None and item.lease_until > ctx.now
    ):
        return HELD  # a person is on it
    queue.approve(
        session,
        item.id,
        SIMULATED_REVIEWER,
        _simulated(ctx.review),
        draft.content_sha256 or "",
        ctx.now,
    )
    return "approved"


def _simulated(policy: ReviewPolicy) -> ReviewPolicy:
    """The policy as the simulated reviewer sees it: it may approve, with one pair of eyes."""
    return policy.model_copy(update={"approvers": ["reviewer"], "four_eyes": False})


def hold_late(session: Session, item: ReviewItem, ctx: StageContext) -> bool:
    """A pending item whose send window passed is held for the touch's next window:
    never sent late on an old decision. True when it was rescheduled."""
    touch = session.get(Touch, item.touch_id, with_for_update=True)
    enrollment = session.get(Enrollment, item.enrollment_id)
    if touch is None or enrollment is None or touch.state != "in_review":
        return False
    if ctx.now < ctx.window_close(session, touch, enrollment):
        return False
    due = ctx.next_slot(session, touch, enrollment)
    cause = f"send window of {touch.due_at:%Y-%m-%d %H:%M} UTC passed in review"
    lifecycle.record_delay(session, touch, due, cause, ctx.now)
    queue.reschedule(session, item, due, ctx.review, cause, ctx.now)
    return True


def deliver(session: Session, touch: Touch, ctx: StageContext) -> str:
    """The first step of sending (see ``delivery.service``), after the pre-send check
    (``delivery.presend``) in this transaction. An email is marked ``sending`` (the
    worker sends it right after this commits); a call or LinkedIn step becomes a task
    for the contact's owner."""
    enrollment = session.get(Enrollment, touch.enrollment_id, with_for_update=True)
    assert enrollment is not None
    contact = session.get(Contact, enrollment.contact_id)
    assert contact is not None
    account = employments.current_account(session, contact)
    text = session.scalar(select(Draft).where(Draft.touch_id == touch.id))
    calendar, windows = ctx.calendar(session, touch, enrollment)
    close = calendar.window_close(touch.due_at, windows)
    refused = presend.check(
        session, touch, enrollment, contact, account, text, ctx.policy, close, ctx.now
    )
    if refused is not None:
        return _refused(session, touch, enrollment, text, refused, ctx)
    assert text is not None
    if touch.channel != "email":
        tasks.open_for_touch(session, touch, contact, account, text.body, calendar, ctx.now)
        return "task"
    if not contact.email:
        lifecycle.move_touch(session, touch, "failed", "the contact has no email address", ctx.now)
        return "failed"
    assert ctx.sender is not None
    mailbox = delivery.choose_mailbox(session, ctx.mailboxes, enrollment, contact, account)
    settings = ctx.delivery.settings
    if mailbox.transport == "smtp" and settings is not None and settings.recipient_check:
        problem = recipients.recipient_problem(session, contact.email, settings, ctx.now)
        if problem is not None:
            return _undeliverable(session, touch, contact, problem, ctx)
    zone = ZoneInfo(mailbox.timezone or ctx.default_timezone)
    reserved = delivery.reserve(
        session, touch, enrollment, contact, account, text, mailbox,
        ctx.delivery, ctx.sender, zone, ctx.worker, ctx.now, close,
    )  # fmt: skip
    if reserved is None:
        return "failed"
    if isinstance(reserved, Slot):
        return _throttled(session, touch, enrollment, reserved, ctx)
    ctx.reserved.append(reserved)
    return "sending"


def _refused(
    session: Session,
    touch: Touch,
    enrollment: Enrollment,
    text: Draft | None,
    refused: presend.Refusal,
    ctx: StageContext,
) -> str:
    if refused.kind == presend.STOPPED:
        if touch.state != "cancelled":  # an exit already cancelled it with its cause
            lifecycle.move_touch(session, touch, "cancelled", refused.cause, ctx.now)
        return "cancelled"
    if refused.kind == presend.NO_ADDRESS:
        contact = session.get(Contact, enrollment.contact_id)
        assert contact is not None
        lifecycle.move_touch(session, touch, "needs_address", refused.cause[:200], ctx.now)
        tasks.ask_for_address(session, touch.enrollment_id, contact, refused.cause, ctx.now)
        return "needs_address"
    if refused.kind == presend.NO_DRAFT or text is None:
        lifecycle.move_touch(session, touch, "failed", refused.cause, ctx.now)
        return "failed"
    if refused.kind == presend.CHANGED:
        queue.void_approval(session, touch, text, refused.cause, ctx.review, ctx.now)
        return "in_review"
    return _late(session, touch, enrollment, text, ctx)


def address_found(session: Session, touch: Touch, ctx: StageContext) -> str:
    """An email waiting for an address goes on once the contact has one that passes the
    check (set by a person, the CRM or a later job-change record); else it keeps waiting."""
    enrollment = session.get(Enrollment, touch.enrollment_id)
    contact = session.get(Contact, enrollment.contact_id) if enrollment else None
    if contact is None or presend.address_problem(session, contact) is not None:
        return HELD
    cause = f"address found: {contact.email} ({contact.email_source or 'unknown source'})"
    lifecycle.move_touch(session, touch, "approved", cause[:200], ctx.now)
    touch.due_at = max(touch.due_at, ctx.now)
    tasks.address_found(session, contact.id, contact.email or "", ctx.now)
    return "approved"


def _undeliverable(
    session: Session, touch: Touch, contact: Contact, problem: str, ctx: StageContext
) -> str:
    """The recipient's domain takes no mail: the touch fails (the mailbox's reputation is
    spared) and the address is flagged, so later emails wait for a better one."""
    cause = f"undeliverable: {problem}"
    lifecycle.move_touch(session, touch, "failed", cause[:200], ctx.now)
    contact.email_source, contact.email_confidence = presend.UNDELIVERABLE, 0.0
    return "undeliverable"


def _throttled(
    session: Session, touch: Touch, enrollment: Enrollment, slot: Slot, ctx: StageContext
) -> str:
    """The mailbox cannot send now: the touch waits, never dropped. A full day moves it
    to the contact's next window after the cap resets (recorded); a gap or a paused
    mailbox only moves its due time."""
    if slot.not_before is None:  # paused: look again in an hour
        touch.due_at = ctx.now + timedelta(hours=1)
        return "mailbox_paused"
    if slot.reason == "gap" and slot.not_before < ctx.window_close(session, touch, enrollment):
        touch.due_at = slot.not_before
        return "gap"
    due = ctx.next_slot(session, touch, enrollment, after=slot.not_before)
    lifecycle.record_delay(session, touch, due, slot.reason, ctx.now)
    return "deferred"


def _late(
    session: Session, touch: Touch, enrollment: Enrollment, text: Draft, ctx: StageContext
) -> str:
    """The send window passed before the touch went out (a worker was down): it waits for
    the next window. A person's approval does not carry over: it goes back to review."""
    due = ctx.next_slot(session, touch, enrollment)
    cause = f"send window of {touch.due_at:%Y-%m-%d %H:%M} UTC passed before sending"
    lifecycle.record_delay(session, touch, due, cause, ctx.now)
    if text.approved_by not in (None, queue.SYSTEM):
        queue.void_approval(session, touch, text, cause, ctx.review, ctx.now)
        return "in_review"
    return "rescheduled"
