"""Email delivered to a real SMTP server (aiosmtpd on 127.0.0.1): threading across
steps, List-Unsubscribe (RFC 8058), the footer, caps and warm-up, send windows, and what
each kind of refusal does."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from tests.dns_server import Zone, dns_server
from tests.factories import TEST_PUBLIC_URL, enroll, outbox_delivery
from tests.mail_servers import mailbox_yaml, smtp_server  # noqa: F401

from signalseq.clock import SimulatedClock
from signalseq.crm.models import Contact
from signalseq.delivery.models import MailboxState
from signalseq.delivery.unsubscribe import read_token
from signalseq.enrollments.models import EngagementEvent, Enrollment, Touch, Transition
from signalseq.pipeline.simulate import simulate
from signalseq.pipeline.tick import Pipeline
from signalseq.policy.models import SuppressionEntry
from signalseq.rules.watcher import RulesWatcher
from signalseq.workspace.service import default_workspace_dir

MONDAY = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)
THREADED = """
id: threaded
version: 1
branches:
  main:
    steps:
      - {id: opener, channel: email, day: 0, purpose: opener, prompt: p-opener, review: never}
      - {id: bump, channel: email, after: 1, purpose: bump, prompt: p-bump, thread: continue, review: never}
      - {id: bump2, channel: email, after: 1, purpose: bump, prompt: p-bump, thread: continue, review: never}
      - {id: fresh, channel: email, after: 1, purpose: new_angle, prompt: p-angle, thread: new, review: never}
