"""The enrollment and touch state machines. Every transition is checked and recorded.

Enrollment: active → paused | completed | exited; paused → active | exited.
Touch: scheduled → drafting → in_review → approved → sending → sent, or cancelled,
skipped, failed. ``sending`` is committed before a message leaves; a worker that dies
before recording the outcome leaves it there, and the next tick marks it ``unknown`` for
a person to reconcile (never re-sent on its own). A call or LinkedIn step goes from
approved to ``task`` (a person does it) and to sent (done) or skipped. An exit (reply,
meeting, unsubscribe, bounce, manual, retired) cancels every touch not yet sent, and
its open tasks, in the same unit of work.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from signalseq.enrollments.models import Enrollment, Touch, Transition
from signalseq.errors import ConflictError
from signalseq.review import closing
from signalseq.tasks import closing as tasks

ENROLLMENT_STATES = ("active", "paused", "completed", "exited")
EXIT_REASONS = (
    "replied",
    "meeting",
    "unsubscribed",
    "bounced",
    "suppressed",  # found on a suppression list when about to send
    "left_company",  # a job change: the person no longer works where they were enrolled
    "manual",
    "sequence_retired",
)
TOUCH_STATES = (
    "scheduled",
    "drafting",
    "in_review",
    "approved",
    "needs_address",  # an email with no address at the current employer: waits for one
    "sending",
    "unknown",
    "task",
    "sent",
    "cancelled",
    "skipped",
    "failed",
)
UNSENT = ("scheduled", "drafting", "in_review", "approved", "needs_address", "task")
# a message on its way or whose fate a person must settle: cancelled by nothing, and the
# next step waits for it
IN_FLIGHT = (*UNSENT, "sending", "unknown")
DONE = ("sent", "skipped")

ENROLLMENT_TRANSITIONS: dict[str, tuple[str, ...]] = {
    "active": ("paused", "completed", "exited"),
    "paused": ("active", "exited"),
    "completed": (),
    "exited": (),
}
TOUCH_TRANSITIONS: dict[str, tuple[str, ...]] = {
    "scheduled": ("drafting", "cancelled", "skipped"),
    "drafting": ("in_review", "approved", "failed", "cancelled", "skipped"),
    "in_review": ("approved", "drafting", "cancelled", "skipped"),
    "approved": ("sending", "task", "sent", "in_review", "needs_address", "cancelled", "failed"),
    "needs_address": ("approved", "cancelled", "skipped"),
    # sent; not sent (a refusal before the data: failed, or approved to retry; a stop
    # found at the last moment: cancelled); or nobody knows (unknown)
    "sending": ("sent", "approved", "needs_address", "failed", "cancelled", "unknown"),
    "unknown": ("sent", "cancelled", "approved"),  # as a person settles it
    "task": ("sent", "skipped", "cancelled"),
    "sent": (),
    "cancelled": (),
    "skipped": (),
    "failed": ("scheduled", "cancelled"),
}


class IllegalTransition(ConflictError):
    code = "illegal_transition"


def _move(
    session: Session,
    entity: str,
    obj: Any,
    allowed: dict[str, tuple[str, ...]],
    to: str,
    cause: str,
    at: datetime,
) -> None:
    if to not in allowed.get(obj.state, ()):
        raise IllegalTransition(f"{entity} #{obj.id}: cannot go from {obj.state} to {to} ({cause})")
    session.add(
        Transition(
            entity=entity,
            entity_id=obj.id,
            from_state=obj.state,
            to_state=to,
            cause=cause[:200],
            at=at,
        )
    )
    obj.state = to


def move_touch(session: Session, touch: Touch, to: str, cause: str, at: datetime) -> None:
    _move(session, "touch", touch, TOUCH_TRANSITIONS, to, cause, at)


def record_delay(session: Session, touch: Touch, due: datetime, cause: str, at: datetime) -> None:
    """Move a touch's due time (its state stays), with the reason in its history."""
    session.add(
        Transition(
            entity="touch",
            entity_id=touch.id,
            from_state=touch.state,
            to_state=touch.state,
            cause=f"{cause}; now due {due:%Y-%m-%d %H:%M} UTC"[:200],
            at=at,
        )
    )
    touch.due_at = due


def move_enrollment(
    session: Session, enrollment: Enrollment, to: str, cause: str, at: datetime
) -> None:
    _move(session, "enrollment", enrollment, ENROLLMENT_TRANSITIONS, to, cause, at)


def unsent_touches(session: Session, enrollment_id: int) -> list[Touch]:
    return list(
        session.scalars(
            select(Touch)
            .where(Touch.enrollment_id == enrollment_id, Touch.state.in_(UNSENT))
            .order_by(Touch.id)
        )
    )


def exit_enrollment(
    session: Session, enrollment: Enrollment, reason: str, at: datetime, cause: str | None = None
) -> int:
    """Exit and cancel every unsent touch and its review items (pending or approved);
    returns how many touches were cancelled."""
    if reason not in EXIT_REASONS:
        raise ValueError(f"unknown exit reason {reason!r}")
    if enrollment.state == "exited":
        return 0  # exits are idempotent: a second reply changes nothing
    why = cause or f"exit: {reason}"
    move_enrollment(session, enrollment, "exited", why, at)
    enrollment.exit_reason = reason
    enrollment.ended_at = at
    touches = unsent_touches(session, enrollment.id)
    for touch in touches:
        move_touch(session, touch, "cancelled", why, at)
    closing.cancel_for_touches(session, [t.id for t in touches], why, at)
    tasks.cancel_for_touches(session, [t.id for t in touches], why, at)
    return len(touches)


def pause_enrollment(
    session: Session, enrollment: Enrollment, until: datetime | None, cause: str, at: datetime
) -> None:
    move_enrollment(session, enrollment, "paused", cause, at)
    enrollment.paused_until = until


def resume_enrollment(session: Session, enrollment: Enrollment, cause: str, at: datetime) -> None:
    """Back to active; the next tick moves touches that fell due meanwhile to the
    contact's next send window."""
    move_enrollment(session, enrollment, "active", cause, at)
    enrollment.paused_until = None


def complete_enrollment(session: Session, enrollment: Enrollment, at: datetime) -> None:
    move_enrollment(session, enrollment, "completed", "last step done", at)
    enrollment.ended_at = at


def history(session: Session, entity: str, entity_id: int) -> list[Transition]:
    return list(
        session.scalars(
            select(Transition)
            .where(Transition.entity == entity, Transition.entity_id == entity_id)
            .order_by(Transition.id)
        )
    )
