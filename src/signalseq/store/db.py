"""Engine, sessions (the unit of work) and automatic migration on first use."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from signalseq.errors import StoreError

SQLITE_BUSY_TIMEOUT_MS = 30_000
READ_ONLY = "signalseq_read_only"


def _configure_sqlite(engine: Engine) -> None:
    """WAL, foreign keys and a busy timeout; real BEGINs so SAVEPOINTs work.

    Every unit of work begins IMMEDIATE (takes the write lock up front, waiting up to
    the busy timeout): a deferred transaction that read and then writes after another
    writer committed fails at once with "database is locked" (WAL snapshot), busy
    timeout or not. Units of work are short, so readers wait milliseconds."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        read_only = connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def _private_file(path: Path) -> None:
    """The store holds contacts and tokens: its file (and the WAL beside it, which SQLite
    creates with the same mode) is readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def create_store_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            _private_file(Path(parsed.database))
        engine = create_engine(
            url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}
        )
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)


class Database:
    """One store. ``unit_of_work()`` is the only place work is committed."""

    _migrated: set[str] = set()
    _migrate_lock = threading.Lock()

    def __init__(self, url: str, *, migrate: bool = True):
        self.url = url
        self.engine = create_store_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        if migrate:
            self.ensure_migrated()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def ensure_migrated(self) -> None:
        """Apply pending migrations once per process and URL (first use of a new database)."""
        from signalseq.store.migrate import upgrade_to_head

        with self._migrate_lock:
            if self.url in self._migrated:
                return
            try:
                upgrade_to_head(self.engine)
            except OperationalError as exc:
                raise StoreError(f"cannot open the database: {exc.orig}") from exc
            self._migrated.add(self.url)

    @contextmanager
    def unit_of_work(self, *, read_only: bool = False) -> Iterator[Session]:
        """A session whose work is committed on success and rolled back on any error.
        ``read_only`` (SQLite): a snapshot that does not wait for the writer."""
        session = self._sessions()
        try:
            if read_only:
                session.connection(execution_options={READ_ONLY: True})
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()
