"""Two reviewers and a worker racing on the same items, with a text changed behind an
approval: no item is approved twice, and no approval is sent once its text changed."""

from __future__ import annotations

import random
import threading
from datetime import timedelta
from email import message_from_bytes, policy

from sqlalchemy import func, select
from tests.factories import outbox_delivery
from tests.review_support import ALICE, BOB, pending, queue_world  # noqa: F401
from tests.test_pipeline import world  # noqa: F401

from signalseq.clock import SimulatedClock
from signalseq.drafting.models import Draft, DraftRevision, content_sha256
from signalseq.enrollments.models import Touch
from signalseq.errors import ConflictError, PermissionDenied
from signalseq.pipeline.tick import Pipeline
from signalseq.review import queue
from signalseq.review.models import AuditEntry, ReviewItem
from signalseq.review.policy import ReviewPolicy
from signalseq.rules.watcher import RulesWatcher

POLICY = ReviewPolicy(four_eyes=False)


def test_reviewers_and_a_worker_race_without_double_approvals_or_stale_sends(
    store,
    queue_world,  # noqa: F811
):
    items = pending(store)
    assert len(items) >= 4
    now = queue_world.now
    errors: list[BaseException] = []
    start = threading.Barrier(4)
    changed: set[int] = set()

    def review(reviewer, seed):
        try:
            order = list(items)
            random.Random(seed).shuffle(order)
            start.wait(timeout=30)
            for item in order:
                with store.database.unit_of_work(read_only=True) as session:
                    seen = session.scalar(
                        select(Draft.content_sha256).where(Draft.touch_id == item.touch_id)
                    )
                try:
                    with store.database.unit_of_work() as session:
                        queue.claim(session, item.id, reviewer, POLICY, now)
                        queue.approve(session, item.id, reviewer, POLICY, seen or "", now)
                except (ConflictError, PermissionDenied):
                    pass  # someone else holds or decided it: refused, as it should be
        except BaseException as exc:
            errors.append(exc)

    def change_texts():
        try:
            start.wait(timeout=30)
            for item in items[::2]:  # a text edited behind the approval (a bug, an import)
                with store.database.unit_of_work() as session:
                    draft = session.scalar(select(Draft).where(Draft.touch_id == item.touch_id))
                    draft.body += "\n\nP.S. changed after review"
                    draft.content_sha256 = content_sha256(draft.subject, draft.body)
                changed.add(item.touch_id)
        except BaseException as exc:
            errors.append(exc)

    def work():
        try:
            start.wait(timeout=30)
            clock = SimulatedClock(now)
            pipeline = Pipeline(store.database, RulesWatcher(queue_world.root), clock,
                                outbox_delivery(queue_world.outbox), worker="racer",
                                ingest=False, decide=False)  # fmt: skip
            for _ in range(36):  # through every contact's next send window
                pipeline.tick()
                clock.advance(timedelta(hours=1))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=review, args=(ALICE, 1)),
               threading.Thread(target=review, args=(BOB, 2)),
               threading.Thread(target=change_texts), threading.Thread(target=work)]  # fmt: skip
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    with store.database.unit_of_work(read_only=True) as session:
        approvals = session.execute(
            select(AuditEntry.item_id, func.count())
            .where(AuditEntry.action == "approved")
            .group_by(AuditEntry.item_id, AuditEntry.draft_version)
        ).all()
        sent = session.scalars(select(Touch).where(Touch.state == "sent")).all()
        approved: dict[int, set[str]] = {}
        for touch_id, sha in session.execute(
            select(AuditEntry.touch_id, AuditEntry.content_sha256).where(
                AuditEntry.action == "approved"
            )
        ):
            approved.setdefault(touch_id, set()).add(sha)
        first_drafts = {
            r.touch_id: r
            for r in session.scalars(select(DraftRevision).where(DraftRevision.version == 1))
        }
        decided = session.scalar(
            select(func.count()).select_from(ReviewItem).where(ReviewItem.state == "approved")
        )
    assert approvals and all(count == 1 for _item, count in approvals), approvals
    assert decided <= len(items)
    assert sent, "approved touches went out while the race ran"
    for touch in sent:
        # what went out, read from the file, against what a reviewer approved (the text
        # may change again after the send: the current draft proves nothing)
        message = message_from_bytes(
            queue_world.outbox.joinpath(f"touch-{touch.id:08d}.eml").read_bytes(),
            policy=policy.default,
        )
        text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
        first = first_drafts[touch.id]
        bodies = [first.body, first.body + "\n\nP.S. changed after review"]
        (body,) = [b for b in bodies if content_sha256(first.subject, b) == touch.sent_sha256]
        assert message["Subject"] == first.subject and text.startswith(body.rstrip())
        assert touch.sent_sha256 in approved.get(touch.id, set()), "sent only as approved"
        if "changed after review" in text:
            assert touch.id in changed
