"""Crash and concurrency on PostgreSQL: three worker processes send 20,000 due touches
through a loopback SMTP server while one of them is SIGKILLed every few seconds (and a
new one started), and replies and unsubscribes arrive at random moments. Counted at
the SMTP server: every touch went out exactly once, or is `unknown` and listed for
reconciliation; none is lost; nothing went to a contact after its stop was recorded.

SIGNALSEQ_RELIABILITY_TOUCHES lowers the size for a quick local run."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select
from tests.factories import outbox_delivery
from tests.mail_servers import mailbox_yaml, smtp_server  # noqa: F401

from signalseq.clock import SimulatedClock
from signalseq.crm.models import Contact
from signalseq.drafting.models import Draft, content_sha256
from signalseq.enrollments.engagement import record_event
from signalseq.enrollments.models import Enrollment, Touch
from signalseq.pipeline.tick import Pipeline
from signalseq.rules.watcher import RulesWatcher

pytestmark = [pytest.mark.reliability, pytest.mark.timeout(3000)]

TOUCHES = int(os.environ.get("SIGNALSEQ_RELIABILITY_TOUCHES", "20000"))
WORKERS = 3
FACTOR = 30.0  # simulated seconds per real second: leases of minutes expire in seconds
START = datetime(2026, 11, 23, 5, 5, tzinfo=UTC)  # 00:05 in New York: a whole day's window
SEQUENCE = """
id: one
version: 1
send_windows: [{start: "00:00", end: "23:59"}]
branches:
  main:
    steps:
      - {id: opener, channel: email, day: 0, purpose: opener, prompt: p-opener, review: never}
