"""``signalseq explain EMAIL``: a contact's signals, decisions and enrollments, with reasons."""

from __future__ import annotations

import re
from typing import Any

from rich.console import Console
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from signalseq.crm.models import Contact
from signalseq.decisions.models import Decision
from signalseq.drafting.models import Draft
from signalseq.enrollments.models import EngagementEvent, Enrollment, Touch, Transition
from signalseq.errors import NotFoundError
from signalseq.inbound.models import InboundMessage
from signalseq.people import employments
from signalseq.signals.models import Signal


def _signal(signal: Signal | None) -> dict[str, Any] | None:
    if signal is None:
        return None
    return {
        "id": signal.id,
        "kind": signal.kind,
        "subtype": signal.subtype,
        "occurred_at": signal.occurred_at.isoformat(),
        "source": signal.source,
        "company": signal.company_name or signal.company_domain,
        "headline": (signal.attributes or {}).get("headline"),
        "person": signal.person_name,  # who the signal is about (a colleague's, maybe)
        "contact_id": signal.contact_id,
    }


def timeline(session: Session, email: str) -> dict[str, Any]:
    address = email.strip().lower()
    contact = session.scalar(select(Contact).where(Contact.email == address))
    if contact is None:  # an address the person had at a former employer
        contact = employments.contact_by_past_email(session, address)
    if contact is None:
        raise NotFoundError(f"no contact with e-mail {email!r}")
    return timeline_of(session, contact)


def timeline_of(session: Session, contact: Contact) -> dict[str, Any]:
    """A contact's signals and decisions (why enrolled or skipped, with the rule's
    conditions), enrollments, touches with their history, and engagement events."""
    decisions = session.scalars(
        select(Decision)
        .where(
            or_(
                Decision.contact_id == contact.id,
                (Decision.contact_id.is_(None)) & (Decision.account_id == contact.account_id)
                if contact.account_id
                else Decision.contact_id == contact.id,
            )
        )
        .order_by(Decision.decided_at, Decision.id)
    ).all()
    signals = {
        s.id: s
        for s in session.scalars(
            select(Signal).where(Signal.id.in_({d.signal_id for d in decisions}))
        )
    }
    enrollments = session.scalars(
        select(Enrollment)
        .where(Enrollment.contact_id == contact.id)
        .order_by(Enrollment.enrolled_at)
    ).all()
    return {
        "contact": {
            "email": contact.email,
            "name": contact.full_name,
            "title": contact.title,
            "seniority": contact.seniority,
            "account": contact.account.domain if contact.account else None,
            "id": contact.id,
            "email_source": contact.email_source,
            "email_confidence": contact.email_confidence,
        },
        "employments": employments.history(session, contact.id),
        "decisions": [
            {
                "decided_at": d.decided_at.isoformat(),
                "outcome": d.outcome,
                "reason": d.reason,
                "rule": d.rule_id,
                "rules_version": d.rules_version,
                "sequence": d.sequence_id,
                "branch": d.branch,
                "other_matching_rules": [r for r in d.matched_rules if r != d.rule_id],
                "for_this_contact": d.contact_id == contact.id,
                "signal": _signal(signals.get(d.signal_id)),
                "trace": d.trace,
            }
            for d in decisions
        ],
        "enrollments": [
            {
                "id": e.id,
                "sequence": e.sequence_id,
                "version": e.sequence_version,
                "branch": e.branch,
                "state": e.state,
                "rule": e.rule_id,
                "signal_id": e.signal_id,
                "enrolled_at": e.enrolled_at.isoformat(),
                "needs_review": e.needs_review,
                "exit_reason": e.exit_reason,
            }
            for e in enrollments
        ],
        "touches": _touches(session, [e.id for e in enrollments]),
        "events": _events(session, contact.id),
    }


def _events(session: Session, contact_id: int) -> list[dict[str, Any]]:
    """Engagement events; an email's with the message's subject and its new text (never
    where the file was read from)."""
    events = session.scalars(
        select(EngagementEvent)
        .where(EngagementEvent.contact_id == contact_id)
        .order_by(EngagementEvent.occurred_at)
    ).all()
    ids = [
        str((ev.detail or {}).get("message_id"))
        for ev in events
        if (ev.detail or {}).get("message_id")
    ]
    messages = {
        m.message_id: m
        for m in session.scalars(select(InboundMessage).where(InboundMessage.message_id.in_(ids)))
    } if ids else {}  # fmt: skip
    rows = []
    for ev in events:
        message = messages.get(str((ev.detail or {}).get("message_id")))
        rows.append({
            "id": ev.id,
            "kind": ev.kind,
            "sentiment": ev.sentiment,
            "sentiment_by": ev.sentiment_by,
            "occurred_at": ev.occurred_at.isoformat(),
            "source": ev.source.split(":", 1)[0] if ev.source.startswith("email:") else ev.source,
            "outcome": ev.outcome,
            "subject": message.subject if message else None,
            "text": (message.detail or {}).get("snippet") if message else None,
        })  # fmt: skip
    return rows


