"""Manual controls, planning the next touches, and claiming due touches."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

from tests.factories import enroll
from tests.test_decisions import scenario  # noqa: F401  (the seeded scenario fixture)

from signalseq.enrollments.models import Touch
from signalseq.enrollments.service import LEASE, claim, plan_touches
from signalseq.sequences import catalog
from signalseq.workspace.loader import load_workspace

NOW = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


def _plan(store, workspace_root, now=NOW):
    workspace = load_workspace(workspace_root)
    sequences = catalog.all_versions(workspace)
    with store.database.unit_of_work() as session:
        return plan_touches(session, sequences, now, default_timezone="UTC", default_country=None)


def test_planning_controls_and_completion(scenario, run_cli, store, tmp_path):  # noqa: F811
    run_cli("decide")
    report = _plan(store, tmp_path / "ws")
    assert report.scheduled == 2
    rows = json.loads(run_cli("enrollments", "list", "--json").stdout)
    assert [(r["sequence"], r["branch"], [t["step"] for t in r["touches"]]) for r in rows] == [
        ("growth", "exec", ["opener"]),
        ("growth", "exec", ["opener"]),
    ]
    first, second = rows[0]["id"], rows[1]["id"]

    skipped = run_cli("enrollments", "skip-step", first)
    assert skipped.exit_code == 0 and "step opener skipped" in skipped.stdout
    assert _plan(store, tmp_path / "ws").completed == 1, "the only step was skipped: completed"

    assert run_cli("enrollments", "pause", second, "--until", "2026-12-01").exit_code == 0
    assert _plan(store, tmp_path / "ws").scheduled == 0, "a paused enrollment gets nothing new"
    resumed = _plan(store, tmp_path / "ws", now=datetime(2026, 12, 2, tzinfo=UTC))
    assert resumed.resumed == 1
    exited = run_cli("enrollments", "exit", second)
    assert "1 unsent touch(es) cancelled" in exited.stdout
    states = {
        r["id"]: (r["state"], [t["state"] for t in r["touches"]])
        for r in json.loads(run_cli("enrollments", "list", "--json").stdout)
    }
    assert states == {first: ("completed", ["skipped"]), second: ("exited", ["cancelled"])}
    again = run_cli("enrollments", "resume", second)
    assert again.exit_code == 1 and "cannot go from exited to active" in again.stderr
    assert run_cli("enrollments", "pause", 999).exit_code == 1


def _touches(store, count, due=NOW - timedelta(minutes=5)):
    with store.database.unit_of_work() as session:
        enrollment = enroll(
            session,
            contact={"email": "x@y.io", "full_name": "X"},
            sequence_id="s",
            sequence_version=1,
            branch="b",
            enrolled_at=NOW,
        )
        for n in range(count):
            session.add(
                Touch(
                    enrollment_id=enrollment.id,
                    branch="b",
                    step_id=f"s{n}",
                    step_index=n,
                    channel="email",
                    purpose="bump",
                    due_at=due,
                )
            )


def test_a_claimed_touch_is_leased_and_taken_over_when_the_lease_expires(store):
    _touches(store, 3)
    with store.database.unit_of_work() as session:
        assert len(claim(session, "worker-a", NOW)) == 3
    with store.database.unit_of_work() as session:
        assert claim(session, "worker-b", NOW) == [], "leased to worker-a"
    with store.database.unit_of_work() as session:
        taken = claim(session, "worker-b", NOW + LEASE + timedelta(seconds=1))
        assert {t.lease_owner for t in taken} == {"worker-b"} and len(taken) == 3


def test_two_workers_never_claim_the_same_touch(postgres_store):
    _touches(postgres_store, 200)
    claimed: dict[str, list[int]] = {}
    barrier = threading.Barrier(2)

    def work(name: str) -> None:
        mine: list[int] = []
        while True:
            with postgres_store.database.unit_of_work() as session:
                if not mine:  # both workers hold their first claim at the same time
                    barrier.wait(timeout=10)
                batch = claim(session, name, NOW, limit=7)
                mine.extend(t.id for t in batch)
            if not batch:
                break
        claimed[name] = mine

    threads = [threading.Thread(target=work, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not set(claimed["a"]) & set(claimed["b"]), "no touch claimed twice"
    assert len(claimed["a"]) + len(claimed["b"]) == 200
    assert claimed["a"] and claimed["b"], "both workers got work"
