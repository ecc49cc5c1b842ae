"""HTTP intake routes: thin wrappers over ``signals.intake.receive``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Header, Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from signalseq.errors import SignalseqError
from signalseq.signals import intake
from signalseq.web.security import client_address
from signalseq.web.state import AppState

router = APIRouter(prefix="/api/v1", tags=["intake"])


class PayloadTooLarge(SignalseqError):
    http_status = 413
    code = "payload_too_large"


class RejectedItem(BaseModel):
    item: str
    reason: str


class IntakeResponse(BaseModel):
    accepted: int
    duplicates: int
    not_signals: int
    rejected: list[RejectedItem]


async def _body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"body of {declared} bytes is over the {limit}-byte limit")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"body is over the {limit}-byte limit")
        chunks.append(chunk)
    return b"".join(chunks)


_HEADERS_DOC = (
    "Signed with HMAC-SHA256 of `<timestamp>.<body>` using the source's secret: "
    "`X-Signalseq-Signature: v1=<hex>`."
)


async def _receive(
    request: Request,
    route: intake.Route,
    source: str | None,
    timestamp: str | None,
    signature: str | None,
) -> IntakeResponse:
    state: AppState = request.app.state.signalseq
    body = await _body(request, state.settings.webhook_max_bytes)
    client = client_address(request)
    result = await run_in_threadpool(
        intake.receive,
        state.database,
        state.workspace(),
        state.clock,
        route=route,
        source=source,
        timestamp=timestamp,
        signature=signature,
        body=body,
        tolerance_seconds=state.settings.webhook_tolerance_seconds,
        keep_refusal=lambda: state.refusals.allows(client),
    )
    return IntakeResponse(
        accepted=result.accepted,
        duplicates=result.duplicates,
        not_signals=result.not_signals,
        rejected=[RejectedItem(**r) for r in result.rejected],
    )


_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "invalid JSON"},
    401: {"description": "bad or replayed signature"},
    404: {"description": "unknown source"},
    413: {"description": "body too large"},
}


@router.post(
    "/signals",
    response_model=IntakeResponse,
    summary="Push signals in the canonical shape",
    description='One signal, a list, or `{"signals": [...]}`. ' + _HEADERS_DOC,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "oneOf": [
                            {"$ref": "#/components/schemas/SignalIn"},
                            {"type": "array", "items": {"$ref": "#/components/schemas/SignalIn"}},
                        ]
                    }
                }
            },
        }
    },
    responses=_ERRORS,
)
async def post_signals(
    request: Request,
    x_signalseq_source: str | None = Header(None, description="Connector name (type webhook)."),
    x_signalseq_timestamp: str | None = Header(None, description="Unix seconds."),
    x_signalseq_signature: str | None = Header(None, description="v1=<hex HMAC-SHA256>."),
) -> IntakeResponse:
    return await _receive(
        request, "signals", x_signalseq_source, x_signalseq_timestamp, x_signalseq_signature
    )


@router.post(
    "/segment",
    response_model=IntakeResponse,
    summary="Push Segment page/track/identify events",
    description='One Segment event or a Segment batch `{"batch": [...]}`. ' + _HEADERS_DOC,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    },
    responses=_ERRORS,
)
async def post_segment(
    request: Request,
    x_signalseq_source: str | None = Header(
        None, description="Connector name (type website_visits)."
    ),
    x_signalseq_timestamp: str | None = Header(None, description="Unix seconds."),
    x_signalseq_signature: str | None = Header(None, description="v1=<hex HMAC-SHA256>."),
) -> IntakeResponse:
    return await _receive(
        request, "segment", x_signalseq_source, x_signalseq_timestamp, x_signalseq_signature
    )
