"""Run connectors: resolve each signal to an account and contact, store it once,
dead-letter what is broken, count what is not a signal. Works in batches, so memory
stays flat and a crash loses at most the batch in flight."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from signalseq.connectors.base import Connector, ConnectorContext, Item, Rejected
from signalseq.deadletters import repository as deadletters
from signalseq.resolve.matcher import Resolver
from signalseq.signals import repository
from signalseq.signals.schemas import SignalIn
from signalseq.store.db import Database

BATCH_SIZE = 1000
Advance = Callable[[int], None]


@dataclass
class SourceReport:
    source: str
    type: str
    read: int = 0
    stored: int = 0
    duplicates: int = 0
    by_kind: Counter[str] = field(default_factory=Counter)
    by_status: Counter[str] = field(default_factory=Counter)
    rejected: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "type": self.type,
            "read": self.read,
            "stored": self.stored,
            "duplicates": self.duplicates,
            "by_kind": dict(self.by_kind),
            "by_status": dict(self.by_status),
            "rejected": dict(self.rejected),
            "skipped": dict(self.skipped),
            "warnings": self.warnings,
        }


class SignalWriter:
    """Resolves and stores signals of one connector, one batch per unit of work."""

    def __init__(
        self,
        session: Session,
        resolver: Resolver,
        connector: Connector,
        report: SourceReport,
        now: datetime,
    ):
        self.session = session
        self.now = now
        self.resolver = resolver
        self.connector = connector
        self.report = report

    def write(self, batch: list[SignalIn]) -> None:
        unique: dict[str, SignalIn] = {}
        for signal in batch:
            unique.setdefault(signal.dedupe_key, signal)
        known = repository.existing_keys(self.session, self.connector.name, list(unique))
        self.report.duplicates += len(batch) - len(unique) + len(known)
        rows = []
        for key, signal in unique.items():
            if key in known:
                continue
            account, contact = self.resolver.resolve_signal(
                signal, create_accounts=self.connector.create_accounts
            )
            person = signal.person
            rows.append(
                {
                    "kind": signal.kind,
                    "subtype": signal.subtype,
                    "occurred_at": signal.occurred_at,
                    "source": signal.source,
                    "source_event_id": signal.source_event_id,
                    "dedupe_key": key,
                    "company_name": signal.company.name,
                    "company_domain": signal.company.domain,
                    "person_name": person.name if person else None,
                    "person_email": person.email if person else None,
                    "person_linkedin": person.linkedin_url if person else None,
                    "actor_key": signal.actor_key,
                    "attributes": signal.attributes,
                    "raw": signal.raw if isinstance(signal.raw, dict) else {"value": signal.raw},
                    "confidence": signal.confidence,
                    "account_id": account.account_id,
                    "contact_id": contact.contact_id,
                    "account_match": account.method,
                    "account_match_score": account.score,
                    "contact_match": contact.method,
                    "match_status": account.status,
                    "ingested_at": self.now,
                }
            )
            self.report.by_kind[signal.kind] += 1
            self.report.by_status[account.status] += 1
        repository.insert_new(self.session, rows)
        self.report.stored += len(rows)

    def reject(self, item: Rejected) -> None:
        if item.dead_letter:
            deadletters.record(
                self.session,
                source=self.connector.name,
                kind=item.kind,
                raw=item.raw,
                reason=item.reason,
                location=item.location,
                now=self.now,
            )
            self.report.rejected[item.reason[:120]] += 1
        else:
            self.report.skipped[item.reason] += 1


def _batches(items: Iterable[Item], size: int) -> Iterator[list[Item]]:
    batch: list[Item] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def run_connector(
    database: Database,
    connector: Connector,
    context: ConnectorContext,
    advance: Advance | None = None,
    *,
    items: Iterable[Item] | None = None,
    batch_size: int = BATCH_SIZE,
) -> SourceReport:
    """Ingest everything ``connector`` reads (or the given ``items``)."""
    report = SourceReport(connector.name, connector.type)
    with database.unit_of_work() as session:
        state = repository.connector_state(session, connector.name)
        context.state.update(
            etag=state.etag, last_modified=state.last_modified, **(state.cursor or {})
        )
    resolver: Resolver | None = None
    stream = items if items is not None else connector.read(context)
    for batch in _batches(stream, batch_size):
        with database.unit_of_work() as session:
            resolver = resolver or Resolver(session)
            resolver.session = session
            writer = SignalWriter(session, resolver, connector, report, context.clock.now())
            signals = [item for item in batch if isinstance(item, SignalIn)]
            for item in batch:
                if isinstance(item, Rejected):
                    writer.reject(item)
            writer.write(signals)
            connector.persist(session, context)
        report.read += len(batch)
        if advance:
            advance(len(batch))
    with database.unit_of_work() as session:
        state = repository.connector_state(session, connector.name)
        state.etag = context.state.get("etag")
        state.last_modified = context.state.get("last_modified")
        state.last_run_at = context.clock.now()
    report.warnings.extend(context.warnings)
    return report
