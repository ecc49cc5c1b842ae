"""Scheduler throughput.

1. With 100,000 active enrollments (each with one scheduled touch, 1% of them due), the
   time of one tick to find and claim due touches: planning (which finds nothing to plan,
   as every enrollment has a touch in flight) plus claiming a batch of 100, on SQLite and
   on PostgreSQL.
2. On PostgreSQL: touches processed per second (scheduled → drafting → approved → sent
   to the outbox folder, one transaction per move) with 1 worker process and with 2,
   side by side; the ratio is the figure.

BENCH_ENROLLMENTS and BENCH_TOUCHES override the sizes; BENCH_PG_URL the PostgreSQL
database (default: the local test database; the benchmark uses its own schema).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import race_processes, table, timed  # noqa: E402
from sqlalchemy import create_engine, func, select, text  # noqa: E402

from signalseq.clock import SimulatedClock  # noqa: E402
from signalseq.crm.models import Account, Contact  # noqa: E402
from signalseq.delivery.service import Delivery  # noqa: E402
from signalseq.enrollments.models import Enrollment, Touch  # noqa: E402
from signalseq.enrollments.service import claim, plan_touches  # noqa: E402
from signalseq.pipeline.tick import Pipeline  # noqa: E402
from signalseq.rules.watcher import RulesWatcher  # noqa: E402
from signalseq.sequences import catalog  # noqa: E402
from signalseq.store.db import Database  # noqa: E402
from signalseq.workspace.loader import load_workspace  # noqa: E402

ENROLLMENTS = int(os.environ.get("BENCH_ENROLLMENTS", "100000"))
TOUCHES = int(os.environ.get("BENCH_TOUCHES", "2000"))
PG_URL = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # 10:00 in New York, inside a window
SEQUENCE = """id: bench
version: 1
branches:
  main:
    steps:
      - {id: opener, channel: email, day: 0, purpose: opener, prompt: p1, review: never}
      - {id: bump, channel: email, after: 3, purpose: bump, prompt: p2, thread: continue, review: never}
