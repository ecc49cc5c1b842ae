"""Delivery reports: recognised by their structure first (RFC 3464 ``multipart/report``,
a ``message/delivery-status`` part, ``X-Failed-Recipients``), then by the shapes the big
MTAs send in prose (a daemon sender, a null return path or a bounce subject, together
with wording only a report uses). The per-recipient ``Action`` decides failure, delay or
success; the diagnostic and the report's own text decide hard, soft or policy
(``bounce_rules``), the status code only where the text says nothing specific.

The failed recipient comes from ``Final-Recipient``/``Original-Recipient``, then
``X-Failed-Recipients``, then flufl.bounce's detectors (dozens of MTAs' formats), then the
report's text and the returned original's ``To`` — never one of our own addresses.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from email import message_from_string, policy
from email.message import Message

from flufl.bounce import all_failures

from signalseq.inbound import bounce_rules as rules
from signalseq.inbound.parse import Inbound, header, ids_in

TEXT_LIMIT = 8000  # characters of a report's own text that are read
ADDRESS = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")
STATUS_IN_TEXT = re.compile(
    r"(?:\b[245]\d\d[ -]|status:?\s*|#|\(|\bcode\s*)([245]\.\d{1,3}\.\d{1,3})(?![\d.])",
    re.IGNORECASE,
)
DAEMON = re.compile(r"^(?:mailer[-_.]?daemon|postmaster|mail[-_.]?daemon|double-bounce)$", re.I)
QUOTED_HEADER = re.compile(r"(?im)^[ \t]*(?:subject|from|to|cc|sent|date)[ \t]*:.*$")
FINAL = re.compile(
    r"permanent|fatal|gave up|giving up|will not (?:be )?(?:retried|delivered|retry)|"
    r"no (?:further|more) (?:attempts|retries)|failed permanently|has been returned|"
    r"could not be delivered to one or more|undeliverable",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Report:
    kind: str  # bounce, soft_bounce, policy_block, delivery_report
    reason: str
    status: str | None
    recipient: str | None
    original_ids: tuple[str, ...]


def _parts(message: Message) -> Iterator[Message]:
    """Every part, without descending into a returned message."""
    yield message
    if message.get_content_type() in ("message/rfc822", "text/rfc822-headers"):
        return
    if message.is_multipart():
        payload = message.get_payload()
        for part in payload if isinstance(payload, list) else []:
            if isinstance(part, Message):
                yield from _parts(part)


def _decoded(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload[: TEXT_LIMIT * 2].decode(charset, "replace")
    except (LookupError, ValueError):  # an unknown charset, or one with a NUL in its name
        return payload[: TEXT_LIMIT * 2].decode("utf-8", "replace")


def own_text(inbound: Inbound) -> str:
    """The report's own words: its text parts, cut where a returned original starts."""
    texts = [
        _decoded(p)
        for p in _parts(inbound.message)
        if p.get_content_type() == "text/plain" and p.get_content_disposition() != "attachment"
    ]
    text = "\n".join(t for t in texts if t) or inbound.text
    text = text[:TEXT_LIMIT]
    found = rules.ORIGINAL_STARTS.search(text, 40)
    text = text[: found.start()] if found else text
    # the original's headers a report cites ("Subject: …") are not the report's words
    return QUOTED_HEADER.sub("", text)


def delivery_blocks(message: Message) -> list[Message]:
    blocks: list[Message] = []
    for part in _parts(message):
        if part.get_content_type() != "message/delivery-status":
            continue
        payload = part.get_payload()
        if isinstance(payload, list):
            blocks += [b for b in payload if isinstance(b, Message)]
        elif isinstance(payload, str):  # some servers send it unparsed
            blocks += [message_from_string(c) for c in re.split(r"\n\s*\n", payload[:20000])]
    return blocks