_PATH = re.compile(r"(?:file:)?(?:/[\w.@+-]+)+/?|\S+\.eml\b")


def _readable(cause: str | None) -> str | None:
    """A transition's cause as a person reads it: no server paths ("written to the
    outbox folder", not where on disk)."""
    return _PATH.sub("a file", cause) if cause else cause


def _touches(session: Session, enrollment_ids: list[int]) -> list[dict[str, Any]]:
    touches = session.scalars(
        select(Touch).where(Touch.enrollment_id.in_(enrollment_ids)).order_by(Touch.due_at)
    ).all()
    history: dict[int, list[dict[str, Any]]] = {}
    for row in session.scalars(
        select(Transition)
        .where(Transition.entity == "touch", Transition.entity_id.in_([t.id for t in touches]))
        .order_by(Transition.id)
    ):
        history.setdefault(row.entity_id, []).append(
            {"at": row.at.isoformat(), "to": row.to_state, "cause": _readable(row.cause)}
        )
    drafts = {
        d.touch_id: d
        for d in session.scalars(select(Draft).where(Draft.touch_id.in_([t.id for t in touches])))
    }
    return [
        {
            "id": t.id,
            "enrollment_id": t.enrollment_id,
            "subject": drafts[t.id].subject if t.id in drafts else None,
            "text": drafts[t.id].body if t.id in drafts and t.sent_at else None,
            "step": t.step_id,
            "channel": t.channel,
            "state": t.state,
            "due_at": t.due_at.isoformat(),
            "sent_at": t.sent_at.isoformat() if t.sent_at else None,
            "history": history.get(t.id, []),
        }
        for t in touches
    ]


def render(data: dict[str, Any], console: Console) -> None:
    contact = data["contact"]
    console.print(
        f"[bold]{contact['name']}[/bold] <{contact['email']}> — {contact['title'] or 'no title'} "
        f"({contact['seniority']}) at {contact['account'] or 'no account'}"
    )
    if contact["email"]:
        console.print(f"address from {contact['email_source'] or 'unknown'}")
    else:
        console.print("no address at the current employer: emails wait for one")
    for job in data["employments"]:
        if not job["current"]:
            console.print(
                f"  before: {job['title'] or '?'} at {job['company'] or '?'} until "
                f"{job['ended_on'] or '?'} ({job['email'] or 'no address'}, retired)"
            )
    if not data["decisions"]:
        console.print(
            "No decisions yet: no signal about this contact or their account has been decided."
        )
    for decision in data["decisions"]:
        signal = decision["signal"] or {}
        verdict = {
            "enrolled": "[green]ENROLLED[/green] in "
            + f"{decision['sequence']}/{decision['branch']}",
            "held_out": "[cyan]HELD OUT[/cyan]: in the rule's holdout share (measured, "
            "never contacted)",
        }.get(decision["outcome"], f"[yellow]skipped[/yellow]: {decision['reason']}")
        console.print(
            f"\n{decision['decided_at'][:16]}  {signal.get('kind')} "
            f"({signal.get('subtype') or '-'}) from {signal.get('source')}: "
            f"{signal.get('headline') or signal.get('company') or ''}"
        )
        who = "" if decision["for_this_contact"] else " (decided for the account, before contacts)"
        console.print(
            f"  {verdict}{who} — rule {decision['rule'] or 'none'} @ {decision['rules_version']}"
        )
        if decision["other_matching_rules"]:
            console.print(f"  also matched: {', '.join(decision['other_matching_rules'])}")
        for condition in decision["trace"].get("conditions", []):
            mark = "[green]✓[/green]" if condition["passed"] else "[red]✗[/red]"
            console.print(f"    {mark} {condition['condition']} (actual: {condition['actual']!r})")
        for check in decision["trace"].get("policy", []):
            if not check["passed"]:
                console.print(f"    [red]policy ✗[/red] {check['check']}: {check['detail']}")
        move = decision["trace"].get("employment")
        if move:
            found = move["address"]
            console.print(
                f"  moved: {move['before']} → {move['after']}; "
                + (
                    f"address {found} ({move['address_source']}, {move['address_confidence']})"
                    if found
                    else f"needs an address — {move['address_missing']}"
                )  # fmt: skip
            )
    for enrollment in data["enrollments"]:
        console.print(
            f"\nenrollment #{enrollment['id']}: {enrollment['sequence']} v{enrollment['version']} "
            f"/{enrollment['branch']} — {enrollment['state']} since {enrollment['enrolled_at'][:10]}"
            f" (rule {enrollment['rule']}, signal #{enrollment['signal_id']})"
            + (" — needs review" if enrollment["needs_review"] else "")
        )