"""
SUBJECT, BODY = "Your new round", "Hi,\n\nCongratulations.\n\nWorth a call next week?\n\nMaya"
CHILD = Path(__file__).with_name("worker_child.py")


def seed(database, count):
    digest = content_sha256(SUBJECT, BODY)
    due = START - timedelta(minutes=4)
    with database.unit_of_work() as session:
        for offset in range(0, count, 5000):
            ids = range(offset + 1, min(offset + 5000, count) + 1)
            session.execute(insert(Contact), [
                {"id": n, "email": f"c{n}@kill.example", "full_name": f"C {n}",
                 "timezone": "America/New_York", "country": "US"} for n in ids])  # fmt: skip
            session.execute(insert(Enrollment), [
                {"id": n, "contact_id": n, "sequence_id": "one", "sequence_version": 1,
                 "branch": "main", "state": "active", "rule_id": "r", "needs_review": False,
                 "enrolled_at": due, "engagement_applied": []} for n in ids])  # fmt: skip
            session.execute(insert(Touch), [
                {"id": n, "enrollment_id": n, "branch": "main", "step_id": "opener",
                 "step_index": 0, "channel": "email", "purpose": "opener", "due_at": due,
                 "state": "approved", "created_at": due, "updated_at": due} for n in ids])  # fmt: skip
            session.execute(insert(Draft), [
                {"touch_id": n, "subject": SUBJECT, "body": BODY, "drafter": "offline",
                 "content_sha256": digest, "approved_sha256": digest, "approved_by": "policy",
                 "guardrails": [], "failures": [], "context": {}} for n in ids])  # fmt: skip
        if session.get_bind().dialect.name == "postgresql":  # ids were given: move sequences on
            for table in ("contacts", "enrollments", "touches"):
                session.connection().exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {count})"
                )


def test_killed_workers_and_racing_stops_lose_nothing_and_send_nothing_twice(
    postgres_store, make_workspace, smtp_server, tmp_path, run_cli
):
    store = postgres_store
    root = make_workspace(
        {
            "workspace.yaml": "name: t\ndefault_timezone: America/New_York\n",
            "rules/sequences/one.yaml": SEQUENCE,
            "delivery/mailboxes.yaml": mailbox_yaml(smtp_server.port, daily_cap=100_000),
        }
    )
    seed(store.database, TOUCHES)
    epoch = time.time()
    rng = random.Random(20261122)
    counter = iter(range(1000))

    def spawn():
        name = f"w{next(counter)}"
        return subprocess.Popen(
            [sys.executable, str(CHILD), store.url, str(root), str(tmp_path / "outbox"),
             START.isoformat(), str(epoch), str(FACTOR), name],
            cwd=Path(__file__).resolve().parents[2],
        )  # fmt: skip

    stops: dict[int, tuple[str, float]] = {}
    errors: list[BaseException] = []
    done = threading.Event()

    def inject_stops():
        try:
            victims = rng.sample(range(1, TOUCHES + 1), min(300, TOUCHES // 10))
            for contact_id in victims:
                if done.is_set():
                    return
                kind = rng.choice(("replied", "unsubscribed"))
                moment = START + timedelta(seconds=(time.time() - epoch) * FACTOR)
                with store.database.unit_of_work() as session:
                    record_event(session, kind=kind, at=moment, contact_id=contact_id,
                                 source="kill-test")  # fmt: skip
                stops[contact_id] = (kind, time.monotonic())  # committed
                time.sleep(rng.uniform(0.005, 0.05))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    workers = [spawn() for _ in range(WORKERS)]
    injector = threading.Thread(target=inject_stops)
    injector.start()
    kills = 0
    deadline = time.monotonic() + 2700
    try:
        while any(w.poll() is None for w in workers) and time.monotonic() < deadline:
            time.sleep(rng.uniform(1.5, 3.0))
            alive = [w for w in workers if w.poll() is None]
            if alive and kills < 40 and len(smtp_server.handler.received) < 0.9 * TOUCHES:
                victim = rng.choice(alive)
                victim.send_signal(signal.SIGKILL)
                victim.wait(timeout=30)
                kills += 1
                workers = [w for w in workers if w is not victim] + [spawn()]
        assert time.monotonic() < deadline, "the workers did not finish"
    finally:
        done.set()
        injector.join(timeout=60)
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
    assert not errors, errors
    assert kills >= 3, "the run was long enough to kill workers mid-flight"
    # what a killed worker left `sending` becomes `unknown` once its lease has run out
    late = SimulatedClock(
        START + timedelta(seconds=(time.time() - epoch) * FACTOR) + timedelta(hours=1)
    )
    Pipeline(store.database, RulesWatcher(root), late, outbox_delivery(tmp_path),
             worker="settler", ingest=False, decide=False).tick()  # fmt: skip

    with store.database.unit_of_work(read_only=True) as session:
        states = Counter(
            dict(session.execute(select(Touch.state, func.count()).group_by(Touch.state)).all())
        )
        touches = {t.id: t.state for t in session.scalars(select(Touch))}
        exited = dict(session.execute(select(Enrollment.contact_id, Enrollment.exit_reason)
                                      .where(Enrollment.state == "exited")).all())  # fmt: skip
    received = Counter()
    arrival: dict[str, float] = {}
    for message in smtp_server.handler.received:
        for address in message.recipients:
            received[address] += 1
            arrival[address] = message.at
    assert sum(states.values()) == TOUCHES, "no touch lost"
    assert set(states) <= {"sent", "unknown", "cancelled"}, states
    assert max(received.values()) == 1, "nothing sent twice"
    for touch_id, state in touches.items():
        address = f"c{touch_id}@kill.example"
        if state == "sent":
            assert received[address] == 1, (touch_id, "marked sent but never arrived")
        elif state == "cancelled":
            assert received[address] == 0 and touch_id in stops, (
                touch_id,
                "cancelled, not stopped",
            )
    for contact_id, (_kind, recorded_at) in stops.items():
        address = f"c{contact_id}@kill.example"
        assert not (address in arrival and arrival[address] > recorded_at), (
            f"{address} was sent after its stop was recorded"
        )
    assert set(exited) <= set(stops), "only the stops ended enrollments"
    unknown = [t for t, s in touches.items() if s == "unknown"]
    listed = json.loads(run_cli("delivery", "list", "--json").stdout)
    assert {row["touch"] for row in listed} == set(unknown[:200]), "unknown ones are listed"
    print(f"\n{TOUCHES} touches, {kills} kills: {dict(states)}; {len(stops)} stops")
