"""Signed webhooks: HMAC-SHA256 over ``timestamp.body`` with a per-source secret.

Headers: ``X-Signalseq-Source`` (the connector name), ``X-Signalseq-Timestamp`` (Unix
seconds) and ``X-Signalseq-Signature: v1=<hex>``. A timestamp outside the tolerance
window is stale; a signature already accepted is a replay. Both are refused.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from signalseq.errors import ConfigError, SignalseqError
from signalseq.signals.models import WebhookReceipt


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
    try:
        stamp = int(timestamp)
    except ValueError as exc:
        raise SignatureRejected("X-Signalseq-Timestamp must be Unix seconds") from exc
    if abs(now.timestamp() - stamp) > tolerance_seconds:
        raise SignatureRejected(f"stale timestamp: more than {tolerance_seconds}s from now")
    if not hmac.compare_digest(sign(secret, stamp, body), signature.strip()):
        raise SignatureRejected("signature does not match")
    return stamp


def record_receipt(
    session: Session, *, source: str, signature: str, now: datetime, tolerance_seconds: int
) -> None:
    """Remember an accepted signature; a second delivery of it is a replay."""
    session.execute(
        delete(WebhookReceipt).where(
            WebhookReceipt.received_at < now - timedelta(seconds=2 * tolerance_seconds)
        )
    )
    try:
        with session.begin_nested():
            session.add(WebhookReceipt(source=source, signature=signature.strip(), received_at=now))
    except IntegrityError as exc:
        raise SignatureRejected("replayed delivery: this signature was already accepted") from exc
