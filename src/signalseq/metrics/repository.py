"""The report's queries. Every one starts from a cohort bounded by an indexed time
column (enrollments by ``enrolled_at``, decisions by ``decided_at``, review items by
``created_at``) and reaches touches and events through indexed keys, so a report over
the last weeks reads those weeks, not the whole history. The cohort is a subquery of
ids on the time column alone (``id IN (SELECT id ... WHERE t >= ?)``): given the whole
query, SQLite's planner (without statistics) prefers the GROUP BY column's index and
scans the whole table."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, and_, case, distinct, func, join, select
from sqlalchemy.orm import Session, aliased

from signalseq.crm.models import Account, Contact
from signalseq.decisions.models import Decision
from signalseq.drafting.models import Draft
from signalseq.enrollments.models import EngagementEvent, Enrollment, Touch
from signalseq.review.models import ReviewItem
from signalseq.signals.models import Signal

Query = TypeVar("Query", bound=Select)  # type: ignore[type-arg]
# enrollments → their touches → the events credited to those touches
CREDITED = join(Enrollment, Touch, Touch.enrollment_id == Enrollment.id).join(
    EngagementEvent, EngagementEvent.touch_id == Touch.id
)
OUTCOME_EVENTS = ("replied", "meeting", "bounced", "unsubscribed", "out_of_office")


def _recent(model: Any, column: str, since: datetime) -> Select[Any]:
    """Ids of the rows from ``since`` on, through the time column's index."""
    alias = aliased(model)
    return select(alias.id).where(getattr(alias, column) >= since)


@dataclass(frozen=True)
class Filters:
    since: datetime | None = None
    sequence: str | None = None
    rule: str | None = None

    def enrollments(self, query: Query) -> Query:
        if self.since is not None:
            query = query.where(Enrollment.id.in_(_recent(Enrollment, "enrolled_at", self.since)))
        if self.sequence:
            query = query.where(Enrollment.sequence_id == self.sequence)
        if self.rule:
            query = query.where(Enrollment.rule_id == self.rule)
        return query

    def decisions(self, query: Query) -> Query:
        query = query.where(Decision.rule_id.is_not(None))
        if self.since is not None:
            query = query.where(Decision.id.in_(_recent(Decision, "decided_at", self.since)))
        if self.sequence:
            query = query.where(Decision.sequence_id == self.sequence)
        if self.rule:
            query = query.where(Decision.rule_id == self.rule)
        return query


def enrollment_states(session: Session, f: Filters) -> list[Any]:
    """(sequence, branch, state, enrollments)"""
    query = select(
        Enrollment.sequence_id, Enrollment.branch, Enrollment.state, func.count()
    ).group_by(Enrollment.sequence_id, Enrollment.branch, Enrollment.state)
    return list(session.execute(f.enrollments(query)).all())


def sent_by_step(session: Session, f: Filters) -> list[Any]:
    """(sequence, branch, step, step index, channel, prompt, prompt version, sent)"""
    query = (
        select(
            Enrollment.sequence_id, Touch.branch, Touch.step_id, func.min(Touch.step_index),
            Touch.channel, Draft.prompt_id, Draft.prompt_version, func.count(),
        )
        .select_from(Enrollment)
        .join(Touch, Touch.enrollment_id == Enrollment.id)
        .outerjoin(Draft, Draft.touch_id == Touch.id)
        .where(Touch.sent_at.is_not(None))  # sent (not the state: its index would win)
        .group_by(Enrollment.sequence_id, Touch.branch, Touch.step_id, Touch.channel,
                  Draft.prompt_id, Draft.prompt_version)
    )  # fmt: skip
    return list(session.execute(f.enrollments(query)).all())


def events_by_step(session: Session, f: Filters) -> list[Any]:
    """(sequence, branch, step, prompt, prompt version, kind, sentiment, contacts):
    outcomes credited to the touch that produced them."""
    query = (
        select(
            Enrollment.sequence_id, Touch.branch, Touch.step_id, Draft.prompt_id,
            Draft.prompt_version, EngagementEvent.kind, EngagementEvent.sentiment,
            func.count(distinct(EngagementEvent.contact_id)),
        )
        .select_from(CREDITED)
        .outerjoin(Draft, Draft.touch_id == Touch.id)
        .where(EngagementEvent.kind.in_(OUTCOME_EVENTS))
        .group_by(Enrollment.sequence_id, Touch.branch, Touch.step_id, Draft.prompt_id,
                  Draft.prompt_version, EngagementEvent.kind, EngagementEvent.sentiment)
    )  # fmt: skip
    return list(session.execute(f.enrollments(query)).all())


