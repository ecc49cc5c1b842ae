"""People move: a job change moves the contact to the new employer, retires the old
address, finds a new one (provider, pattern with MX on a real local DNS server, an
enrichment API on a real local HTTP server) or waits for one, and nothing is ever sent
to a former employer's mailbox."""

from __future__ import annotations

import json
import re
import shutil
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text
from tests.dns_server import Zone, dns_server
from tests.httpserver import Reply, serve

from signalseq.crm.models import Contact
from signalseq.enrollments.models import Enrollment, Touch
from signalseq.people.finder import EmailFinder, http_address
from signalseq.people.schema import EmailFinderFile, HttpFinderSettings, PatternSettings
from signalseq.tasks.models import Task
from signalseq.workspace.service import default_workspace_dir

ACCOUNTS = (
    "domain,name,tier,country,timezone,is_customer\n"
    "oldco.com,Oldco,2,US,America/New_York,yes\n"
    "newco.com,Newco,1,US,America/New_York,no\n"
    "flast.io,Flast,2,US,America/New_York,no\n"
    "lonely.net,Lonely,2,US,America/New_York,no\n"
)
CONTACTS = (
    "email,first_name,last_name,title,company_domain,linkedin_url\n"
    "ana.berg@oldco.com,Ana,Berg,Sales Director,oldco.com,https://www.linkedin.com/in/ana-berg\n"
    "lia.moss@oldco.com,Lia,Moss,Director of Operations,oldco.com,\n"
    "piet.klaas@oldco.com,Piet,Klaas,Marketing Manager,oldco.com,\n"
    "joe.roe@oldco.com,Joe,Roe,Sales Manager,oldco.com,\n"
    "tom.hale@newco.com,Tom,Hale,Sales Manager,newco.com,\n"
    "kim.lee@newco.com,Kim,Lee,Account Executive,newco.com,\n"
    "raj.das@newco.com,Raj,Das,Engineer,newco.com,https://www.linkedin.com/in/raj-das\n"
    "jdoe@flast.io,John,Doe,Engineer,flast.io,\n"
    "asmith@flast.io,Anna,Smith,Designer,flast.io,\n"
    "only.one@lonely.net,Only,One,Engineer,lonely.net,\n"
)
MOVES = [
    {"id": "m1", "person": {"name": "Ana Berg", "linkedin_url": "https://www.linkedin.com/in/ana-berg"},
     "previous": {"company_name": "Oldco", "company_domain": "oldco.com", "title": "Sales Director"},
     "current": {"company_name": "Newco", "company_domain": "newco.com", "title": "VP Sales",
                 "started_on": "2026-11-09"}},
    {"id": "m2", "person": {"name": "Tom Hale", "email": "tom.hale@newco.com"},
     "previous": {"company_name": "Newco", "company_domain": "newco.com", "title": "Sales Manager"},
     "current": {"company_name": "Newco", "company_domain": "newco.com", "title": "VP Sales",
                 "started_on": "2026-11-09"}},
    {"id": "m3", "person": {"name": "Lia Moss", "email": "lia.moss@oldco.com"},
     "previous": {"company_name": "Oldco", "company_domain": "oldco.com",
                  "title": "Director of Operations"},
     "change_type": "departure", "detected_at": "2026-11-09"},
    {"id": "m4", "person": {"name": "Piet Klaas", "email": "piet.klaas@oldco.com"},
     "previous": {"company_name": "Oldco", "company_domain": "oldco.com", "title": "Marketing Manager"},
     "current": {"company_name": "Flast", "company_domain": "flast.io", "title": "Head of Marketing",
                 "started_on": "2026-11-09"}},
    {"id": "m5", "person": {"name": "Kim Lee", "email": "kim.lee@newco.com"},
     "previous": {"company_name": "Newco", "company_domain": "newco.com", "title": "Account Executive"},
     "current": {"company_name": "Newco", "company_domain": "newco.com", "title": "Solutions Engineer",
                 "started_on": "2026-11-09"}},
    {"id": "m6", "person": {"name": "Joe Roe", "email": "joe.roe@oldco.com"},
     "previous": {"company_name": "Oldco", "company_domain": "oldco.com", "title": "Sales Manager"},
     "current": {"company_name": "Lonely", "company_domain": "lonely.net", "title": "VP Sales",
                 "started_on": "2026-11-09", "email": "joe@lonely.net"}},
]  # fmt: skip
BAD_MOVES = [
    {"id": "b1", "person": {"name": "No Where"}, "change_type": "new_company",
     "previous": {"company_name": "Oldco", "company_domain": "oldco.com", "title": "CEO"},
     "current": {"title": "CEO", "started_on": "2026-11-09"}},
    {"id": "b2", "person": {"name": "Same Place"}, "change_type": "new_company",
     "previous": {"company_name": "Oldco", "company_domain": "oldco.com", "title": "CEO"},
     "current": {"company_name": "Oldco Inc", "company_domain": "oldco.com", "title": "CEO",
                 "started_on": "2026-11-09"}},
    {"id": "b3", "person": {"name": "Free Mail"},
     "previous": {"company_name": "Oldco", "company_domain": "oldco.com", "title": "CEO"},
     "current": {"company_name": "Newco", "company_domain": "newco.com", "title": "CEO",
                 "started_on": "2026-11-09", "email": "free.mail@gmail.com"}},
]  # fmt: skip
SEQUENCE = """id: leader
version: 1
branches:
  default:
    steps:
      - {id: opener, channel: email, day: 0, purpose: opener, prompt: email-opener-job-change, review: never}
      - {id: call, channel: call, day: 1, purpose: call, prompt: call-script, review: never}
  social:
    steps:
      - {id: connect, channel: linkedin_connect, day: 0, purpose: connect, prompt: linkedin-connect, review: never}
      - {id: opener, channel: email, day: 1, purpose: opener, prompt: email-opener-job-change, review: never}
"""
TRIGGERS = """rules:
  - id: champion-moved
    on: job_change
    priority: 300
    when:
      - signal.change_type: new_company
      - contact.previous_account_customer: true
      - account.tier: 1
    who: {signal_person: true}
    enroll: leader
    branch: default
  - id: new-leader
    on: job_change
    priority: 200
    when:
      - signal.change_type: {in: [new_company, promotion]}
      - signal.new_seniority: {in: [vp, head, director]}
    who: {signal_person: true}
    enroll: leader
    branch:
      cases: [{when: [{contact.has_email: false}], use: social}]
      default: default
"""
SAMPLE_FINDER = """min_confidence: 0.5
pattern:
  min_examples: 2
  nameservers: [127.0.0.1]
  port: {port}
  timeout: 1
"""
ZONE = Zone(
    {
        "newco.com": [("MX", "mx.newco.com")],
        "flast.io": [("MX", "mx.flast.io")],
        "lonely.net": [("MX", "mx.lonely.net")],
        "nomx.org": [("A", "192.0.2.10")],
    },
    silent={"slow.example"},
    silence_seconds=2.5,
)
NOW = "2026-11-16T14:00:00"  # Monday, 09:00 in New York


