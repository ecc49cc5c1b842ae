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
        f"{letter.mailbox.name}, {letter.company}\n"
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
    message = EmailMessage(policy=SMTP)
    message["From"] = formataddr((letter.mailbox.name, letter.mailbox.address))
    message["To"] = formataddr((letter.to_name, letter.to_address))
    message["Subject"] = letter.subject
    message["Date"] = format_datetime(letter.date)
    message["Message-ID"] = letter.message_id
    if letter.thread:
        message["In-Reply-To"] = letter.thread[-1]
        message["References"] = " ".join(letter.thread)
    message["List-Unsubscribe"] = letter.unsubscribe.header
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["MIME-Version"] = "1.0"
    footer = footer_text(letter)
    message.set_content(f"{letter.body.rstrip()}\n\n-- \n{footer}\n")
    url = html.escape(letter.unsubscribe.url, quote=True)
    message.add_alternative(
        "<!doctype html>\n<html><body>\n"
        f"{_html_paragraphs(letter.body)}\n"
        '<p style="color:#777;font-size:12px;margin-top:24px">'
        f"{html.escape(letter.mailbox.name)}, {html.escape(letter.company)}<br>\n"
        f"{html.escape(letter.postal_address)}<br>\n"
        f'Not interested? <a href="{url}">Unsubscribe with one click</a>.</p>\n'
        "</body></html>\n",
        subtype="html",
    )
    return message
