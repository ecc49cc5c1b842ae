"""The review queue's service: leases, approvals bound to the content, four eyes,
rejections, bulk approval, late windows, cancellation, and the audit trail."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from tests.review_support import ALICE, BOB, draft_of, fail_a_check, pending, queue_world  # noqa: F401
from tests.test_pipeline import (
    run,
    touches,
    world,  # noqa: F401  (the fixture queue_world builds on)
)

from signalseq.drafting import service as drafting
from signalseq.drafting.models import Draft, DraftRevision
from signalseq.enrollments.models import EngagementEvent, Touch
from signalseq.errors import PermissionDenied
from signalseq.review import counts, queue
from signalseq.review.closing import ReviewConflict
from signalseq.review.models import AuditEntry, ReviewItem
from signalseq.review.policy import ReviewPolicy
from signalseq.rules.watcher import RulesWatcher

POLICY = ReviewPolicy()


def test_openers_wait_for_a_person_with_their_reasons(store, queue_world):
    items = pending(store)
    assert len(items) == 4  # Tokyo's opener waits for Tuesday (a holiday in Japan)
    for item in items:
        codes = {r["code"] for r in item.reasons}
        assert {"first_touch", "new_sequence_version", "new_prompt_version"} <= codes
        assert item.sla_at == item.due_at - timedelta(minutes=POLICY.sla_minutes)
    with store.database.unit_of_work() as session:
        assert counts.pending(session)["all"] == 4
        assert counts.pending(session)["reason:first_touch"] == 4
    assert not list(queue_world.outbox.glob("*.eml"))


def test_two_reviewers_cannot_hold_one_item_and_an_expired_lease_is_taken_over(store, queue_world):
    item = pending(store)[0]
    now = queue_world.now
    with store.database.unit_of_work() as session:
        queue.claim(session, item.id, ALICE, POLICY, now)
    with (
        pytest.raises(ReviewConflict, match="claimed by alice"),
        store.database.unit_of_work() as session,
    ):
        queue.claim(session, item.id, BOB, POLICY, now + timedelta(minutes=1))
    with store.database.unit_of_work() as session:  # claim_next skips what alice holds
        other = queue.claim_next(session, BOB, POLICY, now + timedelta(minutes=1))
        assert other is not None and other.id != item.id
    later = now + timedelta(minutes=POLICY.lease_minutes + 1)
    with store.database.unit_of_work() as session:
        assert queue.claim(session, item.id, BOB, POLICY, later).claimed_by == "bob"


def test_approval_is_bound_to_the_exact_text(store, queue_world):
    item = pending(store)[0]
    draft = draft_of(store, item.touch_id)
    with (
        pytest.raises(ReviewConflict, match="changed since you opened it"),
        store.database.unit_of_work() as session,
    ):
        queue.approve(session, item.id, ALICE, POLICY, "0" * 64, queue_world.now)
    with store.database.unit_of_work() as session:
        queue.approve(session, item.id, ALICE, POLICY, draft.content_sha256, queue_world.now)
        assert session.get(Touch, item.touch_id).state == "approved"
    # the text changes after approval (a bug, a hand edit in the database): never sent
    with store.database.unit_of_work() as session:
        row = session.scalar(select(Draft).where(Draft.touch_id == item.touch_id))
        row.body += "\nP.S. one more thing"
    run(store, queue_world.root, queue_world.outbox, days=1, start=queue_world.now, approve=False)
    with store.database.unit_of_work() as session:
        assert session.get(Touch, item.touch_id).state == "in_review"
        void = session.scalar(
            select(ReviewItem).where(
                ReviewItem.touch_id == item.touch_id, ReviewItem.state == "pending"
            )
        )
        assert void.reasons[0]["code"] == "approval_void"
    sent = {p.name for p in queue_world.outbox.glob("*.eml")}
    assert f"touch-{item.touch_id:08d}.eml" not in sent


def test_four_eyes_edit_keeps_both_versions_and_needs_a_second_reviewer(store, queue_world):
    item = pending(store)[0]
    draft = draft_of(store, item.touch_id)
    library = RulesWatcher(queue_world.root).current().prompts
    edited_body = draft.body.replace("Best,", "Kind regards,")
    assert edited_body != draft.body
    with store.database.unit_of_work() as session:
        outcome = queue.edit(
            session,
            item.id,
            ALICE,
            POLICY,
            draft.content_sha256,
            draft.subject,
            edited_body,
            library,
            queue_world.now,
        )
    assert not outcome.approved
    second = outcome.item
    assert [r["code"] for r in second.reasons][-1] == "edited"
    new = draft_of(store, item.touch_id)
    assert (new.version, new.body) == (2, edited_body)
    with (
        pytest.raises(PermissionDenied, match="four eyes"),
        store.database.unit_of_work() as session,
    ):
        queue.approve(session, second.id, ALICE, POLICY, new.content_sha256, queue_world.now)
    with store.database.unit_of_work() as session:
        queue.approve(session, second.id, BOB, POLICY, new.content_sha256, queue_world.now)
        revisions = session.scalars(
            select(DraftRevision)
            .where(DraftRevision.touch_id == item.touch_id)
            .order_by(DraftRevision.version)
        ).all()
        assert [(r.version, r.kind, r.author) for r in revisions] == [
            (1, "drafted", "offline"),
            (2, "edited", "alice"),
        ]
        assert revisions[0].body == draft.body
        assert (
            session.scalar(select(Draft).where(Draft.touch_id == item.touch_id)).approved_by
            == "bob"
        )
        actions = [
            (e.actor, e.action, e.draft_version)
            for e in session.scalars(
                select(AuditEntry)
                .where(AuditEntry.touch_id == item.touch_id)
                .order_by(AuditEntry.id)
            )
        ]
    assert actions == [
        ("worker", "queued", 1),
        ("alice", "claimed", 1),
        ("alice", "edited", 2),
        ("alice", "queued", 2),
        ("bob", "claimed", 2),
        ("bob", "approved", 2),
    ]


def test_an_edit_that_fails_the_guardrails_is_refused_and_nothing_is_saved(store, queue_world):
    item = pending(store)[0]
    draft = draft_of(store, item.touch_id)
    library = RulesWatcher(queue_world.root).current().prompts
    with (
        pytest.raises(queue.GuardrailsFailed, match="grounding") as caught,
        store.database.unit_of_work() as session,
    ):
        queue.edit(
            session,
            item.id,
            ALICE,
            POLICY,
            draft.content_sha256,
            draft.subject,
            draft.body + "\n\nWe helped Globex Industries grow pipeline by 73%.",
            library,
            queue_world.now,
        )
    assert any(span.text == "73%" for c in caught.value.report.failures for span in c.spans)
    assert draft_of(store, item.touch_id).version == 1


def test_reject_with_a_comment_redrafts_with_the_comment_or_skips(store, queue_world):
    first, second = pending(store)[:2]
    rejected_body = draft_of(store, first.touch_id).body
    with store.database.unit_of_work() as session:
        queue.reject(
            session,
            first.id,
            ALICE,
            POLICY,
            "tone",
            "Shorter, and no congratulations.",
            "redraft",
            queue_world.now,
        )
        queue.reject(session, second.id, ALICE, POLICY, "wrong_person", "", "skip", queue_world.now)
    with (
        pytest.raises(ReviewConflict, match="needs a comment"),
        store.database.unit_of_work() as session,
    ):
        queue.reject(
            session, pending(store)[0].id, ALICE, POLICY, "tone", " ", "redraft", queue_world.now
        )
    with store.database.unit_of_work() as session:
        assert session.get(Touch, second.touch_id).state == "skipped"
        touch = session.get(Touch, first.touch_id)
        assert touch.state == "drafting"
        job = drafting.prepare(
            session, touch, RulesWatcher(queue_world.root).current().prompts, queue_world.now
        )
    user = job.rendered.messages[1]["content"]
    assert "Reviewer's comment: Shorter, and no congratulations." in user
    assert '<data source="rejected draft">' in user and job.variant == 1
    run(store, queue_world.root, queue_world.outbox, days=1, start=queue_world.now, approve=False)
    redraft = draft_of(store, first.touch_id)
    assert redraft.version == 2 and redraft.body != rejected_body  # never the same text back
    with store.database.unit_of_work() as session:
        again = session.scalar(
            select(ReviewItem).where(
                ReviewItem.touch_id == first.touch_id, ReviewItem.state == "pending"
            )
        )
        assert "redraft" in {r["code"] for r in again.reasons}


def test_bulk_approve_takes_only_low_risk_items(store, queue_world):
    items = pending(store)
    low = ReviewPolicy(
        low_risk=[
            "first_touch",
            "new_sequence_version",
            "new_prompt_version",
            "seniority",
            "jurisdiction",
        ]
    )
    with store.database.unit_of_work() as session:
        report = queue.bulk_approve(session, [i.id for i in items], ALICE, POLICY, queue_world.now)
    assert report.approved == [] and set(report.refused) == {i.id for i in items}
    # the stored low_risk flag is decided when the item opens: reopen under the laxer policy
    assert all("not low-risk" in why for why in report.refused.values())
    with store.database.unit_of_work() as session:
        row = session.get(ReviewItem, items[0].id)
        row.low_risk = all(r["code"] in low.low_risk for r in row.reasons)
    with store.database.unit_of_work() as session:
        report = queue.bulk_approve(session, [i.id for i in items], ALICE, low, queue_world.now)
    assert report.approved == [items[0].id]


def test_a_reply_cancels_every_pending_and_approved_item_of_the_enrollment(store, queue_world):
    item = pending(store)[0]
    draft = draft_of(store, item.touch_id)
    with store.database.unit_of_work() as session:
        queue.approve(session, item.id, ALICE, POLICY, draft.content_sha256, queue_world.now)
        contact_id = item.contact_id
        other = pending(store)[0]
        session.add(
            EngagementEvent(contact_id=contact_id, kind="replied", occurred_at=queue_world.now)
        )
        session.add(
            EngagementEvent(
                contact_id=other.contact_id, kind="replied", occurred_at=queue_world.now
            )
        )
    run(store, queue_world.root, queue_world.outbox, days=1, start=queue_world.now, approve=False)
    with store.database.unit_of_work() as session:
        for row in (item, other):
            assert session.get(Touch, row.touch_id).state == "cancelled"
            states = set(
                session.scalars(select(ReviewItem.state).where(ReviewItem.touch_id == row.touch_id))
            )
            assert states == {"cancelled"}
        # the counters follow the rows they count
        assert counts.pending(session)["all"] == len(pending(store))
    assert not list(queue_world.outbox.glob("*.eml"))


def test_an_item_whose_window_passes_is_held_for_the_next_window(store, queue_world):
    with store.database.unit_of_work() as session:
        held = session.scalars(select(AuditEntry).where(AuditEntry.action == "held")).all()
        # Monday's openers whose window closed while waiting were moved, never sent late
        assert held
        for entry in held:
            touch = session.get(Touch, entry.touch_id)
            item = session.get(ReviewItem, entry.item_id)
            assert touch.due_at == item.due_at > entry.at


def test_the_audit_log_refuses_update_and_delete(store, queue_world):
    with pytest.raises(DBAPIError, match="append-only"), store.database.unit_of_work() as session:
        session.execute(text("UPDATE audit_log SET actor = 'mallory'"))
    with pytest.raises(DBAPIError, match="append-only"), store.database.unit_of_work() as session:
        session.execute(text("DELETE FROM audit_log"))


def test_touch_states_after_queue_world(store, queue_world):
    states = [touches(store, i)[0][2] for i in queue_world.enrollments]
    assert states == ["in_review"] * 4 + ["scheduled"]


def test_a_failed_check_is_approved_only_with_a_stated_reason(store, queue_world):
    item = pending(store)[0]
    fail_a_check(store, item.touch_id)
    sha = draft_of(store, item.touch_id).content_sha256
    for reason in (None, "", "ok"):
        with (
            pytest.raises(queue.OverrideNeeded, match="failed banned_phrases"),
            store.database.unit_of_work() as session,
        ):
            queue.approve(session, item.id, ALICE, POLICY, sha, queue_world.now, override=reason)
    with store.database.unit_of_work() as session:
        assert session.get(Touch, item.touch_id).state == "in_review"
        queue.approve(session, item.id, ALICE, POLICY, sha, queue_world.now,
                      override="the phrase is a customer's quote, agreed with legal")  # fmt: skip
        assert session.get(Touch, item.touch_id).state == "approved"
        entry = session.scalar(
            select(AuditEntry).where(AuditEntry.item_id == item.id, AuditEntry.action == "approved")
        )
        assert entry.reason == "override: the phrase is a customer's quote, agreed with legal"


def test_bulk_approvals_do_not_count_toward_a_new_versions_approvals(store, queue_world):
    items = pending(store)
    lax = ReviewPolicy(low_risk=["first_touch", "new_sequence_version", "new_prompt_version",
                                 "seniority", "jurisdiction"])  # fmt: skip
    with store.database.unit_of_work() as session:
        for row in session.scalars(select(ReviewItem).where(ReviewItem.state == "pending")):
            row.low_risk = True
        approvals = text("SELECT facet, value FROM review_counts WHERE facet LIKE 'approved:%'")
        before = dict(session.execute(approvals).all())
        report = queue.bulk_approve(session, [i.id for i in items], ALICE, lax, queue_world.now)
        after = dict(session.execute(approvals).all())
    assert report.approved and after == before  # unseen drafts vouch for nothing


def test_an_approval_is_recalled_until_the_send_starts(store, queue_world):
    first, second = pending(store)[:2]
    for item in (first, second):
        sha = draft_of(store, item.touch_id).content_sha256
        with store.database.unit_of_work() as session:
            queue.approve(session, item.id, ALICE, POLICY, sha, queue_world.now)
    with store.database.unit_of_work() as session:
        fresh = queue.recall(session, first.id, BOB, POLICY, queue_world.now)
        assert session.get(Touch, first.touch_id).state == "in_review"
        assert fresh.state == "pending" and fresh.reasons[0]["code"] == "approval_void"
    assert draft_of(store, first.touch_id).approved_sha256 is None
    with store.database.unit_of_work() as session:  # the worker reserved it: too late
        session.get(Touch, second.touch_id).state = "sending"
    with (
        pytest.raises(ReviewConflict, match="too late to recall"),
        store.database.unit_of_work() as session,
    ):
        queue.recall(session, second.id, BOB, POLICY, queue_world.now)
