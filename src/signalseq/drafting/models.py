"""The drafted content of a touch, with what is needed to audit how it was written."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from signalseq.store.base import Base, JSONDocument, UTCDateTime, utcnow


class Draft(Base):
    __tablename__ = "drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    touch_id: Mapped[int] = mapped_column(ForeignKey("touches.id", ondelete="CASCADE"), unique=True)
    subject: Mapped[str | None] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    drafter: Mapped[str] = mapped_column(String(100))
    prompt_id: Mapped[str | None] = mapped_column(String(100))
    prompt_version: Mapped[int | None] = mapped_column(Integer)
    template_sha256: Mapped[str | None] = mapped_column(String(64))
    messages_sha256: Mapped[str | None] = mapped_column(String(64))
    model: Mapped[str | None] = mapped_column(String(200))
    endpoint_host: Mapped[str | None] = mapped_column(String(300))
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
    latency_ms: Mapped[int] = mapped_column(Integer, default=0)
    retries: Mapped[int] = mapped_column(Integer, default=0)
    transport_retries: Mapped[int] = mapped_column(Integer, default=0)
    request_id: Mapped[str | None] = mapped_column(String(200))
    guardrails: Mapped[list[dict[str, Any]]] = mapped_column(JSONDocument, default=list)
    guardrails_passed: Mapped[bool] = mapped_column(default=True)
    failures: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    context: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # the current text's version (1: as first drafted; each redraft or edit adds one), its
    # hash, and the hash an approval was given to: a send needs the two to be equal
    version: Mapped[int] = mapped_column(Integer, default=1)
    content_sha256: Mapped[str | None] = mapped_column(String(64))
    approved_sha256: Mapped[str | None] = mapped_column(String(64))
    approved_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class DraftRevision(Base):
    """Every version of a touch's text: as drafted, as edited by a reviewer, redrafted."""

    __tablename__ = "draft_revisions"
    __table_args__ = (Index("ix_draft_revisions_touch_version", "touch_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    touch_id: Mapped[int] = mapped_column(ForeignKey("touches.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))  # drafted, edited
    author: Mapped[str] = mapped_column(String(100))  # a drafter, or the reviewer who edited
    subject: Mapped[str | None] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    content_sha256: Mapped[str] = mapped_column(String(64))
    guardrails: Mapped[list[dict[str, Any]]] = mapped_column(JSONDocument, default=list)
    guardrails_passed: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


def content_sha256(subject: str | None, body: str) -> str:
    """The hash an approval is bound to: subject and body exactly as they would be sent."""
    return hashlib.sha256(f"{subject or ''}\x00{body}".encode()).hexdigest()