def is_report(inbound: Inbound) -> bool:
    message = inbound.message
    if (
        message.get_content_type() == "multipart/report"
        and str(message.get_param("report-type", "")).lower() == "delivery-status"
    ):
        return True
    if any(p.get_content_type() == "message/delivery-status" for p in _parts(message)):
        return True
    if inbound.headers.get("x-failed-recipients"):
        return True
    sender = inbound.from_address or ""
    local = sender.split("@", 1)[0]
    display = header(message, "From")
    daemon = bool(rules.BOUNCE_SENDER.match(local)) or bool(
        rules.BOUNCE_DISPLAY_NAME.search(display) and not sender
    )
    return_path = header(message, "Return-Path").strip("<> ").lower()
    null_sender = return_path in ("", "mailer-daemon") or return_path.startswith("mailer-daemon@")
    subject = bool(rules.BOUNCE_SUBJECT.search(inbound.subject))
    if daemon and (subject or null_sender or not inbound.headers.get("in-reply-to")):
        return True
    if not (daemon or subject or null_sender or not sender):
        return False
    return bool(rules.FAILURE_EVIDENCE.search(own_text(inbound)))


def _recipient_blocks(blocks: list[Message]) -> list[Message]:
    return [
        b
        for b in blocks
        if header(b, "Final-Recipient") or header(b, "Original-Recipient") or header(b, "Action")
    ]


def _pick(blocks: list[Message]) -> Message | None:
    """The recipient block that matters most: a failure, else a delay, else the first."""
    for wanted in ("failed", "delayed"):
        for block in blocks:
            if header(block, "Action").lower().startswith(wanted):
                return block
    return blocks[0] if blocks else None


def _address(value: str | None) -> str | None:
    if not value:
        return None
    found = ADDRESS.search(value.split(";", 1)[-1])
    return found.group(0).lower().strip(".") if found else None


def _status(*texts: str) -> str | None:
    for text in texts:
        found = STATUS_IN_TEXT.search(text)
        if found:
            return found.group(1)
    return None


def _reason(*texts: str) -> tuple[str, str] | None:
    """The reason the text states first (a report names the real cause before its
    boilerplate); the diagnostic is read before the prose. Addresses are blanked first
    (junkmail@…, spam-trap@… are names, not reasons)."""
    texts = tuple(ADDRESS.sub("<address>", t) for t in texts if t)
    for text in texts:
        hits = []
        for order, (kind, why, pattern) in enumerate(rules.REASONS):
            found = pattern.search(text)
            if found:
                hits.append((found.start(), order, kind, why, found.group(0)))
        if hits:
            _start, _order, kind, why, words = min(hits)
            return kind, f"{why} ({words.strip()[:60]!r})"
    return None


def _flufl(message: Message) -> list[str]:
    try:
        temporary, permanent = all_failures(message)
    except Exception:  # noqa: BLE001 - a third-party detector must never stop a read
        return []
    found = []
    for address in [*permanent, *temporary]:
        text = address.decode("utf-8", "replace") if isinstance(address, bytes) else str(address)
        if "@" in text:
            found.append(text.strip().strip("<>").lower())
    return found


def original_ids(message: Message, text: str) -> tuple[str, ...]:
    found: list[str] = []
    for part in message.walk():
        if part.get_content_type() == "message/rfc822":
            payload = part.get_payload()
            inner = payload[0] if isinstance(payload, list) and payload else None
            if isinstance(inner, Message):
                found += ids_in(header(inner, "Message-ID"))
        elif part.get_content_type() == "text/rfc822-headers":
            content = part.get_payload(decode=True)
            if isinstance(content, bytes):
                headers = message_from_string(
                    content[:20000].decode("utf-8", "replace"), policy=policy.compat32
                )
                found += ids_in(str(headers.get("Message-ID", "")))
    found += re.findall(r"(?im)^\s*message-id:\s*(<[^<>\s]+>)", text[:200_000])
    return tuple(dict.fromkeys(found))


