"""Queue page and item page response time with 100 and with 100,000 pending items, side
by side: the pages must not grow with the queue (ratio ≤ 2).

Each size gets a fresh SQLite store, seeded in bulk (contacts, enrollments, touches,
drafts, review items with two reasons each, and the counters), then the real app is
asked through its ASGI interface by a signed-in reviewer. Median of BENCH_REVIEW_REPEAT
requests per page.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import insert

from signalseq.auth.service import add_user
from signalseq.clock import SimulatedClock
from signalseq.crm.models import Contact
from signalseq.drafting.models import Draft
from signalseq.enrollments.models import Enrollment, Touch
from signalseq.review import counts
from signalseq.review.models import ReviewItem, ReviewReason
from signalseq.settings import Settings
from signalseq.store.db import Database
from signalseq.web.app import create_app
from signalseq.workspace.service import default_workspace_dir

SIZES = (100, int(os.environ.get("BENCH_REVIEW_ITEMS", "100000")))
REPEAT = int(os.environ.get("BENCH_REVIEW_REPEAT", "30"))
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
PASSWORD = "benchmark password"
CHUNK = 5000
REASONS = ("first_touch", "seniority", "account_tier", "purpose")


def _chunks(rows: list[dict[str, object]]):  # type: ignore[no-untyped-def]
    for start in range(0, len(rows), CHUNK):
        yield rows[start : start + CHUNK]


def seed(database: Database, size: int) -> None:
    tables = {
        Contact: [
            {
                "id": i,
                "full_name": f"Person {i}",
                "email": f"p{i}@example.com",
                "title": "VP Sales",
                "seniority": "vp",
                "department": "sales",
                "attributes": {},
            }
            for i in range(1, size + 1)
        ],
        Enrollment: [
            {
                "id": i,
                "contact_id": i,
                "sequence_id": f"seq-{i % 3}",
                "sequence_version": 1,
                "branch": "main",
                "state": "active",
                "rule_id": f"rule-{i % 5}",
                "needs_review": False,
                "enrolled_at": NOW,
                "engagement_applied": [],
            }
            for i in range(1, size + 1)
        ],
        Touch: [
            {
                "id": i,
                "enrollment_id": i,
                "branch": "main",
                "step_id": "opener",
                "step_index": 0,
                "channel": "email",
                "purpose": "opener",
                "due_at": NOW + timedelta(minutes=i),
                "state": "in_review",
                "created_at": NOW,
                "updated_at": NOW,
            }
            for i in range(1, size + 1)
        ],
        Draft: [
            {
                "id": i,
                "touch_id": i,
                "subject": f"Subject {i}",
                "body": "Hi,\n\nA body.\n\nBest,\nMaya",
                "drafter": "offline",
                "guardrails": [],
                "failures": [],
                "context": {},
                "version": 1,
                "content_sha256": "0" * 64,
                "created_at": NOW,
                "updated_at": NOW,
            }
            for i in range(1, size + 1)
        ],
        ReviewItem: [
            {
                "id": i,
                "touch_id": i,
                "enrollment_id": i,
                "contact_id": i,
                "state": "pending",
                "reasons": [
                    {"code": REASONS[i % 4], "label": "", "detail": ""},
                    {"code": "first_touch", "label": "", "detail": ""},
                ],
                "low_risk": False,
                "due_at": NOW + timedelta(minutes=i),
                "sla_at": NOW + timedelta(minutes=i - 120),
                "sequence_id": f"seq-{i % 3}",
                "rule_id": f"rule-{i % 5}",
                "account_tier": 1 + i % 3,
                "draft_version": 1,
                "created_at": NOW,
            }
            for i in range(1, size + 1)
        ],
    }
    reasons = [
        {"item_id": i, "code": code, "due_at": NOW + timedelta(minutes=i)}
        for i in range(1, size + 1)
        for code in {REASONS[i % 4], "first_touch"}
    ]
    with database.unit_of_work() as session:
        for model, rows in tables.items():
            for chunk in _chunks(rows):
                session.execute(insert(model), chunk)
        for chunk in _chunks(reasons):
            session.execute(insert(ReviewReason), chunk)
        facets: dict[str, int] = {}
        for row in tables[ReviewItem]:
            item = ReviewItem(
                **{k: row[k] for k in ("sequence_id", "rule_id", "account_tier", "reasons")}
            )
            for facet in counts.item_facets(item):
                facets[facet] = facets.get(facet, 0) + 1
        for facet, value in facets.items():
            counts.bump(session, [facet], value)
        add_user(session, "bench", PASSWORD, "reviewer", NOW)


def median_ms(client: TestClient, path: str) -> float:
    client.get(path)  # warm
    samples = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        response = client.get(path)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.text[:300]
    return statistics.median(samples)


def measure(size: int, folder: Path) -> tuple[float, float]:
    url = f"sqlite:///{folder / f'review-{size}.db'}"
    database = Database(url)
    started = time.perf_counter()
    seed(database, size)
    print(f"  seeded {size:,} pending items in {time.perf_counter() - started:.1f} s")
    settings = Settings(workspace=default_workspace_dir(), database_url=url)
    app = create_app(settings, database, SimulatedClock(NOW))
    client = TestClient(app)
    client.post("/login", data={"username": "bench", "password": PASSWORD})
    queue = median_ms(client, "/queue")
    item = median_ms(client, f"/queue/items/{size // 2}")
    database.dispose()
    return queue, item


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        results = {size: measure(size, Path(tmp)) for size in SIZES}
    small, big = SIZES
    print(f"{'pending items':>14} {'queue page ms':>14} {'item page ms':>13}")
    for size in SIZES:
        print(f"{size:>14,} {results[size][0]:>14.1f} {results[size][1]:>13.1f}")
    queue_ratio = results[big][0] / results[small][0]
    item_ratio = results[big][1] / results[small][1]
    print(
        f"ratio {big:,} / {small:,}: queue page {queue_ratio:.2f}, item page {item_ratio:.2f} (target ≤ 2)"
    )


if __name__ == "__main__":
    main()
