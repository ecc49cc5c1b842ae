"""Queries over stored signals."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from signalseq.signals.models import ConnectorState, Signal


def existing_keys(session: Session, source: str, keys: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        found.update(
            session.scalars(
                select(Signal.dedupe_key).where(
                    Signal.source == source, Signal.dedupe_key.in_(chunk)
                )
            )
        )
    return found


def insert_new(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert, ignoring rows whose (source, dedupe_key) another writer stored meanwhile."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    statement: Insert
    if dialect == "postgresql":
        statement = postgresql.insert(Signal).on_conflict_do_nothing(
            index_elements=["source", "dedupe_key"]
        )
    elif dialect == "sqlite":
        statement = sqlite.insert(Signal).on_conflict_do_nothing(
            index_elements=["source", "dedupe_key"]
        )
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        raise NotImplementedError(dialect)
    session.execute(statement, rows)


def list_signals(
    session: Session,
    *,
    kind: str | None = None,
    source: str | None = None,
    account_id: int | None = None,
    status: str | None = None,
    since: datetime | None = None,
    limit: int | None = 100,
) -> Sequence[Signal]:
    query = select(Signal).order_by(Signal.occurred_at.desc(), Signal.id.desc())
    if kind:
        query = query.where(Signal.kind == kind)
    if source:
        query = query.where(Signal.source == source)
    if account_id is not None:
        query = query.where(Signal.account_id == account_id)
    if status:
        query = query.where(Signal.match_status == status)
    if since:
        query = query.where(Signal.occurred_at >= since)
    if limit:
        query = query.limit(limit)
    return session.scalars(query).all()


def connector_state(session: Session, source: str) -> ConnectorState:
    state = session.get(ConnectorState, source)
    if state is None:
        state = ConnectorState(source=source, cursor={})
        session.add(state)
    return state
