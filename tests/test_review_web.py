"""The review web app through its ASGI interface: sign-in, sessions, roles, CSRF,
security headers, and the queue and item pages."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.review_support import draft_of, pending, queue_world  # noqa: F401
from tests.test_pipeline import world  # noqa: F401
from tests.web_support import post_login

from signalseq.auth import service as users
from signalseq.clock import SimulatedClock
from signalseq.enrollments.models import Touch
from signalseq.settings import Settings
from signalseq.web.app import create_app

PASSWORD = "correct horse battery"


@pytest.fixture
def app(store, queue_world):  # noqa: F811
    with store.database.unit_of_work() as session:
        users.add_user(session, "rita", PASSWORD, "reviewer", queue_world.now)
        users.add_user(session, "rob", PASSWORD, "reviewer", queue_world.now)
        users.add_user(session, "ada", PASSWORD, "rules_author", queue_world.now)
    settings = Settings(workspace=queue_world.root, database_url=store.url, login_attempts=3)
    return create_app(settings, store.database, SimulatedClock(queue_world.now))


def sign_in(client: TestClient, user: str = "rita") -> str:
    response = post_login(client, data={"username": user, "password": PASSWORD, "next": "/queue"})
    assert response.status_code == 303, response.text
    page = client.get("/queue")
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def test_a_logged_out_visitor_sees_nothing(app):
    client = TestClient(app, follow_redirects=False)
    for path in ("/queue", "/queue/items/1", "/contacts/1", "/queue/items/1/next"):
        response = client.get(path)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=%2F")
        assert "Ana" not in response.text
    for path in (
        "/queue/items/1/approve",
        "/queue/items/1/reject",
        "/queue/bulk-approve",
        "/logout",
    ):
        assert client.post(path, data={}).status_code == 401


def test_sign_in_sets_a_safe_cookie_and_never_redirects_off_site(app):
    client = TestClient(app, follow_redirects=False)
    response = post_login(
        client, data={"username": "rita", "password": PASSWORD, "next": "//evil.example/x"}
    )
    assert response.status_code == 303 and response.headers["location"] == "/queue"
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
    https = TestClient(app, base_url="https://testserver", follow_redirects=False)
    secure = post_login(https, data={"username": "rita", "password": PASSWORD})
    assert "secure" in secure.headers["set-cookie"].lower()
    page = client.get("/queue")
    assert page.status_code == 200
    for header in ("content-security-policy", "x-frame-options", "referrer-policy"):
        assert header in page.headers
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


def test_failed_sign_ins_are_rate_limited(app):
    client = TestClient(app, follow_redirects=False)
    for _ in range(3):
        assert (
            post_login(client, data={"username": "rita", "password": "wrong password"}).status_code
            == 401
        )
    blocked = post_login(client, data={"username": "rita", "password": PASSWORD})
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0
    assert "Too many sign-in attempts" in blocked.text


def test_the_queue_page_shows_counts_filters_and_sla(app, store):
    client = TestClient(app, follow_redirects=False)
    sign_in(client)
    page = client.get("/queue")
    assert 'id="pending-total">4<' in page.text
    assert "first touch of the enrollment <b>4</b>" in page.text  # a label, not a code name
    assert page.text.count('data-href="/queue/items/') == 4
    filtered = client.get("/queue", params={"tier": "1"})
    assert "Nothing waits for review with these filters" in filtered.text


def test_a_post_without_the_csrf_token_is_refused(app, store):
    client = TestClient(app, follow_redirects=False)
    token = sign_in(client)
    item = pending(store)[0]
    sha = draft_of(store, item.touch_id).content_sha256
    refused = client.post(f"/queue/items/{item.id}/approve", data={"content_sha256": sha})
    assert refused.status_code == 403 and "CSRF" in refused.text
    wrong = client.post(
        f"/queue/items/{item.id}/approve", data={"content_sha256": sha, "csrf_token": "x" * 40}
    )
    assert wrong.status_code == 403
    with store.database.unit_of_work() as session:
        assert session.get(Touch, item.touch_id).state == "in_review"
    ok = client.post(
        f"/queue/items/{item.id}/approve", data={"content_sha256": sha, "csrf_token": token}
    )
    assert (
        ok.status_code == 303
        and ok.headers["location"] == f"/queue/items/{item.id}/next?done=approved"
    )
    with store.database.unit_of_work() as session:
        assert session.get(Touch, item.touch_id).state == "approved"


def test_roles_and_claims_are_enforced(app, store):
    author = TestClient(app, follow_redirects=False)
    token = sign_in(author, "ada")
    item = pending(store)[0]
    sha = draft_of(store, item.touch_id).content_sha256
    page = author.get(f"/queue/items/{item.id}")
    assert page.status_code == 200 and "approve-form" not in page.text  # read-only
    refused = author.post(
        f"/queue/items/{item.id}/approve", data={"content_sha256": sha, "csrf_token": token}
    )
    assert refused.status_code == 403 and "may not approve" in refused.text
    rita, rob = TestClient(app, follow_redirects=False), TestClient(app, follow_redirects=False)
    rita_token = sign_in(rita)
    rob_token = sign_in(rob, "rob")
    assert "approve-form" in rita.get(f"/queue/items/{item.id}").text
    opened = rob.get(f"/queue/items/{item.id}")  # opening claims nothing: rob may act too
    assert "approve-form" in opened.text and "is reviewing" not in opened.text
    claimed = rita.post(f"/queue/items/{item.id}/claim", data={"csrf_token": rita_token})
    assert claimed.status_code == 303
    held = rob.get(f"/queue/items/{item.id}")
    assert "rita is reviewing (since 0 min" in held.text and "approve-form" not in held.text
    taken = rob.post(
        f"/queue/items/{item.id}/approve", data={"content_sha256": sha, "csrf_token": rob_token}
    )
    assert taken.status_code == 409
    refused = rob.post(
        f"/queue/items/{item.id}/claim", data={"csrf_token": rob_token, "release": "1"}
    )
    assert refused.status_code == 403 and "an admin can take over" in refused.text
    rita.post(f"/queue/items/{item.id}/claim", data={"csrf_token": rita_token, "release": "1"})
    assert "approve-form" in rob.get(f"/queue/items/{item.id}").text  # released on leave


def test_disabling_a_user_ends_their_session(app, store):
    client = TestClient(app, follow_redirects=False)
    sign_in(client)
    with store.database.unit_of_work() as session:
        users.set_disabled(session, "rita")
    assert client.get("/queue").status_code == 303


def test_the_contact_timeline_explains_the_enrollment(app, store):
    client = TestClient(app, follow_redirects=False)
    sign_in(client)
    item = pending(store)[0]
    page = client.get(f"/contacts/{item.contact_id}")
    assert page.status_code == 200
    assert "outreach v1 / main" in page.text and "in_review" in page.text
    with store.database.unit_of_work() as session:
        assert session.scalar(select(Touch.state).where(Touch.id == item.touch_id)) == "in_review"


def test_the_editor_of_a_draft_is_not_offered_the_approve_button(app, store):
    rita, rob = TestClient(app, follow_redirects=False), TestClient(app, follow_redirects=False)
    rita_token, _ = sign_in(rita), sign_in(rob, "rob")
    item = pending(store)[0]
    draft = draft_of(store, item.touch_id)
    edited = rita.post(
        f"/queue/items/{item.id}/edit",
        data={"csrf_token": rita_token, "content_sha256": draft.content_sha256,
              "subject": draft.subject or "", "body": draft.body.replace("Hi ", "Hello ", 1)},
    )  # fmt: skip
    assert edited.status_code == 303, edited.text[:500]
    fresh = next(i for i in pending(store) if i.touch_id == item.touch_id)
    mine = rita.get(f"/queue/items/{fresh.id}").text
    assert 'id="four-eyes"' in mine and "approve-form" not in mine
    theirs = rob.get(f"/queue/items/{fresh.id}").text
    assert "approve-form" in theirs and "is reviewing" not in theirs  # the editor holds nothing
