"""OAuth2 mailboxes (Google Workspace, Microsoft 365): SMTP and IMAP sign in with
XOAUTH2 and a short-lived access token instead of a password.

``signalseq mailbox connect NAME`` runs the provider's flow once — Microsoft's device
code flow (RFC 8628), Google's local-redirect flow with PKCE — and keeps the refresh
token, encrypted with the secret key, in the store. An access token is refreshed before
it expires and whenever a server refuses it; a refresh token the provider revoked marks
the mailbox revoked (it is paused with an alert until connected again). Tokens are never
logged. The protocol work is authlib's.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from authlib.integrations.base_client.errors import OAuthError
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy.orm import Session

from signalseq.clock import ensure_utc
from signalseq.delivery.mailboxes import OAuthSettings
from signalseq.delivery.models import MailboxToken
from signalseq.errors import ConfigError

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
REFRESH_MARGIN = timedelta(minutes=5)  # refreshed this long before it expires


class OAuthRevoked(ConfigError):
    """The provider no longer honours the mailbox's refresh token."""

    code = "oauth_revoked"


def client(settings: OAuthSettings, timeout: float = 30.0) -> Any:
    """authlib's OAuth2 client on httpx (imported here: only OAuth2 mailboxes need it)."""
    from authlib.integrations.httpx_client import OAuth2Client

    secret = os.environ.get(settings.client_secret_env) if settings.client_secret_env else None
    if settings.client_secret_env and not secret:
        raise ConfigError(f"the environment variable {settings.client_secret_env} is not set")
    return OAuth2Client(
        client_id=settings.client_id,
        client_secret=secret,
        scope=settings.scope(),
        token_endpoint_auth_method="client_secret_post" if secret else "none",
        code_challenge_method="S256",
        timeout=timeout,
    )


