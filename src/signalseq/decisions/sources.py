"""Where a backtest's rules come from: the workspace, a rules folder, or a git revision."""

from __future__ import annotations

import io
import subprocess
import tarfile
import tempfile
from pathlib import Path

from signalseq.errors import UsageError, ValidationFailed
from signalseq.workspace.kinds import check_rules, rules_dir_kinds
from signalseq.workspace.loader import WORKSPACE_FILE, Workspace, load_workspace, validate_workspace


def load_rules_dir(path: Path) -> Workspace:
    """A folder with triggers/, sequences/ and policy.yaml (or a whole workspace)."""
    if (path / WORKSPACE_FILE).is_file():
        return load_workspace(path)
    if not (path / "triggers").is_dir():
        raise UsageError(f"{path}: not a rules folder (expected triggers/ inside it)")
    workspace, problems = validate_workspace(path, kinds=rules_dir_kinds(), checks=[check_rules])
    if problems:
        raise ValidationFailed(problems)
    return workspace


def load_rules_at_revision(workspace_root: Path, revision: str) -> Workspace:
    """The workspace's rules/ folder as it was at a git revision."""

    def git(*args: str) -> bytes:
        try:
            return subprocess.run(
                ["git", "-C", str(workspace_root), *args],
                check=True,
                capture_output=True,
                timeout=60,
            ).stdout
        except FileNotFoundError as exc:
            raise UsageError("git is not installed: --compare REV needs it") from exc
        except subprocess.CalledProcessError as exc:
            message = exc.stderr.decode(errors="replace").strip().splitlines()
            raise UsageError(f"git: {message[-1] if message else 'failed'}") from exc

    commit = git("rev-parse", "--verify", f"{revision}^{{commit}}").decode().strip()
    top = Path(git("rev-parse", "--show-toplevel").decode().strip()).resolve()
    rules = (workspace_root / "rules").resolve()  # follow a symlinked rules folder to its files
    try:
        inside = rules.relative_to(top).as_posix()
    except ValueError as exc:
        raise UsageError(f"{rules} is not inside the git repository {top}") from exc
    archive = git("archive", "--format=tar", commit, inside)
    target = Path(tempfile.mkdtemp(prefix="signalseq-rules-"))
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    return load_rules_dir(target / inside)


def load_rules_source(workspace_root: Path, source: str) -> Workspace:
    path = Path(source).expanduser()
    if path.is_dir():
        return load_rules_dir(path.resolve())
    return load_rules_at_revision(workspace_root, source)
