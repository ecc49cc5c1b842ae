"""Circuit breakers: a mailbox whose hard bounces climb stops sending, a rule whose
emails draw complaints stops enrolling — until a person resumes it, from the CLI."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from tests.factories import enroll
from tests.mail_servers import mailbox_yaml

from signalseq.delivery import breakers
from signalseq.delivery.models import MailboxState
from signalseq.enrollments.engagement import record_event
from signalseq.enrollments.models import Touch
from signalseq.inbound.models import InboundMessage
from signalseq.policy.schema import Breakers

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def sent(store, rule, count, *, bounced=0, complaints=0, mailbox="sales", days_ago=1):
    """``count`` emails sent by ``mailbox`` for enrollments of ``rule``."""
    with store.database.unit_of_work() as session:
        for n in range(count):
            row = enroll(
                session,
                contact={"email": f"{rule}{n}.{days_ago}@acme-{n}.com", "full_name": f"P {n}"},
                sequence_id="s", sequence_version=1, rule_id=rule,
                enrolled_at=NOW - timedelta(days=days_ago + 1),
            )  # fmt: skip
            at = NOW - timedelta(days=days_ago)
            touch = Touch(enrollment_id=row.id, branch="main", step_id="opener", step_index=0,
                          channel="email", purpose="opener", due_at=at, state="sent", sent_at=at,
                          mailbox_id=mailbox, message_id=f"<{rule}.{n}.{days_ago}@t>")  # fmt: skip
            session.add(touch)
            session.flush()
            if n < bounced:
                record_event(session, kind="bounced", at=at, contact_id=row.contact_id,
                             touch_id=touch.id, source="smtp:sales")  # fmt: skip
            if n < complaints:
                session.add(InboundMessage(message_id=f"<arf.{rule}.{n}.{days_ago}@isp>", source="imap:sales",
                                           classification="complaint", touch_id=touch.id,
                                           contact_id=row.contact_id, received_at=at))  # fmt: skip


def test_bounces_pause_the_mailbox_and_complaints_the_rule_until_resumed(
    store, run_cli, make_workspace
):
    make_workspace({"workspace.yaml": "name: t\n", "delivery/mailboxes.yaml": mailbox_yaml()})
    sent(store, "quiet", 30, bounced=2)  # under min_sends on its own
    sent(store, "noisy", 40, bounced=1, complaints=1)
    sent(store, "old", 100, bounced=50, days_ago=30)  # outside the 7-day window
    limits = Breakers()
    with store.database.unit_of_work() as session:
        alerts = breakers.check(session, limits, NOW)
    # the mailbox: 3 bounces of 70 emails (4.3% > 3%); the rule noisy: 1 complaint of 40
    # is under min_sends (50); the rule quiet: nothing
    assert len(alerts) == 1 and alerts[0].startswith("mailbox sales paused: circuit breaker: "
                                                      "hard bounces 4.3% of 70 emails")  # fmt: skip
    sent(store, "noisy", 20, complaints=1, days_ago=2)
    with store.database.unit_of_work() as session:
        alerts = breakers.check(session, limits, NOW)
        assert session.get(MailboxState, "sales").paused_at is not None
    assert (
        len(alerts) == 1
        and "rule noisy enrolls nobody: circuit breaker: complaints 3.33%" in alerts[0]
    )
    listed = {
        (r["kind"], r["key"]): r
        for r in json.loads(run_cli("--now", NOW.isoformat(), "breakers", "list", "--json").stdout)
    }
    assert listed[("rule", "noisy")]["sends"] == 60 and listed[("rule", "noisy")]["paused"]
    assert listed[("rule", "quiet")]["paused"] is None
    with store.database.unit_of_work() as session:
        assert breakers.paused_rules(session) == {"noisy"}
    # a person resumes both: the rates count from then, so they stay resumed
    later = (NOW + timedelta(hours=1)).isoformat()
    assert run_cli("--now", later, "delivery", "resume", "sales").exit_code == 0
    resumed = run_cli("--now", later, "breakers", "resume-rule", "noisy")
    assert resumed.exit_code == 0 and "rule noisy resumed" in resumed.stdout
    with store.database.unit_of_work() as session:
        assert breakers.check(session, limits, NOW + timedelta(hours=2)) == []
        assert breakers.paused_rules(session) == set()
        assert session.scalar(select(MailboxState.paused_at)) is None
