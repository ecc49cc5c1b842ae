"""OAuth2 mailboxes against real servers on 127.0.0.1: an OAuth2 authorization server
(redirect with PKCE, device code, refresh, revocation, introspection), aiosmtpd that
only takes AUTH XOAUTH2 with a live token, and Dovecot whose oauth2 passdb asks the
authorization server about each bearer token."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from contextlib import contextmanager
from datetime import timedelta

import httpx
import yaml
from sqlalchemy import select
from tests.factories import TEST_PUBLIC_URL, TEST_SECRET, outbox_delivery
from tests.inbound_messages import REPLY_OUTLOOK, render
from tests.mail_servers import OAuthSmtpHandler, SmtpServer, dovecot_oauth
from tests.oauth_server import oauth_server
from tests.test_delivery_smtp import MONDAY, THREADED, people

from signalseq.delivery.mailboxes import MailboxesFile
from signalseq.delivery.models import MailboxState, MailboxToken
from signalseq.delivery.oauth import TokenSource
from signalseq.inbound.imap import poll_all
from signalseq.inbound.service import InboundSettings
from signalseq.pipeline.simulate import simulate
from signalseq.rules.watcher import RulesWatcher


def mailbox_file(
    provider: str, server_url: str, smtp_port: int, imap_port: int | None = None
) -> str:
    endpoints = (
        f"authorize_url: {server_url}/authorize, token_url: {server_url}/token"
        if provider == "google"
        else f"device_authorization_url: {server_url}/device, token_url: {server_url}/token"
    )
    imap = (f"    imap: {{host: 127.0.0.1, port: {imap_port}, security: none}}\n"
            if imap_port else "")  # fmt: skip
    return (
        "mailboxes:\n  - id: sales\n    address: maya@tallyforge-demo.com\n    name: Maya\n"
        "    transport: smtp\n    auth: oauth2\n"
        f"    oauth2: {{provider: {provider}, client_id: signalseq-test-client, {endpoints}}}\n"
        f"    smtp: {{host: 127.0.0.1, port: {smtp_port}, security: none, timeout: 10}}\n" + imap
    )


def connect(root, store, *, browser: bool) -> subprocess.CompletedProcess[str]:
    """`signalseq mailbox connect sales` as a person runs it; with ``browser`` the test
    opens the printed address as a browser would (and follows the redirect home)."""
    env = {**os.environ, "SIGNALSEQ_WORKSPACE": str(root), "SIGNALSEQ_DATABASE_URL": store.url,
           "SIGNALSEQ_SECRET_KEY": TEST_SECRET, "COLUMNS": "300"}  # fmt: skip
    process = subprocess.Popen(
        [sys.executable, "-m", "signalseq", "mailbox", "connect", "sales", "--timeout", "30"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    if browser:
        assert process.stderr is not None
        line = process.stderr.readline()
        url = re.search(r"(http://127\.0\.0\.1:\d+/authorize\S+)", line)
        assert url, line
        assert httpx.get(url.group(1), follow_redirects=True, timeout=10).status_code == 200
    out, err = process.communicate(timeout=60)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def send_day(store, root, tmp_path, days=1, start=MONDAY):
    delivery = outbox_delivery(tmp_path / "unused")
    delivery.transports.tokens = TokenSource(store.database, TEST_SECRET, lambda: start)
    simulate(store.database, RulesWatcher(root), start=start, days=days,
             outbox=tmp_path / "unused", delivery=delivery)  # fmt: skip


@contextmanager
def oauth_world(make_workspace, provider: str):  # type: ignore[no-untyped-def]
    """The OAuth2 server, aiosmtpd taking its live tokens, Dovecot asking it, and a
    workspace whose mailbox signs in with ``provider``'s flow against them."""
    with oauth_server() as auth, SmtpServer(OAuthSmtpHandler()) as smtp, \
            dovecot_oauth(f"{auth.url}/introspect") as imap:  # fmt: skip
        smtp.handler.live = auth.access
        root = make_workspace({
            "workspace.yaml": "name: t\ndefault_timezone: America/New_York\n",
            "rules/sequences/threaded.yaml": THREADED,
            "delivery/mailboxes.yaml": mailbox_file(provider, auth.url, smtp.port, imap.port),
        })  # fmt: skip
        yield auth, smtp, imap, root


