"""The one check before a touch goes out.

It runs twice with the enrollment locked: where the touch is reserved (the delivery
stage) and again where it is sent, so both places agree on what stops a send. A stop
it finds (a reply, meeting, unsubscribe or bounce not applied yet) is applied on the
spot — the enrollment exits and the event is marked applied — so the trail never reads
"no running enrollment" for the event that ended it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from signalseq.crm.models import Account, Contact
from signalseq.drafting.models import Draft, content_sha256
from signalseq.enrollments import engagement, lifecycle
from signalseq.enrollments.models import Enrollment, Touch
from signalseq.people import employments
from signalseq.people.finder import at_domain
from signalseq.policy import suppression
from signalseq.policy.schema import PolicyFile

# what a refusal means for the touch
STOPPED = "stopped"  # the enrollment no longer runs: the touch is cancelled
CHANGED = "changed"  # the text is not the one approved: back to review
LATE = "late"  # its send window closed: it waits for the next one
NO_DRAFT = "no_draft"
NO_ADDRESS = "no_address"  # no address at the current employer: it waits for one
UNDELIVERABLE = "undeliverable"  # an address source: its domain was found to take no mail


@dataclass(frozen=True)
class Refusal:
    kind: str
    cause: str


def check(
    session: Session,
    touch: Touch,
    enrollment: Enrollment,
    contact: Contact,
    account: Account | None,
    draft: Draft | None,
    policy: PolicyFile,
    window_close: datetime,
    now: datetime,
    *,
    sending: tuple[str | None, str] | None = None,
    recipient: str | None = None,
) -> Refusal | None:
    """Why the touch must not go out now, or None. A stop is applied here (the
    enrollment exits); the caller moves the touch for the other refusals. ``sending``
    is the subject and body about to go out and ``recipient`` its To address, when the
    message is already built."""
    if enrollment.state != "active":
        return Refusal(STOPPED, f"enrollment {enrollment.state} at send")
    stops = engagement.pending_stops(session, contact.id)
    if stops:
        engagement.apply_stops(session, stops, now)
        return Refusal(STOPPED, f"{stops[0].kind} recorded before the send")
    why = suppression.check(session, policy, *suppression.contact_address(contact, account))
    if why is not None:
        cause = f"suppressed at send: {why}"
        lifecycle.exit_enrollment(session, enrollment, "suppressed", now, cause)
        return Refusal(STOPPED, cause)
    if touch.channel == "email":
        problem = address_problem(session, contact, recipient)
        if problem is not None:
            return Refusal(NO_ADDRESS, problem)
    if draft is None:
        return Refusal(NO_DRAFT, "no draft to send")
    current = content_sha256(draft.subject, draft.body)
    built = content_sha256(*sending) if sending is not None else current
    if draft.approved_sha256 is None or not draft.approved_sha256 == current == built:
        return Refusal(CHANGED, "the text changed after approval")
    if now >= window_close:
        return Refusal(LATE, f"send window of {touch.due_at:%Y-%m-%d %H:%M} UTC passed")
    return None


def address_problem(session: Session, contact: Contact, recipient: str | None = None) -> str | None:
    """Why the contact's address must not be written to now, or None. The last line
    against a mover's old mailbox: the recipient's domain must be the current employer's
    (or an address the person gave as their own), never a former employer's."""
    address = recipient or contact.email
    if not address:
        return "needs an address: none at the current employer we have reason to believe"
    if recipient is not None and recipient.lower() != (contact.email or "").lower():
        return f"needs an address: {recipient} is no longer the contact's address"
    if contact.email_source == UNDELIVERABLE:
        return f"needs an address: {address} is undeliverable (its domain takes no mail)"
    if contact.email_source == "personal":
        return None
    host = address.rsplit("@", 1)[-1].lower()
    current, former = employments.allowed_domains(session, contact)
    if any(at_domain(address, domain) for domain in former) and not any(
        at_domain(address, domain) for domain in current
    ):
        return f"needs an address: {address} is at a former employer"
    if current and not any(at_domain(address, domain) for domain in current):
        return f"needs an address: {host} is not the current employer's domain ({', '.join(sorted(current))})"
    return None
