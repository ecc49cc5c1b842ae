"""The connector interface: read a source, yield signals or rejections; nothing else.

A new source is one module: a ``Connector`` subclass registered for its config type.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from sqlalchemy.orm import Session

from signalseq.clock import Clock
from signalseq.errors import InputRejected, UsageError
from signalseq.signals.schemas import SignalIn


@dataclass
class Rejected:
    """A record that produced no signal. ``dead_letter`` records are bad input, kept for
    retry; the others are valid input that is simply not a signal (counted by reason)."""

    raw: str
    reason: str
    kind: str
    location: str | None = None
    dead_letter: bool = True


Item = SignalIn | Rejected


@dataclass
class ConnectorContext:
    workspace: Path
    clock: Clock
    state: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    # folders outside the workspace a connector may read (workspace.yaml allowed_paths)
    allowed: tuple[str, ...] = ()

    def resolve_path(self, relative: str) -> Path:
        return confined_path(self.workspace, relative, self.allowed)


def confined_path(root: Path, value: str, allowed: tuple[str, ...] = ()) -> Path:
    """A connector's file: inside the workspace, or inside a folder the workspace lists
    in ``allowed_paths``; anything else (``/etc/…``, ``../../``) is refused."""
    base = root.resolve()
    path = (base / Path(value).expanduser()).resolve()
    folders = [base, *((base / Path(a).expanduser()).resolve() for a in allowed)]
    if not any(path.is_relative_to(folder) for folder in folders):
        raise InputRejected(
            f"{value} is outside the workspace (list its folder in workspace.yaml "
            "allowed_paths to read it)"
        )
    return path


class Connector(ABC):
    """Reads one configured source."""

    type: ClassVar[str]

    def __init__(self, name: str, config: Any):
        self.name = name
        self.config = config

    @property
    def create_accounts(self) -> bool:
        return bool(getattr(self.config, "create_accounts", False))

    @abstractmethod
    def read(self, context: ConnectorContext) -> Iterator[Item]:
        """Stream the source: memory must not grow with its size."""

    def prepare(self, session: Session, context: ConnectorContext) -> None:
        """Load what the connector needs from the store before reading (optional)."""
        return None

    def persist(self, session: Session, context: ConnectorContext) -> None:
        """Save what the connector learned, in each batch's unit of work (optional)."""
        return None

    def estimate(self, context: ConnectorContext) -> int | None:
        """How many records ``read`` will yield, if cheaply known (for progress bars)."""
        return None

    def reparse(self, raw: str, kind: str, context: ConnectorContext) -> list[Item]:
        """Parse one dead-lettered record again (``deadletters retry``)."""
        raise UsageError(f"{self.name}: records of kind {kind!r} cannot be retried")


_REGISTRY: dict[str, type[Connector]] = {}


def register(cls: type[Connector]) -> type[Connector]:
    _REGISTRY[cls.type] = cls
    return cls


def connector_for(name: str, config: Any) -> Connector:
    from signalseq.connectors import registry  # noqa: F401  (imports every connector module)

    return _REGISTRY[config.type](name, config)


ProgressFactory = Callable[[str, int | None], Any]
