"""IMAP polling (imap-tools): each mailbox with an ``imap:`` section is read from the
UID after the last one processed. Messages are read with ``BODY.PEEK`` (a person's
unread marks stay as they were), each processed in the same unit of work that moves
the UID high-water mark past it, so a crash never skips or re-applies one (and the
Message-ID would make a second reading a no-op anyway)."""

from __future__ import annotations

import logging
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from imap_tools import BaseMailBox, MailBox, MailBoxStartTls, MailBoxUnencrypted
from imap_tools.errors import MailboxLoginError
from imap_tools.query import AND, U

from signalseq.deadletters import repository as deadletters
from signalseq.delivery import oauth, throttle
from signalseq.delivery.mailboxes import Mailbox
from signalseq.errors import ConfigError, SignalseqError
from signalseq.inbound.service import InboundSettings, Processed, process
from signalseq.store.db import Database

log = logging.getLogger("signalseq.inbound")
BATCH = 200  # messages read per mailbox per poll


class ImapUnavailable(SignalseqError):
    code = "imap_unavailable"


@dataclass
class PollReport:
    mailbox: str
    read: int = 0
    results: list[Processed] = field(default_factory=list)
    error: str | None = None


def _connect(mailbox: Mailbox) -> MailBox | MailBoxStartTls | MailBoxUnencrypted:
    server = mailbox.imap
    assert server is not None
    if server.security == "ssl":
        return MailBox(server.host, server.port, timeout=server.timeout,
                       ssl_context=ssl.create_default_context())  # fmt: skip
    if server.security == "starttls":
        return MailBoxStartTls(server.host, server.port, timeout=server.timeout,
                               ssl_context=ssl.create_default_context())  # fmt: skip
    return MailBoxUnencrypted(server.host, server.port, timeout=server.timeout)


def _login(
    database: Database, mailbox: Mailbox, settings: InboundSettings, now: Callable[[], datetime]
) -> BaseMailBox:
    """Signed in with the password, or with XOAUTH2 (refreshed and tried once more when
    the server refuses the token)."""
    server = mailbox.imap
    assert server is not None
    user = server.username or mailbox.address
    if mailbox.auth != "oauth2" or mailbox.oauth2 is None:
        return _connect(mailbox).login(user, server.password() or "", server.folder)
    tokens = oauth.TokenSource(database, settings.secret, now)
    for force in (False, True):
        token = tokens.access_token(mailbox.id, mailbox.oauth2, force=force)
        try:
            return _connect(mailbox).xoauth2(user, token, server.folder)
        except MailboxLoginError:
            if force:
                raise
    raise AssertionError("unreachable")


def poll_mailbox(
    database: Database,
    mailbox: Mailbox,
    settings: InboundSettings,
    now: Callable[[], datetime],
) -> PollReport:
    report = PollReport(mailbox.id)
    server = mailbox.imap
    if server is None:
        return report
    try:
        with _login(database, mailbox, settings, now) as box:
            validity = str(box.folder.status(server.folder).get("UIDVALIDITY", ""))
            with database.unit_of_work() as session:
                state = throttle.state_of(session, mailbox.id)
                if state.imap_uidvalidity != validity:  # a new folder: read it all again
                    state.imap_uidvalidity, state.imap_last_uid = validity, 0
                last = state.imap_last_uid
            uids = sorted(int(u) for u in box.uids(AND(uid=U(str(last + 1), "*"))) if int(u) > last)
            for uid in uids[:BATCH]:
                kind, data = box.client.uid("FETCH", str(uid), "(BODY.PEEK[])")
                raw = next((p[1] for p in data or [] if isinstance(p, tuple) and len(p) > 1), None)
                readable = raw if kind == "OK" and isinstance(raw, bytes) else None
                report.results.append(_read_one(database, mailbox, settings, readable, uid, now()))
                report.read += 1
    except MailboxLoginError as exc:
        raise ConfigError(f"mailbox {mailbox.id}: IMAP login refused ({exc})") from exc
    except (OSError, ssl.SSLError) as exc:
        raise ImapUnavailable(
            f"mailbox {mailbox.id}: cannot read {server.host}:{server.port} ({exc})"
        ) from exc
    return report


def _read_one(
    database: Database,
    mailbox: Mailbox,
    settings: InboundSettings,
    raw: bytes | None,
    uid: int,
    at: datetime,
) -> Processed:
    """Process one message and move the UID mark past it in the same unit of work. One
    that cannot be processed is dead-lettered with the error (and the mark moves on),
    so a poison message never blocks the mailbox and nothing is lost."""
    source = f"imap:{mailbox.id}"
    try:
        with database.unit_of_work() as session:
            throttle.state_of(session, mailbox.id).imap_last_uid = uid
            if raw is None:
                return Processed("", "unreadable", f"UID {uid} could not be fetched")
            return process(session, raw, source=source, settings=settings, now=at,
                           mailbox_id=mailbox.id)  # fmt: skip
    except Exception as exc:  # noqa: BLE001 - kept with its reason, then the next message
        log.exception("mailbox %s: a message could not be processed", mailbox.id)
        with database.unit_of_work() as session:
            throttle.state_of(session, mailbox.id).imap_last_uid = uid
            deadletters.record(session, source=source, kind="email",
                               raw=(raw or b"")[:65536].decode("utf-8", "replace"),
                               reason=f"could not be processed: {exc}"[:500], now=at)  # fmt: skip
        return Processed("", "error", f"dead-lettered: {exc}"[:300])


def poll_all(
    database: Database,
    mailboxes: list[Mailbox],
    settings: InboundSettings,
    now: Callable[[], datetime],
) -> list[PollReport]:
    """Every mailbox with IMAP; one that fails is reported and the others still read."""
    reports = []
    for mailbox in mailboxes:
        if mailbox.imap is None:
            continue
        try:
            reports.append(poll_mailbox(database, mailbox, settings, now))
        except SignalseqError as exc:
            log.error("%s", exc)
            reports.append(PollReport(mailbox.id, error=str(exc)))
    return reports
