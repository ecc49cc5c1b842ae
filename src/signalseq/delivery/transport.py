"""How a message leaves: the outcome every transport reports, and which transport each
mailbox uses (the outbox folder until it is configured for SMTP)."""

from __future__ import annotations

from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    from signalseq.delivery.mailboxes import Mailbox
    from signalseq.delivery.message import Letter
    from signalseq.delivery.oauth import TokenSource

Outcome = Literal["sent", "not_sent", "unknown"]


@dataclass(frozen=True)
class SendResult:
    """``not_sent``: the server refused before taking the message (safe to retry when
    not ``permanent``); ``unknown``: it may or may not have gone out."""

    outcome: Outcome
    detail: str
    permanent: bool = False
    status: str | None = None  # the enhanced status code (5.1.1) when the server gave one
    recipient_refused: bool = False
    pause: str | None = None  # the mailbox cannot send until a person acts (why)


class Transport(Protocol):
    name: str

    def send(self, letter: Letter, message: EmailMessage) -> SendResult: ...

    def prepare(self) -> None:
        """Work a send needs done outside its transaction (an OAuth2 sign-in)."""

    def close(self) -> None: ...


@dataclass
class Transports:
    """One transport per mailbox; ``outbox_only`` sends everything to the folder (the
    simulator and the demo never reach a mail server)."""

    outbox: Path
    outbox_only: bool = False
    every: Transport | None = None  # one transport for every mailbox (a test's own)
    tokens: TokenSource | None = None  # OAuth2 access tokens, for mailboxes with auth: oauth2
    _open: dict[str, Transport] = field(default_factory=dict)

    def for_mailbox(self, mailbox: Mailbox) -> Transport:
        if self.every is not None:
            return self.every
        if mailbox.id not in self._open:
            from signalseq.delivery.outbox import OutboxTransport
            from signalseq.delivery.smtp import SmtpTransport

            if self.outbox_only or mailbox.transport == "outbox" or mailbox.smtp is None:
                self._open[mailbox.id] = OutboxTransport(self.outbox)
            else:
                self._open[mailbox.id] = SmtpTransport(mailbox, self.tokens)
        return self._open[mailbox.id]

    def close(self) -> None:
        if self.every is not None:
            self.every.close()
        for transport in self._open.values():
            transport.close()
        self._open.clear()
