"""Taking items out of the queue. Kept apart from the reviewer's actions so the
enrollment lifecycle can cancel items (a reply stops everything) without importing them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from signalseq.errors import ConflictError
from signalseq.review import audit, counts
from signalseq.review.models import ReviewItem, ReviewReason


class ReviewConflict(ConflictError):
    code = "review_conflict"


def close(session: Session, item: ReviewItem, state: str, now: datetime) -> None:
    if item.state != "pending":
        raise ReviewConflict(f"review item {item.id} is already {item.state}")
    item.state = state
    item.decided_at = now
    item.claimed_by = None
    item.lease_until = None
    session.execute(delete(ReviewReason).where(ReviewReason.item_id == item.id))
    counts.bump(session, counts.item_facets(item), -1)


def cancel_for_touches(
    session: Session, touch_ids: Sequence[int], cause: str, now: datetime
) -> int:
    """Every pending (and approved-but-unsent) item of these touches is cancelled: a
    reply, bounce or unsubscribe stopped the enrollment. Returns how many."""
    if not touch_ids:
        return 0
    items = session.scalars(
        select(ReviewItem)
        .where(ReviewItem.touch_id.in_(touch_ids), ReviewItem.state.in_(("pending", "approved")))
        .with_for_update()
    ).all()
    for item in items:
        if item.state == "pending":
            close(session, item, "cancelled", now)
        else:
            item.state = "cancelled"
        item.resolution = "cancelled"
        audit.record(
            session,
            actor="system",
            action="cancelled",
            at=now,
            touch_id=item.touch_id,
            item_id=item.id,
            reason=cause,
        )
    return len(items)