def first_replies(session: Session, f: Filters) -> list[Any]:
    """(sequence, enrolled at, first reply at) per enrollment that got a reply"""
    query = (
        select(Enrollment.sequence_id, Enrollment.enrolled_at, func.min(EngagementEvent.occurred_at))
        .select_from(CREDITED)
        .where(EngagementEvent.kind == "replied")
        .group_by(Enrollment.id, Enrollment.sequence_id, Enrollment.enrolled_at)
    )  # fmt: skip
    return list(session.execute(f.enrollments(query)).all())


def decisions_by_rule(session: Session, f: Filters) -> list[Any]:
    """(rule, outcome, reason, signals, decisions, contacts): contacts are what the
    dashboard shows and links to (a contact decided twice is one person)."""
    query = select(
        Decision.rule_id, Decision.outcome, Decision.reason,
        func.count(distinct(Decision.signal_id)), func.count(),
        func.count(distinct(Decision.contact_id)),
    ).group_by(Decision.rule_id, Decision.outcome, Decision.reason)  # fmt: skip
    return list(session.execute(f.decisions(query)).all())


def signals_by_rule(session: Session, f: Filters) -> dict[str | None, int]:
    """Distinct signals each rule matched (a signal may match several contacts)."""
    query = select(Decision.rule_id, func.count(distinct(Decision.signal_id))).group_by(
        Decision.rule_id
    )
    return {rule: count for rule, count in session.execute(f.decisions(query))}


def signals_by_kind(session: Session, f: Filters) -> dict[tuple[str, str], int]:
    query = (
        select(Signal.kind, Signal.source, func.count(distinct(Decision.signal_id)))
        .select_from(Decision)
        .join(Signal, Signal.id == Decision.signal_id)
        .group_by(Signal.kind, Signal.source)
    )
    return {(kind, source): n for kind, source, n in session.execute(f.decisions(query))}


def outcomes_by_rule(session: Session, f: Filters) -> list[Any]:
    """(rule, kind, sentiment, enrollments) for replies and meetings"""
    query = (
        select(Enrollment.rule_id, EngagementEvent.kind, EngagementEvent.sentiment,
               func.count(distinct(Enrollment.id)))
        .select_from(CREDITED)
        .where(EngagementEvent.kind.in_(("replied", "meeting")))
        .group_by(Enrollment.rule_id, EngagementEvent.kind, EngagementEvent.sentiment)
    )  # fmt: skip
    return list(session.execute(f.enrollments(query)).all())


def decisions_by_signal(session: Session, f: Filters) -> list[Any]:
    """(kind, source, outcome, signals, decisions)"""
    query = (
        select(Signal.kind, Signal.source, Decision.outcome,
               func.count(distinct(Decision.signal_id)), func.count())
        .select_from(Decision)
        .join(Signal, Signal.id == Decision.signal_id)
        .group_by(Signal.kind, Signal.source, Decision.outcome)
    )  # fmt: skip
    return list(session.execute(f.decisions(query)).all())


def outcomes_by_signal(session: Session, f: Filters) -> list[Any]:
    """(kind, source, event kind, enrollments)"""
    query = (
        select(Signal.kind, Signal.source, EngagementEvent.kind, func.count(distinct(Enrollment.id)))
        .select_from(CREDITED)
        .join(Signal, Signal.id == Enrollment.signal_id)
        .where(EngagementEvent.kind.in_(("replied", "meeting")))
        .group_by(Signal.kind, Signal.source, EngagementEvent.kind)
    )  # fmt: skip
    return list(session.execute(f.enrollments(query)).all())


