"""People's side of delivery: tasks (CLI and web page), the one-click unsubscribe
endpoint, and the signed inbound webhooks (meetings, pushed mail)."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests import inbound_messages as m
from tests.factories import TEST_SECRET
from tests.test_pipeline import MONDAY, world  # noqa: F401
from tests.web_support import post_login

from signalseq.auth import service as users
from signalseq.clock import SimulatedClock
from signalseq.crm.models import Contact
from signalseq.deadletters.models import DeadLetter
from signalseq.delivery.unsubscribe import make_token
from signalseq.enrollments.engagement import record_event
from signalseq.enrollments.models import EngagementEvent, Enrollment, Touch
from signalseq.pipeline.simulate import simulate
from signalseq.policy.models import SuppressionEntry
from signalseq.rules.watcher import RulesWatcher
from signalseq.settings import Settings
from signalseq.signals.webhooks import sign
from signalseq.tasks.models import Task
from signalseq.web.app import create_app

PASSWORD = "correct horse battery"
INBOUND_SECRET = "inbound-webhook-secret-123"


def simulate_days(store, root, outbox, days, start=MONDAY, do_tasks=False):
    return simulate(store.database, RulesWatcher(root), start=start, days=days, outbox=outbox,
                    approve_reviews=True, complete_tasks=do_tasks)  # fmt: skip


def open_tasks(store):
    with store.database.unit_of_work(read_only=True) as session:
        return session.scalars(select(Task).where(Task.state == "open").order_by(Task.id)).all()


def test_linkedin_steps_wait_as_tasks_until_done_or_skipped(store, world, run_cli):  # noqa: F811
    root, ids, outbox = world
    simulate_days(store, root, outbox, days=3)  # openers out, connects due on Tuesday
    tasks = open_tasks(store)
    assert [t.kind for t in tasks] == ["linkedin_connect"] * 5
    listed = run_cli("tasks", "list", "--json")
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.stdout)
    assert {r["kind"] for r in rows} == {"linkedin_connect"} and len(rows) == 5
    assert all(r["text"] and r["title"].startswith("Send a LinkedIn connection") for r in rows)
    simulate_days(store, root, outbox, days=3, start=MONDAY + timedelta(days=3))
    with store.database.unit_of_work(read_only=True) as session:
        steps = session.scalars(
            select(Touch.step_id).where(Touch.enrollment_id == ids[0]).order_by(Touch.id)
        ).all()
    assert steps == ["opener", "connect"], "the sequence waits for the person"

    first, second, third = rows[0]["id"], rows[1]["id"], rows[2]["id"]
    assert run_cli("tasks", "done", str(first), "--note", "sent with a note").exit_code == 0
    assert run_cli("tasks", "skip", str(second), "--note", "no LinkedIn").exit_code == 0
    again = run_cli("tasks", "done", str(first))
    assert again.exit_code == 1 and "already done" in again.stderr
    with store.database.unit_of_work() as session:
        contact = session.get(Task, third).contact_id
        record_event(session, kind="replied", at=MONDAY + timedelta(days=6), contact_id=contact)
    simulate_days(store, root, outbox, days=4, start=MONDAY + timedelta(days=6))
    with store.database.unit_of_work(read_only=True) as session:
        done, skipped, cancelled = (session.get(Task, i) for i in (first, second, third))
        next_steps = {
            t.enrollment_id: t.step_id
            for t in session.scalars(select(Touch).where(Touch.step_id == "bump"))
        }
    assert (done.state, done.note, done.closed_by) == ("done", "sent with a note", "cli")
    assert skipped.state == "skipped" and cancelled.state == "cancelled"
    assert done.enrollment_id in next_steps and skipped.enrollment_id in next_steps, (
        "done or skipped, the sequence moves on to the bump"
    )
    assert cancelled.enrollment_id not in next_steps, "a reply cancels the open task"


@pytest.fixture
def web(store, world):  # noqa: F811
    root, ids, outbox = world
    simulate_days(store, root, outbox, days=3)
    with store.database.unit_of_work() as session:
        users.add_user(session, "rita", PASSWORD, "reviewer", MONDAY)
        users.add_user(session, "ada", PASSWORD, "rules_author", MONDAY)
    settings = Settings(
        _env_file=None, workspace=root, database_url=store.url, secret_key=TEST_SECRET,
        inbound_webhook_secret=INBOUND_SECRET,
    )  # fmt: skip
    clock = SimulatedClock(MONDAY + timedelta(days=4))  # Friday: Tuesday's tasks are overdue
    return create_app(settings, store.database, clock), ids, clock


def sign_in(client, user="rita"):
    response = post_login(client, data={"username": user, "password": PASSWORD})
    assert response.status_code == 303
    page = client.get("/tasks")
    return page, re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def test_the_tasks_page_shows_overdue_work_and_marks_it_done(store, web):
    app, _ids, _clock = web
    client = TestClient(app, follow_redirects=False)
    assert client.get("/tasks").status_code == 303, "sign in first"
    page, csrf = sign_in(client)
    assert page.status_code == 200 and page.text.count('class="task overdue"') == 5
    task = open_tasks(store)[0]
    assert client.post(f"/tasks/{task.id}/done", data={"note": "x"}).status_code == 403
    following = open_tasks(store)[1]
    back = f"state=open&overdue=true#task-{following.id}"
    done = client.post(f"/tasks/{task.id}/done",
                       data={"csrf_token": csrf, "note": "called", "back": back})  # fmt: skip
    assert done.status_code == 303  # back to the same filters, at the task that followed
    assert (
        done.headers["location"] == f"/tasks?state=open&overdue=true&done=done#task-{following.id}"
    )
    assert len(open_tasks(store)) == 4
    author = TestClient(app, follow_redirects=False)
    _page, author_csrf = sign_in(author, "ada")
    refused = author.post(
        f"/tasks/{open_tasks(store)[0].id}/skip", data={"csrf_token": author_csrf}
    )
    assert refused.status_code == 403 and len(open_tasks(store)) == 4


def test_a_task_says_how_to_reach_the_person(store, web):
    app, _ids, _clock = web
    client = TestClient(app, follow_redirects=False)
    page, _csrf = sign_in(client)
    kinds = {t.kind for t in open_tasks(store)}
    assert 'class="copy"' in page.text  # the message or script, one click to the clipboard
    assert ("no phone number on file" in page.text) == ("call" in kinds)
    assert "linkedin_connect" in kinds  # the world's sequence connects on day 1
    assert "no LinkedIn profile on file" in page.text
    assert "https://www.linkedin.com/search/results/people/?keywords=" in page.text
    with store.database.unit_of_work() as session:
        contact = session.get(Contact, open_tasks(store)[0].contact_id)
        contact.phone = "+1 415 555 0100"
        for task in session.scalars(select(Task)):
            task.owner = "rita@tallyforge-demo.com"
    again = client.get("/tasks").text
    assert 'href="tel:+14155550100"' in again
    assert client.get("/tasks", params={"owner": "rita"}).text.count('data-task="') == 5
    assert client.get("/tasks", params={"mine": "true"}).text.count('data-task="') == 5
    assert client.get("/tasks", params={"owner": "rob"}).text.count('data-task="') == 0


def test_one_click_unsubscribe_needs_no_login_and_is_idempotent(store, web):
    app, ids, _clock = web
    with store.database.unit_of_work(read_only=True) as session:
        enrollment = session.get(Enrollment, ids[0])
        contact_id = enrollment.contact_id
    token = make_token(TEST_SECRET, contact_id, "ana@co-us.com")
    client = TestClient(app, follow_redirects=False)
    confirm = client.get(f"/u/{token}")
    assert confirm.status_code == 200 and "ana@co-us.com" in confirm.text
    assert "from <strong>Tallyforge</strong>" in confirm.text  # who it is from, too
    assert f'action="/u/{token}"' in confirm.text

    def suppressed():
        with store.database.unit_of_work(read_only=True) as session:
            return session.scalar(
                select(func.count()).where(SuppressionEntry.value == "ana@co-us.com")
            )

    assert suppressed() == 0, "GET changes nothing (link scanners open links)"
    for _ in range(2):  # a mail client's one-click POST: no cookie, no CSRF token
        done = client.post(f"/u/{token}", data={"List-Unsubscribe": "One-Click"})
        assert done.status_code == 200 and "You are unsubscribed" in done.text
    assert suppressed() == 1
    with store.database.unit_of_work(read_only=True) as session:
        clicks = session.scalar(
            select(func.count()).where(EngagementEvent.source == "unsubscribe link")
        )
    assert clicks == 1, "a second click records nothing more"
    with store.database.unit_of_work(read_only=True) as session:
        enrollment = session.get(Enrollment, ids[0])
        unsent = session.scalar(
            select(func.count()).where(
                Touch.enrollment_id == ids[0], Touch.state.not_in(("sent", "cancelled", "skipped"))
            )
        )
    assert (enrollment.state, enrollment.exit_reason) == ("exited", "unsubscribed")
    assert unsent == 0
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    for bad in (forged, make_token("another-key-0123456789abcdef", contact_id, "ana@co-us.com")):
        page = client.get(f"/u/{bad}")
        assert page.status_code == 404 and "not valid" in page.text
        assert "/queue" not in page.text  # no way into the internal tool from here
        assert client.post(f"/u/{bad}").status_code == 404
    assert suppressed() == 1


def signed(body: bytes, secret: str = INBOUND_SECRET, stamp: int | None = None) -> dict[str, str]:
    stamp = stamp or int(time.time())
    return {"X-Signalseq-Timestamp": str(stamp), "X-Signalseq-Signature": sign(secret, stamp, body)}


def test_inbound_webhooks_are_signed_and_a_meeting_exits_the_enrollment(store, web):
    app, ids, clock = web
    clock.set(datetime.now(UTC))  # the signature's timestamp is checked against this
    client = TestClient(app)
    body = json.dumps({"type": "meeting", "email": "ana@co-gb.com"}).encode()
    assert client.post("/api/v1/inbound/events", content=body).status_code == 401
    assert client.post("/api/v1/inbound/events", content=body,
                       headers=signed(body, "wrong-secret")).status_code == 401  # fmt: skip
    headers = signed(body)
    accepted = client.post("/api/v1/inbound/events", content=body, headers=headers)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["type"] == "meeting"
    replay = client.post("/api/v1/inbound/events", content=body, headers=headers)
    assert replay.status_code == 401 and "replayed" in replay.json()["error"]["message"]
    with store.database.unit_of_work(read_only=True) as session:
        enrollment = session.get(Enrollment, ids[1])
    assert (enrollment.state, enrollment.exit_reason) == ("exited", "meeting")
    bad = b'{"type": "meeting"'
    assert (
        client.post("/api/v1/inbound/events", content=bad, headers=signed(bad)).status_code == 400
    )
    nobody = json.dumps({"type": "meeting", "email": "nobody@x.example"}).encode()
    assert client.post("/api/v1/inbound/events", content=nobody,
                       headers=signed(nobody)).status_code == 404  # fmt: skip

    reply = m.render(m.UNSUBSCRIBE_ES, "ana@co-de.com")
    pushed = client.post("/api/v1/inbound/email", content=reply, headers=signed(reply))
    assert pushed.status_code == 200, pushed.text
    assert pushed.json()["classification"] == "unsubscribe"
    with store.database.unit_of_work(read_only=True) as session:
        enrollment = session.get(Enrollment, ids[2])
    assert (enrollment.state, enrollment.exit_reason) == ("exited", "unsubscribed")
    junk = b"\x00\x00"
    assert (
        client.post("/api/v1/inbound/email", content=junk, headers=signed(junk)).status_code == 400
    )
    with store.database.unit_of_work(read_only=True) as session:
        kept = session.execute(select(DeadLetter.source, DeadLetter.reason)).all()
    reasons = [
        reason for source, reason in kept if source in ("webhook:inbound", "inbound:webhook")
    ]
    # refusals of one body are kept once (dead letters are deduplicated by content)
    assert any("X-Signalseq-Signature" in r for r in reasons), "a refused body is kept with why"
    assert any(r.startswith("invalid JSON") for r in reasons)
    assert any("no contact with the address nobody@x.example" in r for r in reasons)
    assert any("not an RFC 5322 message" in r for r in reasons)


def test_inbound_webhooks_are_off_without_a_secret(store, world):  # noqa: F811
    root, _ids, _outbox = world
    settings = Settings(_env_file=None, workspace=root, database_url=store.url)
    client = TestClient(create_app(settings, store.database))
    body = b"{}"
    response = client.post("/api/v1/inbound/events", content=body, headers=signed(body))
    assert response.status_code == 404 and "SIGNALSEQ_INBOUND_WEBHOOK_SECRET" in response.text
