"""Circuit breakers: a mailbox whose hard bounces or complaints climb stops sending, a
trigger rule whose enrollments bounce or complain stops enrolling — until a person
resumes it. Rates are counted over the window (``rules/policy.yaml`` ``breakers``) on
the emails sent since the later of the window's start and the last resume; a rate needs
``min_sends`` emails before it counts."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from signalseq.clock import ensure_utc
from signalseq.delivery import throttle
from signalseq.delivery.models import MailboxState, RuleBreaker
from signalseq.enrollments.models import EngagementEvent, Enrollment, Touch
from signalseq.inbound.models import InboundMessage
from signalseq.policy.schema import Breakers


@dataclass(frozen=True)
class Rates:
    kind: str  # mailbox or rule
    key: str
    since: datetime
    sends: int
    bounces: int
    complaints: int
    paused: str | None  # why, while paused

    @property
    def bounce_rate(self) -> float:
        return self.bounces / self.sends if self.sends else 0.0

    @property
    def complaint_rate(self) -> float:
        return self.complaints / self.sends if self.sends else 0.0

    def tripped(self, limits: Breakers) -> str | None:
        if self.sends < limits.min_sends:
            return None
        if self.bounce_rate > limits.max_bounce_rate:
            return (f"circuit breaker: hard bounces {self.bounce_rate:.1%} of {self.sends} "
                    f"emails since {self.since:%Y-%m-%d} (limit {limits.max_bounce_rate:.1%})")  # fmt: skip
        if self.complaint_rate > limits.max_complaint_rate:
            return (f"circuit breaker: complaints {self.complaint_rate:.2%} of {self.sends} "
                    f"emails since {self.since:%Y-%m-%d} (limit {limits.max_complaint_rate:.2%})")  # fmt: skip
        return None

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "since": self.since.isoformat(),
                "bounce_rate": round(self.bounce_rate, 4),
                "complaint_rate": round(self.complaint_rate, 4)}  # fmt: skip


def _counted(key: Any, by_rule: bool, since: datetime, only: str | None) -> list[Select[Any]]:
    """Sends, bounced touches and complaints per key, for emails sent since ``since``."""

    def scoped(query: Select[Any]) -> Select[Any]:
        if by_rule:
            query = query.join(Enrollment, Enrollment.id == Touch.enrollment_id)
        query = query.where(Touch.channel == "email", Touch.sent_at >= since)
        return query.where(key == only) if only is not None else query

    sends = scoped(select(key, func.count()).select_from(Touch).where(Touch.state == "sent"))
    bounces = scoped(
        select(key, func.count(func.distinct(EngagementEvent.touch_id)))
        .select_from(EngagementEvent)
        .join(Touch, Touch.id == EngagementEvent.touch_id)
        .where(EngagementEvent.kind == "bounced")
    )
    complaints = scoped(
        select(key, func.count())
        .select_from(InboundMessage)
        .join(Touch, Touch.id == InboundMessage.touch_id)
        .where(InboundMessage.classification == "complaint")
    )
    return [q.group_by(key) for q in (sends, bounces, complaints)]


def _rates(
    session: Session,
    kind: str,
    key: Any,
    limits: Breakers,
    now: datetime,
    resumed: dict[str, datetime],
    paused: dict[str, str],
) -> list[Rates]:
    start = now - timedelta(days=limits.window_days)
    by_rule = kind == "rule"

    def counts(since: datetime, only: str | None) -> dict[str, list[int]]:
        found: dict[str, list[int]] = {}
        for column, query in enumerate(_counted(key, by_rule, since, only)):
            for name, count in session.execute(query):
                if name is not None:
                    found.setdefault(name, [0, 0, 0])[column] = count
        return found

    found = counts(start, None)
    rows = []
    for name in sorted(set(found) | set(paused)):
        since = max(start, resumed.get(name, start))
        numbers = (
            found.get(name, [0, 0, 0])
            if since == start
            else counts(since, name).get(name, [0, 0, 0])
        )
        sends, bounces, complaints = numbers
        rows.append(Rates(kind, name, since, sends, bounces, complaints, paused.get(name)))
    return rows


def rates(session: Session, limits: Breakers, now: datetime) -> list[Rates]:
    """Every mailbox's and rule's rates over the window."""
    boxes = session.scalars(select(MailboxState)).all()
    rules = session.scalars(select(RuleBreaker)).all()
    return _rates(
        session, "mailbox", Touch.mailbox_id, limits, now,
        {b.mailbox_id: ensure_utc(b.resumed_at) for b in boxes if b.resumed_at},
        {b.mailbox_id: b.paused_reason or "paused" for b in boxes if b.paused_at},
    ) + _rates(
        session, "rule", Enrollment.rule_id, limits, now,
        {r.rule_id: ensure_utc(r.resumed_at) for r in rules if r.resumed_at},
        {r.rule_id: r.paused_reason or "paused" for r in rules if r.paused_at},
    )  # fmt: skip


def check(session: Session, limits: Breakers, now: datetime) -> list[str]:
    """Trip every breaker over its limit; the alerts of the ones tripped now."""
    alerts = []
    for row in rates(session, limits, now):
        reason = row.tripped(limits) if row.paused is None else None
        if reason is None:
            continue
        if row.kind == "mailbox":
            throttle.pause(session, row.key, reason, now)
            alerts.append(f"mailbox {row.key} paused: {reason}; `signalseq delivery resume "
                          f"{row.key}` once it is dealt with")  # fmt: skip
        else:
            breaker = session.get(RuleBreaker, row.key) or RuleBreaker(rule_id=row.key)
            breaker.paused_at, breaker.paused_reason = now, reason[:300]
            session.add(breaker)
            alerts.append(f"rule {row.key} enrolls nobody: {reason}; `signalseq breakers "
                          f"resume-rule {row.key}` once it is dealt with")  # fmt: skip
    return alerts


def paused_rules(session: Session) -> set[str]:
    return set(
        session.scalars(select(RuleBreaker.rule_id).where(RuleBreaker.paused_at.is_not(None)))
    )


def resume_rule(session: Session, rule_id: str, now: datetime) -> bool:
    breaker = session.get(RuleBreaker, rule_id, with_for_update=True)
    if breaker is None:
        breaker = RuleBreaker(rule_id=rule_id)
        session.add(breaker)
    was = breaker.paused_at is not None
    breaker.paused_at = breaker.paused_reason = None
    breaker.resumed_at = now
    return was


def paused(session: Session) -> list[str]:
    """What is paused now, one line each (the dashboard's alert)."""
    boxes = session.scalars(select(MailboxState).where(MailboxState.paused_at.is_not(None)))
    rules = session.scalars(select(RuleBreaker).where(RuleBreaker.paused_at.is_not(None)))
    return [f"mailbox {b.mailbox_id}: {b.paused_reason or 'paused'}" for b in boxes] + [
        f"rule {r.rule_id}: {r.paused_reason or 'paused'}" for r in rules
    ]
