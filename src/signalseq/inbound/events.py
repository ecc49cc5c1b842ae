"""Events a provider pushes (a meeting booked, or a reply, bounce, unsubscribe or
out-of-office its own systems detected), validated and recorded for a contact."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from signalseq import jsontext
from signalseq.clock import ensure_utc
from signalseq.crm.models import Contact
from signalseq.enrollments.engagement import record_event
from signalseq.enrollments.models import EngagementEvent
from signalseq.errors import InputRejected, NotFoundError


class EventIn(BaseModel):
    """A meeting booked, or a reply/bounce/unsubscribe/out-of-office detected elsewhere."""

    type: Literal["meeting", "replied", "bounced", "unsubscribed", "out_of_office"]
    email: str = Field(min_length=3, max_length=320, description="The contact's address.")
    occurred_at: datetime | None = None
    return_date: str | None = Field(default=None, description="out_of_office: YYYY-MM-DD")
    detail: dict[str, Any] = Field(default_factory=dict)


class BadEvent(InputRejected):
    code = "bad_event"


def parse_event(body: bytes) -> EventIn:
    try:
        return EventIn.model_validate(jsontext.loads(body))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadEvent(f"invalid JSON: {exc}") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "event"
        raise BadEvent(f"{where}: {first['msg']}") from exc


def record_pushed(session: Session, event: EventIn, source: str, now: datetime) -> EngagementEvent:
    contact = session.scalar(select(Contact).where(Contact.email == event.email.lower()))
    if contact is None:
        raise NotFoundError(f"no contact with the address {event.email}")
    try:
        back = (
            datetime.strptime(event.return_date, "%Y-%m-%d").date() if event.return_date else None
        )
    except ValueError as exc:
        raise BadEvent(f"return_date: expected YYYY-MM-DD, got {event.return_date!r}") from exc
    return record_event(
        session,
        kind=event.type,
        at=min(ensure_utc(event.occurred_at), now) if event.occurred_at else now,
        contact_id=contact.id,
        return_date=back,
        source=source,
        detail=event.detail,
    )
