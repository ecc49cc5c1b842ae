"""A reviewer's day in real Chromium (Debian's package, through Playwright), two reviewers
at once: open an item and read who it goes to, edit under four eyes with the second
reviewer approving, override a failed check with a reason, recall an approval, bulk
approve only what qualifies. Then every page at 1440 and 390 px: screenshots saved in
the test's folder, no horizontal scroll at 390 px, and no accessibility violation of
impact moderate or higher (axe-core, injected into the page)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import select
from tests.conftest import require
from tests.factories import TEST_PUBLIC_URL, TEST_SECRET
from tests.review_support import draft_of, fail_a_check, pending, queue_world  # noqa: F401
from tests.test_pipeline import world  # noqa: F401
from tests.web_support import CHROMIUM, require_chromium, serve

from signalseq.auth import service as users
from signalseq.clock import SimulatedClock
from signalseq.delivery.unsubscribe import make_token
from signalseq.drafting.models import Draft
from signalseq.enrollments.models import Touch
from signalseq.review.models import AuditEntry, ReviewItem
from signalseq.settings import Settings
from signalseq.web.app import create_app

PASSWORD = "correct horse battery"
AXE = Path(os.environ.get("SIGNALSEQ_AXE_JS", Path(__file__).parents[1] / ".venv/node/node_modules/axe-core/axe.min.js"))  # fmt: skip
SERIOUS = ("moderate", "serious", "critical")


@pytest.fixture
def site(store, queue_world):  # noqa: F811
    with store.database.unit_of_work() as session:
        for name, role in (("rita", "reviewer"), ("rob", "reviewer"), ("ada", "admin")):
            users.add_user(session, name, PASSWORD, role, queue_world.now)
    settings = Settings(_env_file=None, workspace=queue_world.root, database_url=store.url,
                        secret_key=TEST_SECRET, public_url=TEST_PUBLIC_URL)  # fmt: skip
    with serve(create_app(settings, store.database, SimulatedClock(queue_world.now))) as url:
        yield url


def sign_in(browser, url: str, user: str, width: int = 1440):  # type: ignore[no-untyped-def]
    # bypass_csp: only so the test can inject axe-core; the pages' own CSP is untouched
    page = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=True).new_page()
    page.goto(url + "/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(url + "/queue")
    return page


def test_a_reviewers_day_with_two_reviewers(store, queue_world, site, tmp_path: Path):  # noqa: F811
    require_chromium()
    from playwright import sync_api

    first, second, third, fourth = pending(store)[:4]
    fail_a_check(store, fourth.touch_id)
    with store.database.unit_of_work() as session:  # one item qualifies for bulk approval
        session.get(ReviewItem, second.id).low_risk = True
        row = session.scalar(select(Draft).where(Draft.touch_id == first.touch_id))
        earlier = {"step": "opener", "channel": "email", "purpose": "opener",  # its thread
                   "subject": "Series A and your pipeline", "sent_on": "2026-11-20",
                   "summary": "Congratulations on the $10M Series A led by Example Ventures."}  # fmt: skip
        row.context = {**row.context, "previous_touches": [earlier]}
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        rita, rob = sign_in(browser, site, "rita"), sign_in(browser, site, "rob")

        # open an item: who it goes to, from whom; opening it locks no one out
        rita.goto(f"{site}/queue/items/{first.id}")
        assert "<" in rita.inner_text("#recipient") and "@" in rita.inner_text("#recipient")
        thread = rita.inner_text("ul.sent-before")  # the thread so far, in words
        assert "Series A and your pipeline" in thread and "Congratulations on the $10M" in thread
        rob.goto(f"{site}/queue/items/{first.id}")
        assert rob.locator("#approve-form").count() == 1

        # rita edits; under four eyes rob approves the new version
        rita.click("#edit summary")
        body = rita.input_value("#edit-form textarea[name=body]")
        rita.fill("#edit-form textarea[name=body]", body.replace("Hi ", "Hello ", 1))
        rita.click("#edit-form button[type=submit]")
        rita.wait_for_url(f"{site}/queue/items/**")
        fresh = next(i for i in pending(store) if i.touch_id == first.touch_id)
        rita.goto(f"{site}/queue/items/{fresh.id}")
        assert (
            rita.locator("#four-eyes").count() == 1 and rita.locator("#approve-form").count() == 0
        )
        rob.goto(f"{site}/queue/items/{fresh.id}")
        rob.keyboard.press("a")
        rob.wait_for_url("**done=approved")

        # a failed check: "a" stops at the empty reason; with a reason it goes through
        rob.goto(f"{site}/queue/items/{fourth.id}")
        assert "failed banned_phrases" in rob.inner_text("#approve-form")
        rob.keyboard.press("a")
        rob.wait_for_timeout(300)
        assert rob.url.endswith(f"/queue/items/{fourth.id}")  # the browser asked for the reason
        rob.fill("#override", "A customer's own words, agreed with legal.")
        rob.click("#approve-form button[type=submit]")
        rob.wait_for_url("**done=approved")

        # rita recalls rob's approval before it is sent: back in the queue
        rita.goto(f"{site}/queue/items/{fourth.id}")
        rita.click("#recall-form button[type=submit]")
        rita.wait_for_url("**done=recalled")
        assert "Approval recalled" in rita.inner_text(".flash")

        # bulk approve: only the row that qualifies has a box
        rob.goto(f"{site}/queue")
        boxes = rob.locator("input[name=item]")
        assert boxes.count() == 1
        boxes.first.check()
        rob.click("#bulk button[type=submit]")
        rob.wait_for_url(f"{site}/queue**")
        assert "Approved 1." in rob.inner_text(".flash")
        browser.close()

    with store.database.unit_of_work() as session:
        states = {i.id: session.get(Touch, i.touch_id).state for i in (first, second, fourth)}
        assert states == {first.id: "approved", second.id: "approved", fourth.id: "in_review"}
        override = session.scalar(
            select(AuditEntry).where(
                AuditEntry.item_id == fourth.id, AuditEntry.action == "approved"
            )
        )
        assert override.actor == "rob" and override.reason.startswith("override: A customer")
        recalled = session.scalar(
            select(AuditEntry).where(
                AuditEntry.item_id == fourth.id, AuditEntry.action == "recalled"
            )
        )
        assert recalled.actor == "rita"
    assert draft_of(store, first.touch_id).approved_by == "rob"


def test_every_page_fits_a_phone_and_passes_axe(store, queue_world, site, tmp_path: Path):  # noqa: F811
    require_chromium()
    require(AXE.exists(), f"axe-core is not installed at {AXE} (npm install axe-core)")
    from playwright import sync_api

    item = pending(store)[0]
    contact_id = item.contact_id
    token = make_token(TEST_SECRET, contact_id, "ana@co-us.com")
    pages = {
        "queue": "/queue", "item": f"/queue/items/{item.id}", "contact": f"/contacts/{contact_id}",
        "tasks": "/tasks", "dashboard": "/dashboard",
        "drilldown": "/dashboard/contacts?days=30&sequence=outreach", "unsubscribe": f"/u/{token}",
    }  # fmt: skip
    problems: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        for width in (1440, 390):
            page = sign_in(browser, site, "rita", width)
            login = browser.new_context(viewport={"width": width, "height": 900},
                                        bypass_csp=True).new_page()  # fmt: skip
            login.goto(site + "/login")
            for name, path in [("login", None), *pages.items()]:
                shown = login if path is None else page
                if path is not None:
                    shown.goto(site + path)
                shown.screenshot(path=str(tmp_path / f"{name}-{width}.png"), full_page=True)
                wide = shown.evaluate("document.documentElement.scrollWidth")
                if width == 390 and wide > 390:
                    problems.append(f"{name} is {wide} px wide at 390 px")
                shown.add_script_tag(path=str(AXE))
                found = shown.evaluate("async () => (await axe.run(document)).violations")
                for violation in found:
                    if violation["impact"] in SERIOUS:
                        nodes = [n["target"] for n in violation["nodes"]][:3]
                        problems.append(
                            f"{name}@{width}: {violation['id']} ({violation['impact']}) {nodes}"
                        )
        browser.close()
    assert not problems, "\n".join(problems)
    assert len(list(tmp_path.glob("*-390.png"))) == len(pages) + 1
