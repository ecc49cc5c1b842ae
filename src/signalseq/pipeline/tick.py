"""One tick of the whole pipeline: ingest, decide, inbound, schedule, draft, release,
deliver (email sent, calls and LinkedIn steps handed to people as tasks).

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
from datetime import datetime
from functools import partial
from typing import Any

from jinja2 import TemplateError
from sqlalchemy import select
from sqlalchemy.orm import Session

from signalseq.clock import Clock
from signalseq.decisions.service import DecideReport, decide_pending
from signalseq.delivery import breakers
from signalseq.delivery import service as delivery
from signalseq.delivery.mailboxes import Mailbox
from signalseq.delivery.service import Delivery, Reserved
from signalseq.drafting import service as drafting
from signalseq.drafting.service import Drafter, DraftJob, OfflineDrafter
from signalseq.enrollments import service
from signalseq.enrollments.engagement import EngagementReport
from signalseq.enrollments.models import Touch
from signalseq.enrollments.service import PlanReport
from signalseq.errors import SignalseqError
from signalseq.inbound import runner as inbound_runner
from signalseq.pipeline import stages
from signalseq.pipeline.stages import StageContext
from signalseq.review import views as review_views
from signalseq.review.models import ReviewItem
from signalseq.rules.watcher import LoadedRules, RulesWatcher
from signalseq.signals.ingest import SourceReport
from signalseq.signals.service import ingest
from signalseq.store.db import Database
from signalseq.tasks import service as task_service

log = logging.getLogger("signalseq.worker")

Handler = Callable[..., str]  # (session, touch, ctx) -> outcome


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
    refused: list[str] = field(default_factory=list)  # why nothing could be sent
    alerts: list[str] = field(default_factory=list)  # circuit breakers tripped this tick

    def as_dict(self) -> dict[str, Any]:
        return {
            "signals_ingested": sum(r.stored for r in self.ingest),
            "decide": self.decide.as_dict() if self.decide else None,
            "inbound": asdict(self.inbound),
            "plan": asdict(self.plan),
            "touches": dict(self.moves),
            "interrupted": self.interrupted,
            "delivery_refused": self.refused,
            "alerts": self.alerts,
        }


@dataclass
class Pipeline:
    database: Database
    watcher: RulesWatcher
    clock: Clock
    delivery: Delivery
    worker: str = field(default_factory=worker_name)
    batch: int = 100
    ingest: bool = True
    decide: bool = True
    approve_reviews: bool = False  # the simulated reviewer; never on in a real worker
    approve_until: datetime | None = None  # it leaves touches due from then on to people
    complete_tasks: bool = False  # the simulated rep: does call and LinkedIn tasks when due
    read_inbound: Callable[[], object] | None = None  # IMAP polling, once per tick
    should_stop: Callable[[], bool] = lambda: False
    drafter: Drafter = field(default_factory=OfflineDrafter)
    _after_commit: list[Reserved] = field(default_factory=list, init=False)
    _mailboxes_of: tuple[LoadedRules, list[Mailbox]] | None = field(default=None, init=False)

    def tick(self) -> TickReport:
        report = TickReport()
        rules = self.watcher.current()
        if self.ingest:
            report.ingest = ingest(self.database, rules.workspace, self.clock, only_due=True)
        if self.decide:
            report.decide = decide_pending(self.database, rules.workspace, self.clock, rules=rules)
        if self.read_inbound is not None:
            try:
                self.read_inbound()
            except SignalseqError as exc:  # a mailbox that cannot be read must not stop sending
                log.error("inbound mail not read: %s", exc)
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
        stages_in_order: list[Callable[[], bool]] = [
            lambda: self._stage(rules, "scheduled", stages.start, report),
            lambda: self._draft_stage(rules, report),
        ]
        # late items are rescheduled before anyone approves them: an approval given now
        # applies to the next window, never to one already closed
        stages_in_order.append(lambda: self._hold_late_reviews(rules, report))
        if self.approve_reviews:
            approve = partial(stages.approve, until=self.approve_until)
            stages_in_order.append(lambda: self._stage(rules, "in_review", approve, report))
        if self.complete_tasks:
            stages_in_order.append(lambda: self._complete_tasks(report))
        stages_in_order.append(
            lambda: self._stage(rules, "needs_address", stages.address_found, report)
        )
        stages_in_order.append(lambda: self._deliver_stage(rules, report))
        for stage in stages_in_order:
            if not stage():
                report.interrupted = True
                break
        return report

    def _inbound(self, rules: LoadedRules, report: TickReport) -> None:
        report.inbound = inbound_runner.apply_now(self.database, rules, self.clock.now())

    def _claim(self, state: str) -> tuple[list[int], datetime]:
        now = self.clock.now()
        with self.database.unit_of_work() as session:
            return [t.id for t in service.claim(session, self.worker, now, state, self.batch)], now

    def _handle(
        self,
        touch_id: int,
        state: str,
        work: Callable[[Session, Touch], str],
        report: TickReport,
    ) -> None:
        """``work`` on one touch in its own unit of work, if this worker still holds it;
        the move it made is counted in ``report``."""
        with self.database.unit_of_work() as session:
            touch = session.get(Touch, touch_id, with_for_update=True)
            if touch is None or touch.state != state or touch.lease_owner != self.worker:
                return  # moved meanwhile (an exit cancelled it), or lease lost
            outcome = work(session, touch)
            if outcome == stages.HELD:
                return  # left for a person; the lease keeps this worker from spinning on it
            if outcome != "sending":  # a touch being sent keeps its (longer) lease
                touch.lease_owner = None
                touch.lease_until = None
        report.moves[outcome] += 1

    def _stage(self, rules: LoadedRules, state: str, handler: Handler, report: TickReport) -> bool:
        """Claim and handle batches until none is left; False when asked to stop."""
        while True:
            claimed, now = self._claim(state)
            if not claimed:
                return True
            ctx = self._context(rules, now)
            for index, touch_id in enumerate(claimed):
                if self.should_stop():
                    self._release(claimed[index:])
                    return False
                self._handle(touch_id, state, partial(handler, ctx=ctx), report)
                self._send_reserved(ctx, report)
            if len(claimed) < self.batch:
                return True

    def _send_reserved(self, ctx: StageContext, report: TickReport) -> None:
        while self._after_commit:
            reserved = self._after_commit.pop()
            self.delivery.transports.for_mailbox(reserved.mailbox).prepare()
            with self.database.unit_of_work() as session:
                outcome = delivery.send_reserved(
                    session,
                    reserved,
                    self.delivery,
                    ctx.policy,
                    self.worker,
                    self.clock.now(),
                )
            report.moves[outcome] += 1  # the move it ended in, not `sending`
            report.moves["sending"] -= 1
            if not report.moves["sending"]:
                del report.moves["sending"]

    def _complete_tasks(self, report: TickReport) -> bool:
        with self.database.unit_of_work() as session:
            done = task_service.complete_due(session, "simulated-rep", self.clock.now())
        if done:
            report.moves["task_done"] += done
        return True

    def _draft_stage(self, rules: LoadedRules, report: TickReport) -> bool:
        """Drafting, a batch at a time: gather each touch's context (short reads), draft
        the batch concurrently outside any transaction, then store each draft in its
        touch's own transaction."""
        while True:
            claimed, now = self._claim("drafting")
            if not claimed:
                return True
            jobs: list[DraftJob] = []
            for touch_id in claimed:
                try:
                    with self.database.unit_of_work() as session:
                        touch = session.get(Touch, touch_id)
                        if touch is not None and touch.lease_owner == self.worker:
                            jobs.append(drafting.prepare(session, touch, rules.prompts, now))
                except (SignalseqError, TemplateError) as exc:
                    log.error("touch %s: cannot draft: %s", touch_id, exc)
                    report.moves["draft_error"] += 1
            if self.should_stop():
                self._release(claimed)
                return False
            ctx = self._context(rules, now)
            for job, result in zip(jobs, drafting.run_drafts(self.drafter, jobs), strict=True):
                if isinstance(result, BaseException):
                    log.error("touch %s: drafting failed: %s", job.touch_id, result)
                    report.moves["draft_error"] += 1
                    continue  # the lease expires and a later tick tries again

                work = partial(stages.drafted, ctx=ctx, job=job, result=result)
                self._handle(job.touch_id, "drafting", work, report)
            if len(claimed) < self.batch:
                return True

    def _context(self, rules: LoadedRules, now: datetime) -> StageContext:
        config = rules.workspace.config
        sender = rules.prompts.sender
        return StageContext(
            rules.sequences,
            rules.policy,
            self.delivery,
            now,
            rules.review,
            config.default_timezone,
            config.default_country,
            mailboxes=self._mailboxes(rules),
            sender=sender,
            worker=self.worker,
        )

    def _mailboxes(self, rules: LoadedRules) -> list[Mailbox]:
        """The workspace's mailboxes, resolved again only when the rules were reloaded
        (a context is built for every batch of every stage)."""
        if self._mailboxes_of is None or self._mailboxes_of[0] is not rules:
            boxes = self.delivery.mailboxes(rules.workspace, rules.prompts.sender)
            self._mailboxes_of = (rules, boxes)
        return self._mailboxes_of[1]

    def _deliver_stage(self, rules: LoadedRules, report: TickReport) -> bool:
        """Settle touches a dead worker left ``sending``; then, a batch at a time, mark
        due touches ``sending`` (each in its own unit of work) and send each in a second
        one. Nothing is sent while the mailboxes' set-up is refused."""
        with self.database.unit_of_work() as session:
            settled = delivery.settle_abandoned(session, self.clock.now())
            report.alerts = breakers.check(session, rules.policy.breakers, self.clock.now())
        for alert in report.alerts:
            log.error("%s", alert)
        if settled:
            report.moves["unknown"] += settled
        ctx = self._context(rules, self.clock.now())
        problems = self.delivery.problems(ctx.mailboxes, rules.prompts.sender)
        if problems:
            for problem in problems:
                log.error("nothing is sent: %s", problem)
            report.refused = problems
            return True
        try:
            return self._stage(rules, "approved", self._reserve_and_send, report)
        finally:
            self.delivery.transports.close()

    def _reserve_and_send(self, session: Session, touch: Touch, ctx: StageContext) -> str:
        outcome = stages.deliver(session, touch, ctx)
        if outcome == "sending":
            # the send itself runs after this unit of work commits `sending`
            self._after_commit.append(ctx.reserved.pop())
        return outcome

    def _hold_late_reviews(self, rules: LoadedRules, report: TickReport) -> bool:
        """Items still waiting for a person when their touch's send window closed are
        rescheduled to the next window, a batch at a time, each in its own unit of work."""
        now = self.clock.now()
        ctx = self._context(rules, now)
        after: tuple[datetime, int] | None = None
        while True:
            with self.database.unit_of_work() as session:
                due = review_views.due_items(session, now, after, self.batch)
            for item_id, due_at in due:
                if self.should_stop():
                    return False
                with self.database.unit_of_work() as session:
                    item = session.get(ReviewItem, item_id, with_for_update=True)
                    if (
                        item is not None
                        and item.state == "pending"
                        and stages.hold_late(session, item, ctx)
                    ):
                        report.moves["held"] += 1
                after = (due_at, item_id)
            if len(due) < self.batch:
                return True

    def _release(self, touch_ids: list[int]) -> None:
        """Hand back what this worker claimed and did not handle, so no one waits."""
        with self.database.unit_of_work() as session:
            for touch in session.scalars(select(Touch).where(Touch.id.in_(touch_ids))):
                if touch.lease_owner == self.worker:
                    touch.lease_owner = None
                    touch.lease_until = None
