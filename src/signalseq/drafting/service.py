"""Drafting a touch: gather its research context, render its prompt, have a drafter write
it, check it, store it with everything needed to audit it later.

Drafting runs in three steps so a slow model never holds a database transaction open:
:func:`prepare` (reads, in a transaction), :func:`run_drafts` (concurrent, outside any
transaction), :func:`store` (writes, in the touch's own transaction).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cached_property
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from signalseq.crm.models import Contact
from signalseq.drafting import hygiene, offline
from signalseq.drafting.checks import GuardrailReport
from signalseq.drafting.context import (
    VISIT_LOOKBACK,
    PreviousTouch,
    ResearchContext,
    Untrusted,
    assemble,
    fence,
)
from signalseq.drafting.grounding import Facts, facts_of
from signalseq.drafting.guardrails import check_draft
from signalseq.drafting.library import PromptLibrary
from signalseq.drafting.models import Draft, DraftRevision, content_sha256
from signalseq.drafting.prompts import PromptFile, RenderedPrompt, render
from signalseq.drafting.sender import SenderProfile
from signalseq.enrollments.models import Enrollment, Touch
from signalseq.errors import NotFoundError, SignalseqError
from signalseq.people import employments
from signalseq.review.models import latest_item
from signalseq.settings import Settings
from signalseq.signals.models import Signal


class DraftingUnavailable(SignalseqError):
    """The model endpoint could not be reached (after the client's own retries); the
    touch stays in drafting and is tried again on a later tick."""

    exit_code = 3
    code = "drafting_unavailable"


@dataclass(frozen=True)
class DraftJob:
    touch_id: int
    prompt: PromptFile
    rendered: RenderedPrompt
    context: ResearchContext
    sender: SenderProfile
    variant: int = 0  # how many versions came before: a redraft is written differently

    @property
    def threaded(self) -> bool:
        return bool(self.context.data["thread"]["continue"])

    @cached_property
    def facts(self) -> Facts:
        """What the draft is grounded in (built once: a job is checked once per wording)."""
        return facts_of(self.context.data)

    def checked(self, subject: str | None, body: str) -> tuple[str | None, str, GuardrailReport]:
        """The text as it would be sent (a threaded email keeps the thread's subject),
        and its guardrail results."""
        body = body.strip()
        subject = hygiene.clean_subject(subject) if subject else subject
        if self.threaded:
            subject = "Re: " + str(self.context.data["thread"]["subject"]).removeprefix("Re: ")
        elif self.prompt.output != "email":
            subject = subject or None
        report = check_draft(
            subject,
            body,
            prompt=self.prompt,
            sender=self.sender,
            facts=self.facts,
            threaded=self.threaded,
            instructions=self.rendered.messages[0]["content"],
            language=self.context.data["contact"].get("language"),
        )
        return subject, body, report


@dataclass
class DraftResult:
    subject: str | None
    body: str
    guardrails: GuardrailReport
    drafter: str
    model: str
    endpoint_host: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_ms: int = 0
    retries: int = 0  # re-asks after a content failure
    transport_retries: int = 0  # the client's own retries (429, 5xx, timeouts)
    request_id: str | None = None
    failures: list[str] = field(default_factory=list)  # why each re-ask happened


class Drafter(Protocol):
    name: str

    async def draft_many(self, jobs: Sequence[DraftJob]) -> list[DraftResult | BaseException]:
        """One result (or the exception that stopped it) per job, in order."""
        ...


OFFLINE_WORDINGS = 4


class OfflineDrafter:
    name = offline.NAME

    async def draft_many(self, jobs: Sequence[DraftJob]) -> list[DraftResult | BaseException]:
        return [self.draft(job) for job in jobs]

    def draft(self, job: DraftJob) -> DraftResult:
        """The first of a few wordings that passes every guardrail (deterministic: the
        same touch always gets the same one); if none does, the first, flagged."""
        started = time.perf_counter()
        step = job.context.data["step"]
        data = job.context.plain()
        first: tuple[str | None, str, GuardrailReport] | None = None
        for attempt in range(OFFLINE_WORDINGS):
            variant = job.variant + attempt * 1000  # never a later redraft's wording
            text = offline.draft(data, job.prompt.id, step["channel"], step["purpose"], variant)
            subject, body, report = job.checked(text.subject, text.body)
            first = first or (subject, body, report)
            if report.passed:
                break
        else:
            subject, body, report = first  # type: ignore[misc]
        return DraftResult(
            subject,
            body,
            report,
            drafter=self.name,
            model=offline.MODEL,
            latency_ms=round((time.perf_counter() - started) * 1000),
        )


def drafter_from_settings(settings: Settings) -> Drafter:
    if settings.llm_base_url:
        from signalseq.drafting.llm import OpenAIDrafter

        return OpenAIDrafter.from_settings(settings)
    return OfflineDrafter()


def prepare(session: Session, touch: Touch, library: PromptLibrary, now: datetime) -> DraftJob:
    enrollment = session.get(Enrollment, touch.enrollment_id)
    assert enrollment is not None
    contact = session.get(Contact, enrollment.contact_id)
    assert contact is not None
    account = employments.current_account(session, contact)
    signal = session.get(Signal, enrollment.signal_id) if enrollment.signal_id else None
    kind = signal.kind if signal is not None else None
    prompt = library.find(touch.prompt, touch.channel, touch.purpose, kind)
    context = assemble(
        touch=touch,
        contact=contact,
        account=account,
        signal=signal,
        visits=_visits(session, signal, now),
        previous=_previous(session, touch),
        sender=library.sender,
        prompt=prompt,
        now=now,
        previous_job=employments.previous(session, contact.id),
    )
    rendered = render(prompt, context.prompt_variables())
    earlier = session.scalar(select(Draft).where(Draft.touch_id == touch.id))
    if earlier is None:
        return DraftJob(touch.id, prompt, rendered, context, library.sender)
    note = _redraft_note(session, touch.id, earlier)
    if note:
        rendered = replace(rendered, redraft=note)
    return DraftJob(touch.id, prompt, rendered, context, library.sender, variant=earlier.version)


REDRAFT = (
    "A reviewer rejected the previous draft of this step. Write a new one that follows "
    "the reviewer's comment.\nReviewer's comment: {comment}\nThe rejected draft: {draft}"
)


def _redraft_note(session: Session, touch_id: int, earlier: Draft) -> str:
    """What the drafter is told when the latest decision on ``earlier`` was a rejection
    asking for a redraft: the reviewer's comment (a colleague's words, followed) and the
    rejected text (model output, fenced like any outside text)."""
    last = latest_item(session, touch_id)
    if last is None or last.resolution != "redraft" or last.draft_version != earlier.version:
        return ""
    comment = " ".join((last.comment or "").split())[:1000]
    rejected = Untrusted(f"{earlier.subject or ''} {earlier.body}", "rejected draft")
    return REDRAFT.format(comment=comment, draft=fence(rejected))


def _visits(session: Session, signal: Signal | None, now: datetime) -> list[Signal]:
    """The account's (else the visitor's) page views in the fortnight before now."""
    if signal is None or signal.kind != "website_visit":
        return []
    who = (
        Signal.account_id == signal.account_id
        if signal.account_id is not None
        else Signal.actor_key == signal.actor_key
    )
    rows = session.scalars(
        select(Signal)
        .where(
            Signal.kind == "website_visit",
            who,
            Signal.occurred_at >= signal.occurred_at - VISIT_LOOKBACK,
            Signal.occurred_at <= now,
        )
        .order_by(Signal.occurred_at.desc())
        .limit(20)
    )
    return list(rows) or [signal]


def _previous(session: Session, touch: Touch) -> list[PreviousTouch]:
    rows = session.execute(
        select(Touch, Draft)
        .join(Draft, Draft.touch_id == Touch.id)
        .where(
            Touch.enrollment_id == touch.enrollment_id,
            Touch.state == "sent",
            Touch.id != touch.id,
        )
        .order_by(Touch.sent_at, Touch.id)
    )
    return [
        PreviousTouch(t.step_id, t.channel, t.purpose, d.subject, d.body, t.sent_at)
        for t, d in rows
    ]


def run_drafts(drafter: Drafter, jobs: Sequence[DraftJob]) -> list[DraftResult | BaseException]:
    return asyncio.run(drafter.draft_many(jobs)) if jobs else []


def store(
    session: Session, touch: Touch, job: DraftJob, result: DraftResult, now: datetime
) -> Draft:
    """Save the draft as the touch's current text. A redraft adds a version: every
    earlier one stays in ``draft_revisions``, and any approval of it is void."""
    draft = session.scalar(select(Draft).where(Draft.touch_id == touch.id))
    if draft is None:
        draft = Draft(touch_id=touch.id, version=1)
        session.add(draft)
    else:
        draft.version += 1
    draft.subject = result.subject
    draft.body = result.body
    draft.drafter = result.drafter
    draft.prompt_id = job.prompt.id
    draft.prompt_version = job.prompt.version
    draft.template_sha256 = job.prompt.source_sha256
    draft.messages_sha256 = job.rendered.messages_sha256
    draft.model = result.model
    draft.endpoint_host = result.endpoint_host
    draft.prompt_tokens = result.prompt_tokens
    draft.completion_tokens = result.completion_tokens
    draft.latency_ms = result.latency_ms
    draft.retries = result.retries
    draft.transport_retries = result.transport_retries
    draft.request_id = result.request_id
    draft.guardrails = result.guardrails.as_list()
    draft.guardrails_passed = result.guardrails.passed
    draft.context = job.context.plain()
    draft.failures = list(result.failures)
    draft.content_sha256 = content_sha256(draft.subject, draft.body)
    draft.approved_sha256 = None
    draft.approved_by = None
    add_revision(session, draft, "drafted", result.drafter, now)
    return draft


def add_revision(
    session: Session, draft: Draft, kind: str, author: str, at: datetime
) -> DraftRevision:
    """Keep the draft's current text as its version ``draft.version``."""
    revision = DraftRevision(
        touch_id=draft.touch_id,
        version=draft.version,
        kind=kind,
        author=author,
        subject=draft.subject,
        body=draft.body,
        content_sha256=content_sha256(draft.subject, draft.body),
        guardrails=draft.guardrails,
        guardrails_passed=draft.guardrails_passed,
        created_at=at,
    )
    session.add(revision)
    return revision


