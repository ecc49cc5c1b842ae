"""The append-only audit log: every review action, by whom, on which content."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from signalseq.review.models import AuditEntry


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    at: datetime,
    touch_id: int | None = None,
    item_id: int | None = None,
    reason: str | None = None,
    comment: str | None = None,
    content_sha256: str | None = None,
    draft_version: int | None = None,
    **detail: Any,
) -> AuditEntry:
    entry = AuditEntry(
        at=at,
        actor=actor[:100],
        action=action,
        touch_id=touch_id,
        item_id=item_id,
        reason=reason[:200] if reason else None,
        comment=comment,
        content_sha256=content_sha256,
        draft_version=draft_version,
        detail=detail,
    )
    session.add(entry)
    return entry


def of_touch(session: Session, touch_id: int) -> list[AuditEntry]:
    return list(
        session.scalars(
            select(AuditEntry).where(AuditEntry.touch_id == touch_id).order_by(AuditEntry.id)
        )
    )


def as_dict(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "at": entry.at.isoformat(),
        "actor": entry.actor,
        "action": entry.action,
        "touch_id": entry.touch_id,
        "item_id": entry.item_id,
        "reason": entry.reason,
        "comment": entry.comment,
        "content_sha256": entry.content_sha256,
        "draft_version": entry.draft_version,
        "detail": entry.detail,
    }
