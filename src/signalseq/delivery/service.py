"""Sending one email touch at most once.

1. **Reserve** (the touch's unit of work, enrollment locked): the pre-send check
   (:mod:`signalseq.delivery.presend`: the enrollment runs, no stop waits to be applied,
   the address is not suppressed, the text is the one approved, the window is open)
   passes; then the mailbox's throttle grants a slot, the message is built and the
   touch is marked ``sending`` with its Message-ID — and committed.
2. **Send** (:func:`send_reserved`, a second unit of work): the enrollment is locked
   again and the same check runs on the message as built, then it goes out while the
   lock is held, so a reply recorded meanwhile waits for the outcome instead of racing
   it. The touch ends ``sent``, back to ``approved`` (refused before the data, or by the
   check: the next tick moves it on), ``failed`` (refused for good), ``cancelled`` (a
   stop) or ``unknown`` (the connection failed while the data was on its way).
3. A worker killed between 1 and 2's commit leaves ``sending``; when its lease expires
   :func:`settle_abandoned` marks the touch ``unknown``, listed for a person to
   reconcile (:func:`reconcile`) and never re-sent on its own.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from signalseq.clock import ensure_utc
from signalseq.crm.models import Account, Contact
from signalseq.delivery import presend, throttle
from signalseq.delivery.mailboxes import Mailbox, workspace_mailboxes
from signalseq.delivery.message import Letter, build, new_message_id
from signalseq.delivery.transport import SendResult, Transports
from signalseq.delivery.unsubscribe import links, make_token
from signalseq.drafting.models import Draft, content_sha256
from signalseq.drafting.sender import SenderProfile
from signalseq.enrollments import lifecycle
from signalseq.enrollments.engagement import record_event
from signalseq.enrollments.models import Enrollment, Touch, Transition
from signalseq.errors import ConflictError, NotFoundError, UsageError
from signalseq.people import employments
from signalseq.policy.schema import PolicyFile
from signalseq.settings import Settings
from signalseq.tasks import service as tasks
from signalseq.workspace.loader import Workspace

log = logging.getLogger("signalseq.delivery")
SENDING_LEASE = timedelta(minutes=10)  # far longer than any SMTP timeout
RETRY_AFTER = timedelta(minutes=15)  # a refusal before the data: try again then
LOCAL_URL = "http://127.0.0.1:8000"
FOLDER_ONLY_SECRET = "folder only: links in these files are never sent"  # noqa: S105


@dataclass
class Delivery:
    """The machine side of sending (settings): transports, the public URL of the
    unsubscribe endpoint, the signing key. Mailboxes come from the workspace."""

    transports: Transports
    public_url: str
    secret: str
    settings: Settings | None = None

    @classmethod
    def from_settings(cls, settings: Settings, *, outbox_only: bool = False) -> Delivery:
        return cls(
            Transports(settings.resolved_outbox_dir, outbox_only=outbox_only),
            settings.public_url,
            settings.resolved_secret_key,
            settings,
        )

    @classmethod
    def to_folder(cls, folder: Path, settings: Settings | None = None) -> Delivery:
        """Everything into an outbox folder, never a mail server (simulations,
        benchmarks); links signed with the settings' key when given."""
        return cls(
            Transports(folder, outbox_only=True),
            settings.public_url if settings else LOCAL_URL,
            settings.resolved_secret_key if settings else FOLDER_ONLY_SECRET,
            settings,
        )

    def mailboxes(self, workspace: Workspace, sender: SenderProfile) -> list[Mailbox]:
        return workspace_mailboxes(workspace, sender, self.settings or Settings())

    def problems(self, mailboxes: list[Mailbox], sender: SenderProfile) -> list[str]:
        """Why no email may go out at all (each a full sentence)."""
        found = []
        if not sender.postal_address:
            found.append(
                "email is not sent without a postal address in the footer: set "
                "postal_address in prompts/sender.yaml"
            )
        live = [m for m in mailboxes if m.transport == "smtp" and not self.transports.outbox_only]
        if live and not self.public_url.startswith("https://"):
            found.append(
                f"mailbox {live[0].id} sends by SMTP, so SIGNALSEQ_PUBLIC_URL must be the "
                f"https:// address of `signalseq serve` (one-click unsubscribe); it is "
                f"{self.public_url}"
            )
        return found


