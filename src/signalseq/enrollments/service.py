"""What the CLI and the worker ask of enrollments: list, manual controls, planning the
next touches, and claiming due touches."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.sql.selectable import GenerativeSelect

from signalseq.crm.models import Contact
from signalseq.enrollments import lifecycle
from signalseq.enrollments.models import Enrollment, Touch
from signalseq.enrollments.scheduling import contact_calendar, schedule_next, step_windows
from signalseq.errors import NotFoundError, UsageError
from signalseq.sequences.calendar import BusinessCalendar
from signalseq.sequences.schema import SequenceFile

LEASE = timedelta(minutes=5)


def enrollment_dict(enrollment: Enrollment, touches: list[Touch]) -> dict[str, Any]:
    return {
        "id": enrollment.id,
        "contact_id": enrollment.contact_id,
        "sequence": enrollment.sequence_id,
        "version": enrollment.sequence_version,
        "branch": enrollment.branch,
        "state": enrollment.state,
        "exit_reason": enrollment.exit_reason,
        "rule": enrollment.rule_id,
        "enrolled_at": enrollment.enrolled_at.isoformat(),
        "paused_until": enrollment.paused_until.isoformat() if enrollment.paused_until else None,
        "touches": [
            {
                "id": t.id,
                "step": t.step_id,
                "channel": t.channel,
                "state": t.state,
                "due_at": t.due_at.isoformat(),
            }
            for t in touches
        ],
    }


def list_enrollments(
    session: Session,
    *,
    state: str | None = None,
    sequence: str | None = None,
    limit: int | None = 200,
) -> list[dict[str, Any]]:
    query = select(Enrollment).order_by(Enrollment.id)
    if state:
        query = query.where(Enrollment.state == state)
    if sequence:
        query = query.where(Enrollment.sequence_id == sequence)
    if limit:
        query = query.limit(limit)
    rows = session.scalars(query).all()
    touches: dict[int, list[Touch]] = {}
    for touch in session.scalars(
        select(Touch)
        .where(Touch.enrollment_id.in_([r.id for r in rows]))
        .order_by(Touch.step_index, Touch.id)
    ):
        touches.setdefault(touch.enrollment_id, []).append(touch)
    return [enrollment_dict(row, touches.get(row.id, [])) for row in rows]


def _get(session: Session, enrollment_id: int) -> Enrollment:
    row = session.get(Enrollment, enrollment_id)
    if row is None:
        raise NotFoundError(f"no enrollment #{enrollment_id}")
    return row


def pause(
    session: Session, enrollment_id: int, until: datetime | None, now: datetime
) -> Enrollment:
    row = _get(session, enrollment_id)
    lifecycle.pause_enrollment(session, row, until, "paused by hand", now)
    return row


def resume(session: Session, enrollment_id: int, now: datetime) -> Enrollment:
    row = _get(session, enrollment_id)
    lifecycle.resume_enrollment(session, row, "resumed by hand", now)
    return row


def exit_by_hand(session: Session, enrollment_id: int, now: datetime) -> int:
    return lifecycle.exit_enrollment(
        session, _get(session, enrollment_id), "manual", now, "exited by hand"
    )


def skip_step(session: Session, enrollment_id: int, now: datetime) -> Touch:
    """Skip the touch in flight (not yet sent); the next step is planned on the next tick."""
    row = _get(session, enrollment_id)
    pending = lifecycle.unsent_touches(session, row.id)
    if not pending:
        raise UsageError(f"enrollment #{enrollment_id} has no unsent touch to skip")
    lifecycle.move_touch(session, pending[0], "skipped", "skipped by hand", now)
    return pending[0]


@dataclass
class PlanReport:
    scheduled: int = 0
    completed: int = 0
    resumed: int = 0
    reslotted: int = 0


STALE = timedelta(hours=1)


def plan_touches(
    session: Session,
    sequences: dict[tuple[str, int], SequenceFile],
    now: datetime,
    *,
    default_timezone: str,
    default_country: str | None,
    limit: int = 1000,
) -> PlanReport:
    """Resume enrollments whose pause has ended; move touches that fell due long ago
    (while paused, or while no worker ran) to the next send window; give each active
    enrollment without a touch in flight its next touch, or complete it."""
    report = PlanReport()
    lock = _skip_locked(session)
    for row in session.scalars(
        lock(
            select(Enrollment)
            .where(
                Enrollment.state == "paused",
                Enrollment.paused_until.is_not(None),
                Enrollment.paused_until <= now,
            )
            .limit(limit)
        )
    ):
        lifecycle.resume_enrollment(session, row, "pause ended", now)
        report.resumed += 1
    calendars = Calendars(session, default_timezone, default_country)
    for touch, row in session.execute(
        lock(
            select(Touch, Enrollment)
            .join(Enrollment, Touch.enrollment_id == Enrollment.id)
            .where(
                Enrollment.state == "active",
                Touch.state == "scheduled",
                Touch.due_at < now - STALE,
                or_(Touch.lease_until.is_(None), Touch.lease_until < now),
            )
            .limit(limit)
        )
    ).all():
        sequence = sequences.get((row.sequence_id, row.sequence_version))
        step = sequence.step(touch.branch, touch.step_id) if sequence else None
        if sequence is None or step is None:
            continue
        seed = f"{row.id}/{touch.branch}/{touch.step_id}/late"
        touch.due_at = calendars.of(row.contact_id).next_slot(
            now, step_windows(sequence, step), seed
        )
        report.reslotted += 1
    in_flight = select(Touch.enrollment_id).where(Touch.state.in_(lifecycle.IN_FLIGHT))
    rows = session.scalars(
        lock(
            select(Enrollment)
            .where(Enrollment.state == "active", Enrollment.id.not_in(in_flight))
            .order_by(Enrollment.id)
            .limit(limit)
        )
    ).all()
    calendars.load({r.contact_id for r in rows})
    for row in rows:
        sequence = sequences.get((row.sequence_id, row.sequence_version))
        if sequence is None:
            continue  # a retired version: `sequences migrate` moves these
        try:
            with session.begin_nested():
                planned = schedule_next(session, row, sequence, calendars.of(row.contact_id), now)
        except IntegrityError:
            continue  # another worker planned this step a moment ago
        if planned is not None:
            report.scheduled += 1
        elif row.state == "completed":
            report.completed += 1
    return report


Query = TypeVar("Query", bound=GenerativeSelect)


def _skip_locked(session: Session) -> Callable[[Query], Query]:
    """On PostgreSQL, lock the rows selected and skip those another worker holds."""
    postgres = session.get_bind().dialect.name == "postgresql"

    def lock(query: Query) -> Query:
        return query.with_for_update(of=Enrollment, skip_locked=True) if postgres else query

    return lock


class Calendars:
    """Each contact's business calendar, loaded in bulk."""

    def __init__(self, session: Session, default_timezone: str, default_country: str | None):
        self.session = session
        self.defaults = (default_timezone, default_country)
        self._by_contact: dict[int, BusinessCalendar] = {}

    def load(self, contact_ids: set[int]) -> None:
        missing = contact_ids - self._by_contact.keys()
        for contact in self.session.scalars(
            select(Contact).options(selectinload(Contact.account)).where(Contact.id.in_(missing))
        ):
            self._by_contact[contact.id] = contact_calendar(contact, *self.defaults)

    def of(self, contact_id: int) -> BusinessCalendar:
        if contact_id not in self._by_contact:
            self.load({contact_id})
        return self._by_contact[contact_id]


def claim(
    session: Session,
    worker: str,
    now: datetime,
    state: str = "scheduled",
    limit: int = 100,
) -> list[Touch]:
    """Touches in ``state`` for this worker (``scheduled`` and ``approved`` ones only once
    due), under a lease: on PostgreSQL `FOR UPDATE SKIP LOCKED` so two workers never take the same
    touch; a lease that expired (its worker died) is taken over."""
    query = (
        select(Touch)
        .join(Enrollment, Touch.enrollment_id == Enrollment.id)
        .where(
            Touch.state == state,
            Enrollment.state == "active",
            or_(Touch.lease_until.is_(None), Touch.lease_until < now),
        )
        .order_by(Touch.due_at, Touch.id)
        .limit(limit)
    )
    if state in ("scheduled", "approved"):  # drafted on time, sent on time
        query = query.where(Touch.due_at <= now)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(of=Touch, skip_locked=True)
    touches = list(session.scalars(query))
    for touch in touches:
        touch.lease_owner = worker
        touch.lease_until = now + LEASE
    session.flush()
    return touches
