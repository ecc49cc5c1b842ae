"""`signalseq init` and `signalseq demo` (what `make demo` runs)."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta

from tests.conftest import REPO_ROOT


def test_init_writes_a_valid_workspace_and_refuses_to_overwrite(tmp_path, run_cli):
    target = tmp_path / "team"
    result = run_cli("init", target)
    assert result.exit_code == 0, result.output
    assert (target / "workspace.yaml").is_file()
    assert (target / "connectors" / "samples" / "accounts.csv").is_file()
    assert (target / ".gitignore").read_text().startswith(".signalseq/")
    assert run_cli("validate", target).exit_code == 0
    again = run_cli("init", target)
    assert again.exit_code == 2
    assert "already exists (use --force to overwrite)" in again.stderr
    assert run_cli("init", target, "--force").exit_code == 0


def test_repository_root_is_the_shipped_default_workspace():
    for name in ("workspace.yaml", "rules", "prompts", "connectors", "review"):
        path = REPO_ROOT / name
        assert path.is_symlink(), f"{name} should link into src/signalseq/default_workspace"
        assert path.resolve().parent == REPO_ROOT / "src" / "signalseq" / "default_workspace"


def _an_enrolled_email(run_cli):
    for contact in json.loads(run_cli("contacts", "list", "--json").stdout):
        if not contact["email"]:
            continue
        data = json.loads(run_cli("explain", contact["email"], "--json").stdout)
        if data["enrollments"]:
            return contact["email"]
    raise AssertionError("nobody enrolled")


def test_demo_imports_the_samples_and_prints_the_summary(tmp_path, run_cli, store):
    workspace = tmp_path / "ws"
    run_cli("init", workspace)
    result = run_cli("demo")
    assert result.exit_code == 0, result.output
    assert "Decisions (rules" in result.stdout
    decided = json.loads(run_cli("explain", "--json", _an_enrolled_email(run_cli)).stdout)
    assert decided["enrollments"], "the demo enrolls contacts"
    assert "Imports" in result.stdout and "Accounts and contacts" in result.stdout
    report = json.loads(run_cli("demo", "--json").stdout)
    imports = {item["kind"]: item for item in report["imports"]}
    assert imports["accounts"]["rows"] >= 50 and imports["accounts"]["rejected"] == []
    assert imports["contacts"]["rows"] >= 190 and imports["contacts"]["rejected"] == []
    assert imports["accounts"]["unchanged"] == imports["accounts"]["rows"], "second run: no change"
    # the two people the snapshots show leaving their company work nowhere we know of
    assert report["totals"]["contacts_without_account"] == 2
    simulation = report["simulation"]
    assert simulation["days"] == 21
    assert {"email", "call", "linkedin_connect"} <= set(simulation["sent_by_channel"])
    assert "Touches sent per day and channel" in result.stdout
    assert result.stdout.count("sample draft: touch") == 2 and "Guardrails" in result.stdout
    samples = report["sample_drafts"]
    assert len(samples) == 2 and all(d["guardrails_passed"] for d in samples)
    assert all(d["drafter"] == "offline" and d["prompt"]["id"] for d in samples)
    assert list((workspace / ".signalseq" / "outbox").glob("touch-*.eml")), "emails in the outbox"
    assert len(report["accounts_by_country"]) >= 10
    _movers_are_never_written_to_at_their_former_employer(workspace, report["movers"])
    _drafts_read_like_a_person_wrote_them(workspace, store, report, result.stdout)
    _every_eml_has_a_plain_one_click_header(workspace)
    assert set(report["contacts_by_seniority"]) == {
        "c_level",
        "vp",
        "head",
        "director",
        "manager",
        "individual",
    }


def _movers_are_never_written_to_at_their_former_employer(workspace, movers):
    """Read from the .eml files themselves: no email to a mover's old address, and each
    mover has a new-employer address with its source, or a task to find one."""
    sent_to: list[str] = []
    for path in (workspace / ".signalseq" / "outbox").glob("touch-*.eml"):
        head = path.read_bytes().split(b"\r\n\r\n", 1)[0]
        sent_to += re.findall(rb"(?im)^To:.*<([^>]+)>", head)
    addresses = {a.decode().lower() for a in sent_to}
    assert len(movers) == 5
    for mover in movers:
        assert mover["former_address"] not in addresses, mover["name"]
        assert mover["emails_to_former_address"] == 0
        if mover["address"]:
            new_domain = mover["address"].rsplit("@", 1)[1]
            assert new_domain != mover["former_address"].rsplit("@", 1)[1]
            assert mover["address_source"] in ("provider", "pattern", "import", "http")
            assert mover["emails_to_address"] >= 1 and mover["address"] in addresses
        else:
            assert mover["find_email_task"], "no address: a task to find one"
    sources = {m["address_source"] for m in movers}
    assert {"provider", "pattern", None} <= sources, "the demo shows each way"


def _a_timeline_reads_as_what_happened(client, store):
    """A contact who replied: the reply's words and what was sent are on the page, the
    signal is dated when it happened, and no server file path shows."""
    from markupsafe import escape
    from sqlalchemy import select

    from signalseq.drafting.models import Draft
    from signalseq.enrollments.models import EngagementEvent, Enrollment, Touch
    from signalseq.inbound.models import InboundMessage
    from signalseq.signals.models import Signal

    with store.database.unit_of_work() as session:
        reply = session.scalar(select(EngagementEvent).where(EngagementEvent.kind == "replied"))
        message = session.scalar(
            select(InboundMessage).where(InboundMessage.message_id == reply.detail["message_id"])
        )
        enrollment = session.scalar(
            select(Enrollment).where(Enrollment.contact_id == reply.contact_id)
        )
        happened = session.get(Signal, enrollment.signal_id).occurred_at
        sent = session.scalar(
            select(Draft.body).join(Touch, Touch.id == Draft.touch_id)
            .where(Touch.enrollment_id == enrollment.id, Touch.sent_at.is_not(None))
        )  # fmt: skip
    page = client.get(f"/contacts/{reply.contact_id}").text
    assert "file:" not in page and ".eml" not in page
    assert str(escape(message.detail["snippet"][:40])) in page  # what came back
    first_paragraph = sent.split("\n\n")[1]
    assert str(escape(first_paragraph[:60])) in page  # what was sent, as text
    assert happened.date().isoformat() in page  # dated when it happened


def _drafts_read_like_a_person_wrote_them(workspace, store, report, stdout):
    """From the .eml files themselves (bodies above the footer, the greeting and sign-off
    left out, the recipient's name and capitalised names masked): under 10% of sentences
    appear in another email of the same step; and the demo's own figures agree."""
    from collections import Counter, defaultdict
    from email import message_from_bytes, policy

    from sqlalchemy import text as sql

    with store.database.unit_of_work() as session:
        prompt_of = dict(session.execute(sql("SELECT touch_id, prompt_id FROM drafts")).all())
    by_step: dict[str, list[set[str]]] = defaultdict(list)
    for path in (workspace / ".signalseq" / "outbox").glob("touch-*.eml"):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        body = message.get_body(("plain",)).get_content().split("\n-- \n")[0]
        lines = [line.strip() for line in body.splitlines() if line.strip()][1:]
        end = next(
            (i for i, line in enumerate(lines) if re.match(r"(?i)^(best|regards|cheers)\b", line)),
            len(lines),
        )
        text = " ".join(lines[:end])
        for part in message["To"].addresses[0].display_name.split():
            text = text.replace(part, "<name>")
        text = re.sub(r"(?<=[a-z,;:] )[A-Z][\w&'-]*(?: [A-Z][\w&'-]*)*", "<name>", text)
        sentences = {s.casefold() for s in re.split(r"(?<=[.!?])\s+", text) if s.strip()}
        by_step[prompt_of[int(path.stem.split("-")[1])]].append(sentences)
    total = shared = 0
    for emails in by_step.values():
        seen = Counter(s for sentences in emails for s in sentences)
        total += sum(len(sentences) for sentences in emails)
        shared += sum(1 for sentences in emails for s in sentences if seen[s] > 1)
    assert total > 100 and shared / total < 0.10, (shared, total)
    figures = report["drafting_repetition"]
    assert figures["shared_share"] < 0.10 and figures["repeated_claims"] == 0, figures
    assert "(target < 10%)" in stdout and "(target 0)" in stdout


def _every_eml_has_a_plain_one_click_header(workspace):
    """The .eml files' bytes: RFC 8058 URLs in angle brackets, never encoded-words."""
    files = list((workspace / ".signalseq" / "outbox").glob("touch-*.eml"))
    assert files
    for path in files:
        head = path.read_bytes().split(b"\r\n\r\n", 1)[0]
        unfolded = re.sub(rb"\r\n(?=[ \t])", b"", head)
        (value,) = re.findall(rb"(?im)^List-Unsubscribe: (.*)$", unfolded)
        assert re.fullmatch(rb"<https?://[^>]+>, <mailto:[^>]+>", value.strip()), (path, value)


def test_every_dashboard_count_opens_a_list_of_that_size(tmp_path, run_cli, store):
    """On the demo's data: each linked number on the dashboard, and the list it opens."""
    from fastapi.testclient import TestClient
    from tests.web_support import post_login

    from signalseq.auth.service import add_user
    from signalseq.clock import SimulatedClock
    from signalseq.settings import Settings
    from signalseq.web.app import create_app

    workspace = tmp_path / "ws"
    run_cli("init", workspace)
    assert run_cli("demo").exit_code == 0
    simulation = json.loads(run_cli("demo", "--json").stdout)["simulation"]
    end = datetime.fromisoformat(simulation["start"]) + timedelta(days=simulation["days"])
    later = (end + timedelta(days=1)).replace(microsecond=0)
    with store.database.unit_of_work() as session:
        add_user(session, "manager", "a-long-password-123", "admin", later)
    settings = Settings(_env_file=None, workspace=workspace, database_url=store.url)
    app = create_app(settings, store.database, SimulatedClock(later))
    with TestClient(app, follow_redirects=False) as client:
        post_login(client, data={"username": "manager", "password": "a-long-password-123"})
        page = client.get("/dashboard", params={"days": "all"}).text
        links = re.findall(r'<a href="(/dashboard/contacts\?[^"]+)">([^<]+)</a>', page)
        assert len(links) > 20
        wrong = []
        for href, label in links:
            number = int(label.split()[-1])
            listed = client.get(href.replace("&amp;", "&")).text
            shown = int(re.search(r"<h1>(\d+) contact", listed).group(1))
            if shown != number:
                wrong.append(f"{label} → {shown}: {href}")
        assert not wrong, wrong
        _a_timeline_reads_as_what_happened(client, store)
        typo = client.get("/dashboard", params={"days": "all", "rule": "funded-grwoth"}).text
        assert "no trigger rule named &#39;funded-grwoth&#39;" in typo and "funded-growth" in typo
    printed = run_cli("--now", later.isoformat(), "report", "--json")
    assert printed.exit_code == 0, printed.output
    report = json.loads(printed.stdout)
    waiting = [day["pending"] for day in report["review"]["queue_by_day"]]
    assert waiting and min(waiting) >= 0, waiting
