"""The store: migrations up and down, UTC datetimes, dead-letter de-duplication."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import inspect

from signalseq.crm.models import Account
from signalseq.deadletters import repository as deadletters
from signalseq.store.base import Base
from signalseq.store.migrate import current_revision, downgrade, head_revision, upgrade_to_head


def test_store_is_at_head_with_every_model_table(store):
    assert current_revision(store.database.engine) == head_revision()
    tables = set(inspect(store.database.engine).get_table_names())
    assert set(Base.metadata.tables) <= tables


def test_migrations_go_down_to_nothing_and_back_up(tmp_path):
    from signalseq.store.db import create_store_engine

    engine = create_store_engine(f"sqlite:///{tmp_path / 'm.db'}")
    assert upgrade_to_head(engine) is True
    assert upgrade_to_head(engine) is False, "a second upgrade has nothing to do"
    downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    upgrade_to_head(engine)
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_datetimes_come_back_in_utc(store):
    moment = datetime(2026, 3, 29, 1, 30, tzinfo=timezone(timedelta(hours=2)))
    with store.database.unit_of_work() as session:
        account = Account(name="Acme", normalized_name="acme", domain="acme.io")
        session.add(account)
        session.flush()
        account.created_at = moment
    with store.database.unit_of_work() as session:
        loaded = session.get(Account, account.id)
        assert loaded is not None
        assert loaded.created_at == moment
        assert loaded.created_at.tzinfo is not None
        assert loaded.created_at.utcoffset() == timedelta(0)
        assert loaded.created_at.astimezone(UTC).hour == 23


SEEN = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)


def test_a_rejected_record_seen_again_is_kept_once_and_reopened_after_resolution(store):
    with store.database.unit_of_work() as session:
        first = deadletters.record(
            session, source="feed:x", kind="entry", raw="<bad/>", reason="no title", now=SEEN
        )
        again = deadletters.record(
            session, source="feed:x", kind="entry", raw="<bad/>", reason="no title", now=SEEN
        )
        assert again.id == first.id
        assert first.created_at == SEEN, "the time it was seen, by the injected clock"
        first.resolved_at = SEEN + timedelta(hours=1)
    with store.database.unit_of_work() as session:
        assert deadletters.list_open(session) == []
        deadletters.record(
            session,
            source="feed:x",
            kind="entry",
            raw="<bad/>",
            reason="still bad",
            now=SEEN + timedelta(days=1),
        )
    with store.database.unit_of_work() as session:
        (letter,) = deadletters.list_open(session)
        assert letter.reason == "still bad"


def test_unit_of_work_rolls_back_on_error(store):
    try:
        with store.database.unit_of_work() as session:
            session.add(Account(name="Ghost", normalized_name="ghost", domain="ghost.io"))
            session.flush()
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    with store.database.unit_of_work() as session:
        assert session.query(Account).count() == 0


def test_migrations_match_the_models(store):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    with store.database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"render_as_batch": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == [], "a model changed without a migration: " + repr(differences[:3])
