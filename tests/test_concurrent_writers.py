"""One worker and the web app writing at once: no "database is locked" reaches a user
(on SQLite every unit of work begins IMMEDIATE and waits its turn)."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.factories import TEST_SECRET
from tests.test_pipeline import MONDAY, world  # noqa: F401
from tests.web_support import post_login

from signalseq.clock import SimulatedClock
from signalseq.delivery.unsubscribe import make_token
from signalseq.enrollments.models import EngagementEvent, Enrollment
from signalseq.pipeline.simulate import simulate
from signalseq.rules.watcher import RulesWatcher
from signalseq.settings import Settings
from signalseq.signals.webhooks import sign
from signalseq.web.app import create_app

INBOUND = "inbound-secret-for-concurrency"


def test_a_worker_and_the_web_app_write_at_once_without_lock_errors(store, world):  # noqa: F811
    root, ids, outbox = world
    settings = Settings(_env_file=None, workspace=root, database_url=store.url,
                        secret_key=TEST_SECRET, inbound_webhook_secret=INBOUND)  # fmt: skip
    clock = SimulatedClock(MONDAY + timedelta(days=1))
    app = create_app(settings, store.database, clock)
    errors: list[BaseException] = []
    stop = threading.Event()

    def worker() -> None:
        try:
            start = MONDAY
            while not stop.is_set():
                simulate(store.database, RulesWatcher(root), start=start, days=1, outbox=outbox,
                         approve_reviews=True, settings=settings)  # fmt: skip
                start += timedelta(days=1)
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=worker)
    thread.start()
    statuses: dict[str, list[int]] = {"event": [], "unsubscribe page": [], "login": []}
    with store.database.unit_of_work(read_only=True) as session:
        contacts = [session.get(Enrollment, i).contact_id for i in ids]
    try:
        client = TestClient(app)
        deadline = time.monotonic() + 8
        n = 0
        while time.monotonic() < deadline and n < 800:
            n += 1
            body = json.dumps({"type": "out_of_office", "email": f"ana@co-{('us', 'gb', 'de')[n % 3]}.com",
                               "return_date": "2026-12-01"}).encode()  # fmt: skip
            # signed by the app's clock (each delivery its own signature: none is a replay)
            stamp = int(clock.now().timestamp()) - n // 3
            statuses["event"].append(client.post("/api/v1/inbound/events", content=body, headers={
                "X-Signalseq-Timestamp": str(stamp),
                "X-Signalseq-Signature": sign(INBOUND, stamp, body)}).status_code)  # fmt: skip
            statuses["unsubscribe page"].append(
                client.get(
                    f"/u/{make_token(TEST_SECRET, contacts[4], 'ana@co-jp.com')}"
                ).status_code
            )
            statuses["login"].append(post_login(client, data={"username": "nobody", "password": "x" * 12},
                                        follow_redirects=False).status_code)  # fmt: skip
    finally:
        stop.set()
        thread.join(timeout=120)
    assert not errors, errors
    assert n > 3, "the web app answered while the worker ran"
    assert set(statuses["event"]) == {200}, "every signed event is recorded"
    assert set(statuses["unsubscribe page"]) == {200}
    assert set(statuses["login"]) <= {401, 429} and statuses["login"][0] == 401
    with store.database.unit_of_work(read_only=True) as session:
        assert session.scalar(select(func.count()).select_from(Enrollment)) == len(ids)
        recorded = session.scalar(
            select(func.count())
            .select_from(EngagementEvent)
            .where(EngagementEvent.source == "webhook")
        )
    assert recorded == len(statuses["event"])
