"""Load and validate a whole workspace: every file kind, then cross-file checks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from signalseq.errors import Problem, UsageError, ValidationFailed
from signalseq.workspace.config import WorkspaceConfig
from signalseq.workspace.schema import problems_from_validation, without_unknown_fields
from signalseq.workspace.yamlfile import YamlDocument, load_yaml

M = TypeVar("M", bound=BaseModel)

WORKSPACE_FILE = "workspace.yaml"


@dataclass(frozen=True)
class FileKind:
    """A kind of user file: where it lives and the schema it follows."""

    name: str
    patterns: tuple[str, ...]
    model: type[BaseModel]
    required: bool = False
    parse: Callable[[Path, str], tuple[YamlDocument | None, list[Problem]]] = load_yaml


@dataclass
class LoadedFile(Generic[M]):
    path: Path
    document: YamlDocument
    model: M

    def problem(self, loc: tuple[str | int, ...], message: str) -> Problem:
        return self.document.problem(loc, message)


@dataclass
class Workspace:
    root: Path
    files: dict[str, list[LoadedFile[Any]]] = field(default_factory=dict)

    def all(self, kind: str) -> list[LoadedFile[Any]]:
        return self.files.get(kind, [])

    def one(self, kind: str) -> LoadedFile[Any] | None:
        found = self.files.get(kind, [])
        return found[0] if found else None

    def models(self, kind: str) -> Iterator[Any]:
        return (loaded.model for loaded in self.all(kind))

    @property
    def config(self) -> WorkspaceConfig:
        """``workspace.yaml`` (its defaults when the file is absent, as in a bare rules
        folder)."""
        loaded = self.one("workspace")
        return loaded.model if loaded else WorkspaceConfig(name=self.root.name or "workspace")

    def relative(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.root))
        except ValueError:
            return str(path)


Check = Callable[[Workspace], list[Problem]]


def _matching(root: Path, kind: FileKind) -> list[Path]:
    found: set[Path] = set()
    for pattern in kind.patterns:
        found.update(p for p in root.glob(pattern) if p.is_file())
    return sorted(found)


def validate_workspace(
    root: Path, *, kinds: list[FileKind] | None = None, checks: list[Check] | None = None
) -> tuple[Workspace, list[Problem]]:
    """Every problem in every file, never just the first."""
    from signalseq.workspace import kinds as registry

    KINDS = registry.KINDS if kinds is None else kinds
    CHECKS = registry.CHECKS if checks is None else checks
    root = root.resolve()
    if not root.is_dir():
        raise UsageError(f"{root}: no such folder")
    if kinds is None and not (root / WORKSPACE_FILE).is_file():
        raise UsageError(
            f"{root}: not a signalseq workspace (no {WORKSPACE_FILE}; create one with "
            "`signalseq init DIR`)"
        )
    workspace = Workspace(root)
    problems: list[Problem] = []
    for kind in KINDS:
        paths = _matching(root, kind)
        if kind.required and not paths:
            problems.append(Problem(kind.patterns[0], None, "", "required file is missing"))
        for path in paths:
            display = workspace.relative(path)
            document, parse_problems = kind.parse(path, display)
            problems.extend(parse_problems)
            if document is None:
                continue  # unparseable; duplicate keys still get schema checks (first wins)
            try:
                model = kind.model.model_validate(
                    document.data if document.data is not None else {}
                )
            except ValidationError as exc:
                problems.extend(problems_from_validation(document, exc))
                model = _without_unknown(kind, document, exc)
                if model is None:
                    continue
            workspace.files.setdefault(kind.name, []).append(LoadedFile(path, document, model))
    # the checks across files run whatever came before: every problem in one pass
    for check in CHECKS:
        problems.extend(check(workspace))
    return workspace, sorted(set(problems))


def _without_unknown(kind: FileKind, document: Any, exc: ValidationError) -> Any:
    """The file's model with its unknown fields left out (they are reported already),
    so the checks across files still see the rest of it; ``None`` when that fails too."""
    try:
        return kind.model.model_validate(without_unknown_fields(document.data or {}, exc))
    except ValidationError:
        return None


def load_workspace(root: Path) -> Workspace:
    """The workspace, or ValidationFailed with every problem."""
    workspace, problems = validate_workspace(root)
    if problems:
        raise ValidationFailed(problems)
    return workspace