def _jsonl(rows):
    return "".join(json.dumps(r) + "\n" for r in rows)


@pytest.fixture
def dns():
    with dns_server(ZONE) as port:
        yield port


@pytest.fixture
def moved(make_workspace, run_cli, tmp_path, dns, store):
    """The accounts and contacts imported, two running enrollments at Oldco, the moves
    ingested and decided."""
    root = make_workspace(
        {
            "workspace.yaml": "name: t\ndefault_timezone: America/New_York\n",
            "connectors/moves.yaml": "type: job_changes\npath: moves.jsonl\n",
            "moves.jsonl": _jsonl(MOVES),
            "rules/sequences/leader.yaml": SEQUENCE,
            "rules/triggers/people.yaml": TRIGGERS,
            "delivery/email_finder.yaml": SAMPLE_FINDER.format(port=dns),
            "rules/policy.yaml": "jurisdictions: {default: allowed}\ncooldown_days: 0\n"
            "min_days_since_last_touch: 0\n",
        }
    )
    shutil.copytree(default_workspace_dir() / "prompts", root / "prompts")
    (tmp_path / "a.csv").write_text(ACCOUNTS)
    (tmp_path / "c.csv").write_text(CONTACTS)
    assert run_cli("import", "accounts", tmp_path / "a.csv", "--strict").exit_code == 0
    assert run_cli("import", "contacts", tmp_path / "c.csv", "--strict").exit_code == 0
    with store.database.unit_of_work() as session:
        for email in ("ana.berg@oldco.com", "lia.moss@oldco.com"):
            contact = session.scalar(select(Contact).where(Contact.email == email))
            session.add(
                Enrollment(
                    contact_id=contact.id,
                    account_id=contact.account_id,
                    sequence_id="leader",
                    sequence_version=1,
                    branch="default",
                    rule_id="earlier",
                    enrolled_at=datetime(2026, 11, 2, tzinfo=UTC),
                )  # fmt: skip
            )
    ingested = run_cli("--now", NOW, "ingest", "--json")
    assert ingested.exit_code == 0, ingested.output
    decided = run_cli("--now", NOW, "decide", "--json")
    assert decided.exit_code == 0, decided.output
    return root


