"""Backtests: same answer as live decisions, reproducible, comparable across rule versions."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime, timedelta

from tests.test_decisions import scenario  # noqa: F401  (the seeded scenario fixture)

from signalseq.signals.aggregates import account_aggregates
from signalseq.signals.window import WindowAggregates


def backtest(run_cli, *args):
    result = run_cli("backtest", "--json", *args)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def test_backtest_gives_the_live_answer_and_writes_nothing(scenario, run_cli):  # noqa: F811
    report = json.loads(backtest(run_cli))
    assert json.loads(run_cli("signals", "list", "--json").stdout)[0]["id"]
    assert json.loads(run_cli("explain", "ceo@alpha.com", "--json").stdout)["enrollments"] == [], (
        "a backtest writes no enrollments"
    )
    live = json.loads(run_cli("decide", "--json").stdout)
    assert (
        report["enrollments"] == sum(v for k, v in live["outcomes"].items() if k == "enrolled") == 2
    )
    skips = {k: v for k, v in live["outcomes"].items() if k != "enrolled"}
    assert report["skips"] == dict(sorted(skips.items()))
    assert report["by_rule"] == {"any-round": 0, "big-round": 2}  # a rule enrolling nobody too
    assert [(c["email"], c["rule"], c["branch"]) for c in report["contacts"]] == [
        (c["email"], "big-round", c["branch"]) for c in report["contacts"]
    ] and len(report["contacts"]) == 2
    assert report["by_branch"] == {"growth/exec": 2}
    assert report["by_week"] == {"2026-W45": 2}
    assert report["top_accounts"] == [["alpha.com", 1], ["beta.de", 1]]


def test_same_input_same_rules_same_bytes(scenario, run_cli):  # noqa: F811
    assert backtest(run_cli) == backtest(run_cli)
    assert run_cli("backtest").stdout == run_cli("backtest").stdout


def test_since_and_until_limit_the_replay(scenario, run_cli):  # noqa: F811
    assert json.loads(backtest(run_cli, "--since", "2026-11-03"))["signals_replayed"] == 2
    assert json.loads(backtest(run_cli, "--until", "2026-11-02T23:59:59"))["signals_replayed"] == 5


def test_compare_with_a_rules_folder_says_who_changes_and_why(scenario, run_cli, tmp_path):  # noqa: F811
    from tests.test_decisions import WORKSPACE

    looser = tmp_path / "looser"
    for name, text in WORKSPACE.items():
        if name.startswith("rules/"):
            target = looser / name.removeprefix("rules/")
            target.parent.mkdir(parents=True, exist_ok=True)
            text = text.replace("account.tier: {in: [1, 2]}", "account.tier: {in: [1, 2, 3]}")
            target.write_text(text.replace("suppression: {addresses: [ceo@omega.com]}\n", ""))
    diff = json.loads(
        backtest(run_cli, "--rules", str(looser), "--compare", str(tmp_path / "ws" / "rules"))
    )
    assert [(e["email"], e["rule"], e["branch"]) for e in diff["newly_enrolled"]] == [
        ("ceo@omega.com", "big-round", "exec")
    ]
    assert (
        diff["newly_enrolled"][0]["other_side"]
        == "suppressed (any-round: suppressed: on the suppression list)"
    )
    assert diff["no_longer_enrolled"] == [] and diff["moved"] == []
    reverse = json.loads(backtest(run_cli, "--compare", str(looser)))
    assert [e["email"] for e in reverse["no_longer_enrolled"]] == ["ceo@omega.com"]
    assert reverse["rules_version"] != reverse["compared_with"]


def test_a_contact_moving_between_two_rules_of_one_sequence_is_a_change(
    scenario, run_cli, tmp_path
):  # noqa: F811
    from tests.test_decisions import WORKSPACE

    swapped = tmp_path / "swapped"
    for name, text in WORKSPACE.items():
        if name.startswith("rules/"):
            target = swapped / name.removeprefix("rules/")
            target.parent.mkdir(parents=True, exist_ok=True)
            if "triggers" in name:  # any-round now wins, with big-round's conditions and branch
                text = text.replace("priority: 10\n", "priority: 300\n").replace(
                    "    who: {seniority: [c_level, vp]}\n    enroll: growth\n    branch: team\n",
                    "      - account.tier: {in: [1, 2]}\n    who: {seniority: [c_level, vp], max_per_account: 1}\n"
                    "    enroll: growth\n    branch:\n      cases: [{when: [{contact.seniority: c_level}], use: exec}]\n"
                    "      default: team\n",
                )
            target.write_text(text)
    diff = json.loads(
        backtest(run_cli, "--rules", str(swapped), "--compare", str(tmp_path / "ws" / "rules"))
    )
    assert diff["moved"] and all(m["rule"] == "any-round" for m in diff["moved"])
    assert all(m["before"].endswith("by big-round") for m in diff["moved"])
    assert diff["newly_enrolled"] == [] and diff["no_longer_enrolled"] == []


def test_backtest_lists_who_would_be_enrolled_as_csv_and_a_table(scenario, run_cli):  # noqa: F811
    listed = run_cli("backtest", "--csv")
    assert listed.exit_code == 0, listed.stderr
    lines = listed.stdout.strip().splitlines()
    assert lines[0].startswith("contact_id,email,account,rule,sequence,branch") and len(lines) == 3
    table = run_cli("backtest", "--show", "contacts")
    assert "Would be enrolled: 2" in table.stdout
    assert run_cli("backtest", "--show", "people").exit_code != 0


def test_compare_with_a_git_revision(scenario, run_cli, tmp_path):  # noqa: F811
    root = tmp_path / "ws"

    def git(*args):
        subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)

    git("init", "-q")
    git("-c", "user.email=t@example.com", "-c", "user.name=t", "add", ".")
    git("-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", "rules v1")
    rules = root / "rules" / "triggers" / "funding.yaml"
    rules.write_text(rules.read_text().replace("max_per_account: 1", "max_per_account: 2"))
    diff = json.loads(backtest(run_cli, "--compare", "HEAD"))
    assert [(e["email"], e["branch"]) for e in diff["newly_enrolled"]] == [("vp@alpha.com", "team")]
    assert diff["newly_enrolled"][0]["other_side"].startswith("max_per_account")
    bad = run_cli("backtest", "--compare", "no-such-revision")
    assert bad.exit_code == 2 and bad.stderr.startswith("signalseq: git:")


def test_replay_signals_from_a_file(scenario, run_cli, tmp_path):  # noqa: F811
    path = tmp_path / "signals.jsonl"
    path.write_text(
        json.dumps(
            {
                "kind": "funding",
                "occurred_at": "2026-10-01T09:00:00Z",
                "source_event_id": "f-1",
                "company": {"name": "Omega Data", "domain": "omega.com"},
                "attributes": {"amount_usd": 50000000},
            }
        )
        + "\n"
    )
    report = json.loads(backtest(run_cli, "--signals", str(path)))
    assert report["signals_replayed"] == 1 and report["skips"] == {"suppressed": 1}
    path.write_text('{"kind": "funding"}\n')
    bad = run_cli("backtest", "--signals", str(path))
    assert bad.exit_code == 2 and f"{path}:1" in bad.stderr


def test_memory_aggregates_match_the_sql_ones(store, make_workspace, run_cli, tmp_path):
    (tmp_path / "a.csv").write_text("domain,name\nacme.io,Acme\n")
    run_cli("import", "accounts", tmp_path / "a.csv")
    start = datetime(2026, 10, 1, tzinfo=UTC)
    events = []
    for n in range(60):
        path = ["/pricing", "/demo", "/careers", "/docs"][n % 4]
        events.append(
            {
                "type": "page",
                "anonymousId": f"v{n % 7}",
                "messageId": f"m{n}",
                "timestamp": (start + timedelta(hours=13 * n)).isoformat(),
                "context": {"groupId": "acme.io"},
                "properties": {"path": path},
            }
        )
    make_workspace(
        {
            "workspace.yaml": "name: t\n",
            "connectors/site.yaml": "type: website_visits\npath: e.jsonl\n",
            "e.jsonl": "\n".join(json.dumps(e) for e in events) + "\n",
        }
    )
    run_cli("ingest")
    windows = WindowAggregates()
    with store.database.unit_of_work() as session:
        from signalseq.signals.models import Signal

        for s in session.query(Signal).order_by(Signal.occurred_at):
            windows.add(s.account_id, s.kind, s.subtype, s.occurred_at, s.actor_key)
            account_id = s.account_id
        for hours in range(0, 40 * 24, 29):
            moment = start + timedelta(hours=hours)
            assert windows.as_of(account_id, moment) == account_aggregates(
                session, account_id, moment
            ), moment
