"""Signed webhooks: HMAC-SHA256 over ``timestamp.body`` with a per-source secret.

Headers: ``X-Signalseq-Source`` (the connector name), ``X-Signalseq-Timestamp`` (Unix
seconds) and ``X-Signalseq-Signature: v1=<hex>``. A timestamp outside the tolerance
window is stale; a signature already accepted is a replay. Both are refused.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from signalseq.deadletters import repository as deadletters
from signalseq.errors import ConfigError, SignalseqError
from signalseq.signals.models import WebhookReceipt
from signalseq.store.db import Database

log = logging.getLogger(__name__)

KeepRefusal = Callable[[], bool]
"""Asked before an unauthenticated refusal is stored: False past the sender's budget."""


class SignatureRejected(SignalseqError):
    http_status = 401
    code = "bad_signature"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"v1={digest.hexdigest()}"


def secret_for(env_name: str | None, source: str) -> str:
    secret = os.environ.get(env_name or "")
    if not env_name or not secret:
        raise ConfigError(
            f"webhook secret for {source!r} is not configured "
            f"(set the environment variable {env_name or '?'} named by its connector)"
        )
    return secret


def verify(
    *,
    secret: str,
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    now: datetime,
    tolerance_seconds: int,
) -> int:
    if not timestamp or not signature:
        raise SignatureRejected("missing X-Signalseq-Timestamp or X-Signalseq-Signature header")
    if not timestamp.strip().isascii() or not timestamp.strip().isdigit() or len(timestamp) > 12:
        raise SignatureRejected("X-Signalseq-Timestamp must be Unix seconds")
    stamp = int(timestamp)
    if abs(now.timestamp() - stamp) > tolerance_seconds:
        raise SignatureRejected(f"stale timestamp: more than {tolerance_seconds}s from now")
    if not hmac.compare_digest(sign(secret, stamp, body), signature.strip()):
        raise SignatureRejected("signature does not match")
    return stamp


def record_receipt(
    session: Session, *, source: str, signature: str, now: datetime, tolerance_seconds: int
) -> None:
    """Remember an accepted signature; a second delivery of it is a replay — to any
    source (connectors that share a secret must not accept each other's deliveries)."""
    session.execute(
        delete(WebhookReceipt).where(
            WebhookReceipt.received_at < now - timedelta(seconds=2 * tolerance_seconds)
        )
    )
    seen = session.scalar(
        select(WebhookReceipt.source).where(WebhookReceipt.signature == signature.strip()).limit(1)
    )
    if seen is not None:
        raise SignatureRejected("replayed delivery: this signature was already accepted")
    try:
        with session.begin_nested():
            session.add(WebhookReceipt(source=source, signature=signature.strip(), received_at=now))
    except IntegrityError as exc:
        raise SignatureRejected("replayed delivery: this signature was already accepted") from exc


RAW_KEPT = 65536  # bytes of a refused body kept in its dead letter
UNSIGNED_KEPT = 2048  # of a request nobody signed: anyone can send those, so a prefix


def dead_letter_request(
    database: Database,
    source: str,
    body: bytes,
    reason: str,
    now: datetime,
    *,
    signed: bool = True,
    keep_refusal: KeepRefusal | None = None,
) -> None:
    """Keep a refused request's body with the reason (its own unit of work: the
    request's own work is rolled back); of an unauthenticated one, a bounded prefix,
    and only while its sender is within ``keep_refusal``'s budget."""
    if not signed and keep_refusal is not None and not keep_refusal():
        log.warning("refused %s request not kept (sender past its dead-letter budget)", source)
        return
    kept = body[: RAW_KEPT if signed else UNSIGNED_KEPT]
    with database.unit_of_work() as session:
        deadletters.record(
            session,
            source=source,
            kind="webhook",
            raw=kept.decode("utf-8", "replace"),
            reason=reason,
            now=now,
        )


def authenticate(
    database: Database,
    *,
    secret: str,
    source: str,
    label: str,
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    now: datetime,
    tolerance_seconds: int,
    keep_refusal: KeepRefusal | None = None,
) -> None:
    """Verify the signature and refuse a replay; a refusal is dead-lettered under
    ``label`` (within ``keep_refusal``'s budget) and raised."""
    try:
        verify(
            secret=secret,
            timestamp=timestamp,
            signature=signature,
            body=body,
            now=now,
            tolerance_seconds=tolerance_seconds,
        )
        with database.unit_of_work() as session:
            record_receipt(
                session,
                source=source,
                signature=signature or "",
                now=now,
                tolerance_seconds=tolerance_seconds,
            )
    except SignatureRejected as exc:
        dead_letter_request(
            database, label, body, str(exc), now, signed=False, keep_refusal=keep_refusal
        )
        raise
