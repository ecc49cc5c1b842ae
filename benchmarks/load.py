"""The signal webhook under sustained load while a worker runs.

`signalseq serve` (uvicorn, its own process) and `signalseq worker` (its own process,
deciding what arrives) run on one SQLite store; a third process posts signed signals
over loopback from 8 threads for BENCH_LOAD_SECONDS (default 60; at most
BENCH_LOAD_REQUESTS, default 50,000). Printed: requests per second in each tenth of the
run (is the rate held?), p50/p99 latency, and signals accepted vs stored (none lost).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import table  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from signalseq.signals.models import Signal  # noqa: E402
from signalseq.signals.webhooks import sign  # noqa: E402
from signalseq.store.db import Database  # noqa: E402

SECONDS = float(os.environ.get("BENCH_LOAD_SECONDS", "60"))
MAX_REQUESTS = int(os.environ.get("BENCH_LOAD_REQUESTS", "50000"))
THREADS = 8
SECRET = "load-benchmark-secret-0123456789"


def _port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _load(url: str, results: object) -> None:
    """The second process: post signed signals until the time or the count runs out."""
    import httpx

    latencies: list[float] = []
    stamps: list[float] = []
    accepted = 0
    errors = 0
    lock = threading.Lock()
    counter = iter(range(MAX_REQUESTS))
    began = time.perf_counter()

    def run() -> None:
        nonlocal accepted, errors
        with httpx.Client(timeout=30) as client:
            while time.perf_counter() - began < SECONDS:
                try:
                    n = next(counter)
                except StopIteration:
                    return
                body = json.dumps({
                    "kind": "website_visit", "occurred_at": "2026-11-20T10:00:00Z",
                    "source_event_id": f"load-{n}",
                    "company": {"name": f"Load {n % 500}", "domain": f"load{n % 500}.example"},
                    "attributes": {"path": "/pricing", "page_category": "pricing"},
                }).encode()  # fmt: skip
                stamp = int(time.time())
                headers = {"X-Signalseq-Source": "hook", "X-Signalseq-Timestamp": str(stamp),
                           "X-Signalseq-Signature": sign(SECRET, stamp, body),
                           "Content-Type": "application/json"}  # fmt: skip
                start = time.perf_counter()
                response = client.post(url, content=body, headers=headers)
                took = time.perf_counter() - start
                with lock:
                    latencies.append(took)
                    stamps.append(start - began)
                    if response.status_code == 200 and response.json()["accepted"] == 1:
                        accepted += 1
                    else:
                        errors += 1

    threads = [threading.Thread(target=run) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results.put({"latencies": latencies, "stamps": stamps, "accepted": accepted,  # type: ignore[attr-defined]
                 "errors": errors, "seconds": time.perf_counter() - began})  # fmt: skip


def main() -> None:
    base = Path(tempfile.mkdtemp())
    root = base / "ws"
    (root / "connectors").mkdir(parents=True)
    (root / "workspace.yaml").write_text("name: load\n")
    (root / "connectors" / "hook.yaml").write_text("type: webhook\nsecret_env: LOAD_SECRET\n")
    url = f"sqlite:///{base / 'load.db'}"
    Database(url).dispose()  # migrated before the processes start
    env = {**os.environ, "LOAD_SECRET": SECRET, "SIGNALSEQ_DATABASE_URL": url,
           "SIGNALSEQ_WORKSPACE": str(root), "SIGNALSEQ_WORKER_POLL_SECONDS": "1",
           "SIGNALSEQ_SECRET_KEY": "load-benchmark-key-0123456789"}  # fmt: skip
    cli = str(Path(sys.executable).with_name("signalseq"))
    port = _port()
    server = subprocess.Popen([cli, "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    worker = subprocess.Popen([cli, "worker"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                time.sleep(0.2)
        context = multiprocessing.get_context("spawn")
        results = context.Queue()
        loader = context.Process(
            target=_load, args=(f"http://127.0.0.1:{port}/api/v1/signals", results)
        )
        loader.start()
        outcome = results.get(timeout=SECONDS + 300)
        loader.join()
    finally:
        for process in (server, worker):
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=60)
    database = Database(url)
    with database.unit_of_work(read_only=True) as session:
        stored = session.scalar(select(func.count()).select_from(Signal)) or 0
        decided = (
            session.scalar(
                select(func.count()).select_from(Signal).where(Signal.decided_at.is_not(None))
            )
            or 0
        )
    latencies = sorted(outcome["latencies"])
    total = len(latencies)
    seconds = outcome["seconds"]
    tenth = seconds / 10
    per_tenth = [sum(1 for s in outcome["stamps"] if i * tenth <= s < (i + 1) * tenth) / tenth
                 for i in range(10)]  # fmt: skip
    print(f"Signal webhook on SQLite, {THREADS} client threads in a second process, a worker "
          f"deciding meanwhile, {seconds:.0f} s:")  # fmt: skip
    print(table([
        ("requests", "req/s", "p50 (ms)", "p99 (ms)", "accepted", "stored", "lost", "errors", "decided"),
        (f"{total:,}", f"{total / seconds:.0f}",
         f"{statistics.median(latencies) * 1000:.1f}",
         f"{latencies[int(0.99 * (total - 1))] * 1000:.1f}",
         f"{outcome['accepted']:,}", f"{stored:,}", f"{outcome['accepted'] - stored:,}",
         str(outcome["errors"]), f"{decided:,}"),
    ]))  # fmt: skip
    print("req/s per tenth of the run: " + ", ".join(f"{r:.0f}" for r in per_tenth))
    print(f"slowest tenth / fastest tenth: {min(per_tenth) / max(per_tenth):.2f}")
    assert stored == outcome["accepted"], "every accepted signal was stored"


if __name__ == "__main__":
    main()
