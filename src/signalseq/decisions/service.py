"""Live decisions: every undecided signal is evaluated once, its verdicts stored as
decisions, and its enrollments created — each batch one unit of work."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from signalseq.clock import Clock
from signalseq.crm.models import Account, Contact
from signalseq.decisions.evaluate import DecisionContext, Verdict, decide_signal, needs_aggregates
from signalseq.decisions.history import StoreHistory
from signalseq.decisions.models import Decision
from signalseq.delivery import breakers
from signalseq.enrollments.models import Enrollment
from signalseq.errors import ValidationFailed
from signalseq.people.finder import EmailFinder
from signalseq.people.moves import Move, apply_job_change, previous_job
from signalseq.policy.schema import DEFAULT_POLICY, PolicyFile
from signalseq.rules.engine import RuleEngine
from signalseq.rules.ruleset import RuleSet, compile_rules
from signalseq.sequences import catalog
from signalseq.signals.aggregates import account_aggregates
from signalseq.signals.models import Signal
from signalseq.store.db import Database
from signalseq.tasks import service as tasks
from signalseq.workspace.loader import Workspace

if TYPE_CHECKING:
    from signalseq.rules.watcher import LoadedRules

BATCH = 200


@dataclass
class DecideReport:
    rules_version: str
    signals: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    by_rule: Counter[str] = field(default_factory=Counter)
    verdicts: list[Verdict] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rules_version": self.rules_version,
            "signals": self.signals,
            "outcomes": dict(self.outcomes),
            "enrolled_by_rule": dict(self.by_rule),
        }


def workspace_rules(workspace: Workspace) -> tuple[RuleSet, PolicyFile, dict[str, int]]:
    ruleset, problems = compile_rules(workspace)
    if problems:
        raise ValidationFailed(problems)
    policy_file = workspace.one("policy")
    policy = policy_file.model if policy_file else DEFAULT_POLICY
    versions = {key: model.version for key, model in catalog.latest(workspace).items()}
    return ruleset, policy, versions


def _contacts(session: Session, account: Account | None, signal: Signal) -> list[Contact]:
    contacts = list(account.contacts) if account is not None else []
    if signal.contact_id is not None and all(c.id != signal.contact_id for c in contacts):
        person = session.get(Contact, signal.contact_id)
        if person is not None:
            contacts.append(person)
    return contacts


def _store(session: Session, verdict: Verdict, version: str, now: datetime) -> None:
    decision = Decision(
        signal_id=verdict.signal_id,
        contact_id=verdict.contact_id,
        account_id=verdict.account_id,
        outcome=verdict.outcome,
        reason=verdict.reason,
        rule_id=verdict.rule_id,
        rules_version=version,
        sequence_id=verdict.sequence_id,
        branch=verdict.branch,
        matched_rules=verdict.matched_rules,
        trace=verdict.trace,
        enrollment_id=verdict.enrollment_id,
        decided_at=now,
    )
    session.add(decision)
    if verdict.enrollment_id is not None:
        session.flush()
        enrollment = session.get(Enrollment, verdict.enrollment_id)
        if enrollment is not None:
            enrollment.decision_id = decision.id


def _move_person(
    session: Session, signal: Signal, finder: EmailFinder, now: datetime
) -> Move | None:
    """A job change moves the person first, so the rules read the new job."""
    if signal.kind != "job_change" or signal.contact_id is None:
        return None
    contact = session.get(Contact, signal.contact_id)
    return apply_job_change(session, signal, contact, finder, now) if contact else None


def _ask_for_address(session: Session, move: Move, verdict: Verdict, now: datetime) -> None:
    """A mover enrolled without an address: the owner is asked to find one now, not when
    the first email comes due."""
    if verdict.enrollment_id is None or move.address is None or move.address.address:
        return
    contact = session.get(Contact, move.contact_id)
    if contact is not None:
        tasks.ask_for_address(session, verdict.enrollment_id, contact,
                              f"needs an address: {move.address.summary}", now)  # fmt: skip


def decide_pending(
    database: Database,
    workspace: Workspace,
    clock: Clock,
    *,
    limit: int | None = None,
    keep_verdicts: bool = False,
    rules: LoadedRules | None = None,
) -> DecideReport:
    """Decide every signal not decided yet. ``rules``: the ones a worker already holds
    (building a rule engine per call would leak; durable_rules never frees one)."""
    if rules is not None:
        ruleset, policy, versions, engine = (
            rules.ruleset, rules.policy, rules.sequence_versions, rules.engine
        )  # fmt: skip
    else:
        ruleset, policy, versions = workspace_rules(workspace)
        engine = RuleEngine(ruleset)
    report = DecideReport(ruleset.version)
    finder = EmailFinder.for_workspace(workspace)
    while limit is None or report.signals < limit:
        with database.unit_of_work() as session:
            signals = session.scalars(
                select(Signal)
                .where(Signal.decided_at.is_(None))
                .order_by(Signal.occurred_at, Signal.id)
                .limit(BATCH)
            ).all()
            if not signals:
                break
            history = StoreHistory(session)

            def record(verdict: Verdict, at: datetime, session: Session = session) -> int:
                assert verdict.contact_id is not None and verdict.sequence_id and verdict.branch
                enrollment = Enrollment(
                    contact_id=verdict.contact_id,
                    account_id=verdict.account_id,
                    sequence_id=verdict.sequence_id,
                    sequence_version=versions[verdict.sequence_id],
                    branch=verdict.branch,
                    rule_id=verdict.rule_id or "",
                    signal_id=verdict.signal_id,
                    needs_review=verdict.needs_review,
                    enrolled_at=at,
                )
                session.add(enrollment)
                session.flush()
                return enrollment.id

            context = DecisionContext(
                ruleset,
                engine,
                policy,
                history,
                record,
                previous_job=partial(previous_job, session),
                paused_rules=frozenset(breakers.paused_rules(session)),
            )
            accounts = {
                a.id: a
                for a in session.scalars(
                    select(Account)
                    .options(selectinload(Account.contacts))
                    .where(Account.id.in_({s.account_id for s in signals if s.account_id}))
                )
            }
            for signal in signals:
                now = clock.now()
                move = _move_person(session, signal, finder, now)
                if move is not None:
                    context.forget(move.contact_id)
                account = accounts.get(signal.account_id) if signal.account_id else None
                aggregates = (
                    account_aggregates(session, account.id, signal.occurred_at)
                    if account is not None and needs_aggregates(ruleset, signal.kind)
                    else {}
                )
                verdicts = decide_signal(
                    context,
                    signal=signal,
                    account=account,
                    contacts=_contacts(session, account, signal),
                    signal_contact_id=signal.contact_id,
                    aggregates=aggregates,
                    as_of=now,
                )
                for verdict in verdicts:
                    if move is not None and verdict.contact_id == move.contact_id:
                        verdict.trace["employment"] = move.as_dict()
                        _ask_for_address(session, move, verdict, now)
                    _store(session, verdict, ruleset.version, now)
                    report.outcomes[verdict.reason] += 1
                    if verdict.outcome == "enrolled":
                        report.by_rule[verdict.rule_id or ""] += 1
                if keep_verdicts:
                    report.verdicts.extend(verdicts)
                signal.decided_at = now
                report.signals += 1
    return report
