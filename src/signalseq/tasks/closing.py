"""Closing open tasks when their touches are cancelled (an exit stops everything)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from signalseq.tasks.models import Task


def cancel_for_touches(session: Session, touch_ids: list[int], why: str, at: datetime) -> int:
    if not touch_ids:
        return 0
    tasks = session.scalars(
        select(Task).where(Task.touch_id.in_(touch_ids), Task.state == "open")
    ).all()
    for task in tasks:
        task.state = "cancelled"
        task.closed_at = at
        task.closed_by = "system"
        task.note = why[:500]
    return len(tasks)
