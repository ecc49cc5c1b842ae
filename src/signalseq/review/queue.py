"""The review queue's actions. Each runs inside the caller's unit of work, locks the item
(and its touch) first, and writes one audit entry; so two reviewers can never decide the
same item, and what was approved is exactly what is sent.

An item is *pending* until approved, rejected or cancelled. A reviewer *claims* it for a
lease (``lease_minutes``); an expired lease returns it to the queue. Approval is bound to
the SHA-256 of the text the reviewer saw; any later change voids it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from signalseq.drafting import service as drafting
from signalseq.drafting.checks import GuardrailReport
from signalseq.drafting.library import PromptLibrary
from signalseq.drafting.models import Draft, DraftRevision, content_sha256
from signalseq.enrollments import lifecycle
from signalseq.enrollments.models import Enrollment, Touch
from signalseq.errors import ConflictError, NotFoundError, PermissionDenied
from signalseq.people import employments
from signalseq.review import audit, counts
from signalseq.review.assess import Reason
from signalseq.review.closing import ReviewConflict
from signalseq.review.closing import close as _close
from signalseq.review.models import ReviewItem, ReviewReason
from signalseq.review.policy import NEVER_LOW_RISK, ReviewPolicy

SYSTEM = "policy"  # the actor of automatic releases


@dataclass(frozen=True)
class Reviewer:
    name: str
    role: str


# --- opening and closing items -----------------------------------------------------------


def open_item(
    session: Session,
    touch: Touch,
    draft: Draft,
    reasons: Sequence[Reason],
    policy: ReviewPolicy,
    now: datetime,
    actor: str = "worker",
) -> ReviewItem:
    """Queue ``touch`` (already moved to ``in_review``) for a person."""
    enrollment = session.get(Enrollment, touch.enrollment_id)
    assert enrollment is not None
    account = employments.current_account(session, enrollment.contact_id)
    low_risk = all(r.code in policy.low_risk and r.code not in NEVER_LOW_RISK for r in reasons)
    item = ReviewItem(
        touch_id=touch.id,
        enrollment_id=enrollment.id,
        contact_id=enrollment.contact_id,
        state="pending",
        reasons=[r.as_dict() for r in reasons],
        low_risk=bool(reasons) and low_risk,
        due_at=touch.due_at,
        sla_at=touch.due_at - timedelta(minutes=policy.sla_minutes),
        sequence_id=enrollment.sequence_id,
        rule_id=enrollment.rule_id,
        account_tier=account.tier if account else None,
        draft_version=draft.version,
        created_at=now,
    )
    session.add(item)
    session.flush()
    for code in {r.code for r in reasons}:
        session.add(ReviewReason(item_id=item.id, code=code, due_at=item.due_at))
    counts.bump(session, counts.item_facets(item), +1)
    audit.record(
        session,
        actor=actor,
        action="queued",
        at=now,
        touch_id=touch.id,
        item_id=item.id,
        reason=", ".join(r.code for r in reasons),
        content_sha256=draft.content_sha256,
        draft_version=draft.version,
    )
    return item


def release(session: Session, touch: Touch, draft: Draft, now: datetime) -> None:
    """No reason to wait for a person: the policy approves this exact text."""
    draft.approved_sha256 = draft.content_sha256
    draft.approved_by = SYSTEM
    audit.record(
        session,
        actor=SYSTEM,
        action="released",
        at=now,
        touch_id=touch.id,
        reason="no review reason applies",
        content_sha256=draft.content_sha256,
        draft_version=draft.version,
    )


# --- a reviewer's actions ----------------------------------------------------------------


def _item(session: Session, item_id: int) -> ReviewItem:
    item = session.get(ReviewItem, item_id, with_for_update=True)
    if item is None:
        raise NotFoundError(f"no review item {item_id}")
    return item


def _held_by(item: ReviewItem, reviewer: Reviewer, now: datetime) -> bool:
    return (
        item.claimed_by == reviewer.name
        and item.lease_until is not None
        and (item.lease_until > now)
    )


def _take(
    session: Session, item: ReviewItem, reviewer: Reviewer, policy: ReviewPolicy, now: datetime
) -> None:
    """Claim ``item`` for ``reviewer``, or refuse: someone else holds a live lease."""
    if item.state != "pending":
        raise ReviewConflict(f"review item {item.id} is already {item.state}")
    others = item.claimed_by not in (None, reviewer.name)
    if others and item.lease_until is not None and item.lease_until > now:
        raise ReviewConflict(
            f"review item {item.id} is claimed by {item.claimed_by} until "
            f"{item.lease_until:%H:%M} UTC"
        )
    renewing = _held_by(item, reviewer, now)
    item.claimed_by = reviewer.name
    item.lease_until = now + timedelta(minutes=policy.lease_minutes)
    if not renewing:
        audit.record(
            session,
            actor=reviewer.name,
            action="claimed",
            at=now,
            touch_id=item.touch_id,
            item_id=item.id,
            draft_version=item.draft_version,
        )


def claim(
    session: Session, item_id: int, reviewer: Reviewer, policy: ReviewPolicy, now: datetime
) -> ReviewItem:
    """Hold ``item_id`` for ``lease_minutes``; refused while someone else holds it."""
    item = _item(session, item_id)
    _take(session, item, reviewer, policy, now)
    session.flush()
    return item


def release_claim(
    session: Session, item_id: int, reviewer: Reviewer, policy: ReviewPolicy, now: datetime
) -> ReviewItem:
    """Let go of a claim: your own, or — an admin — anyone's (a take-over)."""
    item = _item(session, item_id)
    if item.claimed_by is None or item.lease_until is None or item.lease_until <= now:
        return item
    if item.claimed_by != reviewer.name and reviewer.role != "admin":
        raise PermissionDenied(
            f"{item.claimed_by} is reviewing item {item.id}; an admin can take over"
        )
    previous = item.claimed_by
    item.claimed_by = None
    item.lease_until = None
    audit.record(session, actor=reviewer.name, action="released", at=now,
                 touch_id=item.touch_id, item_id=item.id,
                 reason=None if previous == reviewer.name else f"taken from {previous}")  # fmt: skip
    return item


