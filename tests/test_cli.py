"""The command line: help everywhere, one-line errors, exit codes 0/1/2/3."""

from __future__ import annotations

import subprocess
import sys

import pytest
from tests.cli_tree import command_paths


def test_every_command_has_help(run_cli):
    paths = command_paths()
    assert ("validate",) in paths and ("import", "contacts") in paths
    for path in [(), *paths]:
        result = run_cli(*path, "--help")
        assert result.exit_code == 0, (path, result.output)
        assert "Usage: signalseq" in result.stdout
        if path:
            body = result.stdout.split("Options")[0]
            assert len(body.strip().splitlines()) >= 2, f"{path} has no help text"


def test_installed_console_script_runs():
    bin_dir = __import__("pathlib").Path(sys.executable).parent
    result = subprocess.run(
        [bin_dir / "signalseq", "--help"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0
    assert "buying intent" in result.stdout


def test_usage_error_exits_2(run_cli):
    result = run_cli("accounts", "list", "--tier", "gold")
    assert result.exit_code == 2
    assert "Invalid value" in result.stderr


def test_unknown_command_exits_2(run_cli):
    assert run_cli("enroll-everyone").exit_code == 2


@pytest.fixture
def broken_store(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the database folder should be")
    monkeypatch.setenv("SIGNALSEQ_DATABASE_URL", f"sqlite:///{blocker}/db/signalseq.db")


def test_store_failure_is_one_line_exit_3_and_traceback_only_with_debug(run_cli, broken_store):
    result = run_cli("accounts", "list")
    assert result.exit_code == 3
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
    debug = run_cli("--debug", "accounts", "list")
    assert debug.exit_code == 3
    assert "Traceback" in debug.stderr


def test_invalid_setting_is_a_clear_error(run_cli, monkeypatch):
    monkeypatch.setenv("SIGNALSEQ_DATABASE_URL", "mysql://root@localhost/x")
    result = run_cli("accounts", "list")
    assert result.exit_code == 1
    assert result.stderr.startswith("signalseq: invalid settings")
    assert "only sqlite:// and postgresql+psycopg:// URLs are supported" in result.stderr


def test_version(run_cli):
    result = run_cli("--version")
    assert result.exit_code == 0 and result.stdout.startswith("signalseq ")
