"""What delivery remembers between sends: each mailbox's day (how many went out, when
the last one did, whether it is paused), and every address's soft bounces."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from signalseq.store.base import Base, UTCDateTime


class MailboxState(Base):
    """One row per mailbox id, locked while a send is reserved, so two workers never
    exceed a daily cap or the gap between sends."""

    __tablename__ = "mailbox_states"

    mailbox_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    day: Mapped[date | None] = mapped_column(Date)  # the mailbox's local day counted
    sent_today: Mapped[int] = mapped_column(Integer, default=0)
    first_sent_on: Mapped[date | None] = mapped_column(Date)  # warm-up counts from here
    last_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_total: Mapped[int] = mapped_column(Integer, default=0)
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paused_reason: Mapped[str | None] = mapped_column(String(300))
    resumed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # breakers count from here
    imap_uidvalidity: Mapped[str | None] = mapped_column(String(40))
    imap_last_uid: Mapped[int] = mapped_column(Integer, default=0)


class SoftBounce(Base):
    """Temporary delivery failures (4.x.x) per address; repeated ones suppress it."""

    __tablename__ = "soft_bounces"

    address: Mapped[str] = mapped_column(String(320), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
    last_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_status: Mapped[str | None] = mapped_column(String(20))


class RecipientDomain(Base):
    """Whether a recipient domain takes mail (MX, or an address record), as last checked:
    one DNS lookup per domain per TTL, shared by every worker."""

    __tablename__ = "recipient_domains"

    domain: Mapped[str] = mapped_column(String(253), primary_key=True)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    problem: Mapped[str | None] = mapped_column(String(300))  # None: it takes mail


class RuleBreaker(Base):
    """A trigger rule whose new enrollments are stopped by its circuit breaker (paused)
    or were resumed by a person (its rates count from then)."""

    __tablename__ = "rule_breakers"

    rule_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paused_reason: Mapped[str | None] = mapped_column(String(300))
    resumed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class MailboxToken(Base):
    """A mailbox's OAuth2 tokens, encrypted with the secret key."""

    __tablename__ = "mailbox_tokens"

    mailbox_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    refresh_token: Mapped[str | None] = mapped_column(Text)
    access_token: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked: Mapped[str | None] = mapped_column(String(300))  # why, when it was
    connected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
