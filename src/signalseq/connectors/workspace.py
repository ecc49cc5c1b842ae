"""Connectors as the workspace declares them, and the checks across connector files."""

from __future__ import annotations

from typing import Any

from signalseq.connectors.base import Connector, confined_path, connector_for
from signalseq.errors import InputRejected, Problem, UsageError
from signalseq.workspace.loader import LoadedFile, Workspace

_PATH_FIELDS = ("path", "previous", "current", "ip_ranges")


def connector_name(loaded: LoadedFile[Any]) -> str:
    config = loaded.model.root
    return str(config.name or loaded.path.stem)


def check_connectors(workspace: Workspace) -> list[Problem]:
    problems = []
    seen: dict[str, LoadedFile[Any]] = {}
    for loaded in workspace.all("connector"):
        name = connector_name(loaded)
        if name in seen:
            problems.append(
                loaded.problem(
                    ("name",),
                    f"connector name {name!r} is also used by "
                    f"{workspace.relative(seen[name].path)}",
                )
            )
        seen[name] = loaded
        config = loaded.model.root
        allowed = tuple(workspace.config.allowed_paths)
        for field in _PATH_FIELDS:
            value = getattr(config, field, None)
            if not value:
                continue
            try:
                found = confined_path(workspace.root, value, allowed)
            except InputRejected as exc:
                problems.append(loaded.problem((field,), str(exc)))
                continue
            if not found.exists():
                problems.append(loaded.problem((field,), f"no such file: {value}"))
    return problems


def load_connectors(
    workspace: Workspace, *, source: str | None = None, include_disabled: bool = False
) -> list[Connector]:
    connectors = []
    for loaded in workspace.all("connector"):
        name = connector_name(loaded)
        config = loaded.model.root
        if source is not None and name != source:
            continue
        if not config.enabled and not include_disabled and source is None:
            continue
        connectors.append(connector_for(name, config))
    if source is not None and not connectors:
        known = ", ".join(connector_name(f) for f in workspace.all("connector")) or "none"
        raise UsageError(f"no connector named {source!r} (configured: {known})")
    return connectors
