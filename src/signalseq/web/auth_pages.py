"""Sign in and out."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from signalseq.auth import service
from signalseq.errors import AuthenticationFailed
from signalseq.web import security
from signalseq.web.templating import page

router = APIRouter(include_in_schema=False)


def _form(request: Request, status_code: int = 200, **values: object) -> Response:
    """The sign-in page with a fresh form token (and its cookie)."""
    token_holder = Response()
    token = security.login_form_token(request, token_holder)
    response = page(request, "login.html", None, status_code=status_code, login_token=token,
                    **values)  # fmt: skip
    response.headers.append("set-cookie", token_holder.headers["set-cookie"])
    return response


@router.get("/login")
def login_form(request: Request, next: str = "/queue") -> Response:
    if security.current_viewer(request) is not None:
        return RedirectResponse(security.safe_next(next), status_code=303)
    return _form(request, next=security.safe_next(next))


@router.post("/login")
async def login(
    request: Request,
    username: str = Form(""),
    password: str = Form(""),
    next: str = Form("/queue"),
    login_token: str = Form(""),
) -> Response:
    state = security.app_state(request)
    now = state.clock.now()
    name = username.strip().lower()
    target = security.safe_next(next)
    if not security.login_form_valid(request, login_token):
        return _form(request, 403, next=target, username=name,
                     error="The sign-in form expired or came from elsewhere: sign in again.")  # fmt: skip
    wait = state.login_limiter.reserve(name, security.client_address(request))
    if wait:
        refused = _form(request, 429, next=target, username=name,
                        error=f"Too many sign-in attempts. Try again in {wait} seconds.")  # fmt: skip
        refused.headers["Retry-After"] = str(wait)
        return refused

    def check() -> str:
        with state.database.unit_of_work() as session:
            user = service.authenticate(session, name, password, now)
            return service.start_session(session, user, now, state.settings.session_hours)

    try:
        token = await asyncio.get_running_loop().run_in_executor(state.password_checks, check)
    except AuthenticationFailed as exc:
        return _form(request, 401, next=target, username=name, error=str(exc).capitalize() + ".")
    state.login_limiter.succeeded(name)
    response = RedirectResponse(target, status_code=303)
    security.set_session_cookie(request, response, token, state.settings.session_hours)
    return response


@router.post("/logout")
def logout(request: Request, csrf_token: str = Form("")) -> Response:
    viewer = security.require_viewer(request)
    security.check_csrf(viewer, csrf_token)
    state = security.app_state(request)
    with state.database.unit_of_work() as session:
        service.end_session(session, request.cookies.get(security.SESSION_COOKIE))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(security.SESSION_COOKIE, path="/")
    return response
