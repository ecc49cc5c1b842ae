"""Review items, their reasons, the queue's counters and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from signalseq.store.base import Base, JSONDocument, UTCDateTime

ITEM_STATES = ("pending", "approved", "edited", "rejected", "cancelled")  # edited: four eyes


class ReviewItem(Base):
    """One round of review of a touch's draft. A touch has at most one pending item; a
    redraft after a rejection, or an approval voided by a change, opens a new one."""

    __tablename__ = "review_items"
    __table_args__ = (
        Index("ix_review_items_state_due", "state", "due_at", "id"),
        Index("ix_review_items_touch", "touch_id", "id"),
        Index("ix_review_items_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    touch_id: Mapped[int] = mapped_column(ForeignKey("touches.id", ondelete="CASCADE"))
    enrollment_id: Mapped[int] = mapped_column(Integer)
    contact_id: Mapped[int] = mapped_column(Integer, index=True)
    state: Mapped[str] = mapped_column(String(20), default="pending")
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSONDocument, default=list)
    low_risk: Mapped[bool] = mapped_column(default=False)  # every reason is low-risk
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sla_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sequence_id: Mapped[str] = mapped_column(String(100))
    rule_id: Mapped[str] = mapped_column(String(100))
    account_tier: Mapped[int | None] = mapped_column(Integer)
    draft_version: Mapped[int] = mapped_column(Integer, default=1)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution: Mapped[str | None] = mapped_column(String(30))  # approved, edited, redraft, skip…
    reject_reason: Mapped[str | None] = mapped_column(String(50))
    comment: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ReviewReason(Base):
    """The reason codes of a pending item, one row each, so the queue filters by reason
    through an index. Rows are removed when the item leaves the queue."""

    __tablename__ = "review_reasons"
    __table_args__ = (Index("ix_review_reasons_code_due", "code", "due_at", "item_id"),)

    item_id: Mapped[int] = mapped_column(
        ForeignKey("review_items.id", ondelete="CASCADE"), primary_key=True
    )
    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ReviewCount(Base):
    """Counters: pending items per facet (``pending:all``, ``pending:reason:first_touch``…)
    and approvals per sequence and prompt version (``approved:prompt:email-bump@2``),
    kept in the transactions that open and close items, so the queue page never counts
    the whole queue."""

    __tablename__ = "review_counts"

    facet: Mapped[str] = mapped_column(String(150), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class AuditEntry(Base):
    """Append-only (the migration installs triggers refusing UPDATE and DELETE): who did
    what, when, why, to which content. No foreign keys, so the trail outlives its rows."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_touch", "touch_id", "id"),
        Index("ix_audit_log_at", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(40))
    touch_id: Mapped[int | None] = mapped_column(Integer)
    item_id: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(String(200))
    comment: Mapped[str | None] = mapped_column(Text)
    content_sha256: Mapped[str | None] = mapped_column(String(64))
    draft_version: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


def latest_item(session: Session, touch_id: int) -> ReviewItem | None:
    """The touch's most recent review round, whatever became of it."""
    return session.scalar(
        select(ReviewItem)
        .where(ReviewItem.touch_id == touch_id)
        .order_by(ReviewItem.id.desc())
        .limit(1)
    )
