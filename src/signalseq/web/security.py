"""Who is signed in, CSRF tokens, the login rate limit, and security headers."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from urllib.parse import quote

from fastapi import FastAPI, Request, Response
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint

from signalseq.auth import service
from signalseq.errors import PermissionDenied, SignalseqError
from signalseq.web.state import AppState

SESSION_COOKIE = "signalseq_session"
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}


class NotSignedIn(SignalseqError):
    http_status = 401
    code = "unauthenticated"


@dataclass(frozen=True)
class Viewer:
    """The signed-in user of a request, with the session's CSRF token."""

    username: str
    role: str
    csrf_token: str

    def is_(self, *roles: str) -> bool:
        return self.role in roles


def app_state(request: Request) -> AppState:
    state: AppState = request.app.state.signalseq
    return state


def current_viewer(request: Request) -> Viewer | None:
    state = app_state(request)
    with state.database.unit_of_work() as session:
        found = service.resolve_session(
            session, request.cookies.get(SESSION_COOKIE), state.clock.now()
        )
        if found is None:
            return None
        user, row = found
        return Viewer(user.username, user.role, row.csrf_token)


def require_viewer(request: Request) -> Viewer:
    """The dependency of every page: the signed-in user, else 401 (pages: to /login)."""
    viewer = current_viewer(request)
    if viewer is None:
        raise NotSignedIn("sign in first")
    return viewer


def require_role(viewer: Viewer, *roles: str) -> None:
    if not viewer.is_(*roles):
        raise PermissionDenied(f"this needs the role {' or '.join(roles)}")


def check_csrf(viewer: Viewer, token: str | None) -> None:
    if not token or not hmac.compare_digest(token, viewer.csrf_token):
        raise PermissionDenied("the form's CSRF token is missing or wrong; reload the page")


def login_redirect(request: Request) -> str:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"/login?next={quote(target, safe='')}"


def safe_next(target: str | None) -> str:
    """Only a path on this site: no scheme, no host, no ``//`` (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/queue"
    return target


def client_address(request: Request) -> str:
    """Who is asking: the connecting address (X-Forwarded-For only counts when `serve`
    was told to trust the proxy, SIGNALSEQ_TRUSTED_PROXIES, and then uvicorn has
    already put the forwarded address here)."""
    return request.client.host if request.client else "?"


LOGIN_COOKIE = "signalseq_login"


def login_form_token(request: Request, response: Response) -> str:
    """A fresh token for the sign-in form, also set as a cookie: a form posted from
    another site cannot know it (login CSRF: signing someone into the attacker's account)."""
    token = secrets.token_urlsafe(32)
    response.set_cookie(LOGIN_COOKIE, token, max_age=3600, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https", path="/login")  # fmt: skip
    return token


def login_form_valid(request: Request, posted: str) -> bool:
    expected = request.cookies.get(LOGIN_COOKIE, "")
    return bool(expected) and hmac.compare_digest(expected, posted)


def set_session_cookie(request: Request, response: Response, token: str, hours: float) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(hours * 3600),
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )


def install(app: FastAPI) -> None:
    class SecurityHeaders(BaseHTTPMiddleware):
        async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
            response = await call_next(request)
            for name, value in HEADERS.items():
                response.headers.setdefault(name, value)
            if request.url.path.startswith(
                ("/queue", "/contacts", "/login", "/tasks", "/u/", "/dashboard")
            ):
                response.headers["Cache-Control"] = "no-store"
            return response

    app.add_middleware(SecurityHeaders)
