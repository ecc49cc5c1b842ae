"""A real OAuth2 authorization server on 127.0.0.1, shaped like Google's and Microsoft's
token endpoints: the authorization-code flow with PKCE (a browser redirect), the device
code flow, refresh, revocation, and token introspection (for Dovecot's oauth2 passdb)."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit


@dataclass
class OAuthState:
    client_id: str = "signalseq-test-client"
    user: str = "maya@tallyforge-demo.com"
    lifetime: int = 3600
    access: dict[str, str] = field(default_factory=dict)  # live access token → user
    refresh: dict[str, str] = field(default_factory=dict)  # live refresh token → user
    codes: dict[str, tuple[str, str]] = field(default_factory=dict)  # code → (challenge, uri)
    device_codes: dict[str, bool] = field(default_factory=dict)  # device code → approved
    grants: list[str] = field(default_factory=list)  # grant types asked, in order
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def issue(self) -> dict[str, object]:
        access, refresh = secrets.token_urlsafe(24), secrets.token_urlsafe(32)
        self.access[access] = self.refresh[refresh] = self.user
        return {"access_token": access, "refresh_token": refresh, "token_type": "Bearer",
                "expires_in": self.lifetime, "scope": "mail"}  # fmt: skip

    def revoke_all(self) -> None:
        self.access.clear()
        self.refresh.clear()

    def expire_access(self) -> None:
        self.access.clear()


@contextmanager
def oauth_server() -> Iterator[OAuthState]:
    state = OAuthState()

    class Handler(BaseHTTPRequestHandler):
        def _send(
            self, status: int, body: dict[str, object], headers: dict[str, str] | None = None
        ) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            for name, value in {"Content-Type": "application/json", **(headers or {})}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802 - the browser's visit to the consent page
            query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
            code = secrets.token_urlsafe(16)
            state.codes[code] = (query.get("code_challenge", ""), query.get("redirect_uri", ""))
            target = f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query.get('state', '')})}"
            self.send_response(302)
            self.send_header("Location", target)
            self.end_headers()

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length", "0"))
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            path = urlsplit(self.path).path
            if path == "/introspect":  # Dovecot asks whether a bearer token is live
                user = state.access.get(form.get("token", ""))
                return self._send(200, {"active": user is not None, "username": user or ""})
            if form.get("client_id") != state.client_id:
                return self._send(401, {"error": "invalid_client"})
            if path == "/device":
                code = secrets.token_urlsafe(16)
                state.device_codes[code] = False
                return self._send(200, {"device_code": code, "user_code": "ABCD-EFGH",
                                        "verification_uri": f"{state.url}/activate",
                                        "expires_in": 60, "interval": 0})  # fmt: skip
            grant = form.get("grant_type", "")
            state.grants.append(grant)
            if grant == "refresh_token":
                if form.get("refresh_token") not in state.refresh:
                    return self._send(400, {"error": "invalid_grant"})
                token = state.issue()
                token.pop("refresh_token")  # Google keeps the refresh token
                return self._send(200, token)
            if grant == "authorization_code":
                challenge, uri = state.codes.pop(form.get("code", ""), ("", ""))
                verifier = form.get("code_verifier", "")
                made = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
                if (
                    not challenge
                    or made.rstrip(b"=").decode() != challenge
                    or uri != form.get("redirect_uri")
                ):
                    return self._send(400, {"error": "invalid_grant"})
                return self._send(200, state.issue())
            if grant == "urn:ietf:params:oauth:grant-type:device_code":
                approved = state.device_codes.get(form.get("device_code", ""))
                if approved is None:
                    return self._send(400, {"error": "expired_token"})
                if not approved:
                    state.device_codes[form["device_code"]] = True  # the person approves now
                    return self._send(400, {"error": "authorization_pending"})
                return self._send(200, state.issue())
            return self._send(400, {"error": "unsupported_grant_type"})

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
