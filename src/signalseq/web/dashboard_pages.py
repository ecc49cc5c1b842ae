"""The dashboard: funnels per rule and per sequence, step reply rates as SVG charts,
holdouts, the review queue over time; every number links to the contacts behind it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from signalseq.delivery import breakers
from signalseq.enrollments.engagement import set_sentiment
from signalseq.metrics.repository import Filters, contacts_behind
from signalseq.metrics.service import build_report
from signalseq.web import charts, security
from signalseq.web.security import Viewer, require_viewer
from signalseq.web.templating import page

router = APIRouter(include_in_schema=False)
WINDOWS = {"7": 7, "30": 30, "90": 90, "all": None}


def _filters(request: Request, days: str, sequence: str | None, rule: str | None) -> Filters:
    now = security.app_state(request).clock.now()
    span = WINDOWS.get(days, 30)
    return Filters(now - timedelta(days=span) if span else None, sequence or None, rule or None)


def _unknown_filters(app: Any, sequence: str | None, rule: str | None) -> str | None:
    """A filter naming no rule or sequence of the workspace says so (empty tables alone
    read as "nothing happened")."""
    if not (sequence or rule):
        return None
    loaded = app.rules()
    problems = []
    rules = sorted(r.id for r in loaded.ruleset.rules)
    sequences = sorted(loaded.sequence_versions)
    if rule and rule not in rules:
        problems.append(f"no trigger rule named {rule!r} (rules: {', '.join(rules) or 'none'})")
    if sequence and sequence not in sequences:
        problems.append(
            f"no sequence named {sequence!r} (sequences: {', '.join(sequences) or 'none'})"
        )
    return "; ".join(problems) or None


@router.get("/dashboard")
def dashboard(
    request: Request,
    viewer: Viewer = Depends(require_viewer),
    days: str = "30",
    sequence: str | None = None,
    rule: str | None = None,
) -> Response:
    app = security.app_state(request)
    filters = _filters(request, days, sequence, rule)
    with app.database.unit_of_work(read_only=True) as session:
        report = build_report(session, filters, app.clock.now())
        alerts = breakers.paused(session)
    unknown = _unknown_filters(app, sequence, rule)
    step_charts: dict[str, Any] = {}
    for row in report.steps:
        name = f"{row['sequence']} / {row['branch']}"
        label = f"{row['step']} ({row['channel']})"
        value = row["reply_rate"] or 0.0
        note = f"{row['replies']}/{row['sent']} replied ({value * 100:.0f}%)"
        step_charts.setdefault(name, []).append((label, value, note))
    return page(
        request, "dashboard.html", viewer, report=report, days=days, alerts=alerts,
        sequence=sequence or "", rule=rule or "", error=unknown,
        step_charts={n: charts.bars(r, f"Reply rate per step: {n}") for n, r in step_charts.items()},
        queue_chart=charts.line(
            [(d["day"], d["pending"]) for d in report.review.get("queue_by_day", [])],
            "Review queue: items waiting at the end of each day",
        ),
    )  # fmt: skip


@router.get("/dashboard/contacts")
def drill_down(
    request: Request,
    viewer: Viewer = Depends(require_viewer),
    days: str = "30",
    rule: str | None = None,
    outcome: str | None = None,
    sequence: str | None = None,
    branch: str | None = None,
    step: str | None = None,
    prompt: str | None = None,
    event: str | None = None,
) -> Response:
    app = security.app_state(request)
    filters = _filters(request, days, None, None)
    with app.database.unit_of_work(read_only=True) as session:
        contacts = contacts_behind(
            session, filters, rule=rule, outcome=outcome, sequence=sequence, branch=branch,
            step=step, prompt=prompt, event=event,
        )  # fmt: skip
    what = " · ".join(
        f"{k} {v}"
        for k, v in (
            ("rule", rule),
            ("outcome", outcome),
            ("sequence", sequence),
            ("branch", branch),
            ("step", step),
            ("prompt", prompt),
            ("event", event),
        )  # fmt: skip
        if v
    )
    return page(request, "drilldown.html", viewer, contacts=contacts, what=what, days=days)


@router.post("/events/{event_id}/sentiment")
def correct_sentiment(
    request: Request,
    event_id: int,
    viewer: Viewer = Depends(require_viewer),
    csrf_token: str = Form(""),
    sentiment: str = Form(...),
    contact: int = Form(...),
) -> Response:
    """A reviewer's word on a reply (positive, negative, neutral) over the rules'."""
    security.check_csrf(viewer, csrf_token)
    security.require_role(viewer, "reviewer", "admin")
    app = security.app_state(request)
    with app.database.unit_of_work() as session:
        set_sentiment(session, event_id, sentiment, viewer.username)
    return RedirectResponse(f"/contacts/{contact}", status_code=303)
