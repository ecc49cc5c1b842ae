"""SMTP, one connection per mailbox kept open across sends (STARTTLS, SSL or plain,
with login).

The steps are taken one by one so a failure says whether the message left: a refusal
or a dropped connection before DATA means it did not (safe to retry); a failure while
the data is sent or acknowledged means nobody knows, and the touch is never re-sent on
its own.
"""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
from email.message import EmailMessage
from functools import partial
from typing import TYPE_CHECKING

from signalseq.delivery import oauth
from signalseq.delivery.mailboxes import Mailbox
from signalseq.delivery.message import Letter
from signalseq.delivery.transport import SendResult
from signalseq.errors import ConfigError

if TYPE_CHECKING:
    from signalseq.delivery.oauth import TokenSource

log = logging.getLogger("signalseq.delivery")
ENHANCED = re.compile(rb"\b([245]\.\d{1,3}\.\d{1,3})\b")


def _status(code: int, text: bytes | str) -> str | None:
    text = text.encode() if isinstance(text, str) else text
    found = ENHANCED.search(text or b"")
    return found.group(1).decode() if found else (f"{code // 100}.0.0" if code else None)


def _said(code: int, text: bytes | str) -> str:
    said = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return f"{code} {said.strip()}"[:300]


class SmtpTransport:
    name = "smtp"

    def __init__(self, mailbox: Mailbox, tokens: TokenSource | None = None):
        assert mailbox.smtp is not None
        self.mailbox = mailbox
        self.server = mailbox.smtp
        self.tokens = tokens
        self._client: smtplib.SMTP | None = None
        self._revoked: oauth.OAuthRevoked | None = None

    def prepare(self) -> None:
        """Connect and sign in before the send's transaction opens (an OAuth2 token may
        have to be refreshed, which writes to the store)."""
        self._revoked = None
        if self._client is None and self.mailbox.auth == "oauth2":
            try:
                self._client = self._connect(refresh=True)
            except oauth.OAuthRevoked as exc:
                self._revoked = exc  # the send reports it, and the mailbox pauses
            except (smtplib.SMTPException, OSError, ConfigError):
                self._client = None  # the send reports it

    def _connect(self, refresh: bool = False) -> smtplib.SMTP:
        server = self.server
        context = ssl.create_default_context()
        client: smtplib.SMTP
        if server.security == "ssl":
            client = smtplib.SMTP_SSL(
                server.host, server.port, timeout=server.timeout, context=context
            )
        else:
            client = smtplib.SMTP(server.host, server.port, timeout=server.timeout)
        try:
            client.ehlo()
            if server.security == "starttls":
                client.starttls(context=context)
                client.ehlo()
            if self.mailbox.auth == "oauth2":
                self._xoauth2(client, refresh)
            elif server.username:
                client.login(server.username, server.password() or "")
        except BaseException:
            client.close()
            raise
        return client

    def _xoauth2(self, client: smtplib.SMTP, refresh: bool) -> None:
        """AUTH XOAUTH2 with the mailbox's access token; refused once (expired or
        revoked early), it is refreshed and tried again — or, inside a send's
        transaction (``refresh`` False), refreshed before the next attempt."""
        tokens, settings = self.tokens, self.mailbox.oauth2
        if tokens is None or settings is None:
            raise ConfigError(f"mailbox {self.mailbox.id}: OAuth2 tokens are not available here")
        user = self.server.username or self.mailbox.address
        for force in (False, True):
            if refresh:
                token = tokens.access_token(self.mailbox.id, settings, force=force)
            else:
                token = tokens.cached(self.mailbox.id) or ""
                if not token:
                    raise ConfigError(f"mailbox {self.mailbox.id}: no fresh OAuth2 token yet")
            try:
                client.auth("XOAUTH2", partial(_first_only, oauth.xoauth2(user, token)))
                return
            except smtplib.SMTPAuthenticationError:
                if force or not refresh:
                    tokens.forget(self.mailbox.id)
                    raise

    def close(self) -> None:
        if self._client is not None:
            try:
                self._client.quit()
            except (smtplib.SMTPException, OSError):
                self._client.close()
            self._client = None

    def _envelope(self, to: str) -> smtplib.SMTP:
        """MAIL FROM and RCPT TO on a live connection (reconnecting once if the kept one
        went stale); raises ``_Refused`` when the server says no."""
        for attempt in (1, 2):
            if self._client is None:
                self._client = self._connect()
            client = self._client
            try:
                code, text = client.mail(self.mailbox.address)
                if code != 250:
                    client.rset()
                    raise _Refused(code, text, recipient=False)
                code, text = client.rcpt(to)
                if code not in (250, 251):
                    client.rset()
                    raise _Refused(code, text, recipient=True)
                return client
            except smtplib.SMTPServerDisconnected:
                self._client = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def send(self, letter: Letter, message: EmailMessage) -> SendResult:
        if self._revoked is not None:  # nothing is sent with a stale token
            return SendResult("not_sent", str(self._revoked)[:300], pause=str(self._revoked))
        try:
            client = self._envelope(letter.to_address)
        except _Refused as refused:
            return SendResult(
                "not_sent",
                f"{'recipient' if refused.recipient else 'sender'} refused: "
                + _said(refused.code, refused.text),
                permanent=refused.code >= 500,
                status=_status(refused.code, refused.text),
                recipient_refused=refused.recipient,
            )
        except oauth.OAuthRevoked as exc:  # nothing is sent with a stale token
            self.close()
            return SendResult("not_sent", str(exc)[:300], pause=str(exc))
        except smtplib.SMTPAuthenticationError as exc:
            self.close()
            why = f"{self.server.host} refused the sign-in: {_said(exc.smtp_code, exc.smtp_error)}"
            return SendResult("not_sent", why[:300], pause=why)
        except (smtplib.SMTPException, OSError, ConfigError) as exc:
            self.close()
            return SendResult("not_sent", f"cannot reach {self.server.host}: {exc}"[:300])
        try:
            code, text = client.data(bytes(message))
        except smtplib.SMTPDataError as exc:  # the server answered no: nothing was taken
            return SendResult(
                "not_sent",
                "message refused: " + _said(exc.smtp_code, exc.smtp_error),
                permanent=exc.smtp_code >= 500,
                status=_status(exc.smtp_code, exc.smtp_error),
            )
        except (smtplib.SMTPException, OSError) as exc:
            self._client = None
            log.error("touch %s: the connection failed during DATA: %s", letter.touch_id, exc)
            return SendResult("unknown", f"connection failed while sending the data: {exc}"[:300])
        return SendResult("sent", f"{self.server.host}: {_said(code, text)}")


def _first_only(answer: str, challenge: bytes | None = None) -> str:
    """XOAUTH2's response: the token first; after an error challenge, an empty line."""
    return answer if challenge is None else ""


class _Refused(Exception):
    def __init__(self, code: int, text: bytes, *, recipient: bool):
        super().__init__(code, text)
        self.code = code
        self.text = text
        self.recipient = recipient