@dataclass(frozen=True)
class Reserved:
    """A touch marked ``sending``: what goes out in the second step."""

    touch_id: int
    mailbox: Mailbox
    letter: Letter
    message: EmailMessage  # built once, at reserve: what the send puts on the wire
    window_close: datetime  # when the touch's send window shuts, computed at reserve


def choose_mailbox(
    session: Session,
    mailboxes: list[Mailbox],
    enrollment: Enrollment,
    contact: Contact,
    account: Account | None,
) -> Mailbox:
    """The mailbox of the enrollment's earlier emails (a thread stays in one mailbox),
    else the contact's owner's, else the first."""
    by_id = {m.id: m for m in mailboxes}
    earlier = session.scalar(
        select(Touch.mailbox_id)
        .where(
            Touch.enrollment_id == enrollment.id,
            Touch.mailbox_id.is_not(None),
            Touch.state == "sent",
        )
        .order_by(Touch.sent_at.desc())
        .limit(1)
    )
    if earlier in by_id:
        return by_id[earlier]
    owner = (contact.owner or (account.owner if account else None) or "").lower()
    return next((m for m in mailboxes if owner and owner in m.owners), mailboxes[0])


def thread_of(session: Session, touch: Touch) -> tuple[str, ...]:
    """Message-IDs of the thread this touch continues, oldest first: the emails
    actually sent in the enrollment since the last one that started a thread. Empty
    when the step starts a new thread or nothing was sent yet."""
    if touch.thread != "continue":
        return ()
    sent = session.execute(
        select(Touch.message_id, Touch.thread)
        .where(
            Touch.enrollment_id == touch.enrollment_id,
            Touch.channel == "email",
            Touch.state == "sent",
            Touch.message_id.is_not(None),
        )
        .order_by(Touch.sent_at, Touch.id)
    ).all()
    chain: list[str] = []
    for message_id, thread in sent:
        if thread != "continue":
            chain = []
        if message_id is not None:
            chain.append(message_id)
    return tuple(chain)


def reserve(
    session: Session,
    touch: Touch,
    enrollment: Enrollment,
    contact: Contact,
    account: Account | None,
    draft: Draft,
    mailbox: Mailbox,
    delivery: Delivery,
    sender: SenderProfile,
    zone: ZoneInfo,
    worker: str,
    now: datetime,
    window_close: datetime,
) -> Reserved | throttle.Slot | None:
    """Take a slot in the mailbox and mark the touch ``sending``; the slot refused
    (cap, gap, paused) when the mailbox cannot send now; None when the message cannot
    be built (the touch failed, with the reason)."""
    slot = throttle.reserve(session, mailbox, zone, touch.id, now)
    if not slot.granted:
        return slot
    assert contact.email and sender.postal_address
    message_id = new_message_id(touch.id, mailbox.domain)
    token = make_token(delivery.secret, contact.id, contact.email)
    letter = Letter(
        touch_id=touch.id,
        message_id=message_id,
        mailbox=mailbox,
        to_name=contact.full_name,
        to_address=contact.email,
        subject=draft.subject or "",
        body=draft.body,
        company=sender.company,
        postal_address=sender.postal_address,
        unsubscribe=links(delivery.public_url, mailbox.address, token),
        thread=thread_of(session, touch),
        date=now,
    )
    try:
        message = build(letter)  # a header that cannot be written fails here, not in `sending`
    except ValueError as exc:
        throttle.give_back(session, mailbox.id)
        cause = f"the message cannot be built: {exc}"
        lifecycle.move_touch(session, touch, "failed", cause[:200], now)
        return None
    touch.mailbox_id = mailbox.id
    touch.message_id = message_id
    touch.lease_owner, touch.lease_until = worker, now + SENDING_LEASE
    lifecycle.move_touch(session, touch, "sending", f"sending from mailbox {mailbox.id}", now)
    return Reserved(touch.id, mailbox, letter, message, window_close)


