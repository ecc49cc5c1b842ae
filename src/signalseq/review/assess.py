"""Why a draft needs a person: every reason that applies, each shown to the reviewer."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from signalseq.crm.models import Contact
from signalseq.drafting.models import Draft
from signalseq.enrollments.models import Enrollment, Touch
from signalseq.people import employments
from signalseq.review import counts
from signalseq.review.models import latest_item
from signalseq.review.policy import REASONS, ReviewPolicy
from signalseq.signals.models import Signal


@dataclass(frozen=True)
class Reason:
    code: str
    detail: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "label": REASONS[self.code], "detail": self.detail}


def reasons_for(
    session: Session,
    touch: Touch,
    enrollment: Enrollment,
    draft: Draft,
    step_review: str,
    policy: ReviewPolicy,
) -> list[Reason]:
    """Every reason ``draft`` waits for a person; empty: it is released automatically.
    A failed guardrail is always a reason; a step with ``review: always`` always is one;
    ``review: never`` ignores the policy (but not the guardrails)."""
    found: list[Reason] = []
    if not draft.guardrails_passed:
        failed = [c["name"] for c in draft.guardrails if not c.get("ok", True)]
        found.append(Reason("guardrails", ", ".join(failed) or "failed"))
    if _was_rejected(session, touch.id):
        found.append(Reason("redraft", "the previous draft of this step was rejected"))
    if step_review == "always":
        found.append(Reason("step", f"step {touch.step_id} has review: always"))
    if step_review != "policy":
        return found
    rules = policy.require_review
    if rules.first_touch and not _anything_sent(session, enrollment.id):
        found.append(Reason("first_touch", f"step {touch.step_id}, nothing sent yet"))
    account = employments.current_account(session, enrollment.contact_id)
    if account is not None and account.tier in rules.account_tiers:
        found.append(Reason("account_tier", f"{account.name} is tier {account.tier}"))
    contact = session.get(Contact, enrollment.contact_id)
    if contact is not None and contact.seniority in rules.seniorities:
        found.append(Reason("seniority", f"{contact.title or contact.seniority}"))
    found += _new_versions(session, enrollment, draft, rules.new_versions)
    signal = session.get(Signal, enrollment.signal_id) if enrollment.signal_id else None
    if signal is not None and (
        signal.confidence < rules.low_confidence or signal.match_status == "needs_review"
    ):
        found.append(
            Reason(
                "low_confidence",
                f"signal confidence {signal.confidence:.2f}, match {signal.match_status}",
            )
        )
    if touch.channel in rules.channels:
        found.append(Reason("channel", touch.channel))
    if touch.purpose in rules.purposes:
        found.append(Reason("purpose", touch.purpose))
    if rules.jurisdictions and enrollment.needs_review:
        where = contact.country if contact is not None and contact.country else "its country"
        found.append(Reason("jurisdiction", f"{where} is marked needs_review"))
    return found


def _anything_sent(session: Session, enrollment_id: int) -> bool:
    return bool(
        session.scalar(
            select(exists().where(Touch.enrollment_id == enrollment_id, Touch.state == "sent"))
        )
    )


def _was_rejected(session: Session, touch_id: int) -> bool:
    last = latest_item(session, touch_id)
    return last is not None and last.state == "rejected" and last.resolution == "redraft"


def _new_versions(
    session: Session, enrollment: Enrollment, draft: Draft, needed: int
) -> list[Reason]:
    """A sequence or prompt version people have approved fewer than ``needed`` times."""
    if needed == 0:
        return []
    versions = [
        ("new_sequence_version", enrollment.sequence_id, enrollment.sequence_version),
        ("new_prompt_version", draft.prompt_id, draft.prompt_version),
    ]
    found = []
    for code, name, version in versions:
        if name is None:
            continue  # a draft written without a prompt file
        approved = counts.value(session, counts.approval_facet(code, name, version))
        if approved < needed:
            found.append(Reason(code, f"{name} v{version}: {approved} of {needed} approvals"))
    return found
