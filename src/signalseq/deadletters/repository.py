"""Queries over the dead-letter table."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from signalseq.deadletters.models import DeadLetter


def fingerprint(kind: str, raw: str) -> str:
    return hashlib.sha256(f"{kind}\0{raw}".encode()).hexdigest()


def record(
    session: Session,
    *,
    source: str,
    kind: str,
    raw: str,
    reason: str,
    location: str | None = None,
    now: datetime,
) -> DeadLetter:
    """Keep a rejected record. The same raw input from the same source is kept once:
    seeing it again changes nothing (a re-run import or a re-polled feed adds no noise),
    unless it had been resolved, in which case it is reopened with the new reason."""
    raw = raw.replace("\x00", "\\x00")  # PostgreSQL text cannot hold NUL; keep it visible
    key = fingerprint(kind, raw)
    existing = session.scalar(
        select(DeadLetter).where(DeadLetter.source == source, DeadLetter.fingerprint == key)
    )
    if existing is not None:
        if existing.resolved_at is not None:
            existing.resolved_at = None
            existing.reason = reason
            existing.location = location
        return existing
    letter = DeadLetter(
        source=source,
        kind=kind,
        raw=raw,
        reason=reason,
        location=location,
        fingerprint=key,
        created_at=now,
    )
    session.add(letter)
    session.flush()
    return letter


def list_open(
    session: Session,
    *,
    source: str | None = None,
    include_resolved: bool = False,
    limit: int | None = None,
) -> Sequence[DeadLetter]:
    query = select(DeadLetter).order_by(DeadLetter.id)
    if source:
        query = query.where(DeadLetter.source == source)
    if not include_resolved:
        query = query.where(DeadLetter.resolved_at.is_(None))
    if limit:
        query = query.limit(limit)
    return session.scalars(query).all()