def holdout_arms(session: Session, f: Filters) -> list[Any]:
    """(rule, outcome, contacts, replied, met): per rule with a holdout, enrolled and
    held-out contacts and how many of each replied or booked a meeting afterwards,
    counted the same way for both arms (any reply or meeting event after the decision)."""
    held = f.decisions(select(Decision.rule_id).where(Decision.outcome == "held_out")).distinct()
    event = EngagementEvent
    after = and_(
        event.contact_id == Decision.contact_id,
        event.occurred_at >= Decision.decided_at,
        event.kind.in_(("replied", "meeting")),
    )
    query = (
        select(
            Decision.rule_id, Decision.outcome, func.count(distinct(Decision.contact_id)),
            func.count(distinct(case((event.kind == "replied", Decision.contact_id)))),
            func.count(distinct(case((event.kind == "meeting", Decision.contact_id)))),
        )
        .select_from(Decision)
        .outerjoin(event, after)
        .where(Decision.outcome.in_(("enrolled", "held_out")), Decision.rule_id.in_(held))
        .group_by(Decision.rule_id, Decision.outcome)
    )  # fmt: skip
    return list(session.execute(f.decisions(query)).all())


def review_items(session: Session, f: Filters) -> list[Any]:
    """(prompt, prompt version, state, resolution, reject reason, created, decided)"""
    query = (
        select(Draft.prompt_id, Draft.prompt_version, ReviewItem.state, ReviewItem.resolution,
               ReviewItem.reject_reason, ReviewItem.created_at, ReviewItem.decided_at)
        .select_from(ReviewItem)
        .outerjoin(Draft, Draft.touch_id == ReviewItem.touch_id)
    )  # fmt: skip
    if f.since is not None:
        query = query.where(ReviewItem.id.in_(_recent(ReviewItem, "created_at", f.since)))
    if f.sequence:
        query = query.where(ReviewItem.sequence_id == f.sequence)
    if f.rule:
        query = query.where(ReviewItem.rule_id == f.rule)
    return list(session.execute(query).all())


def _people(source: Any, contact_id: Any) -> Select[Contact, str]:
    return (
        select(Contact, Account.name)
        .select_from(source)
        .join(Contact, Contact.id == contact_id)
        .outerjoin(Account, Account.id == Contact.account_id)
    )


def contacts_behind(
    session: Session,
    f: Filters,
    *,
    rule: str | None = None,
    outcome: str | None = None,
    sequence: str | None = None,
    branch: str | None = None,
    step: str | None = None,
    prompt: str | None = None,
    event: str | None = None,
    limit: int = 500,
) -> list[dict[str, Any]]:
    """The contacts behind a number of the report (drill-down): through enrollments
    (a sequence, a branch's step with its prompt version, an event) or through
    decisions (a rule's outcome)."""
    if sequence or event:
        query = f.enrollments(_people(Enrollment, Enrollment.contact_id))
        if sequence:
            query = query.where(Enrollment.sequence_id == sequence)
        if rule:
            query = query.where(Enrollment.rule_id == rule)
        if step or event or branch or prompt:
            query = query.join(Touch, Touch.enrollment_id == Enrollment.id)
        if step:
            query = query.where(Touch.step_id == step)
        if branch:
            query = query.where(Touch.branch == branch)
        if prompt:  # "email-bump@v2"
            name, _, version = prompt.rpartition("@v")
            query = query.join(Draft, Draft.touch_id == Touch.id).where(
                Draft.prompt_id == name, Draft.prompt_version == int(version or 0)
            )
        if event:
            query = query.join(EngagementEvent, EngagementEvent.touch_id == Touch.id).where(
                EngagementEvent.kind == event
            )
        elif step:
            query = query.where(Touch.sent_at.is_not(None))  # sent, as the steps count it
    else:
        query = f.decisions(_people(Decision, Decision.contact_id))
        if rule:
            query = query.where(Decision.rule_id == rule)
        if outcome and outcome.startswith("skipped:"):
            query = query.where(Decision.outcome == "skipped",
                                Decision.reason == outcome.split(":", 1)[1])  # fmt: skip
        elif outcome:
            query = query.where(Decision.outcome == outcome)
    rows: list[Any] = list(session.execute(query.distinct().order_by(Contact.id).limit(limit)))
    return [
        {"id": c.id, "name": c.full_name, "email": c.email, "title": c.title, "account": name}
        for c, name in rows
    ]
