"""Drafting throughput against a loopback OpenAI-compatible server with a fixed latency.

1,000 drafts at concurrency 32 against a server that answers each request after 200 ms.
The ideal is concurrency ÷ latency = 160 drafts/s; the figure that matters is the
measured throughput as a fraction of it (target ≥ 0.9). The offline drafter is measured
on the same jobs for comparison.
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


def main() -> None:
    jobs = [job_for(touch_id=i) for i in range(DRAFTS)]
    for job in jobs:  # a different contact each time: nothing per-touch is cached
        job.context.data["contact"]["full_name"] = f"Ada Example {job.touch_id}"
    with server_process(draft_json(GOOD_SUBJECT, GOOD_BODY)) as url:
        drafter = OpenAIDrafter(base_url=url, api_key=None, model="bench", concurrency=CONCURRENCY)
        started = time.perf_counter()
        results = asyncio.run(drafter.draft_many(jobs))
        elapsed = time.perf_counter() - started
        bare = asyncio.run(bare_client(url, jobs))
    passed = sum(isinstance(r, DraftResult) and r.guardrails.passed for r in results)
    offline_started = time.perf_counter()
    offline = asyncio.run(OfflineDrafter().draft_many(jobs))
    offline_elapsed = time.perf_counter() - offline_started
    ideal = CONCURRENCY / LATENCY
    rate = DRAFTS / elapsed
    print(
        table(
            [
                ("drafter", "drafts", "seconds", "drafts/s", "of ideal", "passed guardrails"),
                (
                    f"openai (c={CONCURRENCY}, {LATENCY * 1000:.0f} ms)",
                    str(DRAFTS),
                    f"{elapsed:.2f}",
                    f"{rate:.1f}",
                    f"{rate / ideal:.3f}",
                    str(passed),
                ),
                (
                    "openai client alone (same requests, nothing else)",
                    str(DRAFTS),
                    f"{bare:.2f}",
                    f"{DRAFTS / bare:.1f}",
                    f"{DRAFTS / bare / ideal:.3f}",
                    "—",
                ),
                (
                    "offline",
                    str(DRAFTS),
                    f"{offline_elapsed:.2f}",
                    f"{DRAFTS / offline_elapsed:.1f}",
                    "—",
                    str(sum(isinstance(r, DraftResult) and r.guardrails.passed for r in offline)),
                ),
            ]
        )
    )
    print(
        f"ideal {ideal:.0f} drafts/s (concurrency ÷ latency); measured {rate:.1f}/s = "
        f"{rate / ideal:.3f} of ideal (target ≥ 0.9)"
    )


if __name__ == "__main__":
    main()
