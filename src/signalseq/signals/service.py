"""What the CLI and workers ask of signals: ingest, list, retry dead letters."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from signalseq.clock import Clock, ensure_utc
from signalseq.connectors.base import Connector, ConnectorContext, ProgressFactory, Rejected
from signalseq.connectors.config import interval_seconds
from signalseq.connectors.workspace import load_connectors
from signalseq.deadletters import repository as deadletters
from signalseq.deadletters.models import DeadLetter
from signalseq.signals.ingest import SourceReport, run_connector
from signalseq.signals.models import ConnectorState
from signalseq.store.db import Database
from signalseq.workspace.loader import Workspace


def ingest(
    database: Database,
    workspace: Workspace,
    clock: Clock,
    *,
    source: str | None = None,
    progress: ProgressFactory | None = None,
    only_due: bool = False,
) -> list[SourceReport]:
    """Run the workspace's connectors (or one). ``only_due``: as a worker does, only those
    whose ``schedule`` interval (default 15m) has passed since their last run."""
    reports = []
    for connector in load_connectors(workspace, source=source):
        if connector.type == "webhook":
            continue  # fed by HTTP only
        if only_due and not _due(database, connector, clock):
            continue
        context = ConnectorContext(
            workspace.root, clock, allowed=tuple(workspace.config.allowed_paths)
        )
        if progress is None:
            reports.append(run_connector(database, connector, context))
            continue
        with progress(f"{connector.name}", connector.estimate(context)) as advance:
            reports.append(run_connector(database, connector, context, advance))
    return reports


@dataclass
class RetryReport:
    retried: int = 0
    resolved: int = 0
    still_failing: int = 0
    reports: list[SourceReport] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "retried": self.retried,
            "resolved": self.resolved,
            "still_failing": self.still_failing,
            "sources": [r.as_dict() for r in self.reports],
        }


def retry_dead_letters(
    database: Database, workspace: Workspace, clock: Clock, *, source: str | None = None
) -> RetryReport:
    """Parse each open dead letter of a connector again; a record that now yields
    signals (or turns out not to be a signal) is resolved, the rest stay open."""
    report = RetryReport()
    connectors = {
        c.name: c for c in load_connectors(workspace, source=source, include_disabled=True)
    }
    with database.unit_of_work() as session:
        letters = [
            (d.id, d.source, d.kind, d.raw)
            for d in deadletters.list_open(session, source=source)
            if d.source in connectors
        ]
    for letter_id, name, kind, raw in letters:
        connector = connectors[name]
        context = ConnectorContext(
            workspace.root, clock, allowed=tuple(workspace.config.allowed_paths)
        )
        items = connector.reparse(raw, kind, context)
        report.retried += 1
        failing = [i for i in items if isinstance(i, Rejected) and i.dead_letter]
        good = [i for i in items if not (isinstance(i, Rejected) and i.dead_letter)]
        report.reports.append(run_connector(database, connector, context, items=good))
        with database.unit_of_work() as session:
            letter = session.get(DeadLetter, letter_id)
            assert letter is not None
            letter.retries += 1
            if failing:
                letter.reason = failing[0].reason
                report.still_failing += 1
            else:
                letter.resolved_at = clock.now()
                report.resolved += 1
    return report


DEFAULT_SCHEDULE = "15m"


def _due(database: Database, connector: Connector, clock: Clock) -> bool:
    every = interval_seconds(getattr(connector.config, "schedule", None) or DEFAULT_SCHEDULE)
    with database.unit_of_work() as session:
        last = session.scalar(
            select(ConnectorState.last_run_at).where(ConnectorState.source == connector.name)
        )
    return last is None or clock.now() - ensure_utc(last) >= timedelta(seconds=every)
