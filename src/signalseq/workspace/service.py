"""What the CLI asks of the workspace: validate it, create a new one."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from signalseq.errors import Problem, UsageError
from signalseq.workspace.loader import WORKSPACE_FILE, validate_workspace


@dataclass
class ValidationReport:
    root: Path
    problems: list[Problem]
    file_counts: dict[str, int]

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        counts = ", ".join(f"{n} {kind}" for kind, n in sorted(self.file_counts.items()))
        return f"{self.root}: valid ({counts})"


def validate(root: Path) -> ValidationReport:
    """A whole workspace, or a bare rules folder (triggers/, sequences/, policy.yaml) as
    backtest --rules reads it."""
    if not (root / WORKSPACE_FILE).is_file() and (root / "triggers").is_dir():
        from signalseq.workspace.kinds import check_rules, rules_dir_kinds

        workspace, problems = validate_workspace(
            root, kinds=rules_dir_kinds(), checks=[check_rules]
        )
    else:
        workspace, problems = validate_workspace(root)
    counts = {kind: len(files) for kind, files in workspace.files.items()}
    return ValidationReport(workspace.root, problems, counts)


def default_workspace_dir() -> Path:
    return Path(str(resources.files("signalseq") / "default_workspace"))


def init_workspace(target: Path, *, force: bool = False) -> list[Path]:
    """Copy the shipped default workspace into ``target``; refuses to overwrite files."""
    source = default_workspace_dir()
    target = target.expanduser()
    if target.exists() and not target.is_dir():
        raise UsageError(f"{target}: exists and is not a folder")
    written = []
    for path in sorted(source.rglob("*")):
        if path.is_dir() or "__pycache__" in path.parts:
            continue
        destination = target / path.relative_to(source)
        if destination.exists() and not force:
            raise UsageError(f"{destination}: already exists (use --force to overwrite)")
        written.append(destination)
    for path in sorted(source.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            destination = target / path.relative_to(source)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, destination)
    gitignore = target / ".gitignore"
    if not gitignore.exists():
        gitignore.write_text(".signalseq/\n.env\n")
        written.append(gitignore)
    return written
