"""A contact's run through one sequence, and what caused it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from signalseq.store.base import Base, JSONDocument, UTCDateTime, utcnow


class Enrollment(Base):
    __tablename__ = "enrollments"
    __table_args__ = (
        Index("ix_enrollments_contact_state", "contact_id", "state"),
        Index("ix_enrollments_account_time", "account_id", "enrolled_at"),
        Index("ix_enrollments_enrolled_at", "enrolled_at"),
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
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_touch_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paused_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # when the current branch was entered (None: at enrollment); its `day` steps count from here
    branch_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # a step to jump to (engagement skip_to, a migration): planned next, at the next slot
    next_step: Mapped[str | None] = mapped_column(String(100))
    # engagement rules already applied (their index in the sequence), so each fires once
    engagement_applied: Mapped[list[int]] = mapped_column(JSONDocument, default=list)


class Touch(Base):
    """One planned step of an enrollment: due at a moment, moved through its states."""

    __tablename__ = "touches"
    __table_args__ = (
        UniqueConstraint("enrollment_id", "branch", "step_id"),
        Index("ix_touches_state_due", "state", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(
        ForeignKey("enrollments.id", ondelete="CASCADE"), index=True
    )
    branch: Mapped[str] = mapped_column(String(100))
    step_id: Mapped[str] = mapped_column(String(100))
    step_index: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(30))
    purpose: Mapped[str] = mapped_column(String(30))
    prompt: Mapped[str | None] = mapped_column(String(100))
    thread: Mapped[str | None] = mapped_column(String(10))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(20), default="scheduled")
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # the hash (drafting.models.content_sha256) of the subject and body that went out
    sent_sha256: Mapped[str | None] = mapped_column(String(64))
    # set when the touch is marked `sending`: the mailbox it goes out from and its
    # Message-ID (replies and bounces are matched to the touch by it)
    mailbox_id: Mapped[str | None] = mapped_column(String(100))
    message_id: Mapped[str | None] = mapped_column(String(250), unique=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Transition(Base):
    """Every state change of an enrollment or a touch: when, from, to, and why."""

    __tablename__ = "transitions"
    __table_args__ = (Index("ix_transitions_entity", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entity: Mapped[str] = mapped_column(String(20))  # enrollment or touch
    entity_id: Mapped[int] = mapped_column(Integer)
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    cause: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class EngagementEvent(Base):
    """Something the contact did: replied, booked a meeting, unsubscribed, bounced, is out
    of office, clicked, accepted a connection, opened. Inbound connectors and the CLI
    record them; the worker applies each once (``applied_at``) and records the outcome."""

    __tablename__ = "engagement_events"
    __table_args__ = (
        Index("ix_engagement_events_pending", "applied_at", "occurred_at"),
        Index("ix_engagement_events_touch_kind", "touch_id", "kind"),
        Index("ix_engagement_events_contact_time", "contact_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    # None: every running enrollment of the contact
    enrollment_id: Mapped[int | None] = mapped_column(
        ForeignKey("enrollments.id", ondelete="CASCADE")
    )
    touch_id: Mapped[int | None] = mapped_column(ForeignKey("touches.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(30))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    return_date: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(100), default="cli")
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(200))
    # a reply: positive or negative, by rules on its text, or as a reviewer set it
    sentiment: Mapped[str | None] = mapped_column(String(10))
    sentiment_by: Mapped[str | None] = mapped_column(String(100))