def _original_to(message: Message) -> list[str]:
    for part in message.walk():
        if part.get_content_type() == "message/rfc822":
            payload = part.get_payload()
            inner = payload[0] if isinstance(payload, list) and payload else None
            if isinstance(inner, Message):
                return [a.lower() for a in ADDRESS.findall(header(inner, "To"))]
    return []


def read(inbound: Inbound, own: frozenset[str] = frozenset()) -> Report:
    message = inbound.message
    text = own_text(inbound)
    blocks = _recipient_blocks(delivery_blocks(message))
    chosen = _pick(blocks)
    action = (
        header(chosen, "Action").lower().split()[0] if chosen and header(chosen, "Action") else ""
    )
    diagnostic = " ".join(header(chosen, "Diagnostic-Code").split())[:500] if chosen else ""
    field_status = rules.STATUS.search(header(chosen, "Status")) if chosen else None
    status = field_status.group(0) if field_status else _status(diagnostic, text)
    kind, why = _kind(action, status, diagnostic, text)
    recipient = _failed_recipient(inbound, chosen, text, own)
    reason = why + (f": {diagnostic[:200]}" if diagnostic else "")
    return Report(kind, reason, status, recipient, original_ids(message, inbound.text))


def _kind(action: str, status: str | None, diagnostic: str, text: str) -> tuple[str, str]:
    if action in ("delivered", "relayed", "expanded"):
        return "delivery_report", f"delivery report: {action}"
    if action == "delayed" or (
        action != "failed" and rules.DELAY.search(text) and not FINAL.search(text)
    ):
        return "delivery_report", "delivery delayed; the server is still trying"
    if (
        not action
        and status
        and status.startswith("2.")
        and not rules.FAILURE_EVIDENCE.search(text)
    ):
        return "delivery_report", f"delivery report ({status})"
    if not action and rules.DELIVERED.search(text) and not rules.FAILURE_EVIDENCE.search(text):
        return "delivery_report", "delivery report: delivered"
    found = _reason(diagnostic, text)
    if found is not None:
        return found
    by_code = rules.status_class(status)
    if by_code is None and any(rules.TEMPORARY.search(t) for t in (diagnostic, text)):
        return "soft_bounce", "a temporary failure"
    if by_code == "delivery_report":
        by_code = None  # a 2.x.x code on a failure says nothing
    if by_code is not None:
        return by_code, f"status {status}"
    smtp = rules.SMTP_REPLY.search(diagnostic or text)
    if status and status.startswith("4.") or (smtp and smtp.group(1) == "4"):
        return "soft_bounce", f"temporary failure ({status or smtp.group(0) if smtp else ''})"
    return "bounce", f"delivery failed ({status or 'no reason stated'})"


def _failed_recipient(
    inbound: Inbound, chosen: Message | None, text: str, own: frozenset[str]
) -> str | None:
    sender = (inbound.from_address or "").lower()

    def usable(address: str | None) -> bool:
        if not address or address in own or address == sender:
            return False
        return not DAEMON.match(address.split("@", 1)[0])

    candidates: list[str | None] = []
    if chosen is not None:  # the address we sent to, before the server rewrote it
        candidates += [
            _address(header(chosen, "Original-Recipient")),
            _address(header(chosen, "Final-Recipient")),
        ]
    candidates += [
        a.lower() for a in ADDRESS.findall(inbound.headers.get("x-failed-recipients", ""))
    ]
    flufl = _flufl(inbound.message)
    in_text = [a.lower().strip(".") for a in ADDRESS.findall(text)]
    # flufl's addresses in the order the report names them
    candidates += sorted(flufl, key=lambda a: in_text.index(a) if a in in_text else len(in_text))
    candidates += in_text
    originals = _original_to(inbound.message)
    if len(originals) == 1:
        candidates += originals
    with contextlib.suppress(StopIteration):
        return next(a for a in candidates if usable(a))
    return None
