"""Inbound mail read from a real IMAP server (Dovecot on 127.0.0.1): replies,
out-of-office notes in several languages, bounces, complaints and unsubscribes, each
classified and applied once."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from sqlalchemy import select
from tests import inbound_messages as m
from tests.factories import TEST_SECRET, enroll
from tests.mail_servers import dovecot, mailbox_yaml  # noqa: F401

from signalseq.deadletters.models import DeadLetter
from signalseq.delivery.models import MailboxState, SoftBounce
from signalseq.delivery.unsubscribe import make_token
from signalseq.enrollments.models import Enrollment, Touch
from signalseq.policy.models import SuppressionEntry
from signalseq.tasks.models import Task

SEQUENCE = """
id: s
version: 1
branches:
  main:
    steps:
      - {id: opener, channel: email, day: 0, purpose: opener, prompt: p-opener}
      - {id: bump, channel: email, after: 2, purpose: bump, prompt: p-bump, thread: continue}
"""
CASES = {  # contact → message it sends
    "reply": m.REPLY_OUTLOOK,
    "ooo-en": m.AUTO_REPLY_EN,
    "ooo-fr": m.AUTO_REPLY_FR_SUBJECT_ONLY,
    "ooo-pl": m.AUTO_REPLY_PL,
    "hard": m.DSN_HARD,
    "soft": m.DSN_SOFT,
    "policy": m.DSN_POLICY,
    "complaint": m.ARF_COMPLAINT,
    "unsub-es": m.UNSUBSCRIBE_ES,
    "unsub-mailto": m.UNSUBSCRIBE_BY_MAILTO,
    "unsub-apple": m.UNSUBSCRIBE_APPLE,
    "delay": m.DSN_DELAYED,
    "own-first": m.PROSE_BOUNCE_OWN_FIRST,
    "forged": m.FORGED_BOUNCE,
}


def _world(store):
    """One enrolled contact per case, each with its sent opener (a known Message-ID)
    and its next step scheduled."""
    people = {}
    with store.database.unit_of_work() as session:
        for n, name in enumerate(CASES):
            row = enroll(
                session,
                contact={"email": f"{name}@example-corp.com", "full_name": f"{name} Person",
                         "owner": "alex@signalseq.example"},
                sequence_id="s", sequence_version=1,
                enrolled_at=datetime(2026, 11, 23, tzinfo=UTC),
            )  # fmt: skip
            sent_at = datetime(2026, 11, 23, 14, tzinfo=UTC)
            session.add_all(
                [
                    Touch(enrollment_id=row.id, branch="main", step_id="opener", step_index=0,
                          channel="email", purpose="opener", due_at=sent_at, state="sent",
                          sent_at=sent_at, mailbox_id="sales",
                          message_id=f"<t{n}.ref@tallyforge-demo.com>"),
                    Touch(enrollment_id=row.id, branch="main", step_id="bump", step_index=1,
                          channel="email", purpose="bump", due_at=datetime(2026, 11, 30, 14, tzinfo=UTC),
                          state="scheduled", thread="continue"),
                ]
            )  # fmt: skip
            people[name] = (row.id, row.contact_id, f"<t{n}.ref@tallyforge-demo.com>")
    return people


def test_imap_messages_are_classified_and_applied_once(
    store, make_workspace, dovecot, run_cli, monkeypatch
):
    imap = {"host": "127.0.0.1", "port": dovecot.port, "security": "none",
            "username": dovecot.user, "password_env": "TEST_IMAP_PASSWORD"}  # fmt: skip
    make_workspace(
        {
            "workspace.yaml": "name: t\n",
            "rules/sequences/s.yaml": SEQUENCE,
            "delivery/mailboxes.yaml": mailbox_yaml(imap=imap),
        }
    )
    monkeypatch.setenv("TEST_IMAP_PASSWORD", dovecot.password)
    monkeypatch.setenv("SIGNALSEQ_SECRET_KEY", TEST_SECRET)
    people = _world(store)
    for name, template in CASES.items():
        _enrollment, contact_id, ref = people[name]
        token = make_token(TEST_SECRET, contact_id, f"{name}@example-corp.com")
        if name == "forged":
            ref = "<a-message-we-never-sent@elsewhere.example>"
        dovecot.append(m.render(template, f"{name}@example-corp.com", ref, token))
    dovecot.append(m.render(m.STRANGER, "someone@unknown.example"))

    first = run_cli("inbound", "poll", "--json")
    assert first.exit_code == 0, first.output
    (report,) = json.loads(first.stdout)
    assert report["read"] == 15 and report["error"] is None
    got = {r["message_id"]: r["classification"] for r in report["messages"]}
    assert sorted(got.values()) == sorted(
        ["reply", "auto_reply", "auto_reply", "auto_reply", "bounce", "soft_bounce",
         "policy_block", "complaint", "unsubscribe", "unsubscribe", "unsubscribe",
         "delivery_report", "bounce", "bounce", "reply"]
    )  # fmt: skip

    def enrollment(name):
        with store.database.unit_of_work() as session:
            row = session.get(Enrollment, people[name][0])
            states = session.scalars(
                select(Touch.state).where(Touch.enrollment_id == row.id).order_by(Touch.id)
            ).all()
            return row.state, row.exit_reason, row.paused_until, states

    assert enrollment("reply")[:2] == ("exited", "replied")
    assert enrollment("reply")[3] == ["sent", "cancelled"], "the unsent bump is cancelled"
    for name, back in (("ooo-en", date(2026, 12, 7)), ("ooo-fr", date(2026, 12, 9)),
                       ("ooo-pl", date(2026, 12, 4))):  # fmt: skip
        state, _reason, until, touches = enrollment(name)
        assert state == "paused" and until.date() >= back, (name, until)
        assert touches == ["sent", "scheduled"], "a pause, not an exit"
    assert enrollment("hard")[:2] == ("exited", "bounced")
    assert enrollment("soft")[0] == "active", "one soft bounce: the sequence goes on"
    assert enrollment("policy")[0] == "active", "a 5.7.x block pauses the mailbox instead"
    assert enrollment("complaint")[:2] == ("exited", "unsubscribed")
    assert enrollment("unsub-es")[:2] == ("exited", "unsubscribed")
    assert enrollment("unsub-mailto")[:2] == ("exited", "unsubscribed"), "matched by token"
    assert enrollment("unsub-apple")[:2] == ("exited", "unsubscribed"), "not an out-of-office"
    assert enrollment("delay")[:2] == ("active", None), "a delay warning changes nothing"
    assert enrollment("own-first")[:2] == ("exited", "bounced")
    assert enrollment("forged")[:2] == ("active", None), "a bounce about no message of ours"
    with store.database.unit_of_work() as session:
        suppressed = {
            value: reason
            for value, reason in session.execute(
                select(SuppressionEntry.value, SuppressionEntry.reason)
            )
        }
        soft = session.get(SoftBounce, "soft@example-corp.com")
        mailbox = session.get(MailboxState, "sales")
        tasks = session.execute(select(Task.kind, Task.owner, Task.text)).all()
        dead = session.scalars(select(DeadLetter.reason)).all()
    for name in ("hard", "complaint", "unsub-es", "unsub-mailto", "unsub-apple", "own-first"):
        assert f"{name}@example-corp.com" in suppressed, name
    for name in ("reply", "delay", "forged", "soft", "policy"):
        assert f"{name}@example-corp.com" not in suppressed, name
    assert "maya@tallyforge-demo.com" not in suppressed, "never our own mailbox"
    assert soft.count == 1
    assert mailbox.paused_at is not None and "5.7.1" in mailbox.paused_reason
    assert mailbox.imap_last_uid == 15
    assert [(k, o) for k, o, _t in tasks] == [("reply", "alex@signalseq.example")]
    assert "Does Thursday work?" in tasks[0][2], "the owner is told what the person wrote"
    assert sorted(dead) == [
        "bounce: names no message we sent (about forged@example-corp.com)",
        "reply: no contact matches (from someone@unknown.example)",
    ]

    again = run_cli("inbound", "poll", "--json")
    assert json.loads(again.stdout)[0]["read"] == 0, "read from the last UID on"
    listed = json.loads(run_cli("inbound", "list", "--json").stdout)
    assert len(listed) == 15
    status = json.loads(run_cli("delivery", "mailboxes", "--json").stdout)
    assert status[0]["paused"] and "5.7.1" in status[0]["paused"]
    assert run_cli("delivery", "resume", "sales").exit_code == 0
    assert json.loads(run_cli("delivery", "mailboxes", "--json").stdout)[0]["paused"] is None


def test_the_same_message_twice_is_applied_once(store, make_workspace, run_cli, tmp_path):
    make_workspace({"workspace.yaml": "name: t\n", "rules/sequences/s.yaml": SEQUENCE})
    people = _world(store)
    _enrollment, _contact, ref = people["soft"]
    path = tmp_path / "soft.eml"
    path.write_bytes(m.render(m.DSN_SOFT, "soft@example-corp.com", ref))
    for _ in range(2):
        result = run_cli("inbound", "import", str(path), "--json")
        assert result.exit_code == 0, result.output
    with store.database.unit_of_work() as session:
        assert session.get(SoftBounce, "soft@example-corp.com").count == 1
    assert json.loads(result.stdout)[0]["duplicate"] is True


def test_hostile_bytes_are_stored_without_failing_the_import(
    store, make_workspace, run_cli, tmp_path
):
    make_workspace({"workspace.yaml": "name: t\n", "rules/sequences/s.yaml": SEQUENCE})
    _world(store)
    nul = tmp_path / "nul.eml"
    nul.write_bytes(
        b"From: reply@example-corp.com\r\nSubject: Re: hi\x00there\r\nMessage-ID: <nul-1@x>\r\n"
        b"\r\nThanks\x00, let's talk.\r\n"
    )
    junk = tmp_path / "junk.eml"
    junk.write_bytes(b"\x00\x00\x00")
    result = run_cli("inbound", "import", str(nul), str(junk), "--json")
    assert result.exit_code == 0, result.output
    classified = [row["classification"] for row in json.loads(result.stdout)]
    assert classified == ["reply", "unreadable"]
    with store.database.unit_of_work(read_only=True) as session:
        reasons = session.scalars(select(DeadLetter.reason)).all()
    assert reasons == ["no headers: not an RFC 5322 message"], "the unreadable one is kept"
