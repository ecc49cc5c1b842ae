"""``signalseq simulate``: the pipeline's ticks on a simulated clock.

After a tick that moved something the clock advances a minute; otherwise it jumps
straight to the next moment something is due (a touch, the end of a pause, an inbound
event) — so three weeks take seconds, and touches go out at their planned minute. It writes to the configured
database: point it at a scratch one to try a sequence without touching real data.
Deliveries always go to an outbox folder, never to a mail server.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from signalseq.clock import SimulatedClock, ensure_utc
from signalseq.delivery.service import Delivery
from signalseq.drafting.service import Drafter, OfflineDrafter
from signalseq.enrollments.models import EngagementEvent, Enrollment, Touch
from signalseq.pipeline.tick import Pipeline
from signalseq.rules.watcher import RulesWatcher
from signalseq.settings import Settings
from signalseq.store.db import Database

RESOLUTION = timedelta(minutes=1)


@dataclass
class SimulationReport:
    start: datetime
    days: int
    ticks: int = 0
    sent: dict[date, Counter[str]] = field(default_factory=dict)
    moves: Counter[str] = field(default_factory=Counter)
    enrollments: Counter[str] = field(default_factory=Counter)
    waiting_review: int = 0

    @property
    def channels(self) -> list[str]:
        return sorted({c for day in self.sent.values() for c in day})

    def by_channel(self) -> Counter[str]:
        totals: Counter[str] = Counter()
        for counts in self.sent.values():
            totals.update(counts)
        return totals

    def as_dict(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(),
            "days": self.days,
            "ticks": self.ticks,
            "sent_per_day": {
                d.isoformat(): dict(sorted(c.items())) for d, c in sorted(self.sent.items())
            },
            "sent_by_channel": dict(self.by_channel()),
            "moves": dict(self.moves),
            "enrollments": dict(self.enrollments),
            "waiting_review": self.waiting_review,
        }


def simulate(
    database: Database,
    watcher: RulesWatcher,
    *,
    start: datetime,
    days: int,
    outbox: Path,
    approve_reviews: bool = False,
    approve_until: datetime | None = None,
    batch: int = 100,
    on_tick: Callable[[datetime], None] | None = None,
    drafter: Drafter | None = None,
    settings: Settings | None = None,
    complete_tasks: bool = True,
    delivery: Delivery | None = None,
) -> SimulationReport:
    """``complete_tasks``: a simulated rep does each call and LinkedIn task when due
    (else the sequences wait at their first task). ``delivery``: where mail goes
    (default: the ``outbox`` folder; tests pass a loopback SMTP server)."""
    clock = SimulatedClock(start)
    end = clock.now() + timedelta(days=days)
    delivery = delivery or Delivery.to_folder(outbox, settings)
    pipeline = Pipeline(
        database,
        watcher,
        clock,
        delivery,
        worker="simulator",
        batch=batch,
        ingest=False,
        approve_reviews=approve_reviews,
        approve_until=approve_until,
        complete_tasks=complete_tasks,
        drafter=drafter or OfflineDrafter(),
    )
    report = SimulationReport(clock.now(), days)
    while clock.now() < end:
        tick = pipeline.tick()
        report.ticks += 1
        report.moves.update(tick.moves)
        if on_tick is not None:
            on_tick(clock.now())
        busy = tick.moves or tick.plan.scheduled or tick.plan.resumed or tick.inbound.events
        soon = clock.now() + RESOLUTION
        # after a busy tick, tick again soon (the next touches get planned); else sleep
        # until the next thing is due
        wake = soon if busy else max(soon, _next_wakeup(database, end))
        clock.set(min(wake, end))
    _summarize(database, report, start, end)
    return report


def _next_wakeup(database: Database, end: datetime) -> datetime:
    """The next moment anything is due; ``end`` when nothing is."""
    with database.unit_of_work() as session:
        candidates = [
            session.scalar(
                select(func.min(Touch.due_at))
                .join(Enrollment, Touch.enrollment_id == Enrollment.id)
                .where(Touch.state.in_(("scheduled", "approved")), Enrollment.state == "active")
            ),
            session.scalar(
                select(func.min(Enrollment.paused_until)).where(Enrollment.state == "paused")
            ),
            session.scalar(
                select(func.min(EngagementEvent.occurred_at)).where(
                    EngagementEvent.applied_at.is_(None)
                )
            ),
        ]
    moments = [ensure_utc(c) for c in candidates if c is not None]
    return min([*moments, end])


def _summarize(
    database: Database, report: SimulationReport, start: datetime, end: datetime
) -> None:
    with database.unit_of_work() as session:
        for channel, sent_at in session.execute(
            select(Touch.channel, Touch.sent_at).where(Touch.sent_at >= start, Touch.sent_at < end)
        ):
            if sent_at is not None:
                report.sent.setdefault(ensure_utc(sent_at).date(), Counter())[channel] += 1
        report.enrollments.update(
            dict(
                session.execute(
                    select(Enrollment.state, func.count()).group_by(Enrollment.state)
                ).all()
            )
        )
        report.waiting_review = (
            session.scalar(
                select(func.count()).select_from(Touch).where(Touch.state == "in_review")
            )
            or 0
        )