"""


def write_workspace(root: Path) -> None:
    (root / "rules" / "sequences").mkdir(parents=True)
    (root / "workspace.yaml").write_text("name: bench\ndefault_timezone: America/New_York\n")
    (root / "rules" / "sequences" / "bench.yaml").write_text(SEQUENCE)


def seed(database: Database, enrollments: int, due: int) -> None:
    """``enrollments`` active enrollments of New York contacts, each with its opener
    scheduled; the first ``due`` of them due now, the rest next week."""
    with database.unit_of_work() as session:
        account = Account(
            name="Bench", normalized_name="bench", domain="bench.example", country="US"
        )
        session.add(account)
        session.flush()
        account_id = account.id
    batch = 5000
    for offset in range(0, enrollments, batch):
        size = min(batch, enrollments - offset)
        with database.unit_of_work() as session:
            session.execute(
                Contact.__table__.insert(),
                [
                    {
                        "email": f"p{n}@bench.example",
                        "full_name": f"Person {n}",
                        "first_name": "Person",
                        "account_id": account_id,
                        "timezone": "America/New_York",
                        "country": "US",
                    }
                    for n in range(offset, offset + size)
                ],
            )
            first_contact = session.scalar(
                select(Contact.id).where(Contact.email == f"p{offset}@bench.example")
            )
            assert first_contact is not None
            session.execute(
                Enrollment.__table__.insert(),
                [
                    {
                        "contact_id": first_contact + i,
                        "account_id": account_id,
                        "sequence_id": "bench",
                        "sequence_version": 1,
                        "branch": "main",
                        "state": "active",
                        "rule_id": "bench",
                        "needs_review": False,
                        "enrolled_at": NOW - timedelta(hours=1),
                        "engagement_applied": [],
                    }
                    for i in range(size)
                ],
            )
            first_enrollment = session.scalar(
                select(Enrollment.id).where(Enrollment.contact_id == first_contact)
            )
            assert first_enrollment is not None
            session.execute(
                Touch.__table__.insert(),
                [
                    {
                        "enrollment_id": first_enrollment + i,
                        "branch": "main",
                        "step_id": "opener",
                        "step_index": 0,
                        "channel": "email",
                        "purpose": "opener",
                        "prompt": "p1",
                        "due_at": NOW - timedelta(minutes=10)
                        if offset + i < due
                        else NOW + timedelta(days=7),
                        "state": "scheduled",
                        "created_at": NOW,
                        "updated_at": NOW,
                    }
                    for i in range(size)
                ],
            )


def pg_schema_url(schema: str) -> str | None:
    try:
        engine = create_engine(PG_URL)
        with engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        engine.dispose()
    except Exception as exc:  # no PostgreSQL here: say so and go on
        print(f"PostgreSQL not reachable ({type(exc).__name__}); its measurements are skipped")
        return None
    separator = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{separator}options={quote(f'-csearch_path={schema}')}"


def find_and_claim(url: str, root: Path) -> dict[str, float]:
    database = Database(url)
    seed(database, ENROLLMENTS, max(ENROLLMENTS // 100, 500))
    sequences = catalog.all_versions(load_workspace(root))
    plans, claims = [], []
    for run in range(5):
        with database.unit_of_work() as session:
            _report, seconds = timed(
                lambda session=session: plan_touches(
                    session,
                    sequences,
                    NOW,
                    default_timezone="America/New_York",
                    default_country="US",
                )
            )
            plans.append(seconds)
        with database.unit_of_work() as session:
            claimed, seconds = timed(
                lambda session=session, run=run: claim(session, f"bench{run}", NOW, limit=100)
            )
            assert len(claimed) == 100
            claims.append(seconds)
    database.dispose()
    return {"plan": statistics.median(plans), "claim": statistics.median(claims)}


def _worker(url: str, root: str, outbox: str, name: str, start: object) -> None:
    database = Database(url)
    pipeline = Pipeline(
        database,
        RulesWatcher(Path(root)),
        SimulatedClock(NOW),
        Delivery.to_folder(Path(outbox)),
        worker=name,
        batch=50,
        ingest=False,
        decide=False,
    )
    start.wait()  # type: ignore[attr-defined]
    while pipeline.tick().moves:
        pass
    database.dispose()


def throughput(url: str, root: Path, workers: int) -> tuple[int, float]:
    database = Database(url)
    seed(database, TOUCHES, TOUCHES)
    database.dispose()
    outbox = tempfile.mkdtemp()
    seconds = race_processes(_worker, [(url, str(root), outbox, f"w{n}") for n in range(workers)])
    database = Database(url)
    with database.unit_of_work() as session:
        sent = session.scalar(select(func.count()).select_from(Touch).where(Touch.state == "sent"))
    database.dispose()
    assert sent == len(list(Path(outbox).glob("*.eml"))), "each touch delivered once"
    return sent or 0, seconds


def main() -> None:
    root = Path(tempfile.mkdtemp()) / "ws"
    write_workspace(root)
    rows = [("store", "enrollments", "plan (ms)", "claim 100 (ms)", "find + claim (ms)")]
    sqlite = find_and_claim(f"sqlite:///{root.parent / 'sched.db'}", root)
    rows.append(
        (
            "SQLite",
            f"{ENROLLMENTS:,}",
            f"{sqlite['plan'] * 1000:.1f}",
            f"{sqlite['claim'] * 1000:.1f}",
            f"{(sqlite['plan'] + sqlite['claim']) * 1000:.1f}",
        )
    )
    pg_url = pg_schema_url("bench_scheduler_claim")
    if pg_url:
        pg = find_and_claim(pg_url, root)
        rows.append(
            (
                "PostgreSQL",
                f"{ENROLLMENTS:,}",
                f"{pg['plan'] * 1000:.1f}",
                f"{pg['claim'] * 1000:.1f}",
                f"{(pg['plan'] + pg['claim']) * 1000:.1f}",
            )
        )
    print("One tick's find and claim (median of 5), 1% of the touches due:")
    print(table(rows))
    if not pg_url:
        return
    results = []
    for workers in (1, 2):
        url = pg_schema_url(f"bench_scheduler_w{workers}")
        assert url is not None
        sent, seconds = throughput(url, root, workers)
        results.append((workers, sent, seconds, sent / seconds))
    print()
    print(
        "PostgreSQL: touches moved scheduled → drafting → approved → sending → sent (a transaction per move, outbox delivery):"
    )
    print(
        table(
            [("workers", "touches", "seconds", "touches/s")]
            + [(str(w), f"{n:,}", f"{s:.1f}", f"{r:.0f}") for w, n, s, r in results]
        )
    )
    print(f"2 workers / 1 worker: {results[1][3] / results[0][3]:.2f}×")
    engine = create_engine(PG_URL)
    with engine.begin() as connection:
        for schema in ("bench_scheduler_claim", "bench_scheduler_w1", "bench_scheduler_w2"):
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


if __name__ == "__main__":
    main()
