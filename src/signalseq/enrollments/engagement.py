"""Apply what contacts did to their enrollments.

Stops first: a reply, a booked meeting, an unsubscribe or a hard bounce exits every
running enrollment of the contact (or the one named) and cancels every unsent touch;
unsubscribes and bounces also suppress the address. An out-of-office pauses until the
return date plus the sequence's business days (else its default days). Clicks,
accepted connections and opens feed the sequence's engagement rules: switch branch or
skip ahead, each rule at most once per enrollment.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from signalseq.crm.models import Contact
from signalseq.enrollments import lifecycle
from signalseq.enrollments.models import EngagementEvent, Enrollment, Touch
from signalseq.errors import NotFoundError, UsageError
from signalseq.policy import suppression
from signalseq.sequences.calendar import BusinessCalendar
from signalseq.sequences.schema import EngagementRule, SequenceFile

EXITS = ("replied", "meeting", "unsubscribed", "bounced")  # each is also the exit reason
RULE_EVENTS = {"link_click", "connection_accepted", "opened"}
EVENT_KINDS = (*EXITS, "out_of_office", *sorted(RULE_EVENTS))
SUPPRESSING = {"unsubscribed", "bounced"}
CREDITED = (*EXITS, "out_of_office")  # credited to the touch that produced them
SENTIMENTS = ("positive", "negative", "neutral")

Sequences = dict[tuple[str, int], SequenceFile]
CalendarFor = Callable[[Contact], BusinessCalendar]


def record_event(
    session: Session,
    *,
    kind: str,
    at: datetime,
    contact_id: int | None = None,
    enrollment_id: int | None = None,
    touch_id: int | None = None,
    return_date: date | None = None,
    source: str = "cli",
    detail: dict[str, Any] | None = None,
    sentiment: str | None = None,
) -> EngagementEvent:
    """Store an event for the next tick to apply. A reply, meeting, unsubscribe, bounce
    or out-of-office that names no touch is credited to the last one sent to the contact
    before it (which step produced the reply)."""
    if sentiment is not None and sentiment not in SENTIMENTS:
        raise UsageError(f"sentiment must be one of: {', '.join(SENTIMENTS)}")
    if kind not in EVENT_KINDS:
        raise UsageError(f"unknown event {kind!r}; one of: {', '.join(EVENT_KINDS)}")
    if enrollment_id is not None:
        enrollment = session.get(Enrollment, enrollment_id)
        if enrollment is None:
            raise NotFoundError(f"no enrollment #{enrollment_id}")
        contact_id = enrollment.contact_id
    if contact_id is None or session.get(Contact, contact_id) is None:
        raise NotFoundError(f"no contact #{contact_id}")
    if kind in EXITS:
        # wait for a send in progress to these enrollments (it holds their rows), so a
        # stop is recorded either before the send's last check or after its outcome
        session.scalars(
            select(Enrollment.id)
            .where(Enrollment.contact_id == contact_id, Enrollment.state.in_(("active", "paused")))
            .with_for_update()
        ).all()
    if touch_id is None and kind in CREDITED:
        touch_id = _last_sent_touch(session, contact_id, enrollment_id, at)
    event = EngagementEvent(
        contact_id=contact_id,
        enrollment_id=enrollment_id,
        touch_id=touch_id,
        kind=kind,
        occurred_at=at,
        return_date=return_date,
        source=source,
        detail=detail or {},
        sentiment=sentiment,
    )
    session.add(event)
    session.flush()
    return event


def _last_sent_touch(
    session: Session, contact_id: int, enrollment_id: int | None, at: datetime
) -> int | None:
    query = (
        select(Touch.id)
        .join(Enrollment, Touch.enrollment_id == Enrollment.id)
        .where(Enrollment.contact_id == contact_id, Touch.state == "sent", Touch.sent_at <= at)
        .order_by(Touch.sent_at.desc(), Touch.id.desc())
        .limit(1)
    )
    if enrollment_id is not None:
        query = query.where(Enrollment.id == enrollment_id)
    return session.scalar(query)


def set_sentiment(session: Session, event_id: int, sentiment: str, actor: str) -> EngagementEvent:
    """A reviewer's word on a reply: positive, negative or neutral."""
    if sentiment not in SENTIMENTS:
        raise UsageError(f"sentiment must be one of: {', '.join(SENTIMENTS)}")
    event = session.get(EngagementEvent, event_id)
    if event is None or event.kind != "replied":
        raise NotFoundError(f"no reply #{event_id}")
    event.sentiment, event.sentiment_by = sentiment, actor[:100]
    return event


