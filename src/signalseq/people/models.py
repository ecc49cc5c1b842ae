"""A person's employments: the current one (what the contact row mirrors) and past ones."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from signalseq.store.base import Base, UTCDateTime


class Employment(Base):
    """One job of a contact. Exactly one is current while the person works somewhere we
    know of; the contact row carries its account, title, seniority, department and work
    email (every reader reads those). A past employment keeps its address for history:
    it is never written to about a later job."""

    __tablename__ = "employments"
    __table_args__ = (Index("ix_employments_contact_current", "contact_id", "current"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), index=True
    )
    company_name: Mapped[str | None] = mapped_column(String(300))
    company_domain: Mapped[str | None] = mapped_column(String(253))
    title: Mapped[str | None] = mapped_column(String(300))
    seniority: Mapped[str] = mapped_column(String(20), default="individual")
    department: Mapped[str] = mapped_column(String(40), default="other")
    email: Mapped[str | None] = mapped_column(String(320))
    email_source: Mapped[str | None] = mapped_column(String(40))
    email_confidence: Mapped[float | None] = mapped_column(Float)
    started_on: Mapped[date | None] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    current: Mapped[bool] = mapped_column(Boolean, default=True)
    # the job-change signal that started or ended it (None: imported)
    signal_id: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(40), default="import")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
