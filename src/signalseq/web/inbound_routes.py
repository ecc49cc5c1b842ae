"""Inbound webhooks for providers that push mail or events, signed like the signal
webhooks (HMAC-SHA256 of ``<timestamp>.<body>`` with SIGNALSEQ_INBOUND_WEBHOOK_SECRET;
replays refused), and the public one-click unsubscribe endpoint (RFC 8058)."""

from __future__ import annotations

from functools import partial
from typing import Any

from fastapi import APIRouter, Header, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from signalseq.crm.models import Contact
from signalseq.delivery.unsubscribe import contact_addresses, read_token
from signalseq.enrollments.engagement import record_event
from signalseq.errors import NotFoundError
from signalseq.inbound import runner
from signalseq.inbound.events import BadEvent, parse_event, record_pushed
from signalseq.inbound.service import process
from signalseq.policy import suppression
from signalseq.signals import webhooks
from signalseq.web.intake import _body
from signalseq.web.security import client_address
from signalseq.web.state import AppState
from signalseq.web.templating import templates

router = APIRouter(tags=["inbound"])


class InboundResult(BaseModel):
    message_id: str
    classification: str
    effect: str
    duplicate: bool


class EventResult(BaseModel):
    event: int
    contact: int
    type: str


INBOUND = "webhook:inbound"  # the dead-letter source of refused inbound requests


def _state(request: Request) -> AppState:
    state: AppState = request.app.state.signalseq
    return state


async def _verify(
    request: Request, state: AppState, body: bytes, timestamp: str | None, signature: str | None
) -> None:
    """The signature, checked off the event loop; an unsigned refusal is kept as a dead
    letter within its sender's budget."""
    client = client_address(request)
    await run_in_threadpool(_verified, state, client, body, timestamp, signature)


def _verified(
    state: AppState, client: str, body: bytes, timestamp: str | None, signature: str | None
) -> None:
    secret = state.settings.inbound_webhook_secret
    if secret is None:
        raise NotFoundError("inbound webhooks are off: set SIGNALSEQ_INBOUND_WEBHOOK_SECRET")
    webhooks.authenticate(
        state.database,
        secret=secret.get_secret_value(),
        source="inbound",
        label=INBOUND,
        timestamp=timestamp,
        signature=signature,
        body=body,
        now=state.clock.now(),
        tolerance_seconds=state.settings.webhook_tolerance_seconds,
        keep_refusal=lambda: state.refusals.allows(client),
    )


_SIGNED = (
    "Signed with HMAC-SHA256 of `<timestamp>.<body>` using SIGNALSEQ_INBOUND_WEBHOOK_SECRET: "
    "`X-Signalseq-Timestamp: <unix seconds>`, `X-Signalseq-Signature: v1=<hex>`."
)
_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "not a message / invalid event"},
    401: {"description": "bad or replayed signature"},
    404: {"description": "inbound webhooks are not configured, or no such contact"},
    413: {"description": "body too large"},
}


def _receive_email(state: AppState, body: bytes) -> InboundResult:
    rules = state.rules()
    settings = runner.inbound_settings(state.settings, rules)
    with state.database.unit_of_work() as session:
        result = process(session, body, source="webhook", settings=settings, now=state.clock.now())
    if result.classification == "unreadable":
        raise BadEvent(result.effect)
    runner.apply_now(state.database, rules, state.clock.now())
    return InboundResult(
        message_id=result.message_id,
        classification=result.classification,
        effect=result.effect,
        duplicate=result.duplicate,
    )


@router.post(
    "/api/v1/inbound/email",
    response_model=InboundResult,
    summary="Push one inbound email (RFC 5322)",
    description="The raw message as the body (`message/rfc822`). It is classified "
    "(bounce, complaint, auto-reply, unsubscribe, reply), matched and applied once per "
    "Message-ID. " + _SIGNED,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"message/rfc822": {"schema": {"type": "string"}}},
        }
    },
    responses=_ERRORS,
)
async def post_email(
    request: Request,
    x_signalseq_timestamp: str | None = Header(None, description="Unix seconds."),
    x_signalseq_signature: str | None = Header(None, description="v1=<hex HMAC-SHA256>."),
) -> InboundResult:
    state = _state(request)
    body = await _body(request, state.settings.webhook_max_bytes)
    await _verify(request, state, body, x_signalseq_timestamp, x_signalseq_signature)
    return await run_in_threadpool(_receive_email, state, body)


def _receive_event(state: AppState, body: bytes) -> EventResult:
    now = state.clock.now()
    try:
        event = parse_event(body)
        with state.database.unit_of_work() as session:
            row = record_pushed(session, event, "webhook", now)
            result = EventResult(event=row.id, contact=row.contact_id, type=event.type)
    except (BadEvent, NotFoundError) as exc:  # refused: kept with its reason
        webhooks.dead_letter_request(state.database, INBOUND, body, str(exc), now)
        raise
    runner.apply_now(state.database, state.rules(), now)
    return result


@router.post(
    "/api/v1/inbound/events",
    response_model=EventResult,
    summary="Push a meeting booked, or a reply/bounce/unsubscribe/out-of-office",
    description="A meeting exits the contact's enrollments with reason `meeting`. " + _SIGNED,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/EventIn"}}},
        }
    },
    responses=_ERRORS,
)
async def post_event(
    request: Request,
    x_signalseq_timestamp: str | None = Header(None, description="Unix seconds."),
    x_signalseq_signature: str | None = Header(None, description="v1=<hex HMAC-SHA256>."),
) -> EventResult:
    state = _state(request)
    body = await _body(request, state.settings.webhook_max_bytes)
    await _verify(request, state, body, x_signalseq_timestamp, x_signalseq_signature)
    return await run_in_threadpool(_receive_event, state, body)


def _unsubscribe_page(request: Request, token: str, done: bool, address: str) -> HTMLResponse:
    sender = _state(request).rules().prompts.sender
    return templates.TemplateResponse(
        request, "unsubscribe.html",
        {"token": token, "done": done, "address": address, "sender": sender.company},
    )  # fmt: skip


@router.get("/u/{token}", include_in_schema=False)
def unsubscribe_form(request: Request, token: str) -> Response:
    """A confirmation page; changes nothing (link scanners open every link)."""
    state = _state(request)
    with state.database.unit_of_work(read_only=True) as session:
        found = read_token(state.settings.resolved_secret_key, token,
                           partial(contact_addresses, session))  # fmt: skip
    return _unsubscribe_page(request, token, False, found.address)


def _unsubscribe(state: AppState, token: str) -> str:
    now = state.clock.now()
    with state.database.unit_of_work() as session:
        found = read_token(state.settings.resolved_secret_key, token,
                           partial(contact_addresses, session))  # fmt: skip
        again = suppression.recorded(session, found.address, None) is not None
        suppression.add(session, "address", found.address, "unsubscribed (link)", now)
        contact = session.get(Contact, found.contact_id)
        if contact is not None and not again:  # a second click records nothing more
            record_event(
                session, kind="unsubscribed", at=now, contact_id=contact.id,
                source="unsubscribe link", detail={"address": found.address},
            )  # fmt: skip
    runner.apply_now(state.database, state.rules(), now)
    return found.address


@router.post("/u/{token}", include_in_schema=False)
async def unsubscribe(request: Request, token: str) -> Response:
    """One click (RFC 8058): no login, no CSRF token (the signed token is the
    authority), idempotent, 200 without a redirect."""
    state = _state(request)
    address = await run_in_threadpool(_unsubscribe, state, token)
    return _unsubscribe_page(request, token, True, address)
