"""What every command shares: settings, the database, consoles, JSON output."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from signalseq.clock import Clock, clock_for
from signalseq.settings import Settings, load_settings
from signalseq.store.db import Database

# what --until, --since, --start and friends accept (UTC when no offset is given)
DATETIME_FORMATS = ["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S%z"]


def _console(stderr: bool = False) -> Console:
    stream = sys.stderr if stderr else sys.stdout
    width = None if stream.isatty() else int(os.environ.get("COLUMNS", "0") or 0) or 160
    return Console(stderr=stderr, width=width, highlight=False)


@dataclass
class CliState:
    workspace: Path | None = None
    database_url: str | None = None
    debug: bool = False
    now: datetime | None = None
    _settings: Settings | None = field(default=None, repr=False)
    _database: Database | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(workspace=self.workspace, database_url=self.database_url)
        return self._settings

    @cached_property
    def clock(self) -> Clock:
        """The one clock of this invocation, handed to every service it calls."""
        return clock_for(self.now or self.settings.now)

    @property
    def database(self) -> Database:
        if self._database is None:
            self._database = Database(self.settings.resolved_database_url)
        return self._database

    @property
    def out(self) -> Console:
        return _console()

    @property
    def err(self) -> Console:
        return _console(stderr=True)

    def close(self) -> None:
        if self._database is not None:
            self._database.dispose()


def state(ctx: typer.Context) -> CliState:
    root = ctx.find_root()
    if not isinstance(root.obj, CliState):
        root.obj = CliState()
    return root.obj


def print_json(data: Any) -> None:
    """Plain JSON on stdout (never wrapped or coloured), for scripts and tests."""
    sys.stdout.write(json.dumps(data, indent=2, default=str, ensure_ascii=False) + "\n")


@contextmanager
def progress_bar(description: str, total: int | None) -> Iterator[Any]:
    """A rich progress bar on stderr when it is a terminal; yields ``advance(n)``."""
    console = _console(stderr=True)
    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )
    with bar:
        task = bar.add_task(description, total=total)
        yield lambda n=1: bar.advance(task, n)


def count_lines(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))
