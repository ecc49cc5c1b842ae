"""Stored signals, each with how it was matched to an account and a contact."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from signalseq.store.base import Base, UTCDateTime, utcnow


class Signal(Base):
    __tablename__ = "signals"
    __table_args__ = (
        UniqueConstraint("source", "dedupe_key"),
        Index("ix_signals_account_kind_time", "account_id", "kind", "occurred_at"),
        Index("ix_signals_kind_time", "kind", "occurred_at"),
        # replay order (occurred_at, id) straight from the index, without sorting
        Index("ix_signals_occurred_at_id", "occurred_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    subtype: Mapped[str | None] = mapped_column(String(40))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(String(200))
    source_event_id: Mapped[str] = mapped_column(String(500))
    dedupe_key: Mapped[str] = mapped_column(String(500))
    company_name: Mapped[str | None] = mapped_column(String(300))
    company_domain: Mapped[str | None] = mapped_column(String(253))
    person_name: Mapped[str | None] = mapped_column(String(250))
    person_email: Mapped[str | None] = mapped_column(String(320))
    person_linkedin: Mapped[str | None] = mapped_column(String(500))
    actor_key: Mapped[str | None] = mapped_column(String(320))
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    raw: Mapped[dict[str, Any]] = mapped_column(default=dict)
    confidence: Mapped[float] = mapped_column(Float, default=1.0)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), index=True
    )
    account_match: Mapped[str] = mapped_column(String(20), default="none")
    account_match_score: Mapped[float] = mapped_column(Float, default=0.0)
    contact_match: Mapped[str] = mapped_column(String(20), default="none")
    match_status: Mapped[str] = mapped_column(String(20), default="unmatched")
    ingested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)


class WebhookReceipt(Base):
    """Signed webhook deliveries already accepted: a replayed one is refused."""

    __tablename__ = "webhook_receipts"
    __table_args__ = (UniqueConstraint("source", "signature"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(200))
    signature: Mapped[str] = mapped_column(String(128))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class ConnectorState(Base):
    """What a connector remembers between runs (HTTP validators, cursors)."""

    __tablename__ = "connector_states"

    source: Mapped[str] = mapped_column(String(200), primary_key=True)
    etag: Mapped[str | None] = mapped_column(String(500))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cursor: Mapped[dict[str, Any]] = mapped_column(default=dict)


class VisitorIdentity(Base):
    """Who an anonymous website visitor is, learned from Segment ``identify`` calls."""

    __tablename__ = "visitor_identities"

    anonymous_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    email: Mapped[str | None] = mapped_column(String(320))
    user_id: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
