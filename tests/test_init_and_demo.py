"""`signalseq init` and `signalseq demo` (what `make demo` runs)."""

from __future__ import annotations

import json

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
        data = json.loads(run_cli("explain", contact["email"], "--json").stdout)
        if data["enrollments"]:
            return contact["email"]
    raise AssertionError("nobody enrolled")


def test_demo_imports_the_samples_and_prints_the_summary(tmp_path, run_cli):
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
    assert report["totals"]["contacts_without_account"] == 0
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
    assert set(report["contacts_by_seniority"]) == {
        "c_level",
        "vp",
        "head",
        "director",
        "manager",
        "individual",
    }