def test_a_google_style_mailbox_connects_by_redirect_sends_reads_refreshes_and_is_revoked(
    store, make_workspace, tmp_path, monkeypatch
):
    monkeypatch.setenv("SIGNALSEQ_SECRET_KEY", TEST_SECRET)
    with oauth_world(make_workspace, "google") as (auth, smtp, imap, root):
        done = connect(root, store, browser=True)
        assert done.returncode == 0, done.stderr
        assert "mailbox sales connected" in done.stdout and auth.grants == ["authorization_code"]
        with store.database.unit_of_work() as session:
            row = session.get(MailboxToken, "sales")
            stored = (row.refresh_token or "") + (row.access_token or "")
        assert stored and not any(t in stored for t in [*auth.refresh, *auth.access]), (
            "tokens are kept encrypted"
        )

        people(store, 2)
        send_day(store, root, tmp_path)
        assert len(smtp.handler.received) == 2 and smtp.handler.signed_in, "sent with XOAUTH2"
        assert smtp.handler.refused == 0

        # the provider expires the access token early: refused once, refreshed, sent
        auth.expire_access()
        send_day(store, root, tmp_path, start=MONDAY + timedelta(days=1))
        assert len(smtp.handler.received) == 4 and smtp.handler.refused == 1
        assert auth.grants.count("refresh_token") >= 1

        # IMAP signs in with XOAUTH2 too (Dovecot asks the authorization server)
        imap.append(render(REPLY_OUTLOOK, "p0@co0.com", "<none@x>"))

        boxes = MailboxesFile.model_validate(yaml.safe_load(
            (root / "delivery/mailboxes.yaml").read_text())).mailboxes  # fmt: skip
        (report,) = poll_all(store.database, boxes, InboundSettings(TEST_SECRET), lambda: MONDAY)
        assert report.error is None and report.read == 1

        # revoked: nothing is sent with a stale token, and the mailbox pauses with a reason
        auth.revoke_all()
        before = len(smtp.handler.received)
        send_day(store, root, tmp_path, days=2, start=MONDAY + timedelta(days=2))
        assert len(smtp.handler.received) == before
        with store.database.unit_of_work() as session:
            paused = session.scalar(select(MailboxState.paused_reason))
        assert paused and "revoked" in paused and "signalseq mailbox connect sales" in paused


def test_a_microsoft_style_mailbox_connects_with_a_device_code_and_sends(
    store, make_workspace, tmp_path, monkeypatch
):
    monkeypatch.setenv("SIGNALSEQ_SECRET_KEY", TEST_SECRET)
    with oauth_world(make_workspace, "microsoft") as (auth, smtp, imap, root):
        done = connect(root, store, browser=False)
        assert done.returncode == 0, done.stderr
        assert "ABCD-EFGH" in done.stderr, "the person is shown the code to enter"
        assert auth.grants[-1] == "urn:ietf:params:oauth:grant-type:device_code"
        people(store, 1)
        send_day(store, root, tmp_path)
        assert len(smtp.handler.received) == 1 and smtp.handler.signed_in
        imap.append(render(REPLY_OUTLOOK, "p0@co0.com", "<none@x>"))
        boxes = MailboxesFile.model_validate(yaml.safe_load(
            (root / "delivery/mailboxes.yaml").read_text())).mailboxes  # fmt: skip
        (report,) = poll_all(store.database, boxes, InboundSettings(TEST_SECRET), lambda: MONDAY)
        assert report.error is None and report.read == 1, "read with XOAUTH2 too"
    assert TEST_PUBLIC_URL.startswith("https://")