def contact_id(store, name):
    with store.database.unit_of_work(read_only=True) as session:
        return session.scalar(select(Contact.id).where(Contact.full_name == name))


def history(run_cli, store, name):
    result = run_cli("contacts", "history", contact_id(store, name), "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def enrollments_of(store, name):
    with store.database.unit_of_work(read_only=True) as session:
        rows = session.scalars(
            select(Enrollment)
            .join(Contact, Contact.id == Enrollment.contact_id)
            .where(Contact.full_name == name)
            .order_by(Enrollment.id)
        ).all()
        return [(e.rule_id, e.state, e.exit_reason, e.branch, e.account_id) for e in rows]


def test_each_change_moves_the_person_and_ends_what_was_about_the_old_job(store, run_cli, moved):
    ana = history(run_cli, store, "Ana Berg")
    assert [
        (e["current"], e["company"], e["title"], e["email"], e["email_source"]) for e in ana
    ] == [
        (True, "Newco", "VP Sales", "ana.berg@newco.com", "pattern"),
        (False, "Oldco", "Sales Director", "ana.berg@oldco.com", "import"),
    ]
    assert ana[0]["started_on"] == "2026-11-09" and ana[1]["ended_on"] == "2026-11-09"
    # the earlier enrollment was about the job she left; the champion rule enrolled her anew
    assert enrollments_of(store, "Ana Berg")[0][:3] == ("earlier", "exited", "left_company")
    assert enrollments_of(store, "Ana Berg")[1][:4] == ("champion-moved", "active", None, "default")
    tom = history(run_cli, store, "Tom Hale")
    assert len(tom) == 1 and (tom[0]["title"], tom[0]["seniority"]) == ("VP Sales", "vp")
    assert enrollments_of(store, "Tom Hale") == [("new-leader", "active", None, "default",
                                                  enrollments_of(store, "Tom Hale")[0][4])]  # fmt: skip
    kim = history(run_cli, store, "Kim Lee")
    assert len(kim) == 1 and kim[0]["title"] == "Solutions Engineer"
    lia = history(run_cli, store, "Lia Moss")
    assert [e["current"] for e in lia] == [False] and lia[0]["ended_on"] == "2026-11-09"
    assert enrollments_of(store, "Lia Moss") == [("earlier", "exited", "left_company", "default",
                                                  enrollments_of(store, "Lia Moss")[0][4])]  # fmt: skip
    with store.database.unit_of_work(read_only=True) as session:
        lia_row = session.get(Contact, contact_id(store, "Lia Moss"))
        assert (lia_row.account_id, lia_row.email) == (None, None)
    piet = history(run_cli, store, "Piet Klaas")
    assert (piet[0]["email"], piet[0]["email_source"]) == ("pklaas@flast.io", "pattern")
    joe = history(run_cli, store, "Joe Roe")
    assert (joe[0]["email"], joe[0]["email_source"]) == ("joe@lonely.net", "provider")
    explained = json.loads(run_cli("explain", "ana.berg@oldco.com", "--json").stdout)
    move = next(
        d["trace"]["employment"] for d in explained["decisions"] if "employment" in d["trace"]
    )
    assert move["before"] == "Sales Director at Oldco" and move["after"] == "VP Sales at Newco"
    assert move["address_source"] == "pattern" and "MX found" in move["address_detail"]


def test_the_pattern_finder_learns_two_patterns_and_checks_mx_on_a_local_dns_server(store, dns):
    with store.database.unit_of_work() as session:
        for first, last, email in [("Kim", "Lee", "kim.lee@newco.com"), ("Raj", "Das", "raj.das@newco.com"),
                                   ("John", "Doe", "jdoe@flast.io"), ("Anna", "Smith", "asmith@flast.io"),
                                   ("Al", "Bo", "al.bo@nomx.org"), ("Cy", "Do", "cy.do@nomx.org"),
                                   ("Ed", "Fu", "ed.fu@slow.example"), ("Gi", "Ho", "gi.ho@slow.example"),
                                   ("Hana", "Müller", "hana.mueller@umlaut.de")]:  # fmt: skip
            session.add(Contact(first_name=first, last_name=last, full_name=f"{first} {last}",
                                email=email))  # fmt: skip
        person = Contact(first_name="Zoë", last_name="Ørsted", full_name="Zoë Ørsted")
        session.add(person)
        session.flush()
        settings = PatternSettings(min_examples=2, nameservers=["127.0.0.1"], port=dns, timeout=1)
        finder = EmailFinder(EmailFinderFile(pattern=settings))
        at_newco = finder.find(session, person, "newco.com")
        assert at_newco.address.email == "zoe.orsted@newco.com"
        assert at_newco.address.source == "pattern" and at_newco.address.confidence >= 0.9
        assert "first.last, learned from 2 of 2 contacts" in at_newco.address.detail
        assert finder.find(session, person, "flast.io").address.email == "zorsted@flast.io"
        no_mx = finder.find(session, person, "nomx.org")
        assert no_mx.address is None and "nomx.org publishes no MX record" in no_mx.summary
        slow = finder.find(session, person, "slow.example")
        assert slow.address is None and "timed out" in slow.summary
        lonely = finder.find(session, person, "umlaut.de")
        assert lonely.address is None and "1 of the 2 examples needed" in lonely.summary
        taken = Contact(first_name="Kim", last_name="Lee", full_name="Kim Lee (dup)")
        session.add(taken)
        session.flush()
        assert "is contact #" in finder.find(session, taken, "newco.com").summary


def test_the_http_provider_on_a_local_server(monkeypatch):
    monkeypatch.setenv("FINDER_KEY", "k-123")

    def answer(request):
        if "last_name=Found" in request.path:
            return Reply(200, json.dumps({"email": "ann.found@acme.io", "confidence": 87}).encode())
        if "last_name=Missing" in request.path:
            return Reply(404, b'{"error": "not found"}')
        if "last_name=Busy" in request.path:
            return Reply(429, b"", {"Retry-After": "30"})
        if "last_name=Slow" in request.path:
            return Reply(200, b'{"email": "ann.slow@acme.io"}', delay=2.0)
        if "last_name=Elsewhere" in request.path:
            return Reply(200, b'{"email": "ann@gmail.com", "confidence": 0.9}')
        return Reply(200, b"<html>garbage</html>")

    with serve(answer) as (url, requests):
        settings = HttpFinderSettings(url=f"{url}/find", api_key_env="FINDER_KEY", timeout=0.5)
        found = http_address("Ann", "Found", "Ann Found", "acme.io", settings)
        assert (found.email, found.source, found.confidence) == ("ann.found@acme.io", "http", 0.87)
        assert requests[0].headers["authorization"] == "Bearer k-123"
        assert "domain=acme.io" in requests[0].path and "first_name=Ann" in requests[0].path
        assert http_address("Ann", "Missing", "x", "acme.io", settings) == (
            "http: the provider knows no address"
        )
        assert "rate limiting (Retry-After 30)" in http_address(
            "Ann", "Busy", "x", "acme.io", settings
        )
        assert "no answer within 0.5s" in http_address("Ann", "Slow", "x", "acme.io", settings)
        assert "not at acme.io" in http_address("Ann", "Elsewhere", "x", "acme.io", settings)
        assert "not JSON" in http_address("Ann", "Garbage", "x", "acme.io", settings)
    monkeypatch.delenv("FINDER_KEY")
    assert "FINDER_KEY is not set" in http_address("A", "B", "x", "acme.io", settings)


def run_day(run_cli, day):
    """Worker ticks through a New York business day, on the CLI's clock."""
    for hour in range(13, 23):
        for minute in ("00", "30"):
            result = run_cli("--now", f"{day}T{hour:02d}:{minute}:00", "run", "--once")
            assert result.exit_code == 0, result.output


def _recipients(outbox):
    found = []
    for path in sorted(outbox.glob("touch-*.eml")):
        head = path.read_bytes().split(b"\r\n\r\n", 1)[0]
        found += [m.decode().lower() for m in re.findall(rb"(?im)^To:.*<([^>]+)>", head)]
    return found


def test_an_old_address_planted_in_the_database_is_refused_at_send(
    store, run_cli, moved, tmp_path, monkeypatch
):
    outbox = tmp_path / "outbox"
    monkeypatch.setenv("SIGNALSEQ_OUTBOX_DIR", str(outbox))
    ana = contact_id(store, "Ana Berg")
    with store.database.unit_of_work() as session:  # a bug or a stale sync writes it back
        session.execute(
            text("UPDATE contacts SET email = 'ana.berg@oldco.com' WHERE id = :i"), {"i": ana}
        )
    run_day(run_cli, "2026-11-16")
    sent = _recipients(outbox)
    assert "ana.berg@oldco.com" not in sent, "never the former employer's mailbox"
    assert "pklaas@flast.io" in sent and "joe@lonely.net" in sent and "tom.hale@newco.com" in sent
    with store.database.unit_of_work(read_only=True) as session:
        touch = session.scalar(
            select(Touch).join(Enrollment, Enrollment.id == Touch.enrollment_id)
            .where(Enrollment.contact_id == ana, Enrollment.state == "active")
        )  # fmt: skip
        assert touch.state == "needs_address"
        task = session.scalar(select(Task).where(Task.contact_id == ana, Task.kind == "find_email"))
        assert task.state == "open" and "former employer" in task.text
    listed = json.loads(run_cli("enrollments", "list", "--json").stdout)
    waiting = [e for e in listed if e["contact_id"] == ana and e["state"] == "active"]
    assert [t["state"] for t in waiting[0]["touches"]] == ["needs_address"]
    refused = run_cli("contacts", "set-email", ana, "ana@gmail.com")
    assert refused.exit_code == 2 and "not at the current employer (newco.com)" in refused.stderr
    assert run_cli("contacts", "set-email", ana, "Ana.Berg@newco.com").exit_code == 0
    run_day(run_cli, "2026-11-17")
    assert _recipients(outbox).count("ana.berg@newco.com") == 1, "the waiting email went on"
    with store.database.unit_of_work(read_only=True) as session:
        assert (
            session.scalar(
                select(Task.state).where(Task.contact_id == ana, Task.kind == "find_email")
            )
            == "done"
        )


def test_no_address_takes_the_branch_without_email_and_an_email_step_waits_with_a_task(
    store, run_cli, moved, tmp_path, monkeypatch
):
    outbox = tmp_path / "outbox"
    monkeypatch.setenv("SIGNALSEQ_OUTBOX_DIR", str(outbox))
    # a mover to an account where no pattern can be learned and the provider gave nothing
    more = [{"id": "m7", "person": {"name": "Raj Das", "email": "raj.das@newco.com"},
             "previous": {"company_name": "Newco", "company_domain": "newco.com", "title": "Engineer"},
             "current": {"company_name": "Lonely", "company_domain": "lonely.net",
                         "title": "Director of Engineering", "started_on": "2026-11-10"}}]  # fmt: skip
    (moved / "moves.jsonl").write_text(_jsonl(MOVES + more))
    assert run_cli("--now", NOW, "ingest").exit_code == 0
    assert run_cli("--now", NOW, "decide").exit_code == 0
    assert enrollments_of(store, "Raj Das")[0][:4] == ("new-leader", "active", None, "social")
    explained = run_cli("explain", "raj.das@newco.com")
    assert (
        "needs an address" in explained.stdout
        and "examples needed at lonely.net" in explained.stdout
    )
    raj = contact_id(store, "Raj Das")
    for day in ("2026-11-16", "2026-11-17", "2026-11-18"):
        run_day(run_cli, day)
        for task in json.loads(run_cli("tasks", "list", "--json", "--state", "open").stdout):
            if task["contact"]["id"] == raj and task["kind"] == "linkedin_connect":
                assert (
                    run_cli("--now", f"{day}T23:00:00", "tasks", "done", task["id"]).exit_code == 0
                )
    assert "raj.das@newco.com" not in _recipients(outbox)
    tasks = json.loads(run_cli("tasks", "list", "--json", "--state", "open").stdout)
    (task,) = [t for t in tasks if t["contact"]["id"] == raj]
    assert (
        task["kind"] == "find_email" and task["title"] == "Find the work email of Raj Das (Lonely)"
    )
    assert "contacts set-email" in task["text"]
    with store.database.unit_of_work(read_only=True) as session:
        states = session.execute(
            select(Touch.step_id, Touch.state).join(Enrollment, Enrollment.id == Touch.enrollment_id)
            .where(Enrollment.contact_id == raj).order_by(Touch.id)
        ).all()  # fmt: skip
    assert [tuple(r) for r in states] == [("connect", "sent"), ("opener", "needs_address")]


def test_the_review_policy_sees_the_new_seniority(store, run_cli, moved, make_workspace):
    (moved / "review").mkdir()
    (moved / "review/policy.yaml").write_text(
        "require_review:\n  seniorities: [vp]\n  first_touch: false\n  account_tiers: []\n"
    )
    (moved / "rules/sequences/leader.yaml").write_text(SEQUENCE.replace(", review: never", ""))
    run_day(run_cli, "2026-11-16")
    with store.database.unit_of_work(read_only=True) as session:
        from signalseq.review.models import ReviewItem

        items = {
            session.get(Contact, i.contact_id).full_name: (i.reasons, i.account_tier)
            for i in session.scalars(select(ReviewItem))
        }
    reasons, tier = items["Tom Hale"]
    assert next(r for r in reasons if r["code"] == "seniority")["detail"] == "VP Sales"
    ana_reasons, ana_tier = items["Ana Berg"]
    assert ana_tier == 1, "the tier of the account she works at now (Newco), not Oldco's 2"


def test_records_that_are_no_move_are_dead_lettered_with_the_reason(run_cli, moved):
    (moved / "moves.jsonl").write_text(_jsonl(MOVES + BAD_MOVES))
    assert run_cli("--now", NOW, "ingest").exit_code == 0
    letters = json.loads(run_cli("deadletters", "list", "--json").stdout)
    reasons = sorted(letter["reason"] for letter in letters)
    assert any("names no current company" in r for r in reasons)
    assert any("same domain as before (oldco.com)" in r for r in reasons)
    assert any("'free.mail@gmail.com' is not a company address" in r for r in reasons)


def test_a_stale_crm_row_does_not_move_the_person_back(run_cli, moved, tmp_path, store):
    again = run_cli("import", "contacts", tmp_path / "c.csv", "--json")
    report = json.loads(again.stdout)
    assert report["stale"] == 4  # Ana, Lia, Piet and Joe left Oldco
    assert history(run_cli, store, "Ana Berg")[0]["company"] == "Newco"
    with store.database.unit_of_work(read_only=True) as session:
        ana = session.get(Contact, contact_id(store, "Ana Berg"))
        assert (ana.email, ana.title) == ("ana.berg@newco.com", "VP Sales")