"""
NEW_YORK = ZoneInfo("America/New_York")


def base64_text(token: str) -> str:
    """What a token would say if it were base64 of readable text."""
    import base64

    try:
        return base64.urlsafe_b64decode(token.split(".")[0] + "==").decode("utf-8", "replace")
    except ValueError:
        return ""


def workspace(make_workspace, port, **throttle):
    return make_workspace(
        {
            "workspace.yaml": "name: t\ndefault_timezone: America/New_York\n",
            "rules/sequences/threaded.yaml": THREADED,
            "delivery/mailboxes.yaml": mailbox_yaml(port, **throttle),
        }
    )


def people(store, count):
    ids = []
    with store.database.unit_of_work() as session:
        for n in range(count):
            row = enroll(
                session,
                account={"name": f"Co {n}", "normalized_name": f"co {n}", "domain": f"co{n}.com",
                         "country": "US", "timezone": "America/New_York"},
                contact={"email": f"p{n}@co{n}.com", "first_name": f"P{n}", "full_name": f"P{n} Person"},
                sequence_id="threaded", sequence_version=1, enrolled_at=MONDAY,
            )  # fmt: skip
            ids.append(row.id)
    return ids


def run(store, root, tmp_path, days, start=MONDAY):
    return simulate(
        store.database,
        RulesWatcher(root),
        start=start,
        days=days,
        outbox=tmp_path / "unused",
        delivery=outbox_delivery(tmp_path / "unused"),
    )


def test_three_steps_thread_with_headers_footer_and_one_click_unsubscribe(
    store, make_workspace, smtp_server, tmp_path
):
    root = workspace(make_workspace, smtp_server.port)
    (enrollment_id,) = people(store, 1)
    run(store, root, tmp_path, days=10)
    received = smtp_server.handler.to("p0@co0.com")
    assert len(received) == 4
    opener, bump, bump2, fresh = (r.message for r in received)
    for message in (opener, bump, bump2, fresh):
        assert message["From"] == "Maya Lindqvist <maya@tallyforge-demo.com>"
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        https, mailto = [p.strip(" <>") for p in message["List-Unsubscribe"].split(",")]
        assert https.startswith(f"{TEST_PUBLIC_URL}/u/") and mailto.startswith(
            "mailto:maya@tallyforge-demo.com?subject=unsubscribe%20"
        )
        raw_token = https.rsplit("/", 1)[1]
        assert "p0" not in raw_token and "co0" not in base64_text(raw_token), "opaque"
        token = read_token("test-secret-key-0123456789abcdef", raw_token,
                           lambda _id: ["someone@else.com", "p0@co0.com"])  # fmt: skip
        assert token.address == "p0@co0.com", "the link names this contact and no other"
        plain = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        assert "Tallyforge Inc., 2200 Example Avenue" in plain and "Example Avenue" in html
        assert https in plain and https in html
        assert message["Message-ID"].endswith("@tallyforge-demo.com>")
    assert opener["In-Reply-To"] is None and opener["References"] is None
    assert bump["In-Reply-To"] == opener["Message-ID"]
    assert bump["References"] == opener["Message-ID"]
    assert bump2["In-Reply-To"] == bump["Message-ID"]
    assert bump2["References"].split() == [opener["Message-ID"], bump["Message-ID"]]
    assert bump["Subject"] == bump2["Subject"] == f"Re: {opener['Subject']}"
    assert fresh["In-Reply-To"] is None and not fresh["Subject"].startswith("Re:"), (
        "a step with thread: new starts a new thread"
    )
    with store.database.unit_of_work() as session:
        ids = session.scalars(
            select(Touch.message_id).where(Touch.enrollment_id == enrollment_id).order_by(Touch.id)
        ).all()
    assert ids == [m["Message-ID"] for m in (opener, bump, bump2, fresh)]


def test_caps_and_warm_up_defer_to_the_next_window_and_nothing_goes_out_of_hours(
    store, make_workspace, smtp_server, tmp_path
):
    root = workspace(
        make_workspace, smtp_server.port, daily_cap=4, warmup="{start: 2, add_per_day: 1}",
        timezone="America/New_York",
    )  # fmt: skip
    people(store, 9)
    run(store, root, tmp_path, days=3)
    with store.database.unit_of_work() as session:
        sent = session.execute(
            select(Touch.sent_at, Touch.step_id)
            .where(Touch.state == "sent")
            .order_by(Touch.sent_at)
        ).all()
        deferred = session.scalar(
            select(Transition.id).where(
                Transition.cause.like("mailbox sales sent its % for today%")
            )
        )
        state = session.get(MailboxState, "sales")
    per_day = Counter(at.astimezone(NEW_YORK).date() for at, _step in sent)
    # Monday (first sending day) 2, Tuesday 3, Wednesday 4 (the cap): warm-up, then cap
    assert [per_day[d] for d in sorted(per_day)] == [2, 3, 4]
    assert len(smtp_server.handler.received) == 9 == len(sent)
    assert deferred is not None, "a full mailbox defers the touch with its reason"
    assert state.sent_total == 9
    for at, _step in sent:
        local = at.astimezone(NEW_YORK)
        assert local.weekday() < 5 and 9 <= local.hour < 17, local
    with store.database.unit_of_work() as session:
        rest = session.execute(select(Touch.state, Touch.due_at).where(Touch.state != "sent")).all()
    assert {state for state, _due in rest} == {"approved", "scheduled"}, "waiting, never dropped"
    assert all(due >= MONDAY + timedelta(days=3) for _state, due in rest), "due in a later window"


@pytest.mark.parametrize(
    ("answer", "touch_state", "effect"),
    [
        ("550 5.1.1 <p0@co0.com>: Recipient address rejected: User unknown", "failed", "bounced"),
        ("451 4.3.0 Temporary lookup failure", "approved", "retry"),
        ("550 5.7.1 Service unavailable; client host blocked", "failed", "paused"),
    ],
)
def test_refusals_bounce_retry_or_pause_the_mailbox(
    store, make_workspace, smtp_server, tmp_path, answer, touch_state, effect
):
    root = workspace(make_workspace, smtp_server.port)
    (enrollment_id,) = people(store, 1)
    smtp_server.handler.refuse["p0@co0.com"] = answer
    clock = SimulatedClock(datetime(2026, 11, 23, 15, 0, tzinfo=UTC))  # 10:00 in New York
    pipeline = Pipeline(store.database, RulesWatcher(root), clock, outbox_delivery(tmp_path),
                        ingest=False, decide=False)  # fmt: skip
    for _ in range(4):
        pipeline.tick()
        clock.advance(timedelta(minutes=30))
    assert smtp_server.handler.received == []
    with store.database.unit_of_work() as session:
        touch = session.scalar(select(Touch).where(Touch.enrollment_id == enrollment_id))
        enrollment = session.get(Enrollment, enrollment_id)
        mailbox = session.get(MailboxState, "sales")
        suppressed = session.scalar(
            select(SuppressionEntry.reason).where(SuppressionEntry.value == "p0@co0.com")
        )
        events = session.scalars(select(EngagementEvent.kind)).all()
    assert touch.state == touch_state
    assert mailbox.sent_today == 0, "a send that did not happen gives its place back"
    if effect == "bounced":
        assert events == ["bounced"] and suppressed == "bounced"
        assert (enrollment.state, enrollment.exit_reason) == ("exited", "bounced")
    elif effect == "retry":
        assert touch.due_at > clock.now() - timedelta(minutes=30), "tried again later"
        assert enrollment.state == "active" and suppressed is None
    else:
        assert mailbox.paused_at is not None and "5.7.1" in mailbox.paused_reason
        assert enrollment.state == "active", "a block is about our mailbox, not the contact"


def test_sending_is_refused_without_a_postal_address_or_an_https_unsubscribe_url(
    store, make_workspace, smtp_server, run_cli, monkeypatch
):
    sender = (
        "company: Tallyforge\nproduct: outbound that starts only on intent\n"
        "sender: {name: Maya Lindqvist, email: maya@tallyforge-demo.com}\n"
        "value_propositions: [Tallyforge starts outreach only on buying intent]\n"
    )
    shipped = default_workspace_dir() / "prompts"
    prompts = {f"prompts/{p.name}": p.read_text() for p in shipped.glob("*.md")}
    sequence = (
        THREADED.replace("p-opener", "email-opener-funding")
        .replace("p-bump", "email-bump")
        .replace("p-angle", "email-new-angle")
    )
    root = make_workspace(
        {
            "workspace.yaml": "name: t\n",
            "rules/sequences/threaded.yaml": sequence,
            **prompts,
            "prompts/sender.yaml": sender,
            "delivery/mailboxes.yaml": mailbox_yaml(smtp_server.port),
        }
    )
    monkeypatch.setenv("SIGNALSEQ_WORKSPACE", str(root))
    monkeypatch.setenv("SIGNALSEQ_PUBLIC_URL", "https://signalseq.test")
    result = run_cli("run", "--once")
    assert result.exit_code == 1
    assert "postal_address in prompts/sender.yaml" in result.stderr
    (root / "prompts" / "sender.yaml").write_text(
        sender + "postal_address: Tallyforge Inc., 1 Example Road, Portland, OR 97201, USA\n"
    )
    monkeypatch.setenv("SIGNALSEQ_PUBLIC_URL", "http://127.0.0.1:8000")
    result = run_cli("run", "--once")
    assert result.exit_code == 1 and "SIGNALSEQ_PUBLIC_URL must be the https://" in result.stderr
    monkeypatch.setenv("SIGNALSEQ_PUBLIC_URL", "https://signalseq.test")
    assert run_cli("run", "--once").exit_code == 0


def test_a_broken_mailboxes_file_is_reported_with_its_lines(make_workspace, run_cli):
    root = make_workspace(
        {
            "workspace.yaml": "name: t\n",
            "delivery/mailboxes.yaml": (
                "mailboxes:\n"
                "  - {id: sales, address: not-an-email, name: Maya}\n"
                "  - {id: other, address: o@x.example, name: O, transport: smtp}\n"
                "  - {id: sales, address: s@x.example, name: S, daily_cap: 0}\n"
            ),
        }
    )
    result = run_cli("validate", str(root))
    assert result.exit_code == 1
    assert "delivery/mailboxes.yaml:2 mailboxes[0].address: not a valid e-mail address" in (
        result.stderr + result.stdout
    )
    assert "delivery/mailboxes.yaml:4 mailboxes[2].daily_cap:" in result.stderr + result.stdout


LONG_THREAD = "id: long\nversion: 1\nbranches:\n  main:\n    steps:\n" + "".join(
    f"      - {{id: s{n}, channel: email, {'day: 0' if n == 0 else 'after: 1'}, "
    f"purpose: {'opener' if n == 0 else 'bump'}, prompt: {'p-opener' if n == 0 else 'p-bump'}, "
    f"{'' if n == 0 else 'thread: continue, '}review: never}}\n"
    for n in range(11)
)
ONE_CLICK = re.compile(rb"^<https://[^>]+>, <mailto:[^>]+>$")


def raw_headers(data: bytes) -> dict[bytes, bytes]:
    """The header block as sent, unfolded (CRLF before white space removed), by name."""
    head = data.split(b"\r\n\r\n", 1)[0]
    assert all(len(line) <= 998 for line in head.split(b"\r\n")), "RFC 5322 line limit"
    unfolded = re.sub(rb"\r\n(?=[ \t])", b"", head)
    return {
        line.split(b":", 1)[0].lower(): line.split(b":", 1)[1].strip()
        for line in unfolded.split(b"\r\n")
    }


def test_headers_on_the_wire_are_plain_rfc_8058_and_5322(
    store, make_workspace, smtp_server, tmp_path
):
    root = make_workspace(
        {
            "workspace.yaml": "name: t\ndefault_timezone: America/New_York\n",
            "rules/sequences/long.yaml": LONG_THREAD,
            "delivery/mailboxes.yaml": mailbox_yaml(smtp_server.port),
        }
    )
    with store.database.unit_of_work() as session:
        enroll(
            session,
            account={"name": "Co", "normalized_name": "co", "domain": "co.com", "country": "US",
                     "timezone": "America/New_York"},
            contact={"email": "ana@co.com", "first_name": "Ana",
                     # a name from an old import, with a line break in it
                     "full_name": "Ana\r\nBcc: victim@example.com Example"},
            sequence_id="long", sequence_version=1, enrolled_at=MONDAY,
        )  # fmt: skip
    run(store, root, tmp_path, days=16)
    received = smtp_server.handler.to("ana@co.com")
    assert len(received) == 11, "no touch stranded by the name"
    assert all(r.recipients == ["ana@co.com"] for r in received), "nobody added by a header"
    ids = []
    for item in received:
        headers = raw_headers(item.data)
        assert ONE_CLICK.match(headers[b"list-unsubscribe"]), headers[b"list-unsubscribe"]
        assert headers[b"list-unsubscribe-post"] == b"List-Unsubscribe=One-Click"
        assert b"=?" not in headers[b"list-unsubscribe"] + headers[b"message-id"]
        assert b"bcc" not in headers, "the line break did not make a header"
        assert headers[b"to"] == b'"Ana Bcc: victim@example.com Example" <ana@co.com>'
        ids.append(headers[b"message-id"])
    last = raw_headers(received[-1].data)
    assert last[b"references"].split(b" ") == ids[:-1] and len(ids[:-1]) == 10
    assert last[b"in-reply-to"] == ids[-2]
    assert b"=?" not in last[b"references"]


def test_a_recipient_domain_without_mail_servers_fails_the_touch_not_the_mailbox(
    store, make_workspace, smtp_server, tmp_path, monkeypatch
):
    zone = Zone(
        {
            "takes-mail.com": [("MX", "mx.takes-mail.com")],
            "a-record-only.com": [("A", "93.184.216.34")],
            "null-mx.com": [("MX", ".")],
        }
    )
    root = workspace(make_workspace, smtp_server.port)
    addresses = ["ann@takes-mail.com", "bob@a-record-only.com", "cy@null-mx.com",
                 "di@null-mx.com", "ed@no-such-domain-here.com"]  # fmt: skip
    with store.database.unit_of_work() as session:
        for n, address in enumerate(addresses):
            enroll(session, account={"name": f"Co {n}", "normalized_name": f"co {n}",
                                     "country": "US", "timezone": "America/New_York"},
                   contact={"email": address, "first_name": "P", "full_name": f"P {n}"},
                   sequence_id="threaded", sequence_version=1, enrolled_at=MONDAY)  # fmt: skip
    with dns_server(zone) as port:
        monkeypatch.setenv("SIGNALSEQ_RECIPIENT_CHECK", "true")
        delivery = outbox_delivery(tmp_path / "unused", dns_servers=f"127.0.0.1:{port}",
                                   dns_timeout=2)  # fmt: skip
        simulate(store.database, RulesWatcher(root), start=MONDAY, days=2,
                 outbox=tmp_path / "unused", delivery=delivery)  # fmt: skip
    sent_to = {r for item in smtp_server.handler.received for r in item.recipients}
    assert sent_to == {"ann@takes-mail.com", "bob@a-record-only.com"}
    with store.database.unit_of_work() as session:
        failed = session.execute(
            select(Contact.email, Contact.email_source, Transition.cause)
            .join(Enrollment, Enrollment.contact_id == Contact.id)
            .join(Touch, Touch.enrollment_id == Enrollment.id)
            .join(Transition, (Transition.entity == "touch") & (Transition.entity_id == Touch.id))
            .where(Transition.to_state == "failed")
        ).all()
        paused = session.scalar(
            select(MailboxState.paused_at).where(MailboxState.mailbox_id == "sales")
        )
    assert {(e, s) for e, s, _c in failed} == {
        ("cy@null-mx.com", "undeliverable"), ("di@null-mx.com", "undeliverable"),
        ("ed@no-such-domain-here.com", "undeliverable"),
    }  # fmt: skip
    assert all(c.startswith("undeliverable: ") for _e, _s, c in failed)
    assert paused is None, "the mailbox's reputation was never at stake"
    mx_lookups = [name for name, kind in zone.asked if kind == "MX" and name == "null-mx.com"]
    assert len(mx_lookups) == 1, "one lookup per domain, then the cache"