def claim_next(
    session: Session, reviewer: Reviewer, policy: ReviewPolicy, now: datetime
) -> ReviewItem | None:
    """The pending item due first that no one holds (``SKIP LOCKED`` on PostgreSQL, so
    two reviewers asking at once get two different items)."""
    query = (
        select(ReviewItem)
        .where(
            ReviewItem.state == "pending",
            or_(
                ReviewItem.lease_until.is_(None),
                ReviewItem.lease_until <= now,
                ReviewItem.claimed_by == reviewer.name,
            ),
        )
        .order_by(ReviewItem.due_at, ReviewItem.id)
        .limit(1)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    item = session.scalar(query)
    if item is not None:
        _take(session, item, reviewer, policy, now)
        session.flush()
    return item


def _may_approve(reviewer: Reviewer, policy: ReviewPolicy) -> None:
    if reviewer.role not in policy.approvers:
        raise PermissionDenied(
            f"{reviewer.name} ({reviewer.role}) may not approve: approvers are "
            f"{', '.join(policy.approvers)}"
        )


def _locked_draft(session: Session, item: ReviewItem) -> tuple[Touch, Draft]:
    """The item's touch (locked) and its draft."""
    touch = session.get(Touch, item.touch_id, with_for_update=True)
    draft = session.scalar(select(Draft).where(Draft.touch_id == item.touch_id))
    if touch is None or draft is None:
        raise NotFoundError(f"review item {item.id} has no draft")
    return touch, draft


def _draft_of(session: Session, item: ReviewItem) -> tuple[Touch, Draft]:
    touch, draft = _locked_draft(session, item)
    if touch.state != "in_review":
        raise ReviewConflict(f"touch {touch.id} is {touch.state}, not in review")
    return touch, draft


def last_editor(session: Session, touch_id: int) -> str | None:
    last = session.scalar(
        select(DraftRevision)
        .where(DraftRevision.touch_id == touch_id)
        .order_by(DraftRevision.version.desc())
        .limit(1)
    )
    return last.author if last is not None and last.kind == "edited" else None


# checks of a draft's shape: a person may override a judgement, never these without an edit
STRUCTURE = frozenset({"format", "subject", "subject_one_line"})


def approve(
    session: Session,
    item_id: int,
    reviewer: Reviewer,
    policy: ReviewPolicy,
    seen_sha256: str,
    now: datetime,
    *,
    action: str = "approved",
    override: str | None = None,
) -> ReviewItem:
    """Approve the text the reviewer saw (``seen_sha256``): refused if it has changed
    since, if someone else holds the item, or if the reviewer edited it themselves and
    the policy asks for four eyes. A draft that failed a check is approved only with an
    ``override`` reason (kept in the audit log); one that failed a check of its shape,
    never without an edit."""
    _may_approve(reviewer, policy)
    item = _item(session, item_id)
    _take(session, item, reviewer, policy, now)
    touch, draft = _draft_of(session, item)
    if draft.content_sha256 != seen_sha256:
        raise ReviewConflict(
            f"the draft of touch {touch.id} changed since you opened it "
            f"(version {draft.version}); reload it"
        )
    if policy.four_eyes and last_editor(session, touch.id) == reviewer.name:
        raise PermissionDenied("four eyes: you edited this draft, so another reviewer approves it")
    broken = failed_checks(draft, of_shape=True)
    if broken:  # a raw model answer, no subject, a broken subject: never sent as it is
        raise ReviewConflict(
            f"the draft of touch {touch.id} failed {', '.join(broken)}: edit it before approving"
        )
    failed = failed_checks(draft)
    override = (override or "").strip()
    if failed and len(override) < MIN_OVERRIDE_CHARS:
        raise OverrideNeeded(
            f"the draft of touch {touch.id} failed {', '.join(failed)}: approving it anyway "
            f"needs a reason (at least {MIN_OVERRIDE_CHARS} characters), or edit it"
        )
    _close(session, item, "approved", now)
    item.resolution = action
    item.decided_by = reviewer.name
    draft.approved_sha256 = draft.content_sha256
    draft.approved_by = reviewer.name
    lifecycle.move_touch(session, touch, "approved", f"approved by {reviewer.name}", now)
    touch.lease_owner = None
    touch.lease_until = None
    enrollment = session.get(Enrollment, touch.enrollment_id)
    assert enrollment is not None
    if action != "bulk_approved":  # a new version needs approvals of drafts people read
        counts.bump(session, _approval_facets(enrollment, draft), +1)
    audit.record(
        session,
        actor=reviewer.name,
        action=action,
        at=now,
        touch_id=touch.id,
        item_id=item.id,
        reason=f"override: {override}" if failed else None,
        content_sha256=draft.content_sha256,
        draft_version=draft.version,
        overridden=failed or None,
    )
    return item


MIN_OVERRIDE_CHARS = 10


def failed_checks(draft: Draft, *, of_shape: bool = False) -> list[str]:
    """The checks a draft failed (warnings are not failures): those a person may
    override, or (``of_shape``) those of its shape, which only an edit mends."""
    return [
        c["name"]
        for c in draft.guardrails
        if not c.get("ok", True)
        and not c.get("warning")
        and (c.get("name") in STRUCTURE) == of_shape
    ]


class OverrideNeeded(ConflictError):
    """Approving a draft that failed a check needs a stated reason."""

    code = "override_needed"


def _approval_facets(enrollment: Enrollment, draft: Draft) -> list[str]:
    facets = [
        counts.approval_facet(
            "new_sequence_version", enrollment.sequence_id, enrollment.sequence_version
        )
    ]
    if draft.prompt_id is not None:
        facets.append(
            counts.approval_facet("new_prompt_version", draft.prompt_id, draft.prompt_version)
        )
    return facets


class GuardrailsFailed(ConflictError):
    """An edit does not pass the guardrails; nothing was saved."""

    http_status = 422
    code = "guardrails_failed"

    def __init__(self, message: str, report: GuardrailReport):
        super().__init__(message)
        self.report = report


@dataclass(frozen=True)
class EditOutcome:
    item: ReviewItem
    approved: bool  # False: four eyes, a second reviewer approves the edit
    report: GuardrailReport


def edit(
    session: Session,
    item_id: int,
    reviewer: Reviewer,
    policy: ReviewPolicy,
    seen_sha256: str,
    subject: str | None,
    body: str,
    library: PromptLibrary,
    now: datetime,
) -> EditOutcome:
    """Edit and approve: the edited text is checked by the guardrails again (refused with
    the failures if it does not pass) and kept as a new version beside the original.
    Under four eyes the item goes back to the queue for someone else to approve."""
    _may_approve(reviewer, policy)
    item = _item(session, item_id)
    _take(session, item, reviewer, policy, now)
    touch, draft = _draft_of(session, item)
    if draft.content_sha256 != seen_sha256:
        raise ReviewConflict(f"the draft of touch {touch.id} changed since you opened it")
    job = drafting.prepare(session, touch, library, now)
    subject, body, report = job.checked(subject, body)
    if not report.passed:
        failed = ", ".join(c.name for c in report.failures)
        raise GuardrailsFailed(f"the edited text fails: {failed}", report)
    if content_sha256(subject, body) == draft.content_sha256:
        return EditOutcome(
            approve(session, item_id, reviewer, policy, seen_sha256, now), True, report
        )
    draft.subject, draft.body = subject, body
    draft.guardrails = report.as_list()
    draft.guardrails_passed = True
    draft.version += 1
    draft.content_sha256 = content_sha256(subject, body)
    drafting.add_revision(session, draft, "edited", reviewer.name, now)
    item.draft_version = draft.version
    audit.record(
        session,
        actor=reviewer.name,
        action="edited",
        at=now,
        touch_id=touch.id,
        item_id=item.id,
        content_sha256=draft.content_sha256,
        draft_version=draft.version,
        previous_sha256=seen_sha256,
    )
    if not policy.four_eyes:
        approved = approve(
            session, item_id, reviewer, policy, draft.content_sha256, now, action="edited_approved"
        )
        return EditOutcome(approved, True, report)
    # four eyes: the edit waits for a second reviewer, as a new item
    _close(session, item, "edited", now)
    item.resolution = "edited"
    item.decided_by = reviewer.name
    reasons = [Reason(r["code"], r["detail"]) for r in item.reasons if r["code"] != "edited"]
    reasons.append(Reason("edited", f"edited by {reviewer.name}"))
    fresh = open_item(session, touch, draft, reasons, policy, now, actor=reviewer.name)
    return EditOutcome(fresh, False, report)


def reject(
    session: Session,
    item_id: int,
    reviewer: Reviewer,
    policy: ReviewPolicy,
    reason: str,
    comment: str,
    then: str,
    now: datetime,
) -> ReviewItem:
    """Reject with a reason code and a comment, then ``redraft`` (the comment goes to the
    drafter) or ``skip`` the step."""
    _may_approve(reviewer, policy)
    if reason not in policy.reject_reasons:
        raise ReviewConflict(
            f"unknown reject reason {reason!r}; one of: {', '.join(policy.reject_reasons)}"
        )
    if then not in ("redraft", "skip"):
        raise ReviewConflict(f"after a rejection: redraft or skip, not {then!r}")
    comment = comment.strip()
    if then == "redraft" and not comment:
        raise ReviewConflict("a redraft needs a comment: it is what the drafter is told")
    item = _item(session, item_id)
    _take(session, item, reviewer, policy, now)
    touch, draft = _draft_of(session, item)
    _close(session, item, "rejected", now)
    item.resolution = then
    item.reject_reason = reason
    item.comment = comment
    item.decided_by = reviewer.name
    draft.approved_sha256 = None
    draft.approved_by = None
    cause = f"rejected by {reviewer.name} ({reason}): {then}"
    lifecycle.move_touch(session, touch, "drafting" if then == "redraft" else "skipped", cause, now)
    touch.lease_owner = None
    touch.lease_until = None
    audit.record(
        session,
        actor=reviewer.name,
        action=f"rejected_{then}",
        at=now,
        touch_id=touch.id,
        item_id=item.id,
        reason=reason,
        comment=comment,
        content_sha256=draft.content_sha256,
        draft_version=draft.version,
    )
    return item


@dataclass
class BulkReport:
    approved: list[int]
    refused: dict[int, str]


def bulk_approve(
    session: Session,
    item_ids: Sequence[int],
    reviewer: Reviewer,
    policy: ReviewPolicy,
    now: datetime,
) -> BulkReport:
    """Approve each item whose every reason is low-risk by policy; refuse (and say why)
    the rest. One refusal does not undo the others."""
    _may_approve(reviewer, policy)
    report = BulkReport([], {})
    for item_id in sorted(set(item_ids)):
        item = session.get(ReviewItem, item_id)
        if item is None:
            report.refused[item_id] = "no such item"
            continue
        if not item.low_risk:
            codes = ", ".join(r["code"] for r in item.reasons)
            report.refused[item_id] = f"not low-risk ({codes}): open it"
            continue
        draft = session.scalar(select(Draft).where(Draft.touch_id == item.touch_id))
        try:
            with session.begin_nested():
                approve(
                    session,
                    item_id,
                    reviewer,
                    policy,
                    (draft.content_sha256 or "") if draft else "",
                    now,
                    action="bulk_approved",
                )
        except (ConflictError, PermissionDenied, NotFoundError) as exc:
            report.refused[item_id] = str(exc)
        else:
            report.approved.append(item_id)
    return report


# --- the worker's side: late windows, voided approvals ------------------------------------


def reschedule(
    session: Session,
    item: ReviewItem,
    due: datetime,
    policy: ReviewPolicy,
    cause: str,
    now: datetime,
) -> None:
    """The touch's send window passed while its item waited: hold it for the next one."""
    item.due_at = due
    item.sla_at = due - timedelta(minutes=policy.sla_minutes)
    for row in session.scalars(select(ReviewReason).where(ReviewReason.item_id == item.id)):
        row.due_at = due
    audit.record(
        session,
        actor="worker",
        action="held",
        at=now,
        touch_id=item.touch_id,
        item_id=item.id,
        reason=cause,
        rescheduled_to=due.isoformat(),
    )


def recall(
    session: Session, item_id: int, reviewer: Reviewer, policy: ReviewPolicy, now: datetime
) -> ReviewItem:
    """Take back an approval before the send starts: the touch (locked, so the worker's
    reservation and this never both win) goes back to review with a new item; once the
    worker has reserved it for sending, it is too late."""
    _may_approve(reviewer, policy)
    item = _item(session, item_id)
    if item.state != "approved":
        raise ReviewConflict(f"review item {item.id} is {item.state}: nothing to recall")
    touch, draft = _locked_draft(session, item)
    if touch.state != "approved":
        raise ReviewConflict(f"touch {touch.id} is already {touch.state}: too late to recall")
    item.resolution = "recalled"
    audit.record(session, actor=reviewer.name, action="recalled", at=now, touch_id=touch.id,
                 item_id=item.id, content_sha256=draft.content_sha256,
                 draft_version=draft.version)  # fmt: skip
    return void_approval(session, touch, draft, f"recalled by {reviewer.name}", policy, now)


def void_approval(
    session: Session, touch: Touch, draft: Draft, why: str, policy: ReviewPolicy, now: datetime
) -> ReviewItem:
    """An approved touch whose approval no longer holds goes back to a person."""
    draft.approved_sha256 = None
    draft.approved_by = None
    lifecycle.move_touch(session, touch, "in_review", f"approval void: {why}", now)
    return open_item(session, touch, draft, [Reason("approval_void", why)], policy, now)
