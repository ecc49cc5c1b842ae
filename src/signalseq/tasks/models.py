"""Work for a person: a call or LinkedIn step to do by hand, or a reply to answer."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from signalseq.store.base import Base, UTCDateTime

TASK_STATES = ("open", "done", "skipped", "cancelled")


class Task(Base):
    __tablename__ = "tasks"
    __table_args__ = (
        Index("ix_tasks_state_owner_due", "state", "owner", "due_on"),
        Index("ix_tasks_touch_id", "touch_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # call, linkedin_connect, linkedin_message (a sequence step), or reply (answer a person)
    kind: Mapped[str] = mapped_column(String(30))
    touch_id: Mapped[int | None] = mapped_column(ForeignKey("touches.id", ondelete="SET NULL"))
    enrollment_id: Mapped[int | None] = mapped_column(
        ForeignKey("enrollments.id", ondelete="CASCADE")
    )
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    owner: Mapped[str | None] = mapped_column(String(320))
    title: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text, default="")
    due_on: Mapped[date] = mapped_column(Date)  # the contact's local day it is meant for
    state: Mapped[str] = mapped_column(String(20), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by: Mapped[str | None] = mapped_column(String(320))
    note: Mapped[str | None] = mapped_column(Text)
