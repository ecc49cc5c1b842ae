"""The review queue in the browser: the queue, an item, and the reviewer's actions.
Each route checks the session, the role and (for forms) the CSRF token, then calls one
service function."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from signalseq.delivery.mailboxes import workspace_mailboxes
from signalseq.drafting.library import workspace_library
from signalseq.errors import ConflictError, NotFoundError, PermissionDenied
from signalseq.review import queue, views
from signalseq.review.policy import ReviewPolicy
from signalseq.rules.watcher import review_policy
from signalseq.web import security
from signalseq.web.security import Viewer, require_viewer
from signalseq.web.templating import page

router = APIRouter(include_in_schema=False)
ANYONE = ("reviewer", "rules_author", "admin")
DONE = {
    "approved": "Approved.",
    "recalled": "Approval recalled: the draft is back in the queue.",
    "rejected_offline": "Rejected. The offline drafter cannot read comments: the redraft comes "
    "back in other words, not with your change; edit it when it returns (or set "
    "SIGNALSEQ_LLM_BASE_URL to draft with a model).",
    "edited": "Edit saved; it waits for a second reviewer (four eyes).",
    "edited_approved": "Edit saved and approved.",
    "rejected": "Rejected.",
}


def _policy(request: Request) -> ReviewPolicy:
    return review_policy(security.app_state(request).workspace())


def _reviewer(viewer: Viewer) -> queue.Reviewer:
    return queue.Reviewer(viewer.username, viewer.role)


@router.get("/")
def home() -> Response:
    return RedirectResponse("/queue", status_code=303)


@router.get("/queue")
def queue_page(
    request: Request,
    viewer: Viewer = Depends(require_viewer),
    sequence: str | None = None,
    rule: str | None = None,
    tier: str | None = None,
    reason: str | None = None,
    after: str | None = None,
    done: str | None = None,
) -> Response:
    security.require_role(viewer, *ANYONE)
    state = security.app_state(request)
    filters = views.Filters(sequence, rule, tier, reason)
    with state.database.unit_of_work() as session:
        result = views.queue_page(session, state.clock.now(), filters, after)
    return page(request, "queue.html", viewer, page=result, message=DONE.get(done or ""))


@router.post("/queue/bulk-approve")
def bulk_approve(
    request: Request,
    viewer: Viewer = Depends(require_viewer),
    csrf_token: str = Form(""),
    item: list[int] = Form(default_factory=list),
) -> Response:
    security.check_csrf(viewer, csrf_token)
    state = security.app_state(request)
    with state.database.unit_of_work() as session:
        report = queue.bulk_approve(
            session, item, _reviewer(viewer), _policy(request), state.clock.now()
        )
        result = views.queue_page(session, state.clock.now())
    message = f"Approved {len(report.approved)}."
    refused = "; ".join(f"#{k}: {v}" for k, v in sorted(report.refused.items()))
    return page(
        request,
        "queue.html",
        viewer,
        page=result,
        message=message,
        error=f"Not approved: {refused}" if refused else None,
    )


def _item_page(
    request: Request, viewer: Viewer, item_id: int, status_code: int = 200, **extra: Any
) -> Response:
    state = security.app_state(request)
    policy = _policy(request)
    now = state.clock.now()
    rules = state.rules()
    mailboxes = workspace_mailboxes(rules.workspace, rules.prompts.sender, state.settings)
    with state.database.unit_of_work() as session:
        view = views.item_view(
            session, item_id, now, mailboxes, timedelta(minutes=policy.lease_minutes)
        )
    claimed_by = view["item"]["claimed_by"]
    can_act = viewer.role in policy.approvers and claimed_by in (None, viewer.username)
    # four eyes: whoever edited the text is not the one who approves it
    second_pair = policy.four_eyes and view["last_editor"] == viewer.username
    return page(
        request,
        "item.html",
        viewer,
        status_code=status_code,
        v=view,
        can_act=can_act,
        can_approve=can_act and not second_pair,
        approvers=policy.approvers,
        reject_reasons=policy.reject_reasons,
        **extra,
    )


@router.get("/queue/items/{item_id}")
def item_page(
    request: Request, item_id: int, viewer: Viewer = Depends(require_viewer), done: str = ""
) -> Response:
    """Open an item. Opening claims nothing (paging through the queue locks no one out):
    a claim is taken by acting on it or by pressing Claim."""
    security.require_role(viewer, *ANYONE)
    return _item_page(request, viewer, item_id, message=DONE.get(done))


@router.post("/queue/items/{item_id}/claim")
def claim(
    request: Request,
    item_id: int,
    viewer: Viewer = Depends(require_viewer),
    csrf_token: str = Form(""),
    release: str = Form(""),
) -> Response:
    """Claim the item for the lease, or (``release``) let it go; an admin's release of
    someone else's claim is a take-over."""
    security.check_csrf(viewer, csrf_token)
    state = security.app_state(request)
    try:
        with state.database.unit_of_work() as session:
            if release:
                queue.release_claim(session, item_id, _reviewer(viewer), _policy(request),
                                    state.clock.now())  # fmt: skip
            else:
                queue.claim(session, item_id, _reviewer(viewer), _policy(request),
                            state.clock.now())  # fmt: skip
    except (ConflictError, PermissionDenied) as exc:
        return _refused(request, viewer, item_id, exc)
    return RedirectResponse(f"/queue/items/{item_id}", status_code=303)


