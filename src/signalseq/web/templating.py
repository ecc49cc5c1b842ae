"""The Jinja2 templates of the pages, and the helpers they use."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from signalseq.clock import ensure_utc
from signalseq.review.policy import REASONS
from signalseq.web.security import Viewer

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
HTML_PREFIXES = ("/queue", "/contacts", "/login", "/logout", "/tasks", "/u/", "/dashboard")


def when(moment: datetime | str | None) -> Markup | str:
    """A moment in UTC, marked up so the page shows it in the reviewer's time zone (the
    browser's, or the one chosen in the header; app.js)."""
    if not moment:
        return "—"
    at = ensure_utc(datetime.fromisoformat(moment) if isinstance(moment, str) else moment)
    return Markup('<time datetime="{}">{}</time>').format(
        at.isoformat(), at.strftime("%a %d %b %H:%M UTC")
    )


def their_time(moment: datetime | None, zone: str | None) -> str:
    """The same moment on the contact's clock ("09:00 their time, Europe/Berlin")."""
    if not moment or not zone:
        return ""
    try:
        local = ensure_utc(moment).astimezone(ZoneInfo(zone))
    except (ZoneInfoNotFoundError, ValueError):
        return ""
    return f"{local:%a %H:%M} their time ({zone})"


def highlight(text: str | None, part: str, checks: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """``text`` cut into (segment, names of the failed or warning checks flagging it)
    pieces, so the page can mark the flagged spans; overlapping spans are merged."""
    if not text:
        return []
    flags: list[set[str]] = [set() for _ in text]
    for check in checks:
        if check.get("ok", True) and not check.get("warning"):
            continue
        for span in check.get("spans", []):
            if span.get("part") != part:
                continue
            for index in range(max(span["start"], 0), min(span["end"], len(text))):
                flags[index].add(check["name"])
    pieces: list[tuple[str, str]] = []
    start = 0
    for index in range(1, len(text) + 1):
        if index == len(text) or flags[index] != flags[start]:
            pieces.append((text[start:index], ", ".join(sorted(flags[start]))))
            start = index
    return pieces


templates.env.filters["when"] = when
templates.env.filters["their_time"] = their_time


def web_url(value: object) -> str | None:
    """A link target only when it is http(s): a stored ``javascript:`` or ``data:`` URL
    is never rendered as a link."""
    text = str(value or "").strip()
    return text if text.lower().startswith(("https://", "http://")) else None


templates.env.filters["web_url"] = web_url
templates.env.globals["REASONS"] = REASONS
templates.env.globals["highlight"] = highlight


def page(
    request: Request,
    name: str,
    viewer: Viewer | None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    return templates.TemplateResponse(
        request, name, {"viewer": viewer, **context}, status_code=status_code
    )
