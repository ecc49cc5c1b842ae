"""Delivery throughput to a loopback SMTP server.

BENCH_SEND touches (default 2,000), each approved with its draft, are sent through the
whole delivery step — reserve (checks, throttle, `sending` committed), send over SMTP
while the enrollment is locked, record `sent` — to an aiosmtpd server in its own
process that counts what it receives. Measured with one worker on SQLite and on
PostgreSQL, and with two worker processes on PostgreSQL, side by side; the count at the
server must equal the touches marked sent (each sent exactly once).

BENCH_PG_URL points the PostgreSQL runs at another database (own schemas, dropped after).
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import race_processes, table  # noqa: E402
from scheduler import NOW, PG_URL, pg_schema_url, seed, write_workspace  # noqa: E402
from sqlalchemy import (  # noqa: E402
    create_engine,
    func,
    insert,
    literal_column,
    select,
    text,
    update,
)
from tests.dns_server import Zone, dns_server  # noqa: E402

from signalseq.clock import SimulatedClock  # noqa: E402
from signalseq.crm.models import Account, Contact  # noqa: E402
from signalseq.delivery.service import Delivery  # noqa: E402
from signalseq.delivery.transport import Transports  # noqa: E402
from signalseq.drafting.models import Draft, content_sha256  # noqa: E402
from signalseq.enrollments.models import Touch  # noqa: E402
from signalseq.pipeline.tick import Pipeline  # noqa: E402
from signalseq.rules.watcher import RulesWatcher  # noqa: E402
from signalseq.settings import Settings  # noqa: E402
from signalseq.store.db import Database  # noqa: E402

SEND = int(os.environ.get("BENCH_SEND", "2000"))
SECRET = "bench-secret-key-0123456789abcdef"
SUBJECT = "Series A and your pipeline"
BODY = "Hi,\n\nCongratulations on the round.\n\nWorth a 20-minute call next week?\n\nBest,\nMaya"


def _smtp_server(port: int, counter: object, ready: object, stop: object) -> None:
    from aiosmtpd.controller import Controller

    class Counting:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802
            with counter.get_lock():  # type: ignore[attr-defined]
                counter.value += 1  # type: ignore[attr-defined]
            return "250 2.0.0 Ok: queued"

    controller = Controller(Counting(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()  # type: ignore[attr-defined]
    stop.wait()  # type: ignore[attr-defined]
    controller.stop()


def mailbox_file(root: Path, port: int) -> None:
    (root / "delivery").mkdir(exist_ok=True)
    (root / "delivery" / "mailboxes.yaml").write_text(
        "mailboxes:\n"
        "  - {id: bench, address: maya@tallyforge-demo.com, name: Maya Lindqvist,\n"
        f"     transport: smtp, smtp: {{host: 127.0.0.1, port: {port}, security: none}},\n"
        "     daily_cap: 100000}\n"
    )


def approve_all(url: str) -> None:
    """Every seeded opener approved, with its draft (bound to its text)."""
    database = Database(url)
    digest = content_sha256(SUBJECT, BODY)
    with database.unit_of_work() as session:
        session.execute(
            insert(Draft).from_select(
                [
                    "touch_id",
                    "subject",
                    "body",
                    "drafter",
                    "content_sha256",
                    "approved_sha256",
                    "approved_by",
                    "version",
                    "guardrails",
                    "guardrails_passed",
                    "failures",
                    "context",
                    "prompt_tokens",
                    "completion_tokens",
                    "latency_ms",
                    "retries",
                    "transport_retries",
                ],
                select(
                    Touch.id,
                    text(f"'{SUBJECT}'"),
                    text(f"'{BODY}'"),
                    text("'bench'"),
                    text(f"'{digest}'"),
                    text(f"'{digest}'"),
                    text("'policy'"),
                    text("1"),
                    text("'[]'"),
                    text("true"),
                    text("'[]'"),
                    text("'{}'"),
                    text("0"),
                    text("0"),
                    text("0"),
                    text("0"),
                    text("0"),
                ),
            )  # fmt: skip
        )
        session.execute(update(Touch).values(state="approved"))
    database.dispose()


def _worker(url: str, root: str, name: str, dns: str | None, start: object) -> None:
    database = Database(url)
    settings = Settings(_env_file=None, secret_key=SECRET, public_url="https://bench.example",
                        recipient_check=dns is not None, dns_servers=dns)  # fmt: skip
    delivery = Delivery(Transports(Path(tempfile.mkdtemp())), settings.public_url, SECRET, settings)
    pipeline = Pipeline(database, RulesWatcher(Path(root)), SimulatedClock(NOW), delivery,
                        worker=name, batch=100, ingest=False, decide=False)  # fmt: skip
    start.wait()  # type: ignore[attr-defined]
    while pipeline.tick().moves:
        pass
    database.dispose()


def run(
    url: str, root: Path, workers: int, counter: object, dns: str | None = None
) -> tuple[int, float]:
    database = Database(url)
    seed(database, SEND, SEND)
    with database.unit_of_work() as session:  # contacts over 500 real-looking domains
        session.execute(update(Account).values(domain=None))  # so the account names none
        session.execute(
            update(Contact).values(
                email=literal_column("'p' || id || '@d' || (id % 500) || '-bench.com'")
            )  # fmt: skip
        )
    database.dispose()
    approve_all(url)
    with counter.get_lock():  # type: ignore[attr-defined]
        counter.value = 0  # type: ignore[attr-defined]
    seconds = race_processes(_worker, [(url, str(root), f"w{n}", dns) for n in range(workers)])
    database = Database(url)
    with database.unit_of_work() as session:
        sent = session.scalar(select(func.count()).select_from(Touch).where(Touch.state == "sent"))
    database.dispose()
    received = counter.value  # type: ignore[attr-defined]
    assert sent == received == SEND, f"sent {sent}, received {received}, seeded {SEND}"
    return received, seconds


def main() -> None:
    context = multiprocessing.get_context("spawn")
    counter, ready, stop = context.Value("i", 0), context.Event(), context.Event()
    probe = __import__("socket").socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    server = context.Process(target=_smtp_server, args=(port, counter, ready, stop))
    server.start()
    ready.wait(30)
    base = Path(tempfile.mkdtemp())
    root = base / "ws"
    write_workspace(root)
    mailbox_file(root, port)
    results = []
    zone = Zone(default=[("MX", "mx.bench-mail.com")])
    try:
        results.append(("SQLite", 1, *run(f"sqlite:///{base / 'delivery.db'}", root, 1, counter)))
        with dns_server(zone) as dns_port:
            checked = run(f"sqlite:///{base / 'checked.db'}", root, 1, counter,
                          f"127.0.0.1:{dns_port}")  # fmt: skip
        results.append(("SQLite + recipient check", 1, *checked))
        for workers in (1, 2):
            url = pg_schema_url(f"bench_delivery_w{workers}")
            if url is None:
                break
            results.append(("PostgreSQL", workers, *run(url, root, workers, counter)))
    finally:
        stop.set()
        server.join(10)
    print(f"Emails sent to a loopback SMTP server (aiosmtpd, own process), {SEND:,} touches:")
    print(
        table(
            [("store", "workers", "received", "seconds", "messages/s")]
            + [(s, str(w), f"{n:,}", f"{t:.1f}", f"{n / t:.0f}") for s, w, n, t in results]
        )
    )
    rates = {(s, w): n / t for s, w, n, t in results}
    check = rates[("SQLite + recipient check", 1)] / rates[("SQLite", 1)]
    print(f"recipient check on / off (SQLite, 1 worker, 500 domains, {len(zone.asked)} DNS "
          f"queries): {check:.2f}× ({(1 - check) * 100:.1f}% slower)")  # fmt: skip
    if ("PostgreSQL", 2) in rates:
        print(f"PostgreSQL 2 workers / 1 worker: "
              f"{rates[('PostgreSQL', 2)] / rates[('PostgreSQL', 1)]:.2f}×")  # fmt: skip
        print(f"PostgreSQL 1 worker / SQLite 1 worker: "
              f"{rates[('PostgreSQL', 1)] / rates[('SQLite', 1)]:.2f}×")  # fmt: skip
        engine = create_engine(PG_URL)
        with engine.begin() as connection:
            for workers in (1, 2):
                connection.execute(
                    text(f'DROP SCHEMA IF EXISTS "bench_delivery_w{workers}" CASCADE')
                )
        engine.dispose()


if __name__ == "__main__":
    main()
