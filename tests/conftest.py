"""Shared fixtures: a real store per test (SQLite, or PostgreSQL when
SIGNALSEQ_TEST_DATABASE_URL is set), the CLI run in-process, workspaces as dicts of files."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import text

from signalseq import cli
from signalseq.store.base import Base
from signalseq.store.db import Database, create_store_engine
from signalseq.store.migrate import upgrade_to_head

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_SAMPLES = REPO_ROOT.parent / "shared" / "samples"
PG_URL = os.environ.get("SIGNALSEQ_TEST_DATABASE_URL")
REQUIRE_ALL = os.environ.get("SIGNALSEQ_TEST_REQUIRE_ALL") == "1"


def require(condition: bool, reason: str) -> None:
    """Skip when a service or input is missing locally; fail in CI (REQUIRE_ALL=1)."""
    if condition:
        return
    if REQUIRE_ALL:
        pytest.fail(f"required in CI but missing: {reason}")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _no_dns_lookups_unless_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    """Recipient checks ask DNS; this machine has no resolver to ask. A test of the check
    points it at its own DNS server on 127.0.0.1 and turns it back on."""
    monkeypatch.setenv("SIGNALSEQ_RECIPIENT_CHECK", "false")


@pytest.fixture(scope="session")
def shared_samples() -> Path:
    require(SHARED_SAMPLES.is_dir(), f"third-party samples not found at {SHARED_SAMPLES}")
    return SHARED_SAMPLES


# --- the store ---------------------------------------------------------------------------


def _with_search_path(url: str, schema: str) -> str:
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options={quote(f'-csearch_path={schema}')}"


@pytest.fixture(scope="session")
def _store_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Migrated once per run: a template SQLite file, or a fresh PostgreSQL schema."""
    if PG_URL:
        schema = f"signalseq_test_{uuid.uuid4().hex[:10]}"
        admin = create_store_engine(PG_URL)
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = _with_search_path(PG_URL, schema)
        engine = create_store_engine(url)
        upgrade_to_head(engine)
        engine.dispose()
        yield url
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
        return
    path = tmp_path_factory.mktemp("store") / "template.db"
    engine = create_store_engine(f"sqlite:///{path}")
    upgrade_to_head(engine)
    raw = engine.raw_connection()  # outside a transaction: a checkpoint cannot run in one
    try:
        raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        raw.close()
    engine.dispose()
    yield str(path)


@dataclass
class StoreUnderTest:
    url: str
    database: Database

    @property
    def dialect(self) -> str:
        return self.database.dialect


def _truncate_all(database: Database) -> None:
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with database.engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture
def store(_store_template: str, tmp_path: Path) -> Iterator[StoreUnderTest]:
    """A clean, migrated store for this test."""
    if PG_URL:
        database = Database(_store_template)
        _truncate_all(database)
        yield StoreUnderTest(_store_template, database)
        database.dispose()
        return
    path = tmp_path / "signalseq.db"
    shutil.copyfile(_store_template, path)
    url = f"sqlite:///{path}"
    database = Database(url)
    yield StoreUnderTest(url, database)
    database.dispose()


@pytest.fixture
def postgres_store(store: StoreUnderTest) -> StoreUnderTest:
    """For tests of PostgreSQL-only behaviour (SKIP LOCKED, concurrent workers)."""
    if store.dialect != "postgresql":
        pytest.skip("PostgreSQL-only: runs in the PostgreSQL pass of .ci/run")
    return store


# --- workspaces and the CLI ----------------------------------------------------------------


@pytest.fixture
def make_workspace(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Write a workspace from a dict of relative path → text (dbt-style fixtures)."""

    def make(files: dict[str, str], base: str = "ws") -> Path:
        root = tmp_path / base
        for relative, content in files.items():
            target = root / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content, encoding="utf-8")
        return root

    return make


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


@pytest.fixture
def run_cli(store: StoreUnderTest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys):  # type: ignore[no-untyped-def]
    """Run ``signalseq ARGS`` in-process against this test's store."""
    monkeypatch.setenv("SIGNALSEQ_DATABASE_URL", store.url)
    monkeypatch.setenv("SIGNALSEQ_WORKSPACE", str(tmp_path / "ws"))
    monkeypatch.setenv("COLUMNS", "200")

    def run(*args: str) -> CliResult:
        capsys.readouterr()
        code = cli.run([str(a) for a in args])
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run
