"""Real mail servers on 127.0.0.1 for the delivery and inbound tests: aiosmtpd
receiving what we send (with refusals on demand), and Dovecot serving IMAP."""

from __future__ import annotations

import asyncio
import base64
import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from tests.conftest import require

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"


def stop(process: subprocess.Popen[bytes], timeout: float = 10) -> None:
    """Ask a child process to end; kill it if it does not."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Received:
    sender: str
    recipients: list[str]
    data: bytes
    at: float  # time.monotonic() when the data was accepted

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.data, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class SmtpHandler:
    """Accepts everything, except: ``refuse`` maps a recipient to an RCPT answer
    ("550 5.1.1 ..."); ``hold`` keeps the answer to DATA back until released (the
    message arrived, its sender never hears so: a worker killed mid-send)."""

    received: list[Received] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)
    hold: threading.Event | None = None
    delay: float = 0.0  # seconds each DATA takes (a slow server)
    data_started: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        answer = self.refuse.get(address.lower())
        if answer:
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        if self.delay:
            await asyncio.sleep(self.delay)
        with self.lock:  # the message has arrived; the answer may still be held back
            self.received.append(
                Received(
                    envelope.mail_from, list(envelope.rcpt_tos), envelope.content, time.monotonic()
                )
            )
        self.data_started.set()
        if self.hold is not None:
            while not self.hold.is_set():
                await asyncio.sleep(0.05)
        return "250 2.0.0 Ok: queued"

    def to(self, address: str) -> list[Received]:
        with self.lock:
            return [
                r for r in self.received if address.lower() in (x.lower() for x in r.recipients)
            ]


@dataclass
class OAuthSmtpHandler(SmtpHandler):
    """Accepts only AUTH XOAUTH2 with a bearer token the OAuth server says is live."""

    live: dict[str, str] = field(default_factory=dict)  # the OAuth server's access tokens
    signed_in: list[str] = field(default_factory=list)
    refused: int = 0

    async def auth_XOAUTH2(self, server, args):  # noqa: N802
        from aiosmtpd.smtp import AuthResult

        raw = args[1] if len(args) > 1 else ""
        try:
            fields = dict(
                part.split("=", 1)
                for part in base64.b64decode(raw).decode().split("\x01")
                if "=" in part
            )
        except (ValueError, UnicodeDecodeError):
            fields = {}
        token = fields.get("auth", "").removeprefix("Bearer ")
        if self.live.get(token) == fields.get("user"):
            self.signed_in.append(token)
            return AuthResult(success=True)
        self.refused += 1
        return AuthResult(success=False, handled=False, message="535 5.7.8 token refused")

    async def handle_MAIL(self, server, session, envelope, address, mail_options):  # noqa: N802
        if not session.authenticated:
            return "530 5.7.0 Authentication required"
        envelope.mail_from = address
        return "250 OK"


class SmtpServer:
    def __init__(self, handler: SmtpHandler | None = None) -> None:
        self.handler = handler or SmtpHandler()
        self.port = free_port()
        self.controller = Controller(
            self.handler, hostname="127.0.0.1", port=self.port, auth_require_tls=False
        )

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.handler.hold is not None:
            self.handler.hold.set()
        self.controller.stop()


@pytest.fixture
def smtp_server():
    with SmtpServer() as server:
        yield server


def mailbox_yaml(smtp_port: int | None = None, imap: dict | None = None, **throttle: object) -> str:
    """A delivery/mailboxes.yaml with one mailbox ``sales`` sending through the test
    SMTP server (or to the outbox folder without a port)."""
    lines = [
        "mailboxes:",
        "  - id: sales",
        "    address: maya@tallyforge-demo.com",
        "    name: Maya Lindqvist",
        f"    transport: {'smtp' if smtp_port else 'outbox'}",
    ]
    if smtp_port:
        lines.append(
            f"    smtp: {{host: 127.0.0.1, port: {smtp_port}, security: none, timeout: 10}}"
        )
    if imap:
        inner = ", ".join(f"{k}: {v}" for k, v in imap.items())
        lines.append(f"    imap: {{{inner}}}")
    for key, value in throttle.items():
        lines.append(f"    {key}: {value}")
    return "\n".join(lines) + "\n"


# --- Dovecot -----------------------------------------------------------------------------


@dataclass
class Imap:
    port: int
    user: str
    password: str

    def append(self, raw: bytes, folder: str = "INBOX") -> None:
        client = imaplib.IMAP4("127.0.0.1", self.port)
        try:
            client.login(self.user, self.password)
            status, _ = client.append(folder, "", imaplib.Time2Internaldate(time.time()), raw)
            assert status == "OK"
        finally:
            client.logout()


def _mail_owner() -> tuple[int, int, str]:
    # Dovecot refuses mail access as root: mail belongs to nobody then
    entry = pwd.getpwuid(os.geteuid()) if os.geteuid() != 0 else pwd.getpwnam("nobody")
    return entry.pw_uid, entry.pw_gid, entry.pw_name


@pytest.fixture
def dovecot():
    yield from _dovecot(None)


@contextmanager
def dovecot_oauth(introspection_url: str) -> Iterator[Imap]:
    """Dovecot signing users in with XOAUTH2/OAUTHBEARER, asking the OAuth server's
    introspection endpoint whether the bearer token is live (its oauth2 passdb)."""
    yield from _dovecot(introspection_url)


def _dovecot(introspection_url: str | None) -> Iterator[Imap]:
    require(Path(DOVECOT).exists(), "Dovecot is not installed (apt-get install dovecot-imapd)")
    # not under pytest's tmp_path: Dovecot's own users must be able to reach the files
    root = Path(tempfile.mkdtemp(prefix="signalseq-dovecot-"))
    root.chmod(0o755)
    home = root / "home"
    home.mkdir(parents=True)
    uid, gid, name = _mail_owner()
    os.chown(home, uid, gid)
    port = free_port()
    user, password = "maya@tallyforge-demo.com", "imap-test-password"
    (root / "users").write_text(f"{user}:{{PLAIN}}{password}\n")
    running_as = pwd.getpwuid(os.geteuid()).pw_name
    oauth_passdb = ""
    if introspection_url:
        (root / "oauth2.conf").write_text(
            f"introspection_mode = post\nintrospection_url = {introspection_url}\n"
            "username_attribute = username\nactive_attribute = active\nactive_value = true\n"
        )
        oauth_passdb = (
            f"passdb {{\n  driver = oauth2\n  mechanisms = xoauth2 oauthbearer\n"
            f"  args = {root}/oauth2.conf\n}}\n"
        )
    (root / "dovecot.conf").write_text(
        f"""
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login{" xoauth2 oauthbearer" if introspection_url else ""}
mail_location = maildir:~/Maildir
first_valid_uid = {uid}
last_valid_uid = 0
{"" if os.geteuid() == 0 else f"default_login_user = {running_as}{chr(10)}default_internal_user = {running_as}"}
{oauth_passdb}passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={home}/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
"""
    )
    with (root / "stdout.log").open("wb") as output:
        process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(root / "dovecot.conf")], stdout=output, stderr=output
        )
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            if process.poll() is not None:
                output = (root / "stdout.log").read_text()
                log = (root / "dovecot.log").read_text() if (root / "dovecot.log").exists() else ""
                pytest.fail(f"dovecot did not start: {output} {log}")
            time.sleep(0.1)
    else:
        process.kill()
        pytest.fail("dovecot did not open its port")
    try:
        yield Imap(port, user, password)
    finally:
        stop(process)
        shutil.rmtree(root, ignore_errors=True)