def describe(draft: Draft, touch: Touch) -> dict[str, Any]:
    """A stored draft as people and scripts read it: text, guardrails, audit fields."""
    return {
        "touch_id": touch.id,
        "enrollment_id": touch.enrollment_id,
        "step": touch.step_id,
        "channel": touch.channel,
        "state": touch.state,
        "subject": draft.subject,
        "body": draft.body,
        "version": draft.version,
        "content_sha256": draft.content_sha256,
        "approved_sha256": draft.approved_sha256,
        "approved_by": draft.approved_by,
        "guardrails_passed": draft.guardrails_passed,
        "guardrails": draft.guardrails,
        "drafter": draft.drafter,
        "prompt": {"id": draft.prompt_id, "version": draft.prompt_version},
        "template_sha256": draft.template_sha256,
        "messages_sha256": draft.messages_sha256,
        "model": draft.model,
        "endpoint_host": draft.endpoint_host,
        "tokens": {"prompt": draft.prompt_tokens, "completion": draft.completion_tokens},
        "latency_ms": draft.latency_ms,
        "retries": draft.retries,
        "transport_retries": draft.transport_retries,
        "request_id": draft.request_id,
        "failures": draft.failures,
    }


def find_draft(session: Session, touch_id: int) -> tuple[Draft, Touch]:
    touch = session.get(Touch, touch_id)
    draft = session.scalar(select(Draft).where(Draft.touch_id == touch_id)) if touch else None
    if touch is None or draft is None:
        raise NotFoundError(f"touch {touch_id} has no draft yet")
    return draft, touch


def sample_drafts(session: Session, count: int = 2) -> list[dict[str, Any]]:
    """The first draft of each of the first ``count`` opener prompts (then any prompt):
    what the demo shows."""
    rows = session.execute(
        select(Draft, Touch)
        .join(Touch, Touch.id == Draft.touch_id)
        .order_by(Touch.purpose != "opener", Draft.id)
    )
    chosen: dict[str | None, dict[str, Any]] = {}
    for draft, touch in rows:
        if draft.prompt_id not in chosen:
            chosen[draft.prompt_id] = describe(draft, touch)
            if len(chosen) == count:
                break
    return list(chosen.values())
