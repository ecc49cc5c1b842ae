"""One tick of the whole pipeline: ingest, decide, inbound, schedule, draft, release,
deliver.

Touches move through stages. Each stage claims its touches under a lease (``FOR UPDATE
SKIP LOCKED`` on PostgreSQL) in one short transaction, then handles each touch in its
own unit of work, re-reading and locking it first: two workers never process the same
touch, and a worker killed mid-tick leaves every touch either moved or untouched (its
lease expires and another worker takes it over).
"""

from __future__ import annotations

import logging
import os
import socket
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from signalseq.clock import Clock
from signalseq.decisions.service import DecideReport, decide_pending
from signalseq.enrollments import engagement, service
from signalseq.enrollments.engagement import EngagementReport
from signalseq.enrollments.models import Touch
from signalseq.enrollments.service import PlanReport
from signalseq.pipeline import stages
from signalseq.pipeline.stages import StageContext, Transport
from signalseq.rules.watcher import LoadedRules, RulesWatcher
from signalseq.signals.ingest import SourceReport
from signalseq.signals.service import ingest
from signalseq.store.db import Database

log = logging.getLogger("signalseq.worker")

Handler = Callable[[Session, Touch, StageContext], str]


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class TickReport:
    ingest: list[SourceReport] = field(default_factory=list)
    decide: DecideReport | None = None
    inbound: EngagementReport = field(default_factory=EngagementReport)
    plan: PlanReport = field(default_factory=PlanReport)
    moves: Counter[str] = field(default_factory=Counter)
    interrupted: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "signals_ingested": sum(r.stored for r in self.ingest),
            "decide": self.decide.as_dict() if self.decide else None,
            "inbound": asdict(self.inbound),
            "plan": asdict(self.plan),
            "touches": dict(self.moves),
            "interrupted": self.interrupted,
        }


@dataclass
class Pipeline:
    database: Database
    watcher: RulesWatcher
    clock: Clock
    transport: Transport
    worker: str = field(default_factory=worker_name)
    batch: int = 100
    ingest: bool = True
    decide: bool = True
    approve_reviews: bool = False  # the simulated reviewer; never on in a real worker
    should_stop: Callable[[], bool] = lambda: False

    def tick(self) -> TickReport:
        report = TickReport()
        rules = self.watcher.current()
        if self.ingest:
            report.ingest = ingest(self.database, rules.workspace, self.clock, only_due=True)
        if self.decide:
            report.decide = decide_pending(self.database, rules.workspace, self.clock, rules=rules)
        self._inbound(rules, report)
        config = rules.workspace.config
        with self.database.unit_of_work() as session:
            report.plan = service.plan_touches(
                session,
                rules.sequences,
                self.clock.now(),
                default_timezone=config.default_timezone,
                default_country=config.default_country,
                limit=10 * self.batch,
            )
        handlers: list[tuple[str, Handler]] = [
            ("scheduled", stages.start),
            ("drafting", stages.draft),
        ]
        if self.approve_reviews:
            handlers.append(("in_review", stages.approve))
        handlers.append(("approved", stages.deliver))
        for state, handler in handlers:
            if not self._stage(rules, state, handler, report):
                report.interrupted = True
                break
        return report

    def _inbound(self, rules: LoadedRules, report: TickReport) -> None:
        config = rules.workspace.config
        with self.database.unit_of_work() as session:
            calendars = service.Calendars(session, config.default_timezone, config.default_country)
            report.inbound = engagement.apply_pending(
                session,
                rules.sequences,
                lambda contact: calendars.of(contact.id),
                self.clock.now(),
                limit=10 * self.batch,
            )

    def _stage(self, rules: LoadedRules, state: str, handler: Handler, report: TickReport) -> bool:
        """Claim and handle batches until none is left; False when asked to stop."""
        while True:
            now = self.clock.now()
            with self.database.unit_of_work() as session:
                claimed = [
                    t.id for t in service.claim(session, self.worker, now, state, self.batch)
                ]
            if not claimed:
                return True
            ctx = StageContext(rules.sequences, rules.policy, self.transport, now)
            for index, touch_id in enumerate(claimed):
                if self.should_stop():
                    self._release(claimed[index:])
                    return False
                with self.database.unit_of_work() as session:
                    touch = session.get(Touch, touch_id, with_for_update=True)
                    if touch is None or touch.state != state or touch.lease_owner != self.worker:
                        continue  # moved meanwhile (an exit cancelled it), or lease lost
                    outcome = handler(session, touch, ctx)
                    touch.lease_owner = None
                    touch.lease_until = None
                report.moves[outcome] += 1
            if len(claimed) < self.batch:
                return True

    def _release(self, touch_ids: list[int]) -> None:
        """Hand back what this worker claimed and did not handle, so no one waits."""
        with self.database.unit_of_work() as session:
            for touch in session.scalars(select(Touch).where(Touch.id.in_(touch_ids))):
                if touch.lease_owner == self.worker:
                    touch.lease_owner = None
                    touch.lease_until = None
