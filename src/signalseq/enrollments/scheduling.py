"""Plan an enrollment's next touch from its pinned sequence version, in the contact's
local business time."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from sqlalchemy import func, select, union_all
from sqlalchemy.orm import Session

from signalseq.clock import ensure_utc
from signalseq.enrollments.lifecycle import DONE, complete_enrollment
from signalseq.enrollments.models import Enrollment, Touch, Transition
from signalseq.sequences.calendar import BusinessCalendar
from signalseq.sequences.schema import SequenceFile, Step


def contact_calendar(
    contact: Any, default_timezone: str, default_country: str | None
) -> BusinessCalendar:
    """The contact's zone, else the account's, else the workspace default."""
    account = contact.account
    zone = contact.timezone or (account.timezone if account else None) or default_timezone
    country = contact.country or (account.country if account else None) or default_country
    return BusinessCalendar(zone, country)


def step_windows(sequence: SequenceFile, step: Step) -> list[tuple[time, time]]:
    return [w.bounds for w in (step.window or sequence.send_windows)]


def _next_index(enrollment: Enrollment, steps: list[Step], taken: set[str]) -> int | None:
    """The step to plan: the jump target if one is set, else the first step after the
    furthest one already taken (steps inserted earlier by a new version are not
    back-filled)."""
    ids = [step.id for step in steps]
    if enrollment.next_step in ids and enrollment.next_step not in taken:
        return ids.index(enrollment.next_step)
    done = [ids.index(step_id) for step_id in taken if step_id in ids]
    index = max(done) + 1 if done else 0
    return index if index < len(steps) else None


def _last_done_at(session: Session, enrollment: Enrollment) -> datetime | None:
    """When the previous touch was done, by the clock that did it (simulated or live):
    a sent one when it went out (``sent_at``, even when a person settled it later), a
    skipped one when it was skipped. One round trip."""
    sent = select(Touch.sent_at.label("at")).where(
        Touch.enrollment_id == enrollment.id, Touch.state == "sent"
    )
    skipped = (
        select(Transition.at.label("at"))
        .join(Touch, (Transition.entity == "touch") & (Transition.entity_id == Touch.id))
        .where(
            Touch.enrollment_id == enrollment.id,
            Touch.state == "skipped",
            Transition.to_state == "skipped",
        )
    )
    moments = union_all(sent, skipped).subquery()
    found = session.scalar(select(func.max(moments.c.at)))
    return ensure_utc(found) if found is not None else None


def schedule_next(
    session: Session,
    enrollment: Enrollment,
    sequence: SequenceFile,
    calendar: BusinessCalendar,
    now: datetime,
) -> Touch | None:
    """Create the enrollment's next touch (one at a time), or complete the enrollment
    when every step is done. Returns the new touch, or None."""
    if enrollment.state != "active":
        return None
    if sequence.version != enrollment.sequence_version:
        raise ValueError(
            f"enrollment #{enrollment.id} is pinned to version {enrollment.sequence_version}, "
            f"not {sequence.version}"
        )
    steps = sequence.branches[enrollment.branch].steps
    touches = session.scalars(
        select(Touch).where(Touch.enrollment_id == enrollment.id, Touch.branch == enrollment.branch)
    ).all()
    if any(t.state not in (*DONE, "cancelled", "failed") for t in touches):
        return None  # one touch in flight at a time
    index = _next_index(enrollment, steps, {t.step_id for t in touches})
    if index is None:
        complete_enrollment(session, enrollment, now)
        return None
    step = steps[index]
    windows = step_windows(sequence, step)
    seed = f"{enrollment.id}/{enrollment.branch}/{step.id}"
    if enrollment.next_step is not None:
        due = now  # a jump (engagement, migration) is planned for the next slot
        enrollment.next_step = None
    elif step.day is not None:
        due = calendar.due(enrollment.branch_at or enrollment.enrolled_at, step.day, windows, seed)
    else:
        due = calendar.due(
            _last_done_at(session, enrollment) or now, step.after or 0, windows, seed
        )
    touch = Touch(
        enrollment_id=enrollment.id,
        branch=enrollment.branch,
        step_id=step.id,
        step_index=index,
        channel=step.channel,
        purpose=step.purpose,
        prompt=step.prompt,
        thread=step.thread,
        due_at=max(due, calendar.next_slot(now, windows, seed)),
    )
    session.add(touch)
    session.flush()
    return touch
