"""Ingest throughput and memory.

1. Signals per second ingesting 100,000 Segment page events from JSONL into SQLite
   through the whole pipeline (parse, categorize, resolve account, de-duplicate, store),
   side by side with a plain bulk insert of the same rows: the ratio is the cost of
   everything ingest does beyond writing.
2. Peak RSS ingesting 100,000 and 1,000,000 events, each in a fresh process: memory
   must stay flat as the file grows.

BENCH_EVENTS and BENCH_BIG_EVENTS override the sizes.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import peak_rss_mb, table, timed  # noqa: E402

from signalseq.clock import SystemClock  # noqa: E402
from signalseq.connectors.base import ConnectorContext, connector_for  # noqa: E402
from signalseq.connectors.config import WebsiteVisitsConfig  # noqa: E402
from signalseq.crm.models import Account  # noqa: E402
from signalseq.signals.ingest import run_connector  # noqa: E402
from signalseq.signals.models import Signal  # noqa: E402
from signalseq.store.db import Database  # noqa: E402

ACCOUNTS = 1000
PATHS = ["/pricing", "/demo", "/docs/api", "/blog/post", "/careers", "/customers/x", "/"]


def write_events(path: Path, count: int) -> None:
    rng = random.Random(42)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with path.open("w") as handle:
        for n in range(count):
            account = rng.randrange(ACCOUNTS)
            event = {
                "type": "page",
                "anonymousId": f"anon-{rng.randrange(count // 3 + 1)}",
                "messageId": f"m-{n}",
                "context": {
                    "groupId": f"company{account}.com",
                    "ip": f"10.{n % 250}.{n % 199}.{n % 97}",
                },
                "timestamp": (start + timedelta(seconds=n * 7)).isoformat(),
                "properties": {"path": rng.choice(PATHS), "title": "Page"},
            }
            handle.write(json.dumps(event) + "\n")


def seeded_database(folder: Path, name: str) -> Database:
    database = Database(f"sqlite:///{folder / name}")
    with database.unit_of_work() as session:
        session.add_all(
            Account(domain=f"company{i}.com", name=f"Company {i}", normalized_name=f"company {i}")
            for i in range(ACCOUNTS)
        )
    return database


def ingest(database: Database, folder: Path, events: Path) -> int:
    config = WebsiteVisitsConfig(type="website_visits", path=str(events))
    connector = connector_for("site", config)
    report = run_connector(database, connector, ConnectorContext(folder, SystemClock()))
    return report.stored


def plain_rows(count: int) -> list[dict[str, object]]:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    return [
        {
            "kind": "website_visit",
            "subtype": "pricing",
            "occurred_at": start + timedelta(seconds=n),
            "source": "site",
            "source_event_id": f"m-{n}",
            "dedupe_key": f"m-{n}",
            "attributes": {"path": "/pricing"},
            "raw": {"messageId": f"m-{n}"},
            "confidence": 1.0,
            "account_id": 1 + n % ACCOUNTS,
            "account_match": "domain",
            "account_match_score": 100.0,
            "contact_match": "none",
            "match_status": "matched",
        }
        for n in range(count)
    ]


def bulk_insert(database: Database, rows: list[dict[str, object]]) -> int:
    with database.unit_of_work() as session:
        for start in range(0, len(rows), 1000):
            session.execute(Signal.__table__.insert(), rows[start : start + 1000])
    return len(rows)


def child(events: str) -> None:
    """Ingest in this process and print its peak RSS (run via subprocess)."""
    folder = Path(tempfile.mkdtemp())
    database = seeded_database(folder, "rss.db")
    stored = ingest(database, folder, Path(events))
    print(json.dumps({"stored": stored, "peak_rss_mb": peak_rss_mb()}))


def measure_rss(folder: Path, count: int) -> dict[str, float]:
    events = folder / f"events-{count}.jsonl"
    write_events(events, count)
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(events)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    events.unlink()
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    count = int(os.environ.get("BENCH_EVENTS", 100_000))
    big = int(os.environ.get("BENCH_BIG_EVENTS", 1_000_000))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        events = folder / "events.jsonl"
        write_events(events, count)
        pipeline_db = seeded_database(folder, "a.db")
        stored, pipeline_s = timed(lambda: ingest(pipeline_db, folder, events))
        rows = plain_rows(count)
        plain_db = seeded_database(folder, "b.db")
        inserted, plain_s = timed(lambda: bulk_insert(plain_db, rows))
        assert stored == count and inserted == count
        print(f"ingest benchmark: {count:,} Segment page events from JSONL into SQLite")
        print(
            table(
                [
                    ("path", "seconds", "rows/s"),
                    (
                        "full ingest (parse, resolve, dedupe, store)",
                        f"{pipeline_s:.2f}",
                        f"{count / pipeline_s:,.0f}",
                    ),
                    (
                        "plain bulk insert of the same rows",
                        f"{plain_s:.2f}",
                        f"{count / plain_s:,.0f}",
                    ),
                ]
            )
        )
        print(
            f"ratio: full ingest runs at {plain_s / pipeline_s:.2f}x the speed of a plain bulk insert "
            f"({pipeline_s / plain_s:.1f}x its time)"
        )
        small = measure_rss(folder, count)
        large = measure_rss(folder, big)
        print(
            table(
                [
                    ("events", "stored", "peak RSS (MB)"),
                    (f"{count:,}", f"{int(small['stored']):,}", f"{small['peak_rss_mb']:.0f}"),
                    (f"{big:,}", f"{int(large['stored']):,}", f"{large['peak_rss_mb']:.0f}"),
                ]
            )
        )
        print(
            f"memory ratio: {big // count}x the events -> {large['peak_rss_mb'] / small['peak_rss_mb']:.2f}x "
            "the peak RSS"
        )


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        child(sys.argv[2])
    else:
        main()