@router.get("/queue/items/{item_id}/next")
def next_item(
    request: Request, item_id: int, viewer: Viewer = Depends(require_viewer), done: str = ""
) -> Response:
    state = security.app_state(request)
    with state.database.unit_of_work() as session:
        following = views.next_pending(session, item_id)
    suffix = f"?done={done}" if done in DONE else ""
    target = f"/queue/items/{following}{suffix}" if following else f"/queue{suffix}"
    return RedirectResponse(target, status_code=303)


def _after(item_id: int, done: str) -> Response:
    return RedirectResponse(f"/queue/items/{item_id}/next?done={done}", status_code=303)


def _refused(
    request: Request, viewer: Viewer, item_id: int, exc: Exception, **extra: Any
) -> Response:
    status = 403 if isinstance(exc, PermissionDenied) else getattr(exc, "http_status", 409)
    return _item_page(request, viewer, item_id, status_code=status, error=str(exc), **extra)


@router.post("/queue/items/{item_id}/recall")
def recall(
    request: Request,
    item_id: int,
    viewer: Viewer = Depends(require_viewer),
    csrf_token: str = Form(""),
) -> Response:
    """Take an approval back before the send starts; the new item opens."""
    security.check_csrf(viewer, csrf_token)
    state = security.app_state(request)
    try:
        with state.database.unit_of_work() as session:
            fresh = queue.recall(session, item_id, _reviewer(viewer), _policy(request),
                                 state.clock.now())  # fmt: skip
            fresh_id = fresh.id
    except (ConflictError, PermissionDenied) as exc:
        return _refused(request, viewer, item_id, exc)
    return RedirectResponse(f"/queue/items/{fresh_id}?done=recalled", status_code=303)


@router.post("/queue/items/{item_id}/approve")
def approve(
    request: Request,
    item_id: int,
    viewer: Viewer = Depends(require_viewer),
    csrf_token: str = Form(""),
    content_sha256: str = Form(""),
    override: str = Form(""),
) -> Response:
    security.check_csrf(viewer, csrf_token)
    state = security.app_state(request)
    try:
        with state.database.unit_of_work() as session:
            queue.approve(
                session,
                item_id,
                _reviewer(viewer),
                _policy(request),
                content_sha256,
                state.clock.now(),
                override=override,
            )
    except (ConflictError, PermissionDenied) as exc:
        return _refused(request, viewer, item_id, exc)
    return _after(item_id, "approved")


@router.post("/queue/items/{item_id}/edit")
def edit(
    request: Request,
    item_id: int,
    viewer: Viewer = Depends(require_viewer),
    csrf_token: str = Form(""),
    content_sha256: str = Form(""),
    subject: str | None = Form(None),
    body: str = Form(""),
) -> Response:
    security.check_csrf(viewer, csrf_token)
    state = security.app_state(request)
    library = workspace_library(state.workspace())
    try:
        with state.database.unit_of_work() as session:
            outcome = queue.edit(
                session,
                item_id,
                _reviewer(viewer),
                _policy(request),
                content_sha256,
                subject,
                body.replace("\r\n", "\n"),
                library,
                state.clock.now(),
            )
    except (ConflictError, PermissionDenied) as exc:
        failed = exc.report.as_list() if isinstance(exc, queue.GuardrailsFailed) else None
        return _refused(
            request,
            viewer,
            item_id,
            exc,
            edit_open=True,
            edit_subject=subject,
            edit_body=body,
            edit_report=failed,
        )
    return _after(item_id, "edited_approved" if outcome.approved else "edited")


@router.post("/queue/items/{item_id}/reject")
def reject(
    request: Request,
    item_id: int,
    viewer: Viewer = Depends(require_viewer),
    csrf_token: str = Form(""),
    reason: str = Form(""),
    comment: str = Form(""),
    then: str = Form("redraft"),
) -> Response:
    security.check_csrf(viewer, csrf_token)
    state = security.app_state(request)
    try:
        with state.database.unit_of_work() as session:
            queue.reject(
                session,
                item_id,
                _reviewer(viewer),
                _policy(request),
                reason,
                comment,
                then,
                state.clock.now(),
            )
    except (ConflictError, PermissionDenied) as exc:
        return _refused(request, viewer, item_id, exc, reject_open=True)
    offline = then == "redraft" and not state.settings.llm_base_url
    return _after(item_id, "rejected_offline" if offline else "rejected")


@router.get("/contacts/{contact_id}")
def contact_timeline(
    request: Request, contact_id: int, viewer: Viewer = Depends(require_viewer)
) -> Response:
    from signalseq.crm.models import Contact
    from signalseq.decisions.explain import timeline_of

    security.require_role(viewer, *ANYONE)
    state = security.app_state(request)
    with state.database.unit_of_work() as session:
        contact = session.get(Contact, contact_id)
        if contact is None:
            raise NotFoundError(f"no contact {contact_id}")
        data = timeline_of(session, contact)
    return page(request, "contact.html", viewer, t=data)