def _fernet(secret: str) -> Fernet:
    key = hashlib.sha256(b"signalseq/oauth2-tokens\x00" + secret.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def _seal(secret: str, value: str | None) -> str | None:
    return _fernet(secret).encrypt(value.encode()).decode() if value else None


def _open(secret: str, value: str | None) -> str | None:
    if not value:
        return None
    try:
        return _fernet(secret).decrypt(value.encode()).decode()
    except InvalidToken as exc:
        raise ConfigError("the stored OAuth2 token cannot be read with this secret key: "
                          "connect the mailbox again") from exc  # fmt: skip


def store(
    session: Session, mailbox_id: str, token: dict[str, Any], secret: str, now: datetime
) -> None:
    row = session.get(MailboxToken, mailbox_id, with_for_update=True)
    if row is None:
        row = MailboxToken(mailbox_id=mailbox_id)
        session.add(row)
    refresh = token.get("refresh_token") or _open(secret, row.refresh_token)
    row.refresh_token = _seal(secret, refresh)
    row.access_token = _seal(secret, token.get("access_token"))
    lifetime = int(token.get("expires_in") or 3600)
    row.expires_at = now + timedelta(seconds=max(lifetime, 60))
    row.revoked = None
    if "refresh_token" in token:
        row.connected_at = now


@dataclass
class TokenSource:
    """Access tokens for the OAuth2 mailboxes, shared by every sender through the store
    (refreshing writes it: never from inside a send's transaction, which only reads what
    this process already holds — ``cached``)."""

    database: Any  # signalseq.store.db.Database
    secret: str
    now: Callable[[], datetime]
    _held: dict[str, tuple[str, datetime]] = field(default_factory=dict)

    def cached(self, mailbox_id: str) -> str | None:
        held = self._held.get(mailbox_id)
        if held is None or held[1] - REFRESH_MARGIN <= self.now():
            return None
        return held[0]

    def forget(self, mailbox_id: str) -> None:
        """The server refused the token: the next ``access_token`` refreshes it."""
        self._held.pop(mailbox_id, None)
        self._stale.add(mailbox_id)

    _stale: set[str] = field(default_factory=set)

    def access_token(self, mailbox_id: str, settings: OAuthSettings, *, force: bool = False) -> str:
        force = force or mailbox_id in self._stale
        self._stale.discard(mailbox_id)
        token = self._access_token(mailbox_id, settings, force)
        with self.database.unit_of_work(read_only=True) as session:
            row = session.get(MailboxToken, mailbox_id)
            expires = ensure_utc(row.expires_at) if row and row.expires_at else self.now()
        self._held[mailbox_id] = (token, expires)
        return token

    def _access_token(self, mailbox_id: str, settings: OAuthSettings, force: bool) -> str:
        with self.database.unit_of_work() as session:
            row = session.get(MailboxToken, mailbox_id, with_for_update=True)
            if row is None or not row.refresh_token:
                raise OAuthRevoked(f"mailbox {mailbox_id} is not connected: run "
                                   f"`signalseq mailbox connect {mailbox_id}`")  # fmt: skip
            if row.revoked:
                raise OAuthRevoked(f"mailbox {mailbox_id}: {row.revoked}")
            now = self.now()
            fresh = row.expires_at is not None and ensure_utc(row.expires_at) - REFRESH_MARGIN > now
            if fresh and not force and row.access_token:
                return _open(self.secret, row.access_token) or ""
            refresh = _open(self.secret, row.refresh_token)
            try:
                with client(settings) as oauth:
                    token = oauth.refresh_token(
                        settings.endpoint("token_url"), refresh_token=refresh
                    )
            except OAuthError as exc:
                if exc.error == "invalid_grant":
                    row.revoked = (f"the provider revoked the refresh token ({exc.error}); run "
                                   f"`signalseq mailbox connect {mailbox_id}`")[:300]  # fmt: skip
                    session.commit()
                    raise OAuthRevoked(f"mailbox {mailbox_id}: {row.revoked}") from None
                raise ConfigError(
                    f"mailbox {mailbox_id}: token refresh failed ({exc.error})"
                ) from None
            store(session, mailbox_id, dict(token), self.secret, now)
            return str(token["access_token"])


def xoauth2(user: str, access_token: str) -> str:
    """The XOAUTH2 initial client response (before base64), for SMTP and IMAP."""
    return f"user={user}\x01auth=Bearer {access_token}\x01\x01"


# --- connecting a mailbox once -------------------------------------------------------------


def connect_device(
    settings: OAuthSettings, say: Callable[[str], None], timeout: float = 900
) -> dict[str, Any]:
    """The device code flow: show the code, poll until the person approved it."""
    with client(settings) as oauth:
        answer = oauth.request(
            "POST",
            settings.endpoint("device_authorization_url"),
            data={"client_id": settings.client_id, "scope": settings.scope()},
            withhold_token=True,  # no token yet: that is what this asks for
        )
        if answer.status_code != 200:
            raise ConfigError(f"device authorization refused: {answer.status_code}")
        grant = answer.json()
        say(grant.get("message") or f"Open {grant['verification_uri']} and enter the code "
            f"{grant['user_code']}")  # fmt: skip
        interval = float(grant.get("interval", 5))
        deadline = time.monotonic() + min(timeout, float(grant.get("expires_in", timeout)))
        while time.monotonic() < deadline:
            try:
                return dict(oauth.fetch_token(settings.endpoint("token_url"),
                                               grant_type=DEVICE_GRANT,
                                               device_code=grant["device_code"]))  # fmt: skip
            except OAuthError as exc:
                if exc.error == "slow_down":
                    interval += 5
                elif exc.error != "authorization_pending":
                    raise ConfigError(f"connecting failed: {exc.error}") from None
            time.sleep(interval)
    raise ConfigError("connecting timed out: nobody approved the code")


def connect_redirect(
    settings: OAuthSettings, say: Callable[[str], None], port: int = 0, timeout: float = 900
) -> dict[str, Any]:
    """The local-redirect flow with PKCE: the browser comes back to 127.0.0.1."""
    verifier = secrets.token_urlsafe(64)
    arrived: dict[str, str] = {}
    done = threading.Event()

    class Back(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
            arrived.update(query, url=f"{redirect_uri.rstrip('/')}{self.path}")
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.end_headers()
            self.wfile.write(b"signalseq: the mailbox is connected; you can close this tab.\n")
            done.set()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", port), Back)
    threading.Thread(target=server.handle_request, daemon=True).start()
    redirect_uri = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        with client(settings) as oauth:
            oauth.redirect_uri = redirect_uri
            url, state = oauth.create_authorization_url(
                settings.endpoint("authorize_url"), code_verifier=verifier,
                access_type="offline", prompt="consent",
            )  # fmt: skip
            say(f"Open this address in a browser and allow access: {url}")
            if not done.wait(timeout):
                raise ConfigError("connecting timed out: the browser never came back")
            if arrived.get("state") != state or "code" not in arrived:
                raise ConfigError(f"connecting refused: {arrived.get('error', 'bad state')}")
            return dict(oauth.fetch_token(settings.endpoint("token_url"),
                                           authorization_response=arrived["url"],
                                           code_verifier=verifier))  # fmt: skip
    finally:
        server.server_close()
