"""What an attacker found, reproduced against the real component, now refused safely:
YAML alias bombs and deep nesting, oversized numbers and nesting in signed webhooks,
a password in an error, a world-readable store, a javascript: link, and a copy of the
system prompt hidden by zero-width characters."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from contextlib import suppress
from datetime import UTC, datetime

import psutil
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.drafting_support import GOOD_SUBJECT, job_for
from tests.review_support import ALICE, pending, queue_world  # noqa: F401
from tests.test_pipeline import world  # noqa: F401
from tests.test_webhooks import SECRET, SIGNAL, WORKSPACE, post
from tests.web_support import post_login

from signalseq.settings import Settings
from signalseq.web.app import create_app

ALIAS_BOMB = "".join(
    f"{name}: &{name} [{', '.join([f'*{prev}'] * 9 if prev else ['x'] * 9)}]\n"
    for prev, name in zip(["", *"abcdefgh"], "abcdefghi", strict=True)
)


def test_a_yaml_alias_bomb_and_deep_nesting_are_located_problems_in_bounded_memory(
    make_workspace, tmp_path
):
    root = make_workspace({"workspace.yaml": "name: t\n", "review/policy.yaml": ALIAS_BOMB,
                           "rules/policy.yaml": "a: " + "[" * 10_000 + "]" * 10_000 + "\n"})  # fmt: skip
    process = subprocess.Popen([sys.executable, "-m", "signalseq", "validate", str(root)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    watched, peak = psutil.Process(process.pid), 0
    while process.poll() is None:
        with suppress(psutil.Error):
            peak = max(peak, watched.memory_info().rss)
        time.sleep(0.02)
    out, err = process.communicate()
    assert process.returncode == 1 and "Traceback" not in err
    assert "review/policy.yaml:1 " in out + err and "more than 100,000 values" in out + err
    assert "rules/policy.yaml" in out + err and "nested deeper than 64 levels" in out + err
    assert peak < 512 * 1024 * 1024


def test_signed_webhooks_with_absurd_numbers_or_nesting_get_a_clear_4xx(
    make_workspace, store, monkeypatch
):
    root = make_workspace(WORKSPACE)
    monkeypatch.setenv("HOOK_SECRET", SECRET)
    settings = Settings(workspace=root, database_url=store.url)
    with TestClient(create_app(settings, store.database)) as client:
        for stamp in ("1e400", "9" * 400, "-1", "0x10"):
            answer = post(client, "/api/v1/signals", SIGNAL, stamp=stamp)
            assert answer.status_code == 401, (stamp, answer.text)
        deep = ("[" * 5000 + "]" * 5000).encode()
        answer = post(client, "/api/v1/signals", None, body=deep)
        assert answer.status_code == 400 and "nested deeper than 64 levels" in answer.text
        assert set(answer.json()) == {"error"}


def test_a_database_url_with_a_password_is_never_printed(run_cli, monkeypatch):
    for url in ("mysql://root:hunter2@db.internal/x", "postgres://root:hunter2@db.internal/x"):
        monkeypatch.setenv("SIGNALSEQ_DATABASE_URL", url)
        result = run_cli("contacts", "list")
        assert result.exit_code != 0 and "hunter2" not in result.output
        assert "SIGNALSEQ_DATABASE_URL" in result.stderr


def test_the_sqlite_store_is_created_readable_by_its_owner_only(tmp_path, run_cli, monkeypatch):
    path = tmp_path / "fresh" / "store.db"
    monkeypatch.setenv("SIGNALSEQ_DATABASE_URL", f"sqlite:///{path}")
    assert run_cli("db", "upgrade").exit_code == 0
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_a_javascript_linkedin_url_is_never_a_link_on_the_tasks_page(store, tmp_path):
    from signalseq.auth.service import add_user
    from signalseq.crm.models import Contact
    from signalseq.tasks.models import Task

    now = datetime(2026, 11, 23, 12, tzinfo=UTC)
    with store.database.unit_of_work() as session:
        add_user(session, "rita", "a-long-password-123", "reviewer", now)
        person = Contact(full_name="Eve", linkedin_url="javascript:alert(document.cookie)")
        session.add(person)
        session.flush()
        session.add(Task(kind="linkedin_message", contact_id=person.id, title="Message Eve",
                         text="hi", due_on=now.date(), state="open", created_at=now))  # fmt: skip
    (tmp_path / "workspace.yaml").write_text("name: t\n")
    settings = Settings(_env_file=None, workspace=tmp_path, database_url=store.url)
    from signalseq.clock import SimulatedClock

    with TestClient(create_app(settings, store.database, SimulatedClock(now))) as client:
        post_login(client, data={"username": "rita", "password": "a-long-password-123"})
        page = client.get("/tasks")
    assert page.status_code == 200 and "Message Eve" in page.text
    assert 'href="javascript:' not in page.text


def test_a_system_prompt_copied_with_zero_width_characters_is_still_a_leak():
    job = job_for("email-opener-funding")
    instructions = job.rendered.messages[0]["content"]
    words = instructions.split()[:20]
    hidden = " ".join(w[:2] + "\u200b" + w[2:] if len(w) > 3 else w for w in words)
    _subject, _body, report = job.checked(GOOD_SUBJECT, f"Hi Ada,\n\n{hidden}\n\nBest,\nMaya")
    assert "instructions_leak" in {c.name for c in report.failures}
    assert json.dumps([c.name for c in report.failures])


def test_a_delivery_is_not_accepted_again_by_another_connector_sharing_the_secret(
    make_workspace, store, monkeypatch
):
    root = make_workspace(
        {**WORKSPACE, "connectors/crm-two.yaml": "type: webhook\nsecret_env: HOOK_SECRET\n"}
    )
    monkeypatch.setenv("HOOK_SECRET", SECRET)
    settings = Settings(workspace=root, database_url=store.url)
    with TestClient(create_app(settings, store.database)) as client:
        stamp = int(time.time())
        first = post(client, "/api/v1/signals", SIGNAL, stamp=stamp)
        again = post(client, "/api/v1/signals", SIGNAL, stamp=stamp, source="crm-two")
    assert first.status_code in (200, 201, 202) and again.status_code == 401
    assert "replayed" in again.text


def test_unsigned_floods_keep_only_a_bounded_prefix(make_workspace, store, monkeypatch):
    root = make_workspace(WORKSPACE)
    monkeypatch.setenv("HOOK_SECRET", SECRET)
    settings = Settings(workspace=root, database_url=store.url)
    with TestClient(create_app(settings, store.database)) as client:
        for n in range(5):
            body = (f"{n}" * 900_000).encode()
            answer = client.post("/api/v1/signals", content=body,
                                 headers={"X-Signalseq-Source": "crm-hook"})  # fmt: skip
            assert answer.status_code in (401, 413)
    from signalseq.deadletters.models import DeadLetter

    with store.database.unit_of_work() as session:
        sizes = [len(raw) for raw in session.scalars(select(DeadLetter.raw))]
    assert sizes and max(sizes) <= 2048


def test_a_connector_cannot_read_files_outside_the_workspace(make_workspace, run_cli, tmp_path):
    secret = tmp_path / "elsewhere" / "secrets.jsonl"
    secret.parent.mkdir()
    secret.write_text('{"id": "x", "person": {"name": "Root"}}\n')
    for path in ("/etc/passwd", str(secret), "../elsewhere/secrets.jsonl"):
        root = make_workspace({"workspace.yaml": "name: t\n",
                               "connectors/jobs.yaml": f"type: job_changes\npath: {path}\n"})  # fmt: skip
        result = run_cli("validate", root)
        assert result.exit_code == 1 and "is outside the workspace" in result.output, path
        assert run_cli("ingest").exit_code == 1
        assert "Root" not in run_cli("deadletters", "list", "--json").stdout
    allowed = make_workspace({"workspace.yaml": f"name: t\nallowed_paths: ['{secret.parent}']\n",
                              "connectors/jobs.yaml": f"type: job_changes\npath: {secret}\n"})  # fmt: skip
    assert run_cli("validate", allowed).exit_code == 0


def test_a_raw_model_answer_cannot_be_approved_without_an_edit(store, queue_world):  # noqa: F811
    from signalseq.drafting.library import workspace_library
    from signalseq.drafting.models import Draft, content_sha256
    from signalseq.errors import ConflictError
    from signalseq.review import queue
    from signalseq.review.policy import ReviewPolicy
    from signalseq.workspace.loader import load_workspace

    policy = ReviewPolicy(four_eyes=False)
    item = pending(store)[0]
    with store.database.unit_of_work() as session:
        draft = session.scalar(select(Draft).where(Draft.touch_id == item.touch_id))
        good_subject, good_body = draft.subject, draft.body
        draft.subject, draft.body = None, "Sure! Here is the email you asked for: {...}"
        draft.content_sha256 = content_sha256(None, draft.body)
        draft.guardrails = [{"name": "format", "ok": False, "message": "not JSON"}]
        draft.guardrails_passed = False
        seen = draft.content_sha256
    with store.database.unit_of_work() as session:
        try:
            queue.approve(session, item.id, ALICE, policy, seen, queue_world.now)
            raise AssertionError("approved a raw answer")
        except ConflictError as exc:
            assert "failed format: edit it before approving" in str(exc)
    library = workspace_library(load_workspace(queue_world.root))
    with store.database.unit_of_work() as session:
        outcome = queue.edit(session, item.id, ALICE, policy, seen, good_subject, good_body,
                             library, queue_world.now)  # fmt: skip
        assert outcome.approved


def test_nested_loops_in_a_prompt_template_are_refused_not_run(make_workspace, run_cli):
    from signalseq.workspace.service import default_workspace_dir

    source = (default_workspace_dir() / "prompts" / "email-opener-funding.md").read_text()
    looping = source.replace(
        "## user\n",
        "## user\n{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}\n",
        1,
    )
    assert looping != source
    sizes = source.replace("## user\n", "## user\n{{ 'x' * 100000000 }}\n", 1)
    for text in (looping, sizes):
        root = make_workspace(
            {"workspace.yaml": "name: t\n", "prompts/email-opener-funding.md": text}
        )
        result = run_cli("validate", root)  # a hang would meet pytest-timeout
        assert result.exit_code == 1 and "prompts/email-opener-funding.md" in result.output
        assert "past 10,000 numbers" in result.output or "over 10,000 items" in result.output


def test_a_sign_in_form_posted_from_elsewhere_is_refused(store, tmp_path):
    from signalseq.auth.service import add_user

    with store.database.unit_of_work() as session:
        add_user(
            session, "rita", "a-long-password-123", "reviewer", datetime(2026, 11, 23, tzinfo=UTC)
        )
    (tmp_path / "workspace.yaml").write_text("name: t\n")
    app = create_app(
        Settings(_env_file=None, workspace=tmp_path, database_url=store.url), store.database
    )
    with TestClient(app, follow_redirects=False) as client:
        forged = client.post("/login", data={"username": "rita", "password": "a-long-password-123"})
        assert forged.status_code == 403 and "signalseq_session" not in forged.headers.get(
            "set-cookie", ""
        )
        assert (
            post_login(
                client, data={"username": "rita", "password": "a-long-password-123"}
            ).status_code
            == 303
        )
