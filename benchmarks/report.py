"""Report time as history grows.

Two SQLite stores hold the same last 30 days — 1,000 enrollments with 10,000 sent
touches, their decisions, drafts, replies, meetings and review items — and one of them
also holds 99,000 older enrollments with 990,000 touches (1,000,000 in all). The report
for the last 30 days (`report --since`, what the dashboard shows by default) is timed on
both: its queries start from indexed time columns, so the ratio should stay near 1.
The all-time report over the big store is timed too: it reads everything, by design.

BENCH_REPORT_ENROLLMENTS (default 100,000) sizes the big store; each enrollment has 10
touches.
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import table  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from signalseq.crm.models import Account, Contact  # noqa: E402
from signalseq.decisions.models import Decision  # noqa: E402
from signalseq.drafting.models import Draft  # noqa: E402
from signalseq.enrollments.models import EngagementEvent, Enrollment, Touch  # noqa: E402
from signalseq.metrics.repository import Filters  # noqa: E402
from signalseq.metrics.service import build_report  # noqa: E402
from signalseq.review.models import ReviewItem  # noqa: E402
from signalseq.signals.models import Signal  # noqa: E402
from signalseq.store.db import Database  # noqa: E402

BIG = int(os.environ.get("BENCH_REPORT_ENROLLMENTS", "100000"))
RECENT = 1_000
STEPS = 10
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
CHUNK = 20_000


def _chunks(rows: list[dict[str, object]]) -> list[list[dict[str, object]]]:
    return [rows[i : i + CHUNK] for i in range(0, len(rows), CHUNK)]


def seed(database: Database, enrollments: int) -> None:
    """``enrollments`` enrollments; the last RECENT of them in the last 30 days."""
    with database.unit_of_work() as session:
        session.execute(insert(Account), [{"id": 1, "name": "Bench", "normalized_name": "bench"}])
        session.execute(insert(Signal), [
            {"id": n, "kind": ("funding", "website_visit", "job_change")[n % 3],
             "source": f"source-{n % 4}", "source_event_id": str(n), "dedupe_key": str(n),
             "occurred_at": NOW - timedelta(days=300), "account_id": 1}
            for n in range(1, 1001)
        ])  # fmt: skip
    touch_id = 0
    for start in range(0, enrollments, CHUNK // STEPS):
        end = min(start + CHUNK // STEPS, enrollments)
        contacts, rows, decisions, touches, drafts, events, items = [], [], [], [], [], [], []
        for n in range(start, end):
            recent = n >= enrollments - RECENT
            at = NOW - timedelta(days=5 if recent else 200, minutes=n % 1440)
            eid = n + 1
            contacts.append({"id": eid, "email": f"p{n}@bench.example", "full_name": f"P {n}",
                             "account_id": 1})  # fmt: skip
            rule = f"rule-{n % 20}"
            rows.append({"id": eid, "contact_id": eid, "account_id": 1,
                         "sequence_id": f"seq-{n % 5}", "sequence_version": 1, "branch": "main",
                         "state": "active", "rule_id": rule, "signal_id": n % 1000 + 1,
                         "needs_review": False, "enrolled_at": at, "engagement_applied": []})  # fmt: skip
            decisions.append({"signal_id": n % 1000 + 1, "contact_id": eid, "account_id": 1,
                              "outcome": "held_out" if n % 10 == 0 else "enrolled",
                              "reason": "holdout" if n % 10 == 0 else "enrolled",
                              "rule_id": rule, "rules_version": "v", "sequence_id": f"seq-{n % 5}",
                              "branch": "main", "matched_rules": [], "trace": {},
                              "enrollment_id": eid, "decided_at": at})  # fmt: skip
            for step in range(STEPS):
                touch_id += 1
                sent = at + timedelta(days=step)
                touches.append({"id": touch_id, "enrollment_id": eid, "branch": "main",
                                "step_id": f"step-{step}", "step_index": step,
                                "channel": "email" if step % 3 else "call", "purpose": "opener",
                                "due_at": sent, "state": "sent", "sent_at": sent,
                                "created_at": sent, "updated_at": sent})  # fmt: skip
                drafts.append({"touch_id": touch_id, "subject": "s", "body": "b",
                               "drafter": "offline", "prompt_id": f"prompt-{step}",
                               "prompt_version": 1, "guardrails": [], "failures": [],
                               "context": {}})  # fmt: skip
            if n % 10 == 3:  # a tenth reply, to their third step; a fifth of those meet
                events.append({"contact_id": eid, "touch_id": touch_id - 7, "kind": "replied",
                               "occurred_at": at + timedelta(days=3), "source": "bench",
                               "detail": {}, "sentiment": "positive" if n % 20 == 3 else "neutral",
                               "applied_at": at + timedelta(days=3)})  # fmt: skip
                if n % 50 == 3:
                    events.append({"contact_id": eid, "touch_id": touch_id - 7, "kind": "meeting",
                                   "occurred_at": at + timedelta(days=4), "source": "bench",
                                   "detail": {}, "applied_at": at + timedelta(days=4)})  # fmt: skip
            items.append({"touch_id": touch_id - STEPS + 1, "enrollment_id": eid,
                          "contact_id": eid, "state": "approved", "reasons": [],
                          "due_at": at, "sla_at": at, "sequence_id": f"seq-{n % 5}",
                          "rule_id": rule, "created_at": at,
                          "decided_at": at + timedelta(minutes=20)})  # fmt: skip
        with database.unit_of_work() as session:
            for model, batch in ((Contact, contacts), (Enrollment, rows), (Decision, decisions),
                                 (Touch, touches), (Draft, drafts), (EngagementEvent, events),
                                 (ReviewItem, items)):  # fmt: skip
                for chunk in _chunks(batch):
                    if chunk:
                        session.execute(insert(model), chunk)


def timed_report(database: Database, filters: Filters, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        with database.unit_of_work(read_only=True) as session:
            began = time.perf_counter()
            report = build_report(session, filters, NOW)
            times.append(time.perf_counter() - began)
    assert report.rules and report.steps, "the report found the seeded data"
    return statistics.median(times)


def main() -> None:
    base = Path(tempfile.mkdtemp())
    small = Database(f"sqlite:///{base / 'small.db'}")
    big = Database(f"sqlite:///{base / 'big.db'}")
    began = time.perf_counter()
    seed(small, RECENT)
    seed(big, BIG)
    seeded = time.perf_counter() - began
    window = Filters(since=NOW - timedelta(days=30))
    small_window = timed_report(small, window)
    big_window = timed_report(big, window)
    big_all = timed_report(big, Filters(), runs=1)
    print(f"Report time (median of 5), SQLite; seeding took {seeded:.0f} s:")
    print(
        table(
            [
                ("store", "touches", "enrollments", "last 30 days (ms)", "all time (ms)"),
                ("small", f"{RECENT * STEPS:,}", f"{RECENT:,}", f"{small_window * 1000:.0f}", "–"),
                (
                    "big",
                    f"{BIG * STEPS:,}",
                    f"{BIG:,}",
                    f"{big_window * 1000:.0f}",
                    f"{big_all * 1000:.0f}",
                ),
            ]  # fmt: skip
        )
    )
    print(f"last 30 days, big / small: {big_window / small_window:.2f}×")
    small.dispose()
    big.dispose()
    shutil.rmtree(base, ignore_errors=True)  # the big store is about 0.5 GB


if __name__ == "__main__":
    main()
