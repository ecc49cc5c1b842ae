"""Enrollment history for the policy: the store (live runs) or memory (backtests)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from signalseq.enrollments.models import Enrollment
from signalseq.policy.models import SuppressionEntry


class StoreHistory:
    def __init__(self, session: Session):
        self.session = session
        self._suppressed: dict[tuple[str, str], str] | None = None

    def active_sequences(self, contact_id: int) -> list[str]:
        return list(
            self.session.scalars(
                select(Enrollment.sequence_id).where(
                    Enrollment.contact_id == contact_id, Enrollment.state.in_(("active", "paused"))
                )
            )
        )

    def last_enrolled(self, contact_id: int, sequence_id: str) -> datetime | None:
        return self.session.scalar(
            select(func.max(Enrollment.enrolled_at)).where(
                Enrollment.contact_id == contact_id, Enrollment.sequence_id == sequence_id
            )
        )

    def last_touch(self, contact_id: int) -> datetime | None:
        return self.session.scalar(
            select(func.max(Enrollment.last_touch_at)).where(Enrollment.contact_id == contact_id)
        )

    def account_enrollments_since(self, account_id: int, since: datetime) -> int:
        return (
            self.session.scalar(
                select(func.count(Enrollment.id)).where(
                    Enrollment.account_id == account_id, Enrollment.enrolled_at >= since
                )
            )
            or 0
        )

    def suppressed(self, email: str | None, domain: str | None) -> str | None:
        if self._suppressed is None:
            self._suppressed = {
                (s.kind, s.value): s.reason for s in self.session.scalars(select(SuppressionEntry))
            }
        if email and ("address", email) in self._suppressed:
            return "address"
        if domain and ("domain", domain) in self._suppressed:
            return "domain"
        return None


@dataclass
class _Simulated:
    contact_id: int
    account_id: int | None
    sequence_id: str
    enrolled_at: datetime


class MemoryHistory:
    """Simulated enrollments of a backtest; suppressions are read from the store once."""

    def __init__(self, suppressed: dict[tuple[str, str], str] | None = None):
        self.by_contact: dict[int, list[_Simulated]] = defaultdict(list)
        self.by_account: dict[int, list[datetime]] = defaultdict(list)
        self._suppressed = suppressed or {}
        self.active_days = 21  # a simulated enrollment counts as active for its sequence length

    def add(self, contact_id: int, account_id: int | None, sequence_id: str, at: datetime) -> None:
        self.by_contact[contact_id].append(_Simulated(contact_id, account_id, sequence_id, at))
        if account_id is not None:
            self.by_account[account_id].append(at)

    def set_now(self, now: datetime) -> None:
        self.now = now

    def active_sequences(self, contact_id: int) -> list[str]:
        from datetime import timedelta

        horizon = self.now - timedelta(days=self.active_days)
        return [
            e.sequence_id for e in self.by_contact.get(contact_id, []) if e.enrolled_at > horizon
        ]

    def last_enrolled(self, contact_id: int, sequence_id: str) -> datetime | None:
        times = [
            e.enrolled_at
            for e in self.by_contact.get(contact_id, [])
            if e.sequence_id == sequence_id
        ]
        return max(times) if times else None

    def last_touch(self, contact_id: int) -> datetime | None:
        return None  # a backtest sends nothing

    def account_enrollments_since(self, account_id: int, since: datetime) -> int:
        return sum(1 for t in self.by_account.get(account_id, []) if t >= since)

    def suppressed(self, email: str | None, domain: str | None) -> str | None:
        if email and ("address", email) in self._suppressed:
            return "address"
        if domain and ("domain", domain) in self._suppressed:
            return "domain"
        return None
