"""Tasks for people: call and LinkedIn steps (the engine never automates LinkedIn) and
replies to answer. Completing or skipping a step's task moves the sequence on; a task
left open past its day is shown as overdue, never dropped."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from signalseq.crm.models import Account, Contact
from signalseq.enrollments import lifecycle
from signalseq.enrollments.models import Enrollment, Touch
from signalseq.errors import ConflictError, NotFoundError
from signalseq.sequences.calendar import BusinessCalendar
from signalseq.tasks.models import Task

TITLES = {
    "call": "Call",
    "linkedin_connect": "Send a LinkedIn connection request to",
    "linkedin_message": "Send a LinkedIn message to",
    "reply": "Answer the reply from",
    "find_email": "Find the work email of",
}


def _title(kind: str, contact: Contact, account: Account | None) -> str:
    where = f" ({account.name})" if account else ""
    return f"{TITLES.get(kind, kind)} {contact.full_name}{where}"[:300]


def owner_of(contact: Contact, account: Account | None) -> str | None:
    return contact.owner or (account.owner if account else None)


def open_for_touch(
    session: Session,
    touch: Touch,
    contact: Contact,
    account: Account | None,
    text: str,
    calendar: BusinessCalendar,
    now: datetime,
) -> Task:
    """The step becomes a task for the contact's owner, due on the contact's local day
    the touch was planned for."""
    task = Task(
        kind=touch.channel,
        touch_id=touch.id,
        enrollment_id=touch.enrollment_id,
        contact_id=contact.id,
        owner=owner_of(contact, account),
        title=_title(touch.channel, contact, account),
        text=text,
        due_on=touch.due_at.astimezone(calendar.zone).date(),
        state="open",
        created_at=now,
    )
    session.add(task)
    lifecycle.move_touch(session, touch, "task", f"task for {task.owner or 'no owner'}", now)
    return task


def open_reply(
    session: Session,
    contact: Contact,
    enrollment_id: int | None,
    touch_id: int | None,
    snippet: str,
    calendar: BusinessCalendar,
    now: datetime,
) -> Task:
    """Tell the owner a person answered: the sequence has stopped, the rest is theirs."""
    account = session.get(Account, contact.account_id) if contact.account_id else None
    task = Task(
        kind="reply",
        touch_id=touch_id,
        enrollment_id=enrollment_id,
        contact_id=contact.id,
        owner=owner_of(contact, account),
        title=_title("reply", contact, account),
        text=snippet[:4000],
        due_on=now.astimezone(calendar.zone).date(),
        state="open",
        created_at=now,
    )
    session.add(task)
    return task


def ask_for_address(
    session: Session, enrollment_id: int | None, contact: Contact, why: str, now: datetime
) -> Task:
    """An email waits for an address: one open task per contact asks its owner to find
    one (``signalseq contacts set-email``); it closes itself when an address arrives."""
    found = session.scalar(
        select(Task).where(
            Task.contact_id == contact.id, Task.kind == "find_email", Task.state == "open"
        )
    )
    if found is not None:
        return found
    account = session.get(Account, contact.account_id) if contact.account_id else None
    task = Task(
        kind="find_email",
        touch_id=None,  # closing it sends nothing: the waiting email goes when an address is set
        enrollment_id=enrollment_id,
        contact_id=contact.id,
        owner=owner_of(contact, account),
        title=_title("find_email", contact, account),
        text=f"{why}. Set it with: signalseq contacts set-email {contact.id} ADDRESS"[:4000],
        due_on=now.date(),
        state="open",
        created_at=now,
    )
    session.add(task)
    return task


def address_found(session: Session, contact_id: int, address: str, now: datetime) -> int:
    """Close the contact's open find-the-address tasks; how many were open."""
    tasks = session.scalars(
        select(Task).where(
            Task.contact_id == contact_id, Task.kind == "find_email", Task.state == "open"
        )
    ).all()
    for task in tasks:
        task.state, task.closed_at, task.closed_by = "done", now, "signalseq"
        task.note = f"address found: {address}"[:1000]
    return len(tasks)


def _open_task(session: Session, task_id: int) -> Task:
    task = session.get(Task, task_id, with_for_update=True)
    if task is None:
        raise NotFoundError(f"no task #{task_id}")
    if task.state != "open":
        raise ConflictError(f"task #{task_id} is already {task.state}")
    return task


def close(
    session: Session, task_id: int, outcome: str, actor: str, note: str | None, now: datetime
) -> Task:
    """``done`` or ``skipped``; a step's touch becomes sent or skipped, and the next
    tick plans the sequence's next step."""
    if outcome not in ("done", "skipped"):
        raise ValueError(outcome)
    task = _open_task(session, task_id)
    touch = session.get(Touch, task.touch_id, with_for_update=True) if task.touch_id else None
    if touch is not None and task.kind != "reply":
        if touch.state != "task":
            raise ConflictError(f"task #{task_id}: its step is {touch.state}")
        cause = f"task {outcome} by {actor}" + (f": {note}" if note else "")
        lifecycle.move_touch(
            session, touch, "sent" if outcome == "done" else "skipped", cause[:200], now
        )
        if outcome == "done":
            touch.sent_at = now
            enrollment = session.get(Enrollment, touch.enrollment_id)
            if enrollment is not None:
                enrollment.last_touch_at = now
    task.state, task.closed_at, task.closed_by, task.note = outcome, now, actor, note
    return task


def list_tasks(
    session: Session,
    today_of: Callable[[int], date],
    *,
    owner: str | None = None,
    state: str = "open",
    overdue_only: bool = False,
    limit: int = 200,
) -> list[dict[str, Any]]:
    """Tasks oldest day first; ``today_of(contact_id)`` is the contact's local date, so
    ``overdue`` means past the day in the contact's own time zone."""
    query = (
        select(Task, Contact)
        .join(Contact, Task.contact_id == Contact.id)
        .order_by(Task.due_on, Task.id)
        .limit(limit)
    )
    if state != "all":
        query = query.where(Task.state == state)
    if owner:  # "maya" finds maya@example.com: nobody types the whole address
        query = query.where(func.lower(Task.owner).contains(owner.strip().lower(), autoescape=True))
    rows = []
    for task, contact in session.execute(query).all():
        today: date = today_of(contact.id)
        overdue = task.state == "open" and task.due_on < today
        if overdue_only and not overdue:
            continue
        rows.append(
            {
                "id": task.id,
                "kind": task.kind,
                "title": task.title,
                "contact": {
                    "id": contact.id,
                    "name": contact.full_name,
                    "email": contact.email,
                    "phone": contact.phone,
                    "linkedin": contact.linkedin_url,
                    "account": contact.account.name if contact.account else None,
                },
                "owner": task.owner,
                "due_on": task.due_on.isoformat(),
                "overdue": overdue,
                "state": task.state,
                "text": task.text,
                "touch": task.touch_id,
                "enrollment": task.enrollment_id,
                "closed_by": task.closed_by,
                "note": task.note,
            }
        )
    return rows


def complete_due(session: Session, actor: str, now: datetime, limit: int = 500) -> int:
    """The simulated rep (demo, ``simulate``): does every step task whose touch is due."""
    tasks = session.scalars(
        select(Task)
        .join(Touch, Task.touch_id == Touch.id)
        .where(Task.state == "open", Task.kind != "reply", Touch.due_at <= now)
        .order_by(Task.id)
        .limit(limit)
    ).all()
    for task in tasks:
        close(session, task.id, "done", actor, None, now)
    return len(tasks)
