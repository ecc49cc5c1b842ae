"""Accounts (companies) and contacts (people) we may reach out to."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from signalseq.store.base import Base, TimestampMixin


class Account(TimestampMixin, Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    domain: Mapped[str | None] = mapped_column(String(253), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    normalized_name: Mapped[str] = mapped_column(String(300), index=True)
    tier: Mapped[int | None] = mapped_column(Integer)
    industry: Mapped[str | None] = mapped_column(String(200))
    employees: Mapped[int | None] = mapped_column(Integer)
    country: Mapped[str | None] = mapped_column(String(2))
    timezone: Mapped[str | None] = mapped_column(String(64))
    is_customer: Mapped[bool] = mapped_column(Boolean, default=False)
    has_open_opportunity: Mapped[bool] = mapped_column(Boolean, default=False)
    owner: Mapped[str | None] = mapped_column(String(320))
    crm_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    source: Mapped[str] = mapped_column(String(40), default="import")
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)

    contacts: Mapped[list[Contact]] = relationship(back_populates="account")


class Contact(TimestampMixin, Base):
    __tablename__ = "contacts"
    __table_args__ = (Index("ix_contacts_account_id_seniority", "account_id", "seniority"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # the work address at the current employer (None: none we have reason to believe),
    # where it came from (import, crm, provider, pattern, http, manual, personal) and how
    # sure we are of it (0..1)
    email: Mapped[str | None] = mapped_column(String(320), unique=True)
    email_source: Mapped[str | None] = mapped_column(String(40))
    email_confidence: Mapped[float | None] = mapped_column(Float)
    first_name: Mapped[str | None] = mapped_column(String(120))
    last_name: Mapped[str | None] = mapped_column(String(120))
    full_name: Mapped[str] = mapped_column(String(250))
    title: Mapped[str | None] = mapped_column(String(300))
    seniority: Mapped[str] = mapped_column(String(20), default="individual")
    department: Mapped[str] = mapped_column(String(40), default="other")
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    linkedin_url: Mapped[str | None] = mapped_column(String(500))
    linkedin_slug: Mapped[str | None] = mapped_column(String(200), unique=True)
    phone: Mapped[str | None] = mapped_column(String(40))
    country: Mapped[str | None] = mapped_column(String(2))
    timezone: Mapped[str | None] = mapped_column(String(64))
    owner: Mapped[str | None] = mapped_column(String(320))
    crm_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)

    account: Mapped[Account | None] = relationship(back_populates="contacts")
