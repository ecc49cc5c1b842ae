"""Never send what should not be sent: replies racing the worker, a worker killed
between ``sending`` and ``sent``, a connection lost during DATA."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from tests.factories import enroll, outbox_delivery
from tests.mail_servers import SmtpServer, mailbox_yaml, smtp_server  # noqa: F401

from signalseq.clock import SimulatedClock, ensure_utc
from signalseq.enrollments.engagement import record_event
from signalseq.enrollments.models import Enrollment, Touch
from signalseq.pipeline.tick import Pipeline
from signalseq.rules.watcher import RulesWatcher

ALL_DAY = """
id: one
version: 1
send_windows: [{start: "00:00", end: "23:59"}]
branches:
  main:
    steps:
      - {id: opener, channel: email, day: 0, purpose: opener, prompt: p-opener, review: never}
      - {id: bump, channel: email, after: 1, purpose: bump, prompt: p-bump, thread: continue, review: never}
"""
MONDAY_NY = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)  # 00:00 in New York
DUE = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)  # 22:00 in New York
LATE_MONDAY_NY = DUE + timedelta(minutes=30)  # all due, and the window is still open


def world(store, make_workspace, port, count, **mailbox):
    root = make_workspace(
        {
            "workspace.yaml": "name: t\ndefault_timezone: America/New_York\n",
            "rules/sequences/one.yaml": ALL_DAY,
            "delivery/mailboxes.yaml": mailbox_yaml(port, daily_cap=10_000, **mailbox),
        }
    )
    contacts = {}
    with store.database.unit_of_work() as session:
        for n in range(count):
            row = enroll(
                session,
                contact={"email": f"r{n}@race.example", "full_name": f"R{n} Person",
                         "country": "US", "timezone": "America/New_York"},
                sequence_id="one", sequence_version=1, enrolled_at=MONDAY_NY,
            )  # fmt: skip
            contacts[row.contact_id] = f"r{n}@race.example"
    return root, contacts


def plan_all_due(store, root, tmp_path):
    """The first tick plans every opener; then they are all due at 22:00 New York."""
    pipeline(store, root, SimulatedClock(MONDAY_NY), tmp_path, worker="planner").tick()
    with store.database.unit_of_work() as session:
        session.execute(update(Touch).values(due_at=DUE))


def pipeline(store, root, clock, tmp_path, worker="w1"):
    return Pipeline(store.database, RulesWatcher(root), clock, outbox_delivery(tmp_path),
                    worker=worker, ingest=False, decide=False, batch=200)  # fmt: skip


def states(store):
    with store.database.unit_of_work(read_only=True) as session:
        return {t.id: t.state for t in session.scalars(select(Touch))}


def test_replies_arriving_while_the_worker_sends_stop_every_later_send(
    store, make_workspace, smtp_server, tmp_path
):
    count = 60
    root, contacts = world(store, make_workspace, smtp_server.port, count)
    plan_all_due(store, root, tmp_path)
    clock = SimulatedClock(LATE_MONDAY_NY)
    smtp_server.handler.delay = 0.02
    recorded: dict[int, float] = {}
    errors: list[BaseException] = []

    def replies() -> None:
        try:
            if not smtp_server.handler.data_started.wait(timeout=60):
                raise AssertionError("the worker never started sending")
            order = list(contacts)
            random.Random(7).shuffle(order)
            for contact_id in order[: count // 2]:
                with store.database.unit_of_work() as session:
                    record_event(session, kind="replied", at=clock.now(), contact_id=contact_id,
                                 source="test")  # fmt: skip
                recorded[contact_id] = time.monotonic()  # committed
                time.sleep(0.01)
        except BaseException as exc:
            errors.append(exc)

    replier = threading.Thread(target=replies)
    replier.start()
    report = pipeline(store, root, clock, tmp_path).tick()
    replier.join(timeout=120)
    assert not errors, errors
    assert len(recorded) == count // 2
    late = [
        (contacts[contact_id], received.at - at)
        for contact_id, at in recorded.items()
        for received in smtp_server.handler.to(contacts[contact_id])
        if received.at > at
    ]
    assert late == [], "a message went out after the reply was recorded"
    per_address = [len(smtp_server.handler.to(address)) for address in contacts.values()]
    assert max(per_address) == 1
    with store.database.unit_of_work() as session:
        sent = session.scalars(select(Touch).where(Touch.state == "sent")).all()
        exited = session.scalars(select(Enrollment).where(Enrollment.state == "exited")).all()
    assert len(sent) == len(smtp_server.handler.received) == report.moves["sent"]
    if store.dialect == "postgresql":
        # row locks: replies interleave with the sends (on SQLite every write waits for
        # the one writer, so the batch's sends come first and this race cannot happen)
        assert 0 < len(sent) < count, "the replies landed mid-run: some went out, some not"
        assert 0 < len(exited) <= count // 2


CHILD = """
import sys
from datetime import datetime
from pathlib import Path
from signalseq.clock import SimulatedClock, ensure_utc
from signalseq.delivery.service import Delivery
from signalseq.pipeline.tick import Pipeline
from signalseq.rules.watcher import RulesWatcher
from signalseq.settings import Settings
from signalseq.store.db import Database

