"""Per-mailbox throttles: a daily cap (counted in the mailbox's day), a warm-up ramp
from the first sending day, and a minimum gap between sends with jitter.

A send is reserved on the mailbox's row, locked, in the transaction that marks the
touch ``sending``; two workers never exceed a cap. A send that did not happen gives its
place back.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from signalseq.delivery.mailboxes import Mailbox
from signalseq.delivery.models import MailboxState


@dataclass(frozen=True)
class Slot:
    granted: bool
    not_before: datetime | None = None  # None with granted False: until a person resumes
    reason: str = ""


def state_of(session: Session, mailbox_id: str, *, lock: bool = True) -> MailboxState:
    state = session.get(MailboxState, mailbox_id, with_for_update=lock)
    if state is not None:
        return state
    try:
        with session.begin_nested():
            session.add(MailboxState(mailbox_id=mailbox_id, sent_today=0, sent_total=0))
    except IntegrityError:
        pass  # another worker created it a moment ago
    state = session.get(MailboxState, mailbox_id, with_for_update=lock, populate_existing=True)
    assert state is not None
    return state


def cap_today(mailbox: Mailbox, state: MailboxState, zone: ZoneInfo, now: datetime) -> int:
    today = now.astimezone(zone).date()
    sending_day = (today - state.first_sent_on).days if state.first_sent_on else 0
    return mailbox.cap_on(max(sending_day, 0))


def reserve(
    session: Session, mailbox: Mailbox, zone: ZoneInfo, touch_id: int, now: datetime
) -> Slot:
    state = state_of(session, mailbox.id)
    if state.paused_at is not None:
        return Slot(False, None, f"mailbox {mailbox.id} is paused: {state.paused_reason}")
    today = now.astimezone(zone).date()
    if state.day != today:
        state.day, state.sent_today = today, 0
    cap = cap_today(mailbox, state, zone, now)
    if state.sent_today >= cap:
        tomorrow = datetime.combine(today + timedelta(days=1), time(0, 0), zone)
        return Slot(False, tomorrow, f"mailbox {mailbox.id} sent its {cap} for today")
    if state.last_sent_at is not None and mailbox.min_gap_seconds > 0:
        jitter = random.Random(f"{mailbox.id}/{touch_id}").uniform(0, mailbox.jitter_seconds)
        ready = state.last_sent_at + timedelta(seconds=mailbox.min_gap_seconds + jitter)
        if now < ready:
            return Slot(False, ready, "gap")
    state.sent_today += 1
    state.sent_total += 1
    state.last_sent_at = now
    state.first_sent_on = state.first_sent_on or today
    return Slot(True)


def give_back(session: Session, mailbox_id: str) -> None:
    state = state_of(session, mailbox_id)
    state.sent_today = max(state.sent_today - 1, 0)
    state.sent_total = max(state.sent_total - 1, 0)


def pause(session: Session, mailbox_id: str, reason: str, now: datetime) -> bool:
    """Stop a mailbox sending until a person resumes it; False if it was paused."""
    state = state_of(session, mailbox_id)
    if state.paused_at is not None:
        return False
    state.paused_at, state.paused_reason = now, reason[:300]
    return True


def resume(session: Session, mailbox_id: str, now: datetime) -> bool:
    """Let it send again; its circuit breaker counts sends from now."""
    state = state_of(session, mailbox_id)
    was_paused = state.paused_at is not None
    state.paused_at, state.paused_reason = None, None
    state.resumed_at = now
    return was_paused
