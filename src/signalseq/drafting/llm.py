"""Drafting with a model behind any OpenAI-compatible endpoint (OpenAI, Azure OpenAI,
Ollama, vLLM, llama.cpp).

Two kinds of failure, two kinds of retry, never multiplied:

* transport (429 — honouring Retry-After —, 5xx, timeouts, dropped connections): the
  ``openai`` client's own retries (``SIGNALSEQ_LLM_MAX_RETRIES``); if they run out the
  touch stays in drafting and a later tick tries again;
* content (not JSON, cut off at max_tokens, a failed guardrail): asked again with the
  failure fed back, at most :data:`MAX_REASKS` times (tenacity). A draft that still fails
  is kept, flagged, and goes to a person — never released automatically.

Structured output: the request carries the strict JSON schema of :class:`DraftOutput`,
built once with the ``openai`` client's own helper, and the answer is read from the raw
response. (``chat.completions.parse`` rebuilds the schema on every call and builds a typed
completion we never read: about 3 ms of CPU per request on the benchmark's machine, four
times all the guardrails, and the event loop is what limits throughput.) Servers that
ignore the schema are read leniently (a ``<think>`` block and code fences stripped, the
first complete object taken, a single nested object unwrapped).
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import openai
from openai import AsyncOpenAI
from openai.lib._parsing._completions import type_to_response_format_param
from pydantic import BaseModel, Field, ValidationError
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt

from signalseq.drafting.checks import Check, GuardrailReport
from signalseq.drafting.service import DraftingUnavailable, DraftJob, DraftResult
from signalseq.settings import Settings

MAX_REASKS = 2
_FENCE = re.compile(r"^\s*```(?:json|JSON)?\s*\n?(.*?)\n?\s*```\s*$", re.DOTALL)


class DraftOutput(BaseModel):
    """What the model must answer."""

    subject: str | None = Field(default=None, description="email subject; null otherwise")
    body: str = Field(description="the message text, plain text, no placeholders")


RESPONSE_FORMAT = type_to_response_format_param(DraftOutput)


class ContentFailure(Exception):
    def __init__(self, reason: str, answer: str, draft: DraftOutput | None = None):
        super().__init__(reason)
        self.reason = reason
        self.answer = answer
        self.draft = draft
        self.report: GuardrailReport | None = None


@dataclass
class _Stats:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    transport_retries: int = 0
    request_id: str | None = None
    model: str | None = None
    failures: list[str] = field(default_factory=list)


_THINKING = re.compile(r"<think(?:ing)?>.*?</think(?:ing)?>", re.DOTALL | re.IGNORECASE)
_MAX_OBJECT_STARTS = 20


def lenient_parse(content: str) -> DraftOutput:
    """A draft from text that should be JSON, as models answer it: a ``<think>`` block
    before it, code fences, prose around it, two objects (the first complete one wins),
    or the draft one level down (``{"email": {"subject": …, "body": …}}``)."""
    text = _THINKING.sub("", content).strip()
    fenced = _FENCE.match(text)
    if fenced:
        text = fenced.group(1).strip()
    value = _first_object(text)
    if value is None:
        return DraftOutput.model_validate_json(text)  # raises with the reason
    if "body" not in value and len(value) == 1:
        inner = next(iter(value.values()))
        if isinstance(inner, dict):
            value = inner
    return DraftOutput.model_validate(value)


def _first_object(text: str) -> dict[str, Any] | None:
    decoder = json.JSONDecoder()
    start = text.find("{")
    for _ in range(_MAX_OBJECT_STARTS):
        if start < 0:
            return None
        try:
            value, _end = decoder.raw_decode(text, start)
        except ValueError:
            start = text.find("{", start + 1)
            continue
        if isinstance(value, dict):
            return value
        start = text.find("{", start + 1)
    return None


@dataclass
class OpenAIDrafter:
    base_url: str
    api_key: str | None
    model: str
    concurrency: int = 8
    timeout: float = 60.0
    max_retries: int = 2
    name: str = "openai"

    @classmethod
    def from_settings(cls, settings: Settings) -> OpenAIDrafter:
        assert settings.llm_base_url
        return cls(
            base_url=settings.llm_base_url,
            api_key=settings.llm_api_key.get_secret_value() if settings.llm_api_key else None,
            model=settings.llm_model,
            concurrency=settings.llm_concurrency,
            timeout=settings.llm_timeout,
            max_retries=settings.llm_max_retries,
        )

    @property
    def endpoint_host(self) -> str:
        parts = urlsplit(self.base_url)
        return parts.hostname + (f":{parts.port}" if parts.port else "") if parts.hostname else ""

    async def draft_many(self, jobs: Sequence[DraftJob]) -> list[DraftResult | BaseException]:
        """All jobs, at most ``concurrency`` requests in flight. The client and the
        semaphore belong to this event loop."""
        semaphore = asyncio.Semaphore(self.concurrency)
        async with AsyncOpenAI(
            base_url=self.base_url,
            api_key=self.api_key or "not-needed",
            timeout=self.timeout,
            max_retries=self.max_retries,
        ) as client:
            return list(
                await asyncio.gather(
                    *(self._draft(client, semaphore, job) for job in jobs),
                    return_exceptions=True,
                )
            )

    async def _draft(
        self, client: AsyncOpenAI, semaphore: asyncio.Semaphore, job: DraftJob
    ) -> DraftResult:
        started = time.perf_counter()
        stats = _Stats()
        messages: list[dict[str, str]] = list(job.rendered.messages)
        last: ContentFailure | None = None
        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(1 + MAX_REASKS),
                retry=retry_if_exception_type(ContentFailure),
                reraise=True,
            ):
                with attempt:
                    if last is not None:
                        messages += _feedback(last)
                    try:
                        answer = await self._ask(client, semaphore, job, messages, stats)
                        subject, body, report = job.checked(answer.subject, answer.body)
                        if not report.passed:
                            failure = ContentFailure(
                                report.feedback(), answer.model_dump_json(), answer
                            )
                            failure.report = report
                            raise failure
                    except ContentFailure as failure:
                        stats.failures.append(failure.reason)
                        last = failure
                        raise
            return self._result(job, subject, body, report, stats, started)
        except ContentFailure as failure:
            return self._flagged(job, failure, stats, started)

    async def _ask(
        self,
        client: AsyncOpenAI,
        semaphore: asyncio.Semaphore,
        job: DraftJob,
        messages: list[dict[str, str]],
        stats: _Stats,
    ) -> DraftOutput:
        prompt = job.prompt
        try:
            async with semaphore:
                raw = await client.chat.completions.with_raw_response.create(
                    model=prompt.model or self.model,
                    messages=messages,  # type: ignore[arg-type]
                    response_format=RESPONSE_FORMAT,
                    temperature=prompt.temperature,
                    max_tokens=prompt.max_tokens,
                )
        except (openai.APIConnectionError, openai.APIStatusError) as exc:
            raise DraftingUnavailable(f"{self.endpoint_host}: {_describe(exc)}") from exc
        stats.transport_retries += raw.retries_taken
        stats.request_id = raw.headers.get("x-request-id") or stats.request_id
        payload = _json(raw.http_response.content)
        usage = _object(payload.get("usage"))
        stats.prompt_tokens += int(usage.get("prompt_tokens") or 0)
        stats.completion_tokens += int(usage.get("completion_tokens") or 0)
        stats.model = payload.get("model") or stats.model
        choices = payload.get("choices")
        choice = _object(choices[0] if isinstance(choices, list) and choices else None)
        message = _object(choice.get("message"))
        content = str(message.get("content") or "")
        finish = choice.get("finish_reason")
        if finish == "length":
            raise ContentFailure(
                "the answer was cut off at max_tokens: write a shorter draft", content
            )
        if finish == "content_filter":
            raise ContentFailure("the answer was stopped by a content filter", content)
        if message.get("refusal"):
            raise ContentFailure(f"refused: {message['refusal']}", content)
        try:
            return lenient_parse(content)
        except ValidationError as exc:
            first = exc.errors()[0]
            raise ContentFailure(
                f"the answer is not a JSON object with subject and body ({first['msg']})",
                content,
            ) from exc

    def _result(
        self,
        job: DraftJob,
        subject: str | None,
        body: str,
        report: GuardrailReport,
        stats: _Stats,
        started: float,
    ) -> DraftResult:
        return DraftResult(
            subject,
            body,
            report,
            drafter=self.name,
            model=stats.model or job.prompt.model or self.model,
            endpoint_host=self.endpoint_host,
            prompt_tokens=stats.prompt_tokens,
            completion_tokens=stats.completion_tokens,
            latency_ms=round((time.perf_counter() - started) * 1000),
            retries=max(len(stats.failures) - (0 if report.passed else 1), 0),
            transport_retries=stats.transport_retries,
            request_id=stats.request_id,
            failures=list(stats.failures),
        )

    def _flagged(
        self, job: DraftJob, failure: ContentFailure, stats: _Stats, started: float
    ) -> DraftResult:
        """The last answer, kept for a person to fix: the guardrails as they came out, or
        (no usable draft at all) the raw answer with the reason."""
        if failure.draft is not None:
            subject, body, report = job.checked(failure.draft.subject, failure.draft.body)
        else:
            subject, body = None, failure.answer
            report = GuardrailReport((Check("format", False, failure.reason),))
        return self._result(job, subject, body, report, stats, started)


def _feedback(failure: ContentFailure) -> list[dict[str, str]]:
    return [
        {"role": "assistant", "content": failure.answer or "(empty)"},
        {
            "role": "user",
            "content": f"That draft was rejected: {failure.reason}. Write it again, fixing "
            "exactly that, using only facts from the research context and the sender "
            "profile. Answer with the JSON object only.",
        },
    ]


def _json(content: bytes) -> dict[str, Any]:
    try:
        return _object(json.loads(content))
    except ValueError:
        return {}


def _object(value: object) -> dict[str, Any]:
    """A JSON object from a hostile answer, or an empty one."""
    return value if isinstance(value, dict) else {}


def _describe(exc: Exception) -> str:
    if isinstance(exc, openai.APITimeoutError):
        return "timed out"
    if isinstance(exc, openai.APIStatusError):
        return f"HTTP {exc.status_code}"
    return "cannot connect"