def send_reserved(
    session: Session,
    reserved: Reserved,
    delivery: Delivery,
    policy: PolicyFile,
    worker: str,
    now: datetime,
) -> str:
    """Step 2: the pre-send check once more under the enrollment's lock, then send and
    record the outcome. Refused now, the touch is cancelled (a stop) or goes back to
    ``approved`` for the next tick's check to move on (changed text, a closed window)."""
    touch = session.get(Touch, reserved.touch_id, with_for_update=True)
    if touch is None or touch.state != "sending" or touch.lease_owner != worker:
        return "lost"  # settled by someone else meanwhile
    # take the write lock first (SQLite): a reply recorded from now on waits for the send
    session.execute(update(Touch).where(Touch.id == touch.id).values(lease_until=touch.lease_until))
    enrollment = session.get(Enrollment, touch.enrollment_id, with_for_update=True)
    assert enrollment is not None
    contact = session.get(Contact, enrollment.contact_id)
    assert contact is not None
    account = employments.current_account(session, contact)
    draft = session.scalar(select(Draft).where(Draft.touch_id == touch.id))
    letter = reserved.letter
    refused = presend.check(
        session, touch, enrollment, contact, account, draft, policy,
        reserved.window_close, now, sending=(letter.subject, letter.body),
        recipient=letter.to_address,
    )  # fmt: skip
    if refused is not None:
        throttle.give_back(session, reserved.mailbox.id)
        touch.lease_owner = touch.lease_until = None
        to = {presend.STOPPED: "cancelled", presend.NO_ADDRESS: "needs_address"}
        lifecycle.move_touch(session, touch, to.get(refused.kind, "approved"), refused.cause, now)
        if refused.kind == presend.NO_ADDRESS:
            tasks.ask_for_address(session, touch.enrollment_id, contact, refused.cause, now)
        return to.get(refused.kind, "retry")
    transport = delivery.transports.for_mailbox(reserved.mailbox)
    result = transport.send(letter, reserved.message)
    if result.outcome in ("sent", "unknown"):  # it left, or may have
        touch.sent_sha256 = content_sha256(letter.subject, letter.body)
    return record_result(session, touch, enrollment, reserved.mailbox, transport.name, result, now)


def record_result(
    session: Session,
    touch: Touch,
    enrollment: Enrollment,
    mailbox: Mailbox,
    transport: str,
    result: SendResult,
    now: datetime,
) -> str:
    touch.lease_owner = touch.lease_until = None
    if result.outcome == "sent":
        lifecycle.move_touch(session, touch, "sent", f"sent by {transport}: {result.detail}", now)
        touch.sent_at = now
        enrollment.last_touch_at = now
        return "sent"
    if result.outcome == "unknown":
        lifecycle.move_touch(session, touch, "unknown", result.detail, now)
        return "unknown"
    throttle.give_back(session, mailbox.id)
    if result.pause and throttle.pause(session, mailbox.id, result.pause, now):
        log.error("mailbox %s paused: %s", mailbox.id, result.pause)
    if not result.permanent:
        lifecycle.move_touch(session, touch, "approved", f"not sent: {result.detail}", now)
        lifecycle.record_delay(session, touch, now + RETRY_AFTER, "retry", now)
        return "retry"
    lifecycle.move_touch(session, touch, "failed", f"not sent: {result.detail}", now)
    status = result.status or ""
    if result.recipient_refused and status.startswith("5.1"):
        record_event(
            session,
            kind="bounced",
            at=now,
            contact_id=enrollment.contact_id,
            touch_id=touch.id,
            source=f"smtp:{mailbox.id}",
            detail={"status": status, "diagnostic": result.detail},
        )
    elif status.startswith("5.7") and throttle.pause(
        session, mailbox.id, f"{status}: {result.detail}", now
    ):
        log.error("mailbox %s paused: %s", mailbox.id, result.detail)
    return "failed"


