"""A reviewer works the queue in real Chromium (Debian's package, driven by Playwright):
sign in, approve one item with the keyboard, edit and approve another, reject a third
with a reason; the database shows each outcome. A screenshot of the queue is saved in
the test's output folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from tests.review_support import draft_of, pending, queue_world  # noqa: F401
from tests.test_pipeline import world  # noqa: F401
from tests.web_support import CHROMIUM, require_chromium, serve

from signalseq.auth import service as users
from signalseq.clock import SimulatedClock
from signalseq.enrollments.models import Touch
from signalseq.review.models import ReviewItem
from signalseq.settings import Settings
from signalseq.web.app import create_app

PASSWORD = "correct horse battery"


@pytest.fixture
def served(store, queue_world):  # noqa: F811
    (queue_world.root / "review").mkdir(exist_ok=True)
    (queue_world.root / "review/policy.yaml").write_text("four_eyes: false\n")
    with store.database.unit_of_work() as session:
        users.add_user(session, "rita", PASSWORD, "reviewer", queue_world.now)
    settings = Settings(workspace=queue_world.root, database_url=store.url)
    with serve(create_app(settings, store.database, SimulatedClock(queue_world.now))) as url:
        yield url


def test_a_reviewer_approves_edits_and_rejects_in_chromium(store, served, tmp_path: Path):
    require_chromium()
    from playwright import sync_api as playwright_api

    items = pending(store)[:3]
    edited = {}
    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(served + "/queue")
        assert "/login" in page.url
        page.fill("input[name=username]", "rita")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(served + "/queue")
        assert page.inner_text("#pending-total") == "4"
        page.screenshot(path=str(tmp_path / "queue.png"), full_page=True)

        page.keyboard.press("Enter")  # the first row is selected: open it
        page.wait_for_url(f"{served}/queue/items/{items[0].id}")
        page.keyboard.press("a")  # approve
        page.wait_for_url(f"{served}/queue/items/{items[1].id}?done=approved")
        assert "Approved." in page.inner_text(".flash")

        page.keyboard.press("e")
        body = page.input_value("#edit-form textarea[name=body]")
        edited["body"] = body.replace("Best,", "Thanks,")
        assert edited["body"] != body
        page.fill("#edit-form textarea[name=body]", edited["body"])
        page.click("#edit-form button[type=submit]")
        page.wait_for_url(f"{served}/queue/items/{items[2].id}?done=edited_approved")

        page.keyboard.press("r")
        page.select_option("#reject-form select[name=reason]", "tone")
        page.fill("#reject-form textarea[name=comment]", "Too formal for a founder.")
        page.click("#reject-form button[type=submit]")
        page.wait_for_url(f"{served}/queue/items/**")
        page.goto(served + "/queue")
        assert page.inner_text("#pending-total") == "1"
        page.screenshot(path=str(tmp_path / "queue-after.png"), full_page=True)
        browser.close()

    with store.database.unit_of_work() as session:
        states = [session.get(Touch, i.touch_id).state for i in items]
        assert states == ["approved", "approved", "drafting"]
        rejected = session.scalar(
            select(ReviewItem)
            .where(ReviewItem.touch_id == items[2].touch_id)
            .order_by(ReviewItem.id.desc())
        )
        assert (rejected.state, rejected.reject_reason, rejected.comment, rejected.decided_by) == (
            "rejected",
            "tone",
            "Too formal for a founder.",
            "rita",
        )
    second = draft_of(store, items[1].touch_id)
    assert (second.version, second.body, second.approved_by) == (2, edited["body"], "rita")
    assert (tmp_path / "queue.png").stat().st_size > 10_000
