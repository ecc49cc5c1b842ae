"""Attacks on the sign-in and on the dead-letter store, against a real ``signalseq serve``
process: parallel password guesses, a rotated X-Forwarded-For, and a flood of unsigned
webhook requests."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.test_webhooks import SECRET, WORKSPACE
from tests.web_support import post_login, serve_process

from signalseq.auth import service
from signalseq.deadletters.models import DeadLetter
from signalseq.settings import Settings
from signalseq.web.app import create_app
from signalseq.web.limiter import REFUSALS_KEPT_PER_MINUTE

PASSWORD = "a-long-password-123"
CREATED = datetime(2026, 11, 23, tzinfo=UTC)


@pytest.fixture
def site(store, make_workspace):  # type: ignore[no-untyped-def]
    """A workspace and a user; ``site(**settings)`` is the environment of a serve process."""
    with store.database.unit_of_work() as session:
        service.add_user(session, "rita", PASSWORD, "reviewer", CREATED)
    root = make_workspace({"workspace.yaml": "name: t\n"})

    def environment(**settings: object) -> dict[str, str]:
        return {
            "SIGNALSEQ_DATABASE_URL": store.url,
            "SIGNALSEQ_WORKSPACE": str(root),
            **{f"SIGNALSEQ_{name.upper()}": str(value) for name, value in settings.items()},
        }

    environment.root = root  # type: ignore[attr-defined]
    return environment


def sign_in(base: str, user: str, password: str, forwarded: str | None = None) -> int:
    """One sign-in as a browser makes it (form, then POST); the status code."""
    with httpx.Client(base_url=base, timeout=60) as client:
        form = client.get("/login")
        token = re.search(r'name="login_token" value="([^"]+)"', form.text)
        assert token, form.text[:300]
        headers = {"X-Forwarded-For": forwarded} if forwarded else {}
        answer = client.post(
            "/login",
            data={"username": user, "password": password, "login_token": token.group(1)},
            headers=headers,
        )
        return answer.status_code


def test_parallel_guesses_are_counted_before_the_password_is_checked(site):  # type: ignore[no-untyped-def]
    with serve_process(site(login_attempts=5, login_attempts_per_address=1000)) as base:
        guesses = [f"wrong-{n}" for n in range(29)] + [PASSWORD]
        with ThreadPoolExecutor(30) as pool:
            statuses = list(pool.map(lambda guess: sign_in(base, "rita", guess), guesses))
        checked = [s for s in statuses if s in (401, 303)]
        assert len(checked) == 5, statuses  # was 30: every parallel guess was checked
        assert statuses.count(429) == 25
        if 303 not in statuses:  # the right password came after the limit: it waits too
            assert sign_in(base, "rita", PASSWORD) == 429


def test_a_rotated_forwarded_for_is_believed_only_from_a_configured_proxy(site):  # type: ignore[no-untyped-def]
    def spray(base: str) -> list[int]:
        return [sign_in(base, f"user{n}", "guess", forwarded=f"10.0.0.{n}") for n in range(6)]

    with serve_process(site(login_attempts_per_address=3)) as base:
        assert spray(base) == [401, 401, 401, 429, 429, 429]  # one address: the loopback
    with serve_process(site(login_attempts_per_address=3, trusted_proxies="127.0.0.1")) as base:
        assert spray(base) == [401] * 6  # six clients behind the proxy
        one_client = [sign_in(base, f"other{n}", "guess", forwarded="10.0.0.9") for n in range(4)]
        assert one_client == [401, 401, 401, 429]  # the forwarded address is what is counted


def test_passwords_are_checked_off_the_shared_request_pool(store, site, monkeypatch):  # type: ignore[no-untyped-def]
    threads: list[str] = []
    authenticate = service.authenticate

    def recording(*args, **kwargs):  # type: ignore[no-untyped-def]
        threads.append(threading.current_thread().name)
        return authenticate(*args, **kwargs)

    monkeypatch.setattr(service, "authenticate", recording)
    settings = Settings(_env_file=None, workspace=site.root, database_url=store.url)
    with TestClient(create_app(settings, store.database), follow_redirects=False) as client:
        answer = post_login(client, data={"username": "rita", "password": PASSWORD})
    assert answer.status_code == 303
    assert threads and all(name.startswith("signalseq-password") for name in threads), threads


def test_an_unsigned_flood_from_one_address_leaves_a_bounded_number_of_dead_letters(
    store, make_workspace, monkeypatch
):
    root: Path = make_workspace(WORKSPACE)
    monkeypatch.setenv("HOOK_SECRET", SECRET)
    settings = Settings(_env_file=None, workspace=root, database_url=store.url)
    with TestClient(create_app(settings, store.database)) as client:
        for n in range(REFUSALS_KEPT_PER_MINUTE * 3):
            answer = client.post(
                "/api/v1/signals",
                content=f'{{"n": {n}}}'.encode(),
                headers={"X-Signalseq-Source": "crm-hook", "X-Signalseq-Signature": "v1=00"},
            )
            assert answer.status_code == 401  # every one refused, as before
    with store.database.unit_of_work() as session:
        kept = session.scalar(select(func.count()).select_from(DeadLetter))
    assert kept == REFUSALS_KEPT_PER_MINUTE  # was 60: one per refused request
