"""In real Chromium: a recipient unsubscribes from the link in an email (a confirmation
page, then one button, no login), and a rep marks a LinkedIn task done."""

from __future__ import annotations

from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from sqlalchemy import select
from tests.factories import TEST_PUBLIC_URL, TEST_SECRET
from tests.test_pipeline import MONDAY, world  # noqa: F401
from tests.web_support import CHROMIUM, require_chromium, serve

from signalseq.auth import service as users
from signalseq.clock import SimulatedClock
from signalseq.enrollments.models import Enrollment
from signalseq.pipeline.simulate import simulate
from signalseq.policy.models import SuppressionEntry
from signalseq.rules.watcher import RulesWatcher
from signalseq.settings import Settings
from signalseq.tasks.models import Task
from signalseq.web.app import create_app

PASSWORD = "correct horse battery"


@pytest.fixture
def served(store, world):  # noqa: F811
    root, ids, outbox = world
    settings = Settings(_env_file=None, workspace=root, database_url=store.url,
                        secret_key=TEST_SECRET, public_url=TEST_PUBLIC_URL)  # fmt: skip
    simulate(store.database, RulesWatcher(root), start=MONDAY, days=3, outbox=outbox,
             approve_reviews=True, settings=settings, complete_tasks=False)  # fmt: skip
    with store.database.unit_of_work() as session:
        users.add_user(session, "rita", PASSWORD, "reviewer", MONDAY)
    clock = SimulatedClock(MONDAY + timedelta(days=3))
    with serve(create_app(settings, store.database, clock)) as url:
        yield url, ids, outbox


def test_a_recipient_unsubscribes_and_a_rep_completes_a_task(store, served, tmp_path: Path):
    require_chromium()
    from playwright import sync_api as playwright_api

    url, ids, outbox = served
    email = message_from_bytes(sorted(outbox.glob("*.eml"))[0].read_bytes(), policy=policy.default)
    link = email.get_body(("html",)).get_content().split('href="')[-1].split('"')[0]
    assert link.startswith(f"{TEST_PUBLIC_URL}/u/"), "the footer's one-click link"
    local = link.replace(TEST_PUBLIC_URL, url)  # the public URL points at this server
    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page()
        page.goto(local)
        assert page.get_by_role("heading").inner_text() == "Unsubscribe?"
        with store.database.unit_of_work(read_only=True) as session:
            assert session.scalar(select(SuppressionEntry.id)) is None, "opening changes nothing"
        page.get_by_role("button", name="Unsubscribe").click()
        page.wait_for_selector("text=You are unsubscribed")
        page.screenshot(path=str(tmp_path / "unsubscribed.png"))

        page.goto(url + "/tasks")
        page.fill("input[name=username]", "rita")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(url + "/tasks")  # back where the sign-in began
        first = page.locator("li.task").first
        task_id = int(first.get_attribute("data-task"))
        first.locator("input[name=note]").fill("sent the connection request")
        first.get_by_role("button", name="Done").click()
        page.wait_for_selector("text=Task done.")
        page.screenshot(path=str(tmp_path / "tasks.png"), full_page=True)
        browser.close()
    with store.database.unit_of_work(read_only=True) as session:
        recipient = email["To"].addresses[0].addr_spec
        assert (
            session.scalar(
                select(SuppressionEntry.reason).where(SuppressionEntry.value == recipient)
            )
            == "unsubscribed (link)"
        )
        exited = session.scalars(
            select(Enrollment.exit_reason).where(Enrollment.state == "exited")
        ).all()
        task = session.get(Task, task_id)
    assert exited == ["unsubscribed"]
    assert (task.state, task.closed_by, task.note) == (
        "done",
        "rita",
        "sent the connection request",
    )
