"""A store with drafts waiting in the review queue: the five contacts of the pipeline
tests, their openers drafted on a simulated Monday with no one approving."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from tests.test_pipeline import MONDAY, WORKSPACE, run, world  # noqa: F401  (fixture)

from signalseq.drafting.models import Draft
from signalseq.review.models import ReviewItem
from signalseq.review.queue import Reviewer

ALICE = Reviewer("alice", "reviewer")
BOB = Reviewer("bob", "reviewer")
AFTER = MONDAY + timedelta(hours=23)  # Monday night, UTC: every opener is waiting


@dataclass
class Queue:
    root: Path
    enrollments: list[int]
    outbox: Path
    now: datetime


@pytest.fixture
def queue_world(store, world) -> Queue:  # noqa: F811
    root, ids, outbox = world
    run(store, root, outbox, days=1, approve=False)
    return Queue(root, ids, outbox, AFTER + timedelta(hours=1))


def pending(store) -> list[ReviewItem]:
    with store.database.unit_of_work(read_only=True) as session:
        return list(
            session.scalars(
                select(ReviewItem)
                .where(ReviewItem.state == "pending")
                .order_by(ReviewItem.due_at, ReviewItem.id)
            )
        )


def draft_of(store, touch_id: int) -> Draft:
    with store.database.unit_of_work(read_only=True) as session:
        draft = session.scalar(select(Draft).where(Draft.touch_id == touch_id))
        assert draft is not None
        return draft


def fail_a_check(store, touch_id: int) -> None:  # type: ignore[no-untyped-def]
    """The draft as a model might have left it: a banned phrase, flagged."""
    with store.database.unit_of_work() as session:
        row = session.scalar(select(Draft).where(Draft.touch_id == touch_id))
        checks = [c for c in row.guardrails if c["name"] != "banned_phrases"]
        row.guardrails = [*checks, {"name": "banned_phrases", "ok": False,
                                    "message": "banned: 'circling back'", "spans": []}]  # fmt: skip
        row.guardrails_passed = False