@dataclass
class EngagementReport:
    events: int = 0
    exited: int = 0
    cancelled: int = 0
    paused: int = 0
    switched: int = 0
    outcomes: list[str] = field(default_factory=list)


def apply_pending(
    session: Session,
    sequences: Sequences,
    calendar_for: CalendarFor,
    now: datetime,
    limit: int = 500,
) -> EngagementReport:
    """Apply events not applied yet, oldest first, each exactly once."""
    report = EngagementReport()
    query = (
        select(EngagementEvent)
        .where(EngagementEvent.applied_at.is_(None), EngagementEvent.occurred_at <= now)
        .order_by(EngagementEvent.occurred_at, EngagementEvent.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    for event in session.scalars(query).all():
        _applied(event, _apply(session, event, sequences, calendar_for, now, report), now, report)
    return report


def pending_stops(session: Session, contact_id: int) -> list[EngagementEvent]:
    """Replies, meetings, unsubscribes and bounces recorded for the contact and not
    applied yet, whatever time they carry (one recorded while a tick runs may be later
    than the tick's start): each wins over a send."""
    return list(
        session.scalars(
            select(EngagementEvent)
            .where(
                EngagementEvent.contact_id == contact_id,
                EngagementEvent.applied_at.is_(None),
                EngagementEvent.kind.in_(EXITS),
            )
            .order_by(EngagementEvent.occurred_at, EngagementEvent.id)
        )
    )


def apply_stops(session: Session, stops: list[EngagementEvent], now: datetime) -> EngagementReport:
    """Apply these stops at once (a send found them), each recorded as applied, so the
    trail reads as if the tick had applied them."""
    report = EngagementReport()
    for event in stops:
        _applied(event, _stop(session, event, now, report), now, report)
    return report


def _applied(event: EngagementEvent, outcome: str, now: datetime, report: EngagementReport) -> None:
    event.applied_at = now
    event.outcome = outcome[:200]
    report.events += 1
    report.outcomes.append(outcome)


def _targets(session: Session, event: EngagementEvent) -> list[Enrollment]:
    query = select(Enrollment).where(Enrollment.state.in_(("active", "paused")))
    if event.enrollment_id is not None:
        query = query.where(Enrollment.id == event.enrollment_id)
    else:
        query = query.where(Enrollment.contact_id == event.contact_id)
    return list(session.scalars(query.order_by(Enrollment.id)))


def _apply(
    session: Session,
    event: EngagementEvent,
    sequences: Sequences,
    calendar_for: CalendarFor,
    now: datetime,
    report: EngagementReport,
) -> str:
    if event.kind in EXITS:
        return _stop(session, event, now, report)
    contact = session.get(Contact, event.contact_id)
    targets = _targets(session, event)
    if not targets:
        return f"{event.kind}: no running enrollment"
    results = []
    for enrollment in targets:
        sequence = sequences.get((enrollment.sequence_id, enrollment.sequence_version))
        if sequence is None:
            results.append(f"#{enrollment.id}: sequence version retired, ignored")
        elif event.kind == "out_of_office":
            assert contact is not None
            results.append(
                _out_of_office(session, enrollment, sequence, event, calendar_for(contact), now)
            )
            report.paused += enrollment.state == "paused"
        else:
            fired = _engagement_rule(session, enrollment, sequence, event, now)
            report.switched += fired is not None
            results.append(f"#{enrollment.id} {fired or 'no engagement rule fired'}")
    return f"{event.kind}: " + "; ".join(results)


def _stop(session: Session, event: EngagementEvent, now: datetime, report: EngagementReport) -> str:
    """A reply, meeting, unsubscribe or bounce: suppress where it must, exit every
    running enrollment it names and cancel their unsent touches."""
    contact = session.get(Contact, event.contact_id)
    if event.kind in SUPPRESSING and contact is not None and contact.email:
        suppression.add(session, "address", contact.email.lower(), event.kind, now)
    targets = _targets(session, event)
    if not targets:
        return f"{event.kind}: no running enrollment"
    cause = f"{event.kind} (event #{event.id})"
    for enrollment in targets:
        report.cancelled += lifecycle.exit_enrollment(session, enrollment, event.kind, now, cause)
        report.exited += 1
    return f"{event.kind}: " + "; ".join(f"#{e.id} exited" for e in targets)


def _out_of_office(
    session: Session,
    enrollment: Enrollment,
    sequence: SequenceFile,
    event: EngagementEvent,
    calendar: BusinessCalendar,
    now: datetime,
) -> str:
    rule = sequence.out_of_office
    if not rule.pause:
        return f"#{enrollment.id}: out of office, the sequence does not pause"
    if event.return_date is not None:
        back = calendar.add_business_days(event.return_date, rule.business_days_after_return)
        until = datetime.combine(back, time(0, 0), calendar.zone)
    else:
        until = now + timedelta(days=rule.default_days)
    if enrollment.state == "paused":
        enrollment.paused_until = max(enrollment.paused_until or until, until)
    else:
        lifecycle.pause_enrollment(
            session, enrollment, until, f"out of office (event #{event.id})", now
        )
    return f"#{enrollment.id} paused until {until.astimezone(calendar.zone):%Y-%m-%d}"


def _engagement_rule(
    session: Session,
    enrollment: Enrollment,
    sequence: SequenceFile,
    event: EngagementEvent,
    now: datetime,
) -> str | None:
    applied = list(enrollment.engagement_applied or [])
    for index, rule in enumerate(sequence.engagement):
        if index in applied or not _fires(session, enrollment, rule, event):
            continue
        enrollment.engagement_applied = [*applied, index]
        return jump(session, enrollment, sequence, rule, event.kind, now)
    return None


def _fires(
    session: Session, enrollment: Enrollment, rule: EngagementRule, event: EngagementEvent
) -> bool:
    if rule.on != "opened_without_reply":
        return rule.on == event.kind
    if event.kind != "opened":
        return False
    opened = session.scalar(
        select(func.count(func.distinct(EngagementEvent.touch_id))).where(
            EngagementEvent.kind == "opened",
            EngagementEvent.touch_id.is_not(None),
            EngagementEvent.touch_id.in_(
                select(Touch.id).where(Touch.enrollment_id == enrollment.id)
            ),
        )
    )
    return (opened or 0) >= (rule.after_touches or 1)


def jump(
    session: Session,
    enrollment: Enrollment,
    sequence: SequenceFile,
    rule: EngagementRule,
    why: str,
    now: datetime,
) -> str:
    """Switch branch or skip ahead: cancel the touch in flight; the next tick plans the
    new step at the next slot."""
    cause = f"engagement: {why}"
    if rule.then.branch is not None:
        target_branch, step = rule.then.branch, None
    else:
        target_branch = next(
            (
                name
                for name in (enrollment.branch, *sequence.branches)
                if any(s.id == rule.then.skip_to for s in sequence.branches[name].steps)
            ),
            enrollment.branch,
        )
        step = rule.then.skip_to
    for touch in lifecycle.unsent_touches(session, enrollment.id):
        lifecycle.move_touch(session, touch, "cancelled", cause, now)
    before = enrollment.branch
    if target_branch != enrollment.branch:
        enrollment.branch = target_branch
        enrollment.branch_at = now
    enrollment.next_step = step
    return f"{before} → {target_branch}" + (f" at step {step}" if step else "")
