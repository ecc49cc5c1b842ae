"""The worker tick end to end on a simulated clock: local send windows, at-most-once
delivery, exits, out-of-office pauses, engagement branching, version migration."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from tests.factories import enroll, outbox_delivery

from signalseq.clock import SimulatedClock, ensure_utc
from signalseq.crm.models import Contact
from signalseq.delivery.outbox import OutboxTransport
from signalseq.enrollments.engagement import record_event
from signalseq.enrollments.models import Enrollment, Touch, Transition
from signalseq.pipeline.simulate import simulate
from signalseq.pipeline.tick import Pipeline
from signalseq.policy.models import SuppressionEntry
from signalseq.rules.watcher import RulesWatcher
from signalseq.tasks.models import Task

MONDAY = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)
STEPS_V1 = """
      - {id: opener, channel: email, day: 0, purpose: opener, prompt: p-opener}
      - {id: connect, channel: linkedin_connect, day: 1, purpose: connect, prompt: p-connect}
      - {id: bump, channel: email, after: 2, purpose: bump, prompt: p-bump, thread: continue}
      - {id: new-angle, channel: email, after: 2, purpose: new_angle, prompt: p-angle}
      - {id: message, channel: linkedin_message, after: 1, purpose: message, prompt: p-msg}
      - {id: breakup, channel: email, after: 3, purpose: breakup, prompt: p-breakup}
"""
SEQUENCE = f"""
id: outreach
version: 1
engagement:
  - {{on: link_click, then: {{branch: clicked}}}}
  - {{on: connection_accepted, then: {{skip_to: message}}}}
  - {{on: opened_without_reply, after_touches: 2, then: {{skip_to: breakup}}}}
branches:
  main:
    steps:{STEPS_V1}
  clicked:
    steps:
      - {{id: value, channel: email, day: 0, purpose: value_add, prompt: p-value}}
      - {{id: call, channel: call, after: 1, purpose: call, prompt: p-call}}
