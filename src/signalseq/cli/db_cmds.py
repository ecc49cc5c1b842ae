"""``db upgrade`` and ``db current``."""

from __future__ import annotations

import typer

from signalseq.cli.context import print_json, state
from signalseq.store.db import Database
from signalseq.store.migrate import current_revision, head_revision, upgrade_to_head

db_app = typer.Typer(help="Database schema: apply and inspect migrations.", no_args_is_help=True)


@db_app.command()
def upgrade(ctx: typer.Context) -> None:
    """Apply every pending migration (also done automatically on first use)."""
    cli = state(ctx)
    database = Database(cli.settings.resolved_database_url, migrate=False)
    try:
        applied = upgrade_to_head(database.engine)
    finally:
        database.dispose()
    cli.out.print(
        f"database at revision {head_revision()}" + ("" if applied else " (already current)")
    )


@db_app.command()
def current(
    ctx: typer.Context, as_json: bool = typer.Option(False, "--json", help="Print as JSON.")
) -> None:
    """Show the database's migration revision and the newest one available."""
    cli = state(ctx)
    database = Database(cli.settings.resolved_database_url, migrate=False)
    try:
        revision = current_revision(database.engine)
    finally:
        database.dispose()
    data = {
        "current": revision,
        "head": head_revision(),
        "url": database.engine.url.render_as_string(hide_password=True),
    }
    if as_json:
        print_json(data)
    else:
        cli.out.print(f"current: {revision or '(empty)'}  head: {data['head']}  ({data['url']})")


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
