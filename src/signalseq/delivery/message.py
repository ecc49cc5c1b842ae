"""The RFC 5322 message of one email touch: our own Message-ID, threading headers,
plain-text and HTML parts, the footer with the sender's postal address, and one-click
``List-Unsubscribe`` (RFC 8058)."""

from __future__ import annotations

import html
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr

from signalseq.delivery.mailboxes import Mailbox
from signalseq.delivery.unsubscribe import UnsubscribeLinks

URL = re.compile(r"https?://[^\s<>\"')]+")
# as SMTP, except that the list headers we fold ourselves are written as we fold them:
# the email package would otherwise turn a long URL into RFC 2047 encoded-words, which
# mailbox providers cannot read as RFC 2369/8058 URLs
POLICY = SMTP.clone(refold_source="none")
CONTROL = re.compile(r"[\x00-\x1f\x7f\u0080-\u009f\u2028\u2029]+")
NAME_LIMIT, SUBJECT_LIMIT = 200, 300


def header_text(value: str, limit: int) -> str:
    """Text fit for a header: control characters (CR, LF, NUL…) become spaces, runs of
    space one, at most ``limit`` characters."""
    return " ".join(CONTROL.sub(" ", value).split())[:limit]


def list_header(items: list[str], separator: str, name: str) -> str:
    """A header of ASCII items (``<url>``, ``<message-id>``) folded only between items,
    every line within 998 octets (RFC 5322); never encoded."""
    for item in items:
        if not item.isascii() or CONTROL.search(item) or len(item) > 990:
            raise ValueError(f"{name}: {item[:60]!r} cannot stand in a header as written")
    lines: list[str] = []
    line = ""
    width = len(name) + 2
    for item in items:
        piece = f"{line}{separator}{item}" if line else item
        if line and width + len(piece) > 78:
            lines.append(line + separator.rstrip())
            line, width = item, 1
        else:
            line = piece
    lines.append(line)
    return "\r\n ".join(lines)


def new_message_id(touch_id: int, domain: str) -> str:
    return f"<t{touch_id}.{secrets.token_hex(8)}@{domain}>"


@dataclass(frozen=True)
class Letter:
    """Everything the message is made of, decided in the send transaction."""

    touch_id: int
    message_id: str
    mailbox: Mailbox
    to_name: str
    to_address: str
    subject: str
    body: str
    company: str
    postal_address: str
    unsubscribe: UnsubscribeLinks
    thread: tuple[str, ...]  # Message-IDs of the thread so far, oldest first
    date: datetime


def footer_text(letter: Letter) -> str:
    return (
        f"{header_text(letter.mailbox.name, NAME_LIMIT)}, {letter.company}\n"
        f"{letter.postal_address}\n"
        f"Not interested? Unsubscribe with one click: {letter.unsubscribe.url}"
    )


def _html_paragraphs(text: str) -> str:
    parts = []
    for paragraph in re.split(r"\n\s*\n", text.strip()):
        escaped = html.escape(paragraph)
        linked = URL.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', escaped)
        parts.append("<p>" + linked.replace("\n", "<br>\n") + "</p>")
    return "\n".join(parts)


def build(letter: Letter) -> EmailMessage:
    """The message; ValueError when a part of it cannot be written as a header."""
    message = EmailMessage(policy=POLICY)
    name = header_text(letter.mailbox.name, NAME_LIMIT)
    message["From"] = formataddr((name, letter.mailbox.address))
    message["To"] = formataddr((header_text(letter.to_name, NAME_LIMIT), letter.to_address))
    message["Subject"] = header_text(letter.subject, SUBJECT_LIMIT)
    message["Date"] = format_datetime(letter.date)
    message.set_raw("Message-ID", list_header([letter.message_id], " ", "Message-ID"))
    if letter.thread:
        message.set_raw("In-Reply-To", list_header([letter.thread[-1]], " ", "In-Reply-To"))
        message.set_raw("References", list_header(list(letter.thread), " ", "References"))
    unsubscribe = [f"<{letter.unsubscribe.url}>", f"<{letter.unsubscribe.mailto}>"]
    message.set_raw("List-Unsubscribe", list_header(unsubscribe, ", ", "List-Unsubscribe"))
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["MIME-Version"] = "1.0"
    footer = footer_text(letter)
    message.set_content(f"{letter.body.rstrip()}\n\n-- \n{footer}\n")
    url = html.escape(letter.unsubscribe.url, quote=True)
    message.add_alternative(
        "<!doctype html>\n<html><body>\n"
        f"{_html_paragraphs(letter.body)}\n"
        '<p style="color:#777;font-size:12px;margin-top:24px">'
        f"{html.escape(name)}, {html.escape(letter.company)}<br>\n"
        f"{html.escape(letter.postal_address)}<br>\n"
        f'Not interested? <a href="{url}">Unsubscribe with one click</a>.</p>\n'
        "</body></html>\n",
        subtype="html",
    )
    return message
