"""An inbound RFC 5322 message read into what classification and matching need."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage, Message
from email.utils import getaddresses, parsedate_to_datetime

from signalseq.errors import InputRejected

MESSAGE_ID = re.compile(r"<[^<>\s]+>")
MAX_BYTES = 10 * 1024 * 1024


class UnreadableMessage(InputRejected):
    code = "unreadable_message"


@dataclass
class Inbound:
    raw: bytes
    message: EmailMessage
    message_id: str
    from_address: str | None
    to_addresses: list[str]
    subject: str
    date: datetime | None
    references: list[str]  # In-Reply-To first, then References, newest first
    text: str  # the plain-text body (HTML reduced to text when there is no plain part)
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names, first value


def header(message: Message, name: str) -> str:
    """A header's text; one the policy cannot parse (a broken Message-ID, say) is
    returned as written rather than raising."""
    try:
        value = message.get(name)
    except Exception:  # noqa: BLE001 - the email package raises several kinds here
        wanted = name.lower()
        value = next((v for k, v in message.raw_items() if k.lower() == wanted), None)
    return str(value or "").strip()


def ids_in(value: str) -> list[str]:
    return MESSAGE_ID.findall(value or "")


def _html_to_text(html: str) -> str:
    text = re.sub(r"(?is)<(script|style).*?</\1>", " ", html)
    text = re.sub(r"(?i)<br\s*/?>|</p>|</div>", "\n", text)
    text = re.sub(r"<[^>]+>", " ", text)
    from html import unescape

    return re.sub(r"[ \t]+", " ", unescape(text))


def body_text(message: EmailMessage) -> str:
    """The first text/plain part outside attachments and embedded messages; HTML as
    text when there is none."""
    plain: str | None = None
    html: str | None = None
    for part in message.walk():
        if part.get_content_maintype() == "multipart":
            continue
        if part.get_content_type() in ("message/rfc822", "text/rfc822-headers"):
            break  # what follows is the original message, not this one's text
        if part.get_content_disposition() == "attachment":
            continue
        try:
            content = part.get_content()
        except (LookupError, ValueError, AssertionError):
            payload = part.get_payload(decode=True)
            content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
        if not isinstance(content, str):
            continue
        if "\ufffd" in content and part.get_content_charset() in (None, "us-ascii"):
            # 8-bit text without a declared charset: read it as UTF-8, as mail clients do
            raw = part.get_payload(decode=True)
            content = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else content
        if part.get_content_type() == "text/plain" and plain is None:
            plain = content
        elif part.get_content_type() == "text/html" and html is None:
            html = content
    if plain is not None:
        return plain
    return _html_to_text(html) if html else ""


def parse(raw: bytes, received_at: datetime | None = None) -> Inbound:
    """The message as we read it; ``date`` is its Date header, else ``received_at``."""
    if len(raw) > MAX_BYTES:
        raise UnreadableMessage(f"message of {len(raw)} bytes is over the {MAX_BYTES}-byte limit")
    if not raw.strip():
        raise UnreadableMessage("empty message")
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    if not message.keys():
        raise UnreadableMessage("no headers: not an RFC 5322 message")
    found = ids_in(header(message, "Message-ID"))
    message_id = found[0] if found else f"<sha256.{hashlib.sha256(raw).hexdigest()}@signalseq>"
    senders = getaddresses([header(message, "From")])
    sender = senders[0][1].lower() if senders and "@" in senders[0][1] else None
    recipients = [a.lower() for _n, a in getaddresses([header(message, "To")]) if "@" in a]
    try:
        date = parsedate_to_datetime(header(message, "Date")) if header(message, "Date") else None
        if date is not None and date.tzinfo is None:
            date = None
    except (TypeError, ValueError, IndexError):
        date = None
    references = ids_in(header(message, "In-Reply-To")) + list(
        reversed(ids_in(header(message, "References")))
    )
    headers = {name.lower(): header(message, name) for name in message}
    return Inbound(
        raw=raw,
        message=message,
        message_id=message_id[:500],
        from_address=sender,
        to_addresses=recipients,
        subject=header(message, "Subject")[:500],
        date=date or received_at,
        references=references,
        text=body_text(message),
        headers=headers,
    )
