"""The built-in drafter: deterministic text from what we know about the touch.

It needs no model and no network, so the pipeline runs end to end on a laptop. The
prompt-driven drafters (offline and OpenAI-compatible) replace it as the default once
prompt files ship; it stays as the fallback a stage can always use.
"""

from __future__ import annotations

from dataclasses import dataclass

from signalseq.crm.models import Account, Contact
from signalseq.enrollments.models import Touch

NAME = "builtin-offline"

_OPENINGS = {
    "opener": "I noticed {reason} and thought it was worth a short note.",
    "bump": "Bringing my last note back to the top of your inbox.",
    "new_angle": "A different angle on my earlier note: teams like {company} often start small.",
    "value_add": "Sharing one idea that teams in your position found useful.",
    "breakup": "I will not follow up again; if timing changes, a reply reaches me directly.",
}
_REASONS = {
    "funding": "the new funding at {company}",
    "job_change": "your new role at {company}",
    "website_visit": "interest from {company} in what we do",
}


@dataclass(frozen=True)
class DraftText:
    subject: str | None
    body: str


def draft(
    touch: Touch, contact: Contact, account: Account | None, signal_kind: str | None
) -> DraftText:
    company = account.name if account else "your team"
    first = contact.first_name or (contact.full_name or "there").split()[0]
    reason = _REASONS.get(signal_kind or "", "what {company} is working on").format(company=company)
    opening = _OPENINGS.get(touch.purpose, "Following up on {reason}.").format(
        reason=reason, company=company
    )
    if touch.channel == "email":
        subject = f"{company}: {touch.purpose.replace('_', ' ')}"
        return DraftText(subject, f"Hi {first},\n\n{opening}\n\nBest regards")
    if touch.channel == "call":
        return DraftText(None, f"Call {first} at {company}. Open with: {opening}")
    return DraftText(None, f"Hi {first}, {opening}")