"""
WORKSPACE = {"workspace.yaml": "name: t\n", "rules/sequences/outreach.yaml": SEQUENCE}
PEOPLE = [  # (country, zone)
    ("US", "America/New_York"),
    ("GB", "Europe/London"),
    ("DE", "Europe/Berlin"),
    ("IN", "Asia/Kolkata"),
    ("JP", "Asia/Tokyo"),
]
WINDOWS = ((9, 11), (13, 15))


@pytest.fixture
def world(store, make_workspace, tmp_path):
    root = make_workspace(WORKSPACE)
    ids = []
    with store.database.unit_of_work() as session:
        for country, zone in PEOPLE:
            row = enroll(
                session,
                account={
                    "name": f"Co {country}",
                    "normalized_name": f"co {country.lower()}",
                    "domain": f"co-{country.lower()}.com",
                    "country": country,
                    "timezone": zone,
                },
                contact={
                    "email": f"ana@co-{country.lower()}.com",
                    "first_name": "Ana",
                    "full_name": "Ana Example",
                },
                sequence_id="outreach",
                sequence_version=1,
                enrolled_at=MONDAY,
            )
            ids.append(row.id)
    return root, ids, tmp_path / "outbox"


def run(store, root, outbox, days, start=MONDAY, approve=True):
    return simulate(
        store.database,
        RulesWatcher(root),
        start=start,
        days=days,
        outbox=outbox,
        approve_reviews=approve,
    )


def make_pipeline(store, root, clock, transport, kind=Pipeline, **options):
    """A worker on the simulated clock, without ingest, with the simulated reviewer."""
    return kind(
        store.database,
        RulesWatcher(root),
        clock,
        transport,
        **{"ingest": False, "approve_reviews": True, **options},
    )


def touches(store, enrollment_id):
    with store.database.unit_of_work() as session:
        return [
            (t.branch, t.step_id, t.state, ensure_utc(t.sent_at) if t.sent_at else None)
            for t in session.scalars(
                select(Touch).where(Touch.enrollment_id == enrollment_id).order_by(Touch.id)
            )
        ]


def enrollment(store, enrollment_id):
    with store.database.unit_of_work() as session:
        row = session.get(Enrollment, enrollment_id)
        session.expunge(row)
        return row


def event(store, kind, enrollment_id, at, **extra):
    with store.database.unit_of_work() as session:
        return record_event(session, kind=kind, at=at, enrollment_id=enrollment_id, **extra).id


def test_touches_go_out_in_each_contacts_local_business_hours(store, world):
    root, ids, outbox = world
    report = run(store, root, outbox, days=28)
    zones = {i: zone for i, (_country, zone) in zip(ids, PEOPLE, strict=True)}
    for enrollment_id, zone in zones.items():
        sent = touches(store, enrollment_id)
        assert [step for _b, step, state, _at in sent if state == "sent"] == [
            "opener",
            "connect",
            "bump",
            "new-angle",
            "message",
            "breakup",
        ], zone
        assert enrollment(store, enrollment_id).state == "completed"
        for _branch, step, _state, at in sent:
            local = at.astimezone(ZoneInfo(zone))
            assert local.weekday() < 5, (zone, step, local)
            assert any(start <= local.hour < end for start, end in WINDOWS), (zone, step, local)
    us = touches(store, ids[0])
    # the bump is due 2 business days after Tuesday's connect: Thursday in Berlin, but
    # Friday in New York, where Thanksgiving (Thu 26) is not a business day
    assert us[2][3].astimezone(ZoneInfo("America/New_York")).date() == date(2026, 11, 27)
    de = touches(store, ids[2])
    assert de[2][3].astimezone(ZoneInfo("Europe/Berlin")).date() == date(2026, 11, 26)
    assert report.by_channel() == {"email": 20, "linkedin_connect": 5, "linkedin_message": 5}
    emails = sorted(outbox.glob("touch-*.eml"))
    assert len(emails) == 20
    with store.database.unit_of_work() as session:
        done = session.execute(select(Task.kind, Task.state, Task.closed_by)).all()
    assert sorted(done) == sorted(
        [("linkedin_connect", "done", "simulated-rep")] * 5
        + [("linkedin_message", "done", "simulated-rep")] * 5
    ), "each LinkedIn step was a task for a person, done by the simulated rep"
    first = message_from_bytes(emails[0].read_bytes())
    assert "ana@co-us.com" in first["To"] and first["Subject"] and first["Message-ID"]


def test_a_crash_after_delivery_never_sends_twice(store, world):
    root, ids, outbox = world

    class CrashAfterWriting(OutboxTransport):
        def send(self, letter, message):
            super().send(letter, message)
            raise RuntimeError("worker killed before commit")

    clock = SimulatedClock(datetime(2026, 11, 23, 14, 0, tzinfo=UTC))  # 09:00 in New York
    crashing_delivery = outbox_delivery(outbox)
    crashing_delivery.transports.every = CrashAfterWriting(outbox)
    crashing = make_pipeline(store, root, clock, crashing_delivery, worker="a")
    crashing.tick()  # plans the openers: New York's is due within the hour (jitter)
    clock.advance(timedelta(minutes=50))
    with pytest.raises(RuntimeError, match="killed"):
        crashing.tick()
    written = sorted(outbox.glob("*.eml"))
    assert len(written) == 1
    before = written[0].read_bytes()
    states = [t[2] for i in ids for t in touches(store, i)]
    assert "sent" not in states and states.count("sending") == 1, "sending was committed first"
    clock.advance(timedelta(minutes=11))  # the dead worker's sending lease has expired
    healthy = make_pipeline(store, root, clock, outbox_delivery(outbox), worker="b")
    healthy.tick()
    assert written[0].read_bytes() == before, "the file of the crashed attempt was kept"
    assert len(list(outbox.glob("*.eml"))) == 1 + sum(
        t[2] == "sent" for i in ids for t in touches(store, i)
    ), "only new touches were sent; the crashed one was not sent again"
    with store.database.unit_of_work() as session:
        unknown = session.scalars(select(Touch).where(Touch.state == "unknown")).all()
        assert len(unknown) == 1, "the touch whose fate nobody knows waits for a person"
        assert outbox.joinpath(f"touch-{unknown[0].id:08d}.eml") == written[0]


def test_a_reply_stops_the_enrollment_and_nothing_more_is_sent(store, world, run_cli):
    root, ids, outbox = world
    run(store, root, outbox, days=2)  # opener and connect are out
    replied = ids[2]
    contact_id = enrollment(store, replied).contact_id
    # the reply comes in on the simulation's clock: the moment the two days ended
    at = datetime(2026, 11, 25, 0, 0, tzinfo=UTC)
    result = run_cli(
        "--now", "2026-11-25T00:00:00", "events", "add", "replied", "--contact", contact_id
    )
    assert result.exit_code == 0, result.output
    run(store, root, outbox, days=30, start=at)
    row = enrollment(store, replied)
    assert (row.state, row.exit_reason) == ("exited", "replied")
    sent = [t for t in touches(store, replied) if t[2] == "sent"]
    assert [t[1] for t in sent] == ["opener", "connect"]
    assert {t[2] for t in touches(store, replied)} == {"sent", "cancelled"}
    listed = json.loads(run_cli("events", "list", "--json").stdout)
    assert listed[0]["outcome"].startswith("replied: #") and listed[0]["applied_at"]
    assert listed[0]["occurred_at"] == "2026-11-25T00:00:00+00:00"
    assert enrollment(store, ids[0]).state == "completed", "the others ran on"


def test_unsubscribe_and_bounce_suppress_the_address(store, world):
    root, ids, outbox = world
    event(store, "unsubscribed", ids[0], MONDAY)
    event(store, "bounced", ids[1], MONDAY)
    run(store, root, outbox, days=1)
    with store.database.unit_of_work() as session:
        suppressed = {(s.value, s.reason) for s in session.scalars(select(SuppressionEntry))}
    assert suppressed == {("ana@co-us.com", "unsubscribed"), ("ana@co-gb.com", "bounced")}
    assert enrollment(store, ids[0]).exit_reason == "unsubscribed"
    assert enrollment(store, ids[1]).exit_reason == "bounced"
    assert not [t for t in touches(store, ids[0]) if t[2] == "sent"]


def test_suppression_is_checked_again_at_send(store, world, make_workspace):
    root, ids, outbox = world
    always = SEQUENCE.replace("prompt: p-opener}", "prompt: p-opener, review: always}")
    (root / "rules/sequences/outreach.yaml").write_text(always)
    run(store, root, outbox, days=1, approve=False)
    # 23 November is Labour Thanksgiving Day in Japan: Tokyo's opener waits for Tuesday
    assert [touches(store, i)[0][2] for i in ids] == ["in_review"] * 4 + ["scheduled"]
    with store.database.unit_of_work() as session:
        session.add(
            SuppressionEntry(
                kind="domain", value="co-jp.com", reason="complaint", created_at=MONDAY
            )
        )
    # openers whose send window closed while in review wait for their next window
    # (Kolkata's: Wednesday, after a holiday), so the reviewer's day runs into Wednesday
    run(store, root, outbox, days=2, start=MONDAY + timedelta(days=1), approve=True)
    row = enrollment(store, ids[4])
    assert (row.state, row.exit_reason) == ("exited", "suppressed")
    assert [t[2] for t in touches(store, ids[4])] == ["cancelled"]
    assert "ana@co-jp.com" not in {
        message_from_bytes(p.read_bytes())["To"] for p in outbox.glob("*.eml")
    }
    assert len(list(outbox.glob("*.eml"))) == 4


def test_out_of_office_pauses_until_the_return_date_plus_a_business_day(store, world):
    root, ids, outbox = world
    run(store, root, outbox, days=1)  # openers out on Monday
    berlin = ids[2]
    event(
        store, "out_of_office", berlin, MONDAY + timedelta(days=1), return_date=date(2026, 11, 27)
    )
    no_date = ids[0]
    event(store, "out_of_office", no_date, MONDAY + timedelta(days=1))
    run(store, root, outbox, days=5, start=MONDAY + timedelta(days=1))
    paused = enrollment(store, berlin)
    assert paused.state == "paused"
    back = ensure_utc(paused.paused_until).astimezone(ZoneInfo("Europe/Berlin"))
    assert (back.date(), back.hour) == (date(2026, 11, 30), 0), "Fri return + 1 business day"
    assert [t[1] for t in touches(store, berlin) if t[2] == "sent"] == ["opener"]
    default = enrollment(store, no_date)
    assert ensure_utc(default.paused_until) == MONDAY + timedelta(days=8), "7 days by default"
    run(store, root, outbox, days=3, start=MONDAY + timedelta(days=6))
    resumed = touches(store, berlin)
    assert enrollment(store, berlin).state == "active"
    assert resumed[1][1] == "connect" and resumed[1][2] == "sent"
    local = resumed[1][3].astimezone(ZoneInfo("Europe/Berlin"))
    assert local.date() == date(2026, 11, 30) and any(s <= local.hour < e for s, e in WINDOWS)


def test_engagement_switches_branch_or_skips_ahead_once(store, world):
    root, ids, outbox = world
    run(store, root, outbox, days=1)
    clicker, connector, opener = ids[0], ids[1], ids[2]
    tuesday = MONDAY + timedelta(days=1)
    event(store, "link_click", clicker, tuesday)
    event(store, "connection_accepted", connector, tuesday)
    first = touches(store, opener)[0]
    with store.database.unit_of_work() as session:
        touch_id = session.scalar(
            select(Touch.id).where(Touch.enrollment_id == opener, Touch.step_id == first[1])
        )
    event(store, "opened", opener, tuesday, touch_id=touch_id)
    run(store, root, outbox, days=2, start=tuesday)
    clicked = touches(store, clicker)
    assert enrollment(store, clicker).branch == "clicked"
    assert [(b, s, st) for b, s, st, _at in clicked] == [
        ("main", "opener", "sent"),
        ("main", "connect", "cancelled"),
        ("clicked", "value", "sent"),
        ("clicked", "call", "sent"),  # a business day after the value email
    ], clicked
    assert [s for _b, s, _st, _at in touches(store, connector)][:3] == [
        "opener",
        "connect",
        "message",
    ], "skipped ahead to the LinkedIn message"
    assert enrollment(store, opener).branch == "main", "one open is not two"
    event(store, "link_click", clicker, tuesday + timedelta(days=2))
    with store.database.unit_of_work() as session:
        second_open = session.scalar(
            select(Touch.id).where(Touch.enrollment_id == opener, Touch.step_id == "connect")
        )
    event(store, "opened", opener, tuesday + timedelta(days=2), touch_id=second_open)
    run(store, root, outbox, days=1, start=tuesday + timedelta(days=2))
    assert enrollment(store, clicker).engagement_applied == [0], "each rule fires once"
    steps = [s for _b, s, _st, _at in touches(store, opener)]
    assert steps[-1] == "breakup", "opened twice without a reply: the breakup comes next"


def test_versions_are_pinned_and_migrated_by_step_id(store, world, run_cli):
    root, ids, outbox = world
    run(store, root, outbox, days=1)  # everyone has sent the opener; connect is next
    v2 = SEQUENCE.replace("version: 1", "version: 2").replace(
        "      - {id: connect, channel: linkedin_connect, day: 1, purpose: connect, "
        "prompt: p-connect}\n",
        "      - {id: call-first, channel: call, day: 1, purpose: call, prompt: p-call}\n",
    )
    (root / "rules/sequences/outreach-v2.yaml").write_text(v2)
    assert run_cli("validate").exit_code == 0
    listed = json.loads(run_cli("sequences", "list", "--json").stdout)
    assert [(r["version"], r["current"], r["enrollments"]) for r in listed] == [
        (1, False, {"active": 5}),
        (2, True, {}),
    ]
    run(store, root, outbox, days=1, start=MONDAY + timedelta(hours=23))
    pinned = touches(store, ids[0])
    assert [t[1] for t in pinned][:2] == ["opener", "connect"], "v1 enrollments keep v1 steps"

    missing = run_cli("sequences", "migrate", "outreach", "--to", "7")
    assert missing.exit_code == 1 and "versions: 1, 2" in missing.stderr
    moved = json.loads(run_cli("sequences", "migrate", "outreach", "--to", "2", "--json").stdout)
    assert moved["migrated"] == 5 and moved["from_versions"] == {"1": 5}
    run(store, root, outbox, days=10, start=MONDAY + timedelta(days=2))
    steps = [(s, st) for _b, s, st, _at in touches(store, ids[0])]
    assert ("call-first", "sent") not in steps, (
        "a step inserted before the position is not back-filled"
    )
    assert [s for s, st in steps if st == "sent"][-1] in {"bump", "new-angle", "message", "breakup"}
    assert enrollment(store, ids[0]).sequence_version == 2

    (root / "rules/sequences/copy.yaml").write_text(v2)
    duplicate = run_cli("validate")
    assert duplicate.exit_code == 1 and "version 2 is also defined in" in duplicate.output


def test_run_once_and_simulate_from_the_cli(store, world, run_cli, monkeypatch, tmp_path):
    root, ids, _outbox = world
    monkeypatch.setenv("SIGNALSEQ_OUTBOX_DIR", str(tmp_path / "real-outbox"))
    once = run_cli("--now", "2026-11-23T00:00:00", "run", "--once", "--json")
    assert once.exit_code == 0, once.output
    report = json.loads(once.stdout)
    assert report["plan"]["scheduled"] == 5 and report["interrupted"] is False
    simulated = run_cli(
        "simulate", "--days", "21", "--start", "2026-11-23", "--approve-reviews", "--json"
    )
    assert simulated.exit_code == 0, simulated.output
    data = json.loads(simulated.stdout)
    assert data["sent_by_channel"]["email"] == 20 and data["enrollments"] == {"completed": 5}
    text = run_cli("simulate", "--days", "1", "--start", "2026-12-20")
    assert "simulated" in text.stdout and "enrollments: completed 5" in text.stdout
    monkeypatch.setenv("SIGNALSEQ_SMTP_HOST", "smtp.example.com")
    refused = run_cli("--now", "2026-11-23T00:00:00", "run", "--once")
    assert refused.exit_code == 1 and "SIGNALSEQ_PUBLIC_URL must be the https://" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_the_worker_stops_cleanly_on_sigterm(store, world, tmp_path):
    root, _ids, _outbox = world
    env = {
        **os.environ,
        "SIGNALSEQ_DATABASE_URL": store.url,
        "SIGNALSEQ_WORKSPACE": str(root),
        "SIGNALSEQ_WORKER_POLL_SECONDS": "0.2",
        "SIGNALSEQ_OUTBOX_DIR": str(tmp_path / "out"),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "signalseq", "worker"],
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with store.database.unit_of_work() as session:
                if session.scalar(select(func.count()).select_from(Touch)):
                    break
            time.sleep(0.1)
        process.send_signal(signal.SIGTERM)
        _out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert "SIGTERM received" in err and "stopped after" in err


def test_two_workers_send_each_touch_exactly_once(postgres_store, world):
    store = postgres_store
    root, ids, outbox = world
    with store.database.unit_of_work() as session:
        contact_ids = [session.get(Enrollment, i).contact_id for i in ids]
        for n in range(60):
            session.add(
                Enrollment(
                    contact_id=contact_ids[n % len(contact_ids)],
                    sequence_id="outreach",
                    sequence_version=1,
                    branch="main",
                    rule_id="r",
                    enrolled_at=MONDAY,
                )
            )
    clock = SimulatedClock(datetime(2026, 11, 23, 14, 0, tzinfo=UTC))

    def pipeline(name: str) -> Pipeline:
        return make_pipeline(store, root, clock, outbox_delivery(outbox), worker=name, batch=5)

    pipeline("planner").tick()  # plans the openers
    clock.advance(timedelta(minutes=50))
    with store.database.unit_of_work() as session:
        due = session.scalar(
            select(func.count()).select_from(Touch).where(Touch.due_at <= clock.now())
        )
    # 09:50 in New York and 14:50 in London: their openers are due (the other zones'
    # windows are closed); the planner planned its batch limit of 50 enrollments
    assert 13 <= due <= 26
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def work(name: str) -> None:
        try:
            barrier.wait(timeout=30)
            for _ in range(2):
                pipeline(name).tick()
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(name,)) for name in ("w1", "w2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    with store.database.unit_of_work() as session:
        sent = session.scalar(select(func.count()).select_from(Touch).where(Touch.state == "sent"))
        transitions = session.scalar(
            select(func.count()).where(Transition.entity == "touch", Transition.to_state == "sent")
        )
    files = list(Path(outbox).glob("*.eml"))
    assert sent == transitions == len(files) == due


def test_a_reply_recorded_mid_tick_wins_over_the_send(store, world):
    root, ids, outbox = world

    class ReplyArrivesBeforeDelivery(Pipeline):
        def _stage(self, rules, state, handler, report):
            if state == "approved" and report.moves["approved"]:  # replies arrive now
                with store.database.unit_of_work() as session:
                    for enrollment_id in ids:
                        record_event(
                            session,
                            kind="replied",
                            at=self.clock.now(),
                            enrollment_id=enrollment_id,
                        )
            return super()._stage(rules, state, handler, report)

    clock = SimulatedClock(datetime(2026, 11, 23, 14, 0, tzinfo=UTC))
    pipeline = make_pipeline(
        store, root, clock, outbox_delivery(outbox), kind=ReplyArrivesBeforeDelivery
    )
    pipeline.tick()
    clock.advance(timedelta(minutes=50))
    report = pipeline.tick()
    assert report.moves["approved"] >= 1, "New York's and London's openers were drafted"
    assert not list(outbox.glob("*.eml")), "nothing goes out after a reply is recorded"
    for enrollment_id in ids[:2]:
        row = enrollment(store, enrollment_id)
        assert (row.state, row.exit_reason) == ("exited", "replied")
        assert {t[2] for t in touches(store, enrollment_id)} == {"cancelled"}


def test_an_address_changed_between_reserve_and_send_is_not_written_to(store, world):
    """The message is built with the address of the moment it was reserved; if the
    contact's address changes before the send (a job change, a correction), the built
    message is not sent to the old one."""
    root, ids, outbox = world

    class AddressChangesMidSend(Pipeline):
        def _send_reserved(self, ctx, report):
            if self._after_commit:
                with store.database.unit_of_work() as session:
                    for reserved in self._after_commit:
                        touch = session.get(Touch, reserved.touch_id)
                        enrollment = session.get(Enrollment, touch.enrollment_id)
                        contact = session.get(Contact, enrollment.contact_id)
                        contact.email = contact.email.replace("ana@", "ana.new@")
            return super()._send_reserved(ctx, report)

    clock = SimulatedClock(datetime(2026, 11, 23, 14, 0, tzinfo=UTC))
    pipeline = make_pipeline(
        store, root, clock, outbox_delivery(outbox), kind=AddressChangesMidSend
    )
    for _ in range(4):
        pipeline.tick()
        clock.advance(timedelta(minutes=30))
    sent_to = [
        line
        for path in outbox.glob("*.eml")
        for line in path.read_bytes().split(b"\r\n\r\n", 1)[0].split(b"\r\n")
        if line.startswith(b"To:")
    ]
    assert sent_to, "the email went out, rebuilt for the new address"
    assert all(b"<ana.new@" in line for line in sent_to), sent_to
    with store.database.unit_of_work() as session:
        causes = session.scalars(
            select(Transition.cause).where(Transition.to_state == "needs_address")
        ).all()
    assert any("is no longer the contact's address" in c for c in causes)
