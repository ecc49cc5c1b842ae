"""Tasks in the browser: call and LinkedIn steps with their script or message, and
replies to answer; done or skip, with a note."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from signalseq.enrollments.service import Calendars
from signalseq.errors import NotFoundError
from signalseq.tasks import service
from signalseq.web import security
from signalseq.web.security import Viewer, require_viewer
from signalseq.web.templating import page

router = APIRouter(include_in_schema=False)
PEOPLE = ("reviewer", "admin")  # rules authors read; reps (reviewers) and admins act


@router.get("/tasks")
def tasks_page(
    request: Request,
    viewer: Viewer = Depends(require_viewer),
    owner: str | None = None,
    state: str = "open",
    overdue: bool = False,
    mine: bool = False,
    done: str | None = None,
) -> Response:
    app = security.app_state(request)
    config = app.workspace().config
    now = app.clock.now()
    if state not in ("open", "done", "skipped", "cancelled", "all"):
        state = "open"
    with app.database.unit_of_work() as session:
        calendars = Calendars(session, config.default_timezone, config.default_country)
        rows = service.list_tasks(
            session,
            lambda contact_id: calendars.of(contact_id).local_date(now),
            owner=viewer.username if mine else (owner or None),
            state=state,
            overdue_only=overdue,
        )
    message = {"done": "Task done.", "skipped": "Task skipped."}.get(done or "")
    return page(
        request, "tasks.html", viewer, tasks=rows, owner=owner or "", state=state,
        overdue=overdue, mine=mine, message=message,
    )  # fmt: skip


OUTCOMES = {"done": "done", "skip": "skipped"}


@router.post("/tasks/{task_id}/{action}")
def close_task(
    request: Request,
    task_id: int,
    action: str,
    viewer: Viewer = Depends(require_viewer),
    csrf_token: str = Form(""),
    note: str = Form(""),
    back: str = Form(""),
) -> Response:
    """Done or skip (with an optional note); a step's sequence moves on. The list comes
    back with its filters, at the task that followed (not at the top)."""
    security.check_csrf(viewer, csrf_token)
    security.require_role(viewer, *PEOPLE)
    outcome = OUTCOMES.get(action)
    if outcome is None:
        raise NotFoundError(f"no action {action!r} on a task")
    app = security.app_state(request)
    with app.database.unit_of_work() as session:
        service.close(session, task_id, outcome, viewer.username, note or None, app.clock.now())
    query, _, anchor = back.partition("#")
    query = "&".join(p for p in query.split("&") if p and not p.startswith("done="))
    target = f"/tasks?{query + '&' if query else ''}done={outcome}"
    if anchor.startswith("task-") and anchor[5:].isdigit():
        target += f"#{anchor}"
    return RedirectResponse(target, status_code=303)
