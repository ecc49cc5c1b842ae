"""One JSON error shape for the whole app: {"error": {"code": ..., "message": ...}}."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException

from signalseq.errors import ConfigError, SignalseqError


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, **extra}}


def _is_page(request: Request) -> bool:
    from signalseq.web.templating import HTML_PREFIXES

    return request.url.path.startswith(HTML_PREFIXES) or request.url.path == "/"


def install(app: FastAPI) -> None:
    @app.exception_handler(SignalseqError)
    async def _domain(request: Request, exc: SignalseqError) -> Response:
        from signalseq.web.security import NotSignedIn, login_redirect
        from signalseq.web.templating import page

        status = 503 if isinstance(exc, ConfigError) else exc.http_status
        if _is_page(request):
            if isinstance(exc, NotSignedIn) and request.method == "GET":
                return RedirectResponse(login_redirect(request), status_code=303)
            return page(request, "error.html", None, status_code=status, error=str(exc))
        return JSONResponse(error_body(exc.code, str(exc)), status_code=status)

    @app.exception_handler(HTTPException)
    async def _http(_request: Request, exc: HTTPException) -> JSONResponse:
        return JSONResponse(
            error_body(f"http_{exc.status_code}", str(exc.detail)),
            status_code=exc.status_code,
            headers=exc.headers,
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(
            error_body(
                "invalid_request",
                "the request is not valid",
                details=[str(e.get("msg")) for e in exc.errors()],
            ),
            status_code=422,
        )
