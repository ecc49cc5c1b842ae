"""Moving running enrollments between versions of a sequence, and retiring one.

An enrollment pins the version it started on. ``migrate`` moves the running ones
(active or paused) to another version explicitly, mapping steps by id: steps already
done stay done, a touch in flight whose step still exists keeps going (with the new
step's definition if it has not been drafted yet), one whose step is gone is
cancelled, and the next step planned is the one after the furthest step done.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from signalseq.enrollments import lifecycle
from signalseq.enrollments.models import Enrollment, Transition
from signalseq.errors import NotFoundError
from signalseq.sequences.schema import SequenceFile

RUNNING = ("active", "paused")


@dataclass
class MigrationReport:
    sequence: str
    to_version: int
    migrated: Counter[int] = field(default_factory=Counter)  # by version they came from
    cancelled: int = 0
    updated: int = 0
    blocked: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "sequence": self.sequence,
            "to_version": self.to_version,
            "migrated": sum(self.migrated.values()),
            "from_versions": {str(v): n for v, n in sorted(self.migrated.items())},
            "touches_cancelled": self.cancelled,
            "touches_updated": self.updated,
            "blocked": self.blocked,
        }


def running(session: Session, sequence_id: str, version: int | None = None) -> list[Enrollment]:
    query = select(Enrollment).where(
        Enrollment.sequence_id == sequence_id, Enrollment.state.in_(RUNNING)
    )
    if version is not None:
        query = query.where(Enrollment.sequence_version == version)
    return list(session.scalars(query.order_by(Enrollment.id)))


def migrate(
    session: Session,
    sequences: dict[tuple[str, int], SequenceFile],
    sequence_id: str,
    to_version: int,
    now: datetime,
    *,
    from_version: int | None = None,
) -> MigrationReport:
    target = sequences.get((sequence_id, to_version))
    if target is None:
        known = sorted(v for s, v in sequences if s == sequence_id)
        raise NotFoundError(
            f"no sequence {sequence_id!r} version {to_version} in the workspace"
            + (f" (versions: {', '.join(map(str, known))})" if known else "")
        )
    report = MigrationReport(sequence_id, to_version)
    for enrollment in running(session, sequence_id, from_version):
        old = enrollment.sequence_version
        if old == to_version:
            continue
        branch = target.branches.get(enrollment.branch)
        if branch is None:
            report.blocked.append(
                f"enrollment #{enrollment.id}: branch {enrollment.branch!r} is not in "
                f"version {to_version}"
            )
            continue
        steps = {step.id: (index, step) for index, step in enumerate(branch.steps)}
        cause = f"migrated from version {old} to {to_version}"
        for touch in lifecycle.unsent_touches(session, enrollment.id):
            if touch.branch != enrollment.branch or touch.step_id not in steps:
                lifecycle.move_touch(session, touch, "cancelled", f"{cause}: step removed", now)
                report.cancelled += 1
            elif touch.state == "scheduled":
                index, step = steps[touch.step_id]
                touch.step_index, touch.channel, touch.purpose = index, step.channel, step.purpose
                touch.prompt, touch.thread = step.prompt, step.thread
                report.updated += 1
        enrollment.sequence_version = to_version
        enrollment.engagement_applied = []  # rule indexes are per version
        session.add(
            Transition(
                entity="enrollment",
                entity_id=enrollment.id,
                from_state=enrollment.state,
                to_state=enrollment.state,
                cause=cause,
                at=now,
            )
        )
        report.migrated[old] += 1
    return report


def retire(
    session: Session, sequence_id: str, now: datetime, *, version: int | None = None
) -> tuple[int, int]:
    """Exit the running enrollments of a sequence (or one version of it); returns the
    enrollments exited and the touches cancelled."""
    exited = cancelled = 0
    for enrollment in running(session, sequence_id, version):
        cancelled += lifecycle.exit_enrollment(
            session, enrollment, "sequence_retired", now, f"sequence {sequence_id} retired"
        )
        exited += 1
    return exited, cancelled
