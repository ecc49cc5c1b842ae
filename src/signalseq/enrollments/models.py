"""A contact's run through one sequence, and what caused it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from signalseq.store.base import Base, UTCDateTime, utcnow


class Enrollment(Base):
    __tablename__ = "enrollments"
    __table_args__ = (
        Index("ix_enrollments_contact_state", "contact_id", "state"),
        Index("ix_enrollments_account_time", "account_id", "enrolled_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    sequence_id: Mapped[str] = mapped_column(String(100))
    sequence_version: Mapped[int] = mapped_column(Integer)
    branch: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(20), default="active")
    exit_reason: Mapped[str | None] = mapped_column(String(40))
    rule_id: Mapped[str] = mapped_column(String(100))
    signal_id: Mapped[int | None] = mapped_column(ForeignKey("signals.id", ondelete="SET NULL"))
    # the decision that enrolled (no foreign key: decisions also point here)
    decision_id: Mapped[int | None] = mapped_column(Integer)
    needs_review: Mapped[bool] = mapped_column(default=False)
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_touch_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