def settle_abandoned(session: Session, now: datetime, limit: int = 500) -> int:
    """``sending`` touches whose worker's lease ran out: nobody knows whether they
    left. They become ``unknown`` for a person; never re-sent on their own."""
    query = (
        select(Touch)
        .where(Touch.state == "sending", Touch.lease_until < now)
        .order_by(Touch.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    touches = list(session.scalars(query))
    for touch in touches:
        lifecycle.move_touch(
            session, touch, "unknown", "the worker stopped between sending and sent", now
        )
        touch.lease_owner = touch.lease_until = None
    return len(touches)


RESOLUTIONS = {
    "sent": "sent",  # it did go out (found in the Sent folder, the recipient has it)
    "not-sent": "cancelled",  # it did not; the sequence goes on without it
    "resend": "approved",  # it did not; send it again at the next slot
}


def reconcile(session: Session, touch_id: int, resolution: str, actor: str, now: datetime) -> Touch:
    touch = session.get(Touch, touch_id, with_for_update=True)
    if touch is None:
        raise NotFoundError(f"no touch #{touch_id}")
    if resolution not in RESOLUTIONS:
        raise UsageError(f"resolution must be one of: {', '.join(RESOLUTIONS)}")
    if touch.state != "unknown":
        raise ConflictError(f"touch #{touch_id} is {touch.state}, not unknown")
    cause = f"reconciled by {actor}: {resolution}"
    if resolution == "resend":
        enrollment = session.get(Enrollment, touch.enrollment_id)
        if enrollment is None or enrollment.state != "active":
            raise ConflictError(f"touch #{touch_id}: its enrollment no longer runs")
        touch.message_id = None  # a new message, not a copy of one that may exist
    if resolution == "sent":
        # it left when the worker sent it: the next step counts from then, not from now
        left = _sending_since(session, touch) or now
        touch.sent_at = left
        enrollment = session.get(Enrollment, touch.enrollment_id)
        if enrollment is not None:
            enrollment.last_touch_at = max(left, ensure_utc(enrollment.last_touch_at or left))
    lifecycle.move_touch(session, touch, RESOLUTIONS[resolution], cause, now)
    return touch


def _sending_since(session: Session, touch: Touch) -> datetime | None:
    """When the touch was last marked ``sending`` (the send moment, by the worker's clock)."""
    return session.scalar(
        select(func.max(Transition.at)).where(
            Transition.entity == "touch",
            Transition.entity_id == touch.id,
            Transition.to_state == "sending",
        )
    )


def touch_rows(session: Session, states: tuple[str, ...], limit: int = 200) -> list[dict[str, Any]]:
    since = (  # when it entered its state, by the clock that moved it
        select(func.max(Transition.at))
        .where(Transition.entity == "touch", Transition.entity_id == Touch.id)
        .correlate(Touch)
        .scalar_subquery()
    )
    rows = session.execute(
        select(Touch, Enrollment, Contact, since)
        .join(Enrollment, Touch.enrollment_id == Enrollment.id)
        .join(Contact, Enrollment.contact_id == Contact.id)
        .where(Touch.state.in_(states))
        .order_by(since, Touch.id)
        .limit(limit)
    ).all()
    return [
        {
            "touch": touch.id,
            "state": touch.state,
            "enrollment": enrollment.id,
            "contact": contact.email or contact.full_name,
            "step": touch.step_id,
            "mailbox": touch.mailbox_id,
            "message_id": touch.message_id,
            "since": ensure_utc(moment).isoformat() if moment else None,
        }
        for touch, enrollment, contact, moment in rows
    ]


def mailbox_rows(
    session: Session, mailboxes: list[Mailbox], default_zone: str, now: datetime
) -> list[dict[str, Any]]:
    rows = []
    for mailbox in mailboxes:
        state = throttle.state_of(session, mailbox.id, lock=False)
        zone = ZoneInfo(mailbox.timezone or default_zone)
        today = now.astimezone(zone).date()
        rows.append(
            {
                "id": mailbox.id,
                "address": mailbox.address,
                "transport": mailbox.transport,
                "cap_today": throttle.cap_today(mailbox, state, zone, now),
                "sent_today": state.sent_today if state.day == today else 0,
                "sent_total": state.sent_total,
                "paused": state.paused_reason if state.paused_at else None,
                "imap": bool(mailbox.imap),
            }
        )
    return rows


def find_mailbox(mailboxes: list[Mailbox], mailbox_id: str) -> Mailbox:
    for mailbox in mailboxes:
        if mailbox.id == mailbox_id:
            return mailbox
    raise NotFoundError(
        f"no mailbox {mailbox_id!r}; configured: {', '.join(m.id for m in mailboxes)}"
    )
