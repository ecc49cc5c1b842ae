"""Drafting throughput against a loopback OpenAI-compatible server with a fixed latency.

1,000 drafts at concurrency 32 against a server that answers each request after 200 ms.
The ideal is concurrency ÷ latency = 160 drafts/s; the figure that matters is the
measured throughput as a fraction of it. The event loop is CPU-bound well before the
ideal (the ``openai`` client itself costs a few ms per request), so the bare client on
the same requests is measured beside it, and the two run interleaved for
``BENCH_DRAFT_ROUNDS`` rounds (default 3): a shared machine only ever slows a run down,
so each is reported by its fastest round (as ``timeit`` does), with the range. The
offline drafter is measured on the same jobs for comparison.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import table  # noqa: E402
from openai import AsyncOpenAI  # noqa: E402
from tests.drafting_support import GOOD_BODY, GOOD_SUBJECT, job_for  # noqa: E402
from tests.openai_server import draft_json  # noqa: E402

from signalseq.drafting.llm import DraftOutput, OpenAIDrafter  # noqa: E402
from signalseq.drafting.service import DraftJob, DraftResult, OfflineDrafter  # noqa: E402

DRAFTS = int(os.environ.get("BENCH_DRAFTS", "1000"))
CONCURRENCY = int(os.environ.get("BENCH_DRAFT_CONCURRENCY", "32"))
ROUNDS = int(os.environ.get("BENCH_DRAFT_ROUNDS", "3"))
LATENCY = 0.2


@contextmanager
def server_process(answer: str) -> Iterator[str]:
    """The fake endpoint in a process of its own: in this process its threads would take
    the GIL from the client being measured."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        handle.write(answer)
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.openai_server", str(LATENCY), handle.name],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        yield process.stdout.readline().strip()
    finally:
        process.terminate()
        process.wait()
        os.unlink(handle.name)


async def bare_client(url: str, jobs: list[DraftJob]) -> float:
    """The ceiling the client library itself allows: the same parse() calls, no
    guardrails, no bookkeeping."""
    semaphore = asyncio.Semaphore(CONCURRENCY)
    async with AsyncOpenAI(base_url=url, api_key="bench") as client:

        async def one(job: DraftJob) -> None:
            async with semaphore:
                await client.chat.completions.parse(
                    model="bench",
                    messages=job.rendered.messages,  # type: ignore[arg-type]
                    response_format=DraftOutput,
                )

        started = time.perf_counter()
        await asyncio.gather(*(one(job) for job in jobs))
        return time.perf_counter() - started


def fresh_jobs() -> list[DraftJob]:
    """A different contact each time, and new jobs each round: nothing is cached across
    drafts of one contact or across rounds (the facts of a job are built once per job)."""
    jobs = [job_for(touch_id=i) for i in range(DRAFTS)]
    for job in jobs:
        job.context.data["contact"]["full_name"] = f"Ada Example {job.touch_id}"
    return jobs


async def signalseq_drafter(url: str, jobs: list[DraftJob]) -> tuple[float, int]:
    drafter = OpenAIDrafter(base_url=url, api_key=None, model="bench", concurrency=CONCURRENCY)
    started = time.perf_counter()
    results = await drafter.draft_many(jobs)
    elapsed = time.perf_counter() - started
    return elapsed, sum(isinstance(r, DraftResult) and r.guardrails.passed for r in results)


def row(name: str, times: list[float], ideal: float | None, passed: str) -> tuple[str, ...]:
    best = min(times)
    span = f"{DRAFTS / max(times) / ideal:.3f}–{DRAFTS / best / ideal:.3f}" if ideal else "—"
    return (
        name,
        f"{best:.2f}",
        f"{DRAFTS / best:.1f}",
        f"{DRAFTS / best / ideal:.3f}" if ideal else "—",
        span,
        passed,
    )


def main() -> None:
    ours: list[float] = []
    bare: list[float] = []
    passed = set()
    with server_process(draft_json(GOOD_SUBJECT, GOOD_BODY)) as url:
        for round_ in range(ROUNDS):  # interleaved, the order alternating
            order = ("ours", "bare") if round_ % 2 == 0 else ("bare", "ours")
            for which in order:
                jobs = fresh_jobs()
                if which == "ours":
                    elapsed, ok = asyncio.run(signalseq_drafter(url, jobs))
                    ours.append(elapsed)
                    passed.add(ok)
                else:
                    bare.append(asyncio.run(bare_client(url, jobs)))
            print(
                f"round {round_ + 1}/{ROUNDS}: signalseq {ours[-1]:.2f} s, "
                f"client alone {bare[-1]:.2f} s",
                flush=True,
            )
    jobs = fresh_jobs()
    offline_started = time.perf_counter()
    offline = asyncio.run(OfflineDrafter().draft_many(jobs))
    offline_elapsed = time.perf_counter() - offline_started
    ideal = CONCURRENCY / LATENCY
    print(
        table(
            [
                (
                    "drafter",
                    "best s",
                    "drafts/s",
                    "of ideal",
                    f"range ({ROUNDS} rounds)",
                    "passed guardrails",
                ),
                row(
                    f"signalseq openai drafter (c={CONCURRENCY}, {LATENCY * 1000:.0f} ms)",
                    ours,
                    ideal,
                    "/".join(str(n) for n in sorted(passed)) + f" of {DRAFTS}",
                ),
                row("openai client alone (same requests, parse(), nothing else)", bare, ideal, "—"),
                row(
                    "offline",
                    [offline_elapsed],
                    None,
                    str(sum(isinstance(r, DraftResult) and r.guardrails.passed for r in offline)),
                ),
            ]
        )
    )
    rate = DRAFTS / min(ours)
    print(
        f"ideal {ideal:.0f} drafts/s (concurrency ÷ latency); signalseq {rate:.1f}/s = "
        f"{rate / ideal:.3f} of ideal, {min(bare) / min(ours):.2f}× the bare client's "
        "throughput (no lower than 0.83, the figure before the guardrails; first target 0.9)"
    )


if __name__ == "__main__":
    main()