url, root, outbox, moment = sys.argv[1:5]
settings = Settings(_env_file=None, secret_key="test-secret-key-0123456789abcdef",
                    public_url="https://signalseq.test")
delivery = Delivery.from_settings(settings)
delivery.transports.outbox = Path(outbox)
Pipeline(Database(url), RulesWatcher(Path(root)), SimulatedClock(datetime.fromisoformat(moment)),
         delivery, worker="doomed", ingest=False, decide=False).tick()
"""


def test_a_worker_killed_between_sending_and_sent_leaves_unknown_never_resent(
    store, make_workspace, smtp_server, tmp_path, run_cli
):
    root, contacts = world(store, make_workspace, smtp_server.port, 1)
    plan_all_due(store, root, tmp_path)
    clock = SimulatedClock(LATE_MONDAY_NY)
    smtp_server.handler.hold = threading.Event()  # the server takes the data and stalls
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, store.url, str(root), str(tmp_path), LATE_MONDAY_NY.isoformat()],
        env={**os.environ, "SIGNALSEQ_WORKSPACE": str(root)},
    )  # fmt: skip
    try:
        assert smtp_server.handler.data_started.wait(timeout=60), "the child never sent"
        time.sleep(0.2)  # the child now waits for the server's answer
        assert list(states(store).values()) == ["sending"], "committed before the data went out"
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    smtp_server.handler.hold.set()
    assert len(smtp_server.handler.received) == 1, "the message did reach the server"

    clock.set(LATE_MONDAY_NY + timedelta(minutes=5))
    report = pipeline(store, root, clock, tmp_path, worker="w2").tick()
    assert list(states(store).values()) == ["sending"], "the dead worker's lease still holds"
    assert report.moves.get("sent", 0) == 0
    clock.set(LATE_MONDAY_NY + timedelta(minutes=11))
    report = pipeline(store, root, clock, tmp_path, worker="w2").tick()
    assert report.moves["unknown"] == 1
    assert list(states(store).values()) == ["unknown"]
    clock.advance(timedelta(days=2))
    pipeline(store, root, clock, tmp_path, worker="w2").tick()
    assert len(smtp_server.handler.received) == 1, "never re-sent on its own"
    assert list(states(store).values()) == ["unknown"], "and the next step waits for a person"

    listed = run_cli("delivery", "list", "--json")
    assert listed.exit_code == 0, listed.output
    (row,) = json.loads(listed.stdout)
    assert row["state"] == "unknown" and row["contact"] == "r0@race.example"
    assert row["message_id"] == smtp_server.handler.received[0].message["Message-ID"]
    # a person settles it a day later, on the pipeline's clock; the next step still
    # counts from when the message went out, not from the reconcile
    clock.advance(timedelta(days=1))
    done = run_cli("--now", clock.now().isoformat(), "delivery", "reconcile", str(row["touch"]),
                   "--as", "sent", "--by", "ops")  # fmt: skip
    assert done.exit_code == 0 and "is now sent" in done.stdout
    with store.database.unit_of_work(read_only=True) as session:
        first = session.get(Touch, row["touch"])
        assert ensure_utc(first.sent_at) == LATE_MONDAY_NY, "sent when it left, not when settled"
    clock.advance(timedelta(days=1))
    for _ in range(3):
        pipeline(store, root, clock, tmp_path, worker="w2").tick()
        clock.advance(timedelta(hours=1))
    assert sorted(states(store).values()) == ["sent", "sent"], "the sequence went on"
    bump = smtp_server.handler.received[-1].message
    assert bump["In-Reply-To"] == row["message_id"], "threaded on the message that did go out"


def test_a_connection_lost_during_data_is_unknown_not_retried(store, make_workspace, tmp_path):
    with SmtpServer() as server:
        root, _contacts = world(store, make_workspace, server.port, 1)
        text = (root / "delivery" / "mailboxes.yaml").read_text()
        (root / "delivery" / "mailboxes.yaml").write_text(text.replace("timeout: 10", "timeout: 1"))
        plan_all_due(store, root, tmp_path)
        clock = SimulatedClock(LATE_MONDAY_NY)
        server.handler.hold = threading.Event()  # DATA never answered: the client times out
        report = pipeline(store, root, clock, tmp_path).tick()
        assert report.moves["unknown"] == 1
        assert list(states(store).values()) == ["unknown"]
        server.handler.hold.set()
