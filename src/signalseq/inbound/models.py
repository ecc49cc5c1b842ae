"""Every inbound message read (IMAP, webhook, a file), what it was taken for, and
what that did. The Message-ID keeps a message from being applied twice."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from signalseq.store.base import Base, UTCDateTime


class InboundMessage(Base):
    __tablename__ = "inbound_messages"
    __table_args__ = (Index("ix_inbound_messages_received_at", "received_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(String(500), unique=True)
    source: Mapped[str] = mapped_column(String(100))  # imap:<mailbox>, webhook, file
    mailbox_id: Mapped[str | None] = mapped_column(String(100))
    from_address: Mapped[str | None] = mapped_column(String(320))
    subject: Mapped[str | None] = mapped_column(String(500))
    # bounce, soft_bounce, policy_block, complaint, auto_reply, unsubscribe, reply
    classification: Mapped[str] = mapped_column(String(30))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    enrollment_id: Mapped[int | None] = mapped_column(
        ForeignKey("enrollments.id", ondelete="SET NULL")
    )
    touch_id: Mapped[int | None] = mapped_column(ForeignKey("touches.id", ondelete="SET NULL"))
    matched_by: Mapped[str | None] = mapped_column(String(30))  # thread, address, token
    return_date: Mapped[date | None] = mapped_column(Date)
    effect: Mapped[str] = mapped_column(String(300), default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
