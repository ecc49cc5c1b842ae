"""The report on a seeded scenario whose every count is known: funnels per rule and
signal, sequences and steps, holdouts, review; the CLI (tables, JSON, CSV) and the
dashboard with its drill-downs and the sentiment correction. Runs on SQLite and
PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.web_support import CHROMIUM, post_login, require_chromium, serve

from signalseq.auth import service as users
from signalseq.clock import SimulatedClock
from signalseq.crm.models import Account, Contact
from signalseq.decisions.models import Decision
from signalseq.drafting.models import Draft
from signalseq.enrollments.engagement import record_event
from signalseq.enrollments.models import EngagementEvent, Enrollment, Touch
from signalseq.metrics.repository import Filters
from signalseq.metrics.service import build_report
from signalseq.review.models import ReviewItem
from signalseq.rules.ruleset import CompiledRule
from signalseq.settings import Settings
from signalseq.signals.models import Signal
from signalseq.web.app import create_app

T0 = datetime(2026, 10, 5, 14, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"


@pytest.fixture
def scenario(store):
    """Rule r1 (funding signal): A, B, C, D enrolled in seq1, E held out, F and G skipped
    by cooldown. Rule r2 (visit): H enrolled in seq2. A replies to the opener (positive)
    and books a meeting, B replies to the bump (negative), C's opener bounces, E (held
    out) replies anyway; four review items."""
    with store.database.unit_of_work() as s:
        account = Account(name="Acme", normalized_name="acme", domain="acme.example")
        s.add(account)
        s.flush()
        people = {}
        for name in "ABCDEFGH":
            person = Contact(email=f"{name.lower()}@acme.example", full_name=f"{name} Person",
                             account_id=account.id)  # fmt: skip
            s.add(person)
            s.flush()
            people[name] = person.id
        funding = Signal(kind="funding", occurred_at=T0, source="news", source_event_id="1",
                         dedupe_key="f1", account_id=account.id, ingested_at=T0)  # fmt: skip
        visit = Signal(kind="website_visit", occurred_at=T0, source="web", source_event_id="2",
                       dedupe_key="v1", account_id=account.id, ingested_at=T0)  # fmt: skip
        s.add_all([funding, visit])
        s.flush()
        enrollments, touches = {}, {}
        for name, rule, signal, sequence in [("A", "r1", funding, "seq1"), ("B", "r1", funding, "seq1"),
                                             ("C", "r1", funding, "seq1"), ("D", "r1", funding, "seq1"),
                                             ("H", "r2", visit, "seq2")]:  # fmt: skip
            enrollment = Enrollment(contact_id=people[name], account_id=account.id,
                                    sequence_id=sequence, sequence_version=1, branch="main",
                                    rule_id=rule, signal_id=signal.id, enrolled_at=T0)  # fmt: skip
            s.add(enrollment)
            s.flush()
            enrollments[name] = enrollment.id
            s.add(Decision(signal_id=signal.id, contact_id=people[name], outcome="enrolled",
                           reason="enrolled", rule_id=rule, rules_version="v", sequence_id=sequence,
                           branch="main", enrollment_id=enrollment.id, decided_at=T0))  # fmt: skip
        for name, outcome, reason in [("E", "held_out", "holdout"), ("F", "skipped", "cooldown"),
                                      ("G", "skipped", "cooldown")]:  # fmt: skip
            s.add(Decision(signal_id=funding.id, contact_id=people[name], outcome=outcome,
                           reason=reason, rule_id="r1", rules_version="v", sequence_id="seq1",
                           branch="main", decided_at=T0))  # fmt: skip
        steps = [("A", "opener", 0, "p-open", 1, 1), ("B", "opener", 0, "p-open", 1, 1),
                 ("C", "opener", 0, "p-open", 1, 1), ("D", "opener", 0, "p-open", 1, 1),
                 ("A", "bump", 1, "p-bump", 2, 2), ("B", "bump", 1, "p-bump", 2, 2),
                 ("H", "opener", 0, "p-open", 1, 1)]  # fmt: skip
        for name, step, index, prompt, version, day in steps:
            at = T0 + timedelta(days=day - 1, hours=1)
            touch = Touch(enrollment_id=enrollments[name], branch="main", step_id=step,
                          step_index=index, channel="email", purpose=step, due_at=at,
                          state="sent", sent_at=at)  # fmt: skip
            s.add(touch)
            s.flush()
            touches[(name, step)] = touch.id
            s.add(Draft(touch_id=touch.id, subject="s", body="b", drafter="offline",
                        prompt_id=prompt, prompt_version=version))  # fmt: skip
        s.flush()
        record_event(s, kind="replied", at=T0 + timedelta(hours=48), contact_id=people["A"],
                     touch_id=touches[("A", "opener")], sentiment="positive")  # fmt: skip
        record_event(s, kind="meeting", at=T0 + timedelta(days=5), contact_id=people["A"],
                     touch_id=touches[("A", "opener")])  # fmt: skip
        # no touch named: credited to the last one sent before it (B's bump)
        record_event(s, kind="replied", at=T0 + timedelta(hours=96), contact_id=people["B"],
                     sentiment="negative")  # fmt: skip
        record_event(s, kind="bounced", at=T0 + timedelta(hours=1), contact_id=people["C"],
                     touch_id=touches[("C", "opener")])  # fmt: skip
        record_event(s, kind="replied", at=T0 + timedelta(days=3), contact_id=people["E"])
        for touch, state, reason, minutes in [(("A", "opener"), "approved", None, 30),
                                              (("B", "opener"), "approved", None, 90),
                                              (("B", "bump"), "rejected", "tone", 10),
                                              (("D", "opener"), "pending", None, None)]:  # fmt: skip
            name = touch[0]
            s.add(ReviewItem(touch_id=touches[touch], enrollment_id=enrollments[name],
                             contact_id=people[name], state=state, reject_reason=reason,
                             due_at=T0, sla_at=T0, sequence_id="seq1", rule_id="r1",
                             created_at=T0,
                             decided_at=T0 + timedelta(minutes=minutes) if minutes else None))  # fmt: skip
    return people


def test_every_number_of_the_report_on_a_known_scenario(store, scenario):
    with store.database.unit_of_work(read_only=True) as session:
        report = build_report(session, Filters(), T0 + timedelta(days=10))
        b_reply = session.scalar(
            select(Touch.step_id)
            .join(EngagementEvent, EngagementEvent.touch_id == Touch.id)
            .where(EngagementEvent.contact_id == scenario["B"])
        )
    assert b_reply == "bump", "a reply that names no touch is credited to the last one sent"
    r1, r2 = report.rules
    assert (r1["rule"], r1["signals"], r1["matched"], r1["enrolled"], r1["held_out"]) == (
        "r1", 1, 7, 4, 1)  # fmt: skip
    assert r1["skipped"] == {"cooldown": 2}
    assert (r1["replied"], r1["positive_replies"], r1["meetings"], r1["reply_rate"]) == (
        2,
        1,
        1,
        0.5,
    )
    assert (r2["rule"], r2["enrolled"], r2["replied"]) == ("r2", 1, 0)
    funding = next(row for row in report.signals if row["kind"] == "funding")
    assert (funding["signals"], funding["enrolled"], funding["held_out"], funding["skipped"],
            funding["replied"], funding["meetings"]) == (1, 4, 1, 2, 2, 1)  # fmt: skip
    seq1 = next(row for row in report.sequences if row["sequence"] == "seq1")
    assert seq1["enrolled"] == 4 and seq1["sent"] == {"email": 6}
    assert (seq1["replies"], seq1["positive_replies"], seq1["meetings"], seq1["bounces"]) == (
        2,
        1,
        1,
        1,
    )
    assert seq1["reply_rate"] == 0.5 and seq1["median_hours_to_first_reply"] == 72.0
    opener, bump = [row for row in report.steps if row["sequence"] == "seq1"]
    assert (opener["step"], opener["prompt"], opener["sent"], opener["replies"]) == (
        "opener", "p-open@v1", 4, 1)  # fmt: skip
    assert (opener["positive_replies"], opener["meetings"], opener["bounces"]) == (1, 1, 1)
    assert (bump["step"], bump["prompt"], bump["sent"], bump["replies"], bump["reply_rate"]) == (
        "bump", "p-bump@v2", 2, 1, 0.5)  # fmt: skip
    (holdout,) = report.holdouts
    assert (holdout["enrolled"], holdout["held_out"]) == (4, 1)
    assert (holdout["enrolled_reply_rate"], holdout["held_out_reply_rate"]) == (0.5, 1.0)
    assert (holdout["enrolled_meeting_rate"], holdout["held_out_meeting_rate"]) == (0.25, 0.0)
    assert holdout["reply_lift"] == -0.5 and holdout["reply_p_value"] is not None
    review = report.review
    assert review["items"] == 4 and review["median_minutes_to_approval"] == 60.0
    assert review["reject_reasons"] == {"tone": 1}
    by_prompt = {row["prompt"]: row for row in review["by_prompt"]}
    assert (by_prompt["p-open@v1"]["approved"], by_prompt["p-open@v1"]["pending"]) == (2, 1)
    assert by_prompt["p-bump@v2"]["rejected"] == 1 and by_prompt["p-bump@v2"]["reject_rate"] == 1.0
    assert review["queue_by_day"][0] == {"day": "2026-10-05", "pending": 1}


def test_filters_narrow_the_report(store, scenario):
    with store.database.unit_of_work(read_only=True) as session:
        later = build_report(session, Filters(since=T0 + timedelta(days=1)), T0)
        only_r2 = build_report(session, Filters(rule="r2"), T0)
        only_seq1 = build_report(session, Filters(sequence="seq1"), T0)
    assert later.rules == [] and later.sequences == [] and later.review["items"] == 0
    assert [r["rule"] for r in only_r2.rules] == ["r2"] and only_r2.holdouts == []
    assert [s["sequence"] for s in only_seq1.sequences] == ["seq1"]


def test_the_report_command_prints_tables_json_and_csv(store, scenario, run_cli, make_workspace):
    make_workspace({"workspace.yaml": "name: t\n"})
    text = run_cli("report")
    assert text.exit_code == 0, text.output
    assert "Funnel per trigger rule" in text.stdout and "Holdouts" in text.stdout
    data = json.loads(run_cli("report", "--json").stdout)
    assert data["rules"][0]["enrolled"] == 4 and data["holdouts"][0]["held_out"] == 1
    rows = list(csv.reader(io.StringIO(run_cli("report", "--csv").stdout)))
    assert rows[0] == ["section", "group", "metric", "value"]
    assert ["rules", "r1", "enrolled", "4"] in rows
    assert ["steps", "seq1/main/bump/p-bump@v2", "replies", "1"] in rows
    assert ["rules", "r1", "skipped.cooldown", "2"] in rows
    assert run_cli("report", "--json", "--csv").exit_code == 2
    narrowed = json.loads(run_cli("report", "--since", "2026-12-01", "--json").stdout)
    assert narrowed["rules"] == []


def test_the_dashboard_charts_drills_down_and_takes_a_sentiment(store, scenario, tmp_path):
    with store.database.unit_of_work() as session:
        users.add_user(session, "rita", PASSWORD, "reviewer", T0)
    settings = Settings(_env_file=None, workspace=tmp_path, database_url=store.url)
    app = create_app(settings, store.database, SimulatedClock(T0 + timedelta(days=10)))
    client = TestClient(app, follow_redirects=False)
    assert client.get("/dashboard").status_code == 303, "sign in first"
    assert post_login(client, data={"username": "rita", "password": PASSWORD}).status_code == 303
    page = client.get("/dashboard?days=30")
    assert page.status_code == 200
    assert (
        page.text.count("<svg") >= 2
        and 'aria-label="Reply rate per step: seq1 / main"' in page.text
    )
    assert "1/2 replied (50%)" in page.text, "the bump's bar says what it stands for"
    assert "<td>p-open@v1</td><td>3</td><td>2</td>" in page.text, "review per prompt"
    assert "built-in method" not in page.text
    held = re.search(r'href="([^"]*outcome=held_out[^"]*)">1<', page.text).group(1)
    drilled = client.get(held.replace("&amp;", "&"))
    assert (
        drilled.status_code == 200 and "E Person" in drilled.text and "A Person" not in drilled.text
    )
    replied = client.get("/dashboard/contacts?days=30&sequence=seq1&step=bump&event=replied")
    assert "B Person" in replied.text and "A Person" not in replied.text
    timeline = client.get(f"/contacts/{scenario['B']}")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', timeline.text).group(1)
    event_id = re.search(r'action="/events/(\d+)/sentiment"', timeline.text).group(1)
    assert client.post(f"/events/{event_id}/sentiment",
                       data={"sentiment": "positive", "contact": scenario["B"]}).status_code == 403  # fmt: skip
    done = client.post(f"/events/{event_id}/sentiment",
                       data={"csrf_token": csrf, "sentiment": "positive", "contact": scenario["B"]})  # fmt: skip
    assert done.status_code == 303
    with store.database.unit_of_work(read_only=True) as session:
        event = session.get(EngagementEvent, int(event_id))
        report = build_report(session, Filters(), T0)
    assert (event.sentiment, event.sentiment_by) == ("positive", "rita")
    assert report.rules[0]["positive_replies"] == 2, "the reviewer's word counts"


def test_holdout_is_a_stable_share_of_contacts():
    rule = CompiledRule(id="r", description=None, on="funding", priority=1, conditions=(),
                        when_count=0, enroll="s", branch_cases=(), branch_default="main",
                        max_per_account=3, location="x", holdout=0.1)  # fmt: skip
    held = [n for n in range(10_000) if rule.holds_out(n)]
    assert 900 <= len(held) <= 1100
    assert held == [n for n in range(10_000) if rule.holds_out(n)], "the same contacts every time"
    other = CompiledRule(**{**rule.__dict__, "id": "other"})
    assert set(held) != {n for n in range(10_000) if other.holds_out(n)}, "each rule its own share"


def test_the_dashboard_in_chromium(store, scenario, tmp_path):
    require_chromium()
    from playwright import sync_api as playwright_api

    with store.database.unit_of_work() as session:
        users.add_user(session, "rita", PASSWORD, "reviewer", T0)
    settings = Settings(_env_file=None, workspace=tmp_path, database_url=store.url)
    app = create_app(settings, store.database, SimulatedClock(T0 + timedelta(days=10)))
    with serve(app) as url, playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 1200})
        page.goto(url + "/dashboard")
        page.fill("input[name=username]", "rita")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(url + "/dashboard")
        chart = page.locator('svg[aria-label="Reply rate per step: seq1 / main"]')
        assert chart.is_visible() and chart.locator("rect.bar").count() == 2
        widths = [
            float(w)
            for w in chart.locator("rect.bar").evaluate_all(
                "els => els.map(e => e.getAttribute('width'))"
            )
        ]
        assert widths[1] > widths[0], "the bump (1 of 2) outdraws the opener (1 of 4)"
        page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
        page.locator('tr[data-rule="r1"] a').filter(has_text="1").first.click()
        page.wait_for_selector("text=contact(s)")
        assert page.locator("table.grid tbody tr").count() >= 1
        browser.close()
